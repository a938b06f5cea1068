"""A local stand-in for Microsoft's side of the Bot Framework, spoken to over real HTTP.

It serves what a bot talks to:
- OpenID metadata and a JWKS with RS256 keys minted here, endorsed for `msteams`, so the bot
  can validate the tokens this fake signs for its requests (`token()`);
- the Bot Connector REST API (`/v3/conversations/{id}/activities[/{activityId}]`), which
  records every call and refuses any without the bot's expected bearer token.

The connector is an idempotent receiver: an activity carrying a delivery key
(`channelData.deliveryKey`, the bot's outbox row) that it already accepted is answered as
before (200, the same id) and kept as a *replay*, not shown again (`sent()` leaves replays
out; `replays()` lists them). The real Bot Connector has no such key: a replay here is a
duplicate there, which is why tests assert there are none unless a process was killed.

It runs a `ThreadingHTTPServer` in its own thread, not on the test's event loop, because
botbuilder fetches the signing keys with blocking `requests` calls from the event loop.
Every instance serves under a random path, so botbuilder's per-URL key cache (kept a day,
process-wide) never hands one test session's keys to another.
"""

from __future__ import annotations

import dataclasses
import json
import random
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CHANNEL = "msteams"
KEY_ID = "fake-signing-key"


@dataclass(frozen=True)
class ConnectorCall:
    """One request the bot made to the Bot Connector."""

    method: str
    path: str
    conversation: str
    reply_to: str | None
    authorized: bool  # carried the bot's expected bearer token
    status: int  # what the fake answered
    body: dict[str, Any]
    replay: bool = False  # a delivery key it had already accepted: not shown again

    @property
    def delivery_key(self) -> str | None:
        channel_data = self.body.get("channelData")
        key = channel_data.get("deliveryKey") if isinstance(channel_data, dict) else None
        return key if isinstance(key, str) else None

    @property
    def type(self) -> str:
        return str(self.body.get("type"))

    @property
    def card(self) -> dict[str, Any] | None:
        """The first Adaptive Card attached, if any."""
        for attachment in self.body.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return attachment["content"]
        return None


@dataclass
class _Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class FakeMicrosoftCloud:
    """Token issuer, key server and Bot Connector for one bot (`app_id`)."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.issuer = "https://api.fake-botframework.test"
        self.oauth_scope = "https://api.fake-botframework.test"
        self.login_url = "https://login.fake-botframework.test/botframework.com"
        self.bot_token = "bot-to-connector-" + secrets.token_urlsafe(16)
        self._prefix = "/" + secrets.token_hex(8)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._lock = threading.Lock()
        self._calls: list[ConnectorCall] = []
        self._failures: deque[_Failure] = deque()
        self._accepted: dict[str, str] = {}  # delivery key -> the activity id answered
        self._slow: deque[tuple[str, float]] = deque()  # (activity type, seconds to wait)
        self._down_until = 0.0  # time.monotonic() until which every send gets `_outage`
        self._outage = _Failure(503)
        self._key_fetches = 0
        # Local mode (no app id) sends no token; set this to let such calls through.
        self.accept_anonymous = False
        # The share of calls answered 500 or 429 at random (a flaky connector), and its dice.
        self.fail_rate = 0.0
        self.dice = random.Random(0)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifetime -------------------------------------------------------------------------
    def start(self) -> FakeMicrosoftCloud:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeMicrosoftCloud:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- addresses ------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def service_url(self) -> str:
        """The Bot Connector's address, as Teams puts it in `serviceUrl`."""
        return f"{self.base_url}{self._prefix}/connector/"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}{self._prefix}/openid-configuration"

    def endpoints(self) -> dict[str, str]:
        """Plain values for `adapters.teams.auth.CloudEndpoints`."""
        return {
            "openid_metadata_url": self.metadata_url,
            "token_issuer": self.issuer,
            "oauth_scope": self.oauth_scope,
            "login_url": self.login_url,
            "outbound_token": self.bot_token,
        }

    # -- tokens the "channel" sends with each activity --------------------------------------
    def token(
        self,
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KEY_ID,
        expires_in: float = 3600,
        **claims: Any,
    ) -> str:
        """A Bot Connector → bot JWT; keyword claims override or (as None) drop the defaults."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.app_id,
            "serviceurl": self.service_url,
            "nbf": now - 60,
            "iat": now - 60,
            "exp": now + int(expires_in),
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key or self._key, algorithm="RS256", headers={"kid": kid})

    def authorization(self, **kwargs: Any) -> str:
        return f"Bearer {self.token(**kwargs)}"

    # -- what the bot sent ------------------------------------------------------------------
    def calls(self, conversation: str | None = None) -> list[ConnectorCall]:
        with self._lock:
            return [c for c in self._calls if conversation in (None, c.conversation)]

    def sent(self, conversation: str | None = None, type: str = "message") -> list[ConnectorCall]:
        """The activities of `type` the connector accepted, i.e. that reach the user."""
        return [
            c
            for c in self.calls(conversation)
            if c.type == type and c.status == 200 and not c.replay
        ]

    def replays(self, conversation: str | None = None) -> list[ConnectorCall]:
        """Activities sent again under a delivery key already accepted (dropped here)."""
        return [c for c in self.calls(conversation) if c.replay]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._accepted.clear()
            self._slow.clear()
            self._down_until = 0.0
            self.accept_anonymous = False

    def fail_next(self, status: int, times: int = 1, **headers: str) -> None:
        """Answer the next `times` connector calls with `status` (e.g. 429, Retry_After="7")."""
        with self._lock:
            for _ in range(times):
                self._failures.append(
                    _Failure(status, {k.replace("_", "-"): v for k, v in headers.items()})
                )

    def outage(self, seconds: float, status: int = 503, **headers: str) -> None:
        """Answer every connector call with `status` for the next `seconds` (the connector
        is down: e.g. 503 with Retry_After="5", as Azure's front door answers)."""
        with self._lock:
            self._outage = _Failure(status, {k.replace("_", "-"): v for k, v in headers.items()})
            self._down_until = time.monotonic() + seconds

    def slow_next(self, seconds: float, type: str = "message") -> None:
        """Answer the next call that sends an activity of `type` only after `seconds` (it is
        taken, and counted as sent, when the answer goes out)."""
        with self._lock:
            self._slow.append((type, seconds))

    @property
    def key_fetches(self) -> int:
        with self._lock:
            return self._key_fetches

    # -- HTTP -------------------------------------------------------------------------------
    def _jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": KEY_ID, "use": "sig", "alg": "RS256", "endorsements": [CHANNEL]})
        return {"keys": [jwk]}

    # The fake service's routes in one handler class, read top to bottom as its API lists
    # them; a split into methods is left for when it can be timed against the outage tests.
    def _handler(self) -> type[BaseHTTPRequestHandler]:  # noqa: C901
        cloud = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as the real Bot Connector: a bot reuses its connections.
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == f"{cloud._prefix}/openid-configuration":
                    self._json(
                        200,
                        {
                            "issuer": cloud.issuer,
                            "jwks_uri": f"{cloud.base_url}{cloud._prefix}/keys",
                            "id_token_signing_alg_values_supported": ["RS256"],
                        },
                    )
                elif path == f"{cloud._prefix}/keys":
                    with cloud._lock:
                        cloud._key_fetches += 1
                    self._json(200, cloud._jwks())
                else:
                    self._json(404, {"error": f"no such path {path}"})

            def do_POST(self) -> None:
                self._connector("POST")

            def do_PUT(self) -> None:
                self._connector("PUT")

            def _connector(self, method: str) -> None:  # noqa: C901 (see _handler)
                path = urlsplit(self.path).path
                base = f"{cloud._prefix}/connector/v3/conversations/"
                if not path.startswith(base):
                    self._json(404, {"error": f"no such path {path}"})
                    return
                parts = path[len(base) :].split("/")
                if len(parts) not in (2, 3) or parts[1] != "activities":
                    self._json(404, {"error": f"no such path {path}"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._json(400, {"error": "body is not JSON"})
                    return
                with cloud._lock:
                    wait = 0.0
                    if cloud._slow and cloud._slow[0][0] == body.get("type"):
                        wait = cloud._slow.popleft()[1]
                time.sleep(wait)
                header = self.headers.get("Authorization")
                authorized = header == f"Bearer {cloud.bot_token}"
                allowed = authorized or (cloud.accept_anonymous and header is None)
                with cloud._lock:
                    number = len(cloud._calls) + 1
                    failure = None
                    if allowed and time.monotonic() < cloud._down_until:
                        failure = cloud._outage
                    elif allowed and cloud._failures:
                        failure = cloud._failures.popleft()
                    elif allowed and cloud.dice.random() < cloud.fail_rate:
                        failure = cloud.dice.choice(
                            [_Failure(500), _Failure(429, {"Retry-After": "1"})]
                        )
                    status = 401 if not allowed else failure.status if failure else 200
                    call = ConnectorCall(
                        method=method,
                        path=path,
                        conversation=unquote(parts[0]),
                        reply_to=unquote(parts[2]) if len(parts) == 3 else None,
                        authorized=authorized,
                        status=status,
                        body=body,
                    )
                    key = call.delivery_key if method == "POST" else None
                    activity_id = f"activity-{number}"
                    if status == 200 and key is not None:
                        if key in cloud._accepted:
                            activity_id = cloud._accepted[key]
                            call = dataclasses.replace(call, replay=True)
                        cloud._accepted[key] = activity_id
                    cloud._calls.append(call)
                if status == 401:
                    self._json(401, {"error": {"code": "Unauthorized", "message": "bad token"}})
                elif failure is not None:
                    error = {"code": HTTPStatus(failure.status).phrase, "message": "fake failure"}
                    self._json(failure.status, {"error": error}, failure.headers)
                else:
                    self._json(200, {"id": activity_id})

            def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

"""A local fake of the Slack Web API (and of `response_url`s) on a real socket.

It records every call (method, arguments) and answers like Slack: `{"ok": true, ...}` with a
fresh `ts` for new messages. `fail_next(method, status, **headers)` makes the next call of
a method fail the way Slack does (e.g. 429 with Retry-After). `conversations.history`
answers from the posts made here (top-level ones, newest first, with their `metadata` when
asked for it), as Slack does.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web
from fakes.server import serving

BOT_USER = "UBOT0001"
NAMES = {"UAGENT01": "Maeve", "UAGENT02": "Tomas"}
TEAM = "T0001"
APP = "A0001"
# Users who are not full members of the partner's workspace.
OUTSIDERS = {
    "UGUEST01": {"is_restricted": True},  # a customer invited as a guest
    "UEXTERN1": {"team_id": "T0999"},  # a Slack Connect user from another organisation
}


@dataclass(frozen=True)
class SlackCall:
    method: str
    args: dict[str, Any]


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[SlackCall] = []
        self.posts: list[tuple[str, dict[str, Any]]] = []  # (ts answered, chat.postMessage args)
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response_url id, body)
        self._failures: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self._ts = itertools.count(1)
        self.url = ""
        self.acks: list[dict[str, Any]] = []  # Socket Mode acknowledgements, by envelope
        self._socket: web.WebSocketResponse | None = None

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/respond/{name}"

    def called(self, method: str) -> list[dict[str, Any]]:
        return [call.args for call in self.calls if call.method == method]

    def fail_next(self, method: str, status: int, **headers: str) -> None:
        self._failures.setdefault(method, []).append((status, headers))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FakeSlack]:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/socket", self._websocket)
        async with serving(app) as url:
            self.url = url
            yield self

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        if method == "auth.test":  # bolt's own call, not what the tests look at
            return web.json_response(
                {
                    "ok": True,
                    "user_id": BOT_USER,
                    "bot_id": "BBOT0001",
                    "team_id": TEAM,
                    "app_id": APP,
                }
            )
        self.calls.append(SlackCall(method, args))
        failures = self._failures.get(method)
        if failures:
            status, headers = failures.pop(0)
            error = "ratelimited" if status == 429 else "internal_error"
            return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            self.posts.append((ts, args))
            return web.json_response({"ok": True, "channel": args.get("channel"), "ts": ts})
        if method == "conversations.history":
            return self._history(args)
        if method == "chat.update":
            return web.json_response({"ok": True, "channel": args.get("channel"), "ts": args["ts"]})
        if method == "apps.connections.open":
            socket_url = self.url.replace("http://", "ws://") + "/socket"
            return web.json_response({"ok": True, "url": socket_url})
        if method == "users.info":
            user = str(args["user"])
            name = NAMES.get(user, user.lower())
            return web.json_response(
                {
                    "ok": True,
                    "user": {
                        "id": user,
                        "team_id": TEAM,
                        "name": name.lower(),
                        "real_name": name,
                        "profile": {"display_name": name},
                        **OUTSIDERS.get(user, {}),
                    },
                }
            )
        return web.json_response({"ok": True})

    def _history(self, args: dict[str, Any]) -> web.Response:
        try:
            latest = float(args.get("latest") or "inf")
            oldest = float(args.get("oldest") or "0")
            limit = int(args.get("limit") or 100)
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_arguments"})
        inclusive = str(args.get("inclusive")) in ("1", "true")
        metadata = str(args.get("include_all_metadata")) in ("1", "true")

        def within(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        messages = []
        for ts, post in reversed(self.posts):
            if post.get("channel") != args.get("channel") or post.get("thread_ts"):
                continue
            if within(float(ts)):
                message = {"type": "message", "ts": ts, "text": post.get("text", "")}
                if metadata and isinstance(post.get("metadata"), dict):
                    message["metadata"] = post["metadata"]
                messages.append(message)
        return web.json_response({"ok": True, "messages": messages[:limit]})

    @property
    def socket_connected(self) -> bool:
        return self._socket is not None and not self._socket.closed

    async def push(self, envelope_type: str, payload: dict[str, Any], envelope_id: str) -> None:
        """Send one Socket Mode envelope to the connected app."""
        assert self._socket is not None, "no Socket Mode connection"
        await self._socket.send_json(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "payload": payload,
                "accepts_response_payload": envelope_type != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json({"type": "hello", "num_connections": 1})
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
        return socket

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["name"], json.loads(await request.text())))
        return web.Response(text="ok")

"""`POST /slack/events`, before slack-bolt: verify, bound, read, check, project.

slack-bolt parses a request's body before it verifies its signature, and its listeners
(and ours) trust the payload's shape, so junk became 500s and tracebacks. Here, in order:

1. the signature (`v0` HMAC over the raw bytes) and the timestamp (digits, within five
   minutes) are checked before the body is decoded: a failure is a 401;
2. the body (size-bounded by the server) is read as UTF-8 JSON or form data within
   `adapters.wire`'s bounds: a failure is a 400;
3. the envelope must name this installation's app and workspace (`api_app_id`, `team_id`;
   `InstalledWorkspace`): another is a 403 and takes no effect;
4. the fields the desk reads are checked for type and *projected* into a fresh payload with
   only those fields: a wrong type or a missing field is a 400; a kind of request the desk
   does not handle (another event type, a view submission, ...) is a 200 that does nothing.

bolt then gets the projected payload (its own verification is off: the gate did it).
A listener that needs a field not projected here adds it to the projection.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http_limits import refuse
from adapters.slack.app import COMMAND
from adapters.slack.blocks import ACTIONS, CATEGORY
from adapters.slack.collections import ACTIONS as COLLECTIONS_ACTIONS
from adapters.wire import MalformedBody, parse_json

log = logging.getLogger(__name__)

MAX_AGE = 5 * 60  # seconds; Slack's own replay window
JSON, FORM = "application/json", "application/x-www-form-urlencoded"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_MESSAGE_TS = re.compile(r"[0-9]{1,16}\.[0-9]{1,16}")  # e.g. 1700000000.000009


@dataclass(frozen=True, slots=True)
class Workspace:
    team_id: str
    app_id: str


class InstalledWorkspace:
    """The app and workspace this server is installed as: from settings (SLACK_APP_ID,
    SLACK_TEAM_ID), else asked of Slack once: `auth.test` (team, and the app for bot
    tokens), then `bots.info` if `auth.test` did not name the app."""

    def __init__(self, client: AsyncWebClient, team_id: str = "", app_id: str = "") -> None:
        self._client = client
        self._known = Workspace(team_id, app_id) if team_id and app_id else None
        self._team_id, self._app_id = team_id, app_id
        self._lock = asyncio.Lock()

    async def get(self) -> Workspace:
        """The workspace; raises (a Slack API or network error) while it cannot be learned."""
        if self._known is None:
            async with self._lock:
                if self._known is None:
                    self._known = await self._ask()
        return self._known

    async def _ask(self) -> Workspace:
        test = await self._client.auth_test()
        team_id = self._team_id or str(test["team_id"])
        app_id = self._app_id or str(test.get("app_id") or "")
        if not app_id:
            bot = await self._client.bots_info(bot=str(test["bot_id"]))
            app_id = str(bot["bot"]["app_id"])
        log.info("Slack: installed as app %s in workspace %s", app_id, team_id)
        return Workspace(team_id, app_id)


@dataclass(frozen=True, slots=True)
class Admitted:
    """A request fit for bolt: the projected body and its content type."""

    body: str
    content_type: str


class _Refused(Exception):
    def __init__(self, status: int, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.status, self.reason, self.detail = status, reason, detail


class _Ignored(Exception):
    """A request Slack may send that the desk does not handle: answered 200, no effect."""


class SlackGate:
    def __init__(
        self,
        signing_secret: str,
        workspace: InstalledWorkspace,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = signing_secret.encode()
        self._workspace = workspace
        self._clock = clock

    async def admit(self, request: web.Request) -> Admitted | web.Response:
        """The projected request, or the response that refuses or ignores it."""
        try:
            self._check_headers(request)
            raw = await request.read()
            self._check_signature(request, raw)
            return await self._project(request.content_type, raw)
        except _Refused as refused:
            return refuse(request, refused.status, refused.reason, detail=refused.detail)
        except _Ignored as ignored:
            log.debug("Slack: ignored %s", ignored)
            return web.Response(status=200)

    # -- 1. who sent it ---------------------------------------------------------------------
    def _check_headers(self, request: web.Request) -> None:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise _Refused(401, "unauthorized", "X-Slack-Request-Timestamp is not a number")
        if abs(self._clock() - int(timestamp)) > MAX_AGE:
            raise _Refused(401, "unauthorized", "request older than five minutes")
        if not _SIGNATURE.fullmatch(request.headers.get("X-Slack-Signature", "")):
            raise _Refused(401, "unauthorized", "no v0 X-Slack-Signature")

    def _check_signature(self, request: web.Request, raw: bytes) -> None:
        timestamp = request.headers["X-Slack-Request-Timestamp"]
        base = b"v0:" + timestamp.encode() + b":" + raw
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers["X-Slack-Signature"]):
            raise _Refused(401, "unauthorized", "signature mismatch")

    # -- 2-4. what it says ----------------------------------------------------------------
    async def _project(self, content_type: str, raw: bytes) -> Admitted:
        try:
            text = raw.decode("utf-8")
            if content_type == JSON:
                return await self._envelope(_object(parse_json(text), "body"))
            if content_type == FORM:
                form = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
                if "payload" in form:
                    return await self._interaction(_object(parse_json(form["payload"]), "payload"))
                if "command" in form:
                    return await self._command(form)
                raise _Ignored("a form post that is neither a command nor an interaction")
        except UnicodeDecodeError as exc:
            detail = f"body is not UTF-8 (byte {exc.start})"
            raise _Refused(400, "malformed request", detail) from None
        except MalformedBody as exc:
            raise _Refused(400, "malformed request", str(exc)) from None
        raise _Refused(415, f"unsupported content type {content_type or '(none)'}")

    async def _envelope(self, body: Mapping[str, Any]) -> Admitted:
        kind = _text(body, "type", "body")
        if kind == "url_verification":
            return _json({"type": kind, "challenge": _text(body, "challenge", "body")})
        if kind != "event_callback":
            raise _Ignored(f"envelope type {kind!r}")
        await self._check_workspace(_text(body, "team_id", "body"), _text(body, "api_app_id"))
        event = _object(body.get("event"), "event")
        event_type = _text(event, "type", "event")
        if event_type == "message":
            fields = _texts(
                event,
                "event",
                optional=("channel", "user", "text", "ts", "thread_ts", "subtype", "bot_id"),
            )
            for key in ("ts", "thread_ts"):  # a thread's post may be looked up by its ts
                if key in fields and not _MESSAGE_TS.fullmatch(fields[key]):
                    raise _Refused(400, "malformed request", f"`event.{key}` is not a Slack ts")
        elif event_type == "app_home_opened":
            fields = _texts(event, "event", required=("user",), optional=("channel", "tab"))
        else:
            raise _Ignored(f"event type {event_type!r}")
        projected: dict[str, Any] = {
            **_texts(body, "body", required=("team_id", "api_app_id", "event_id")),
            "type": kind,
            "event": {"type": event_type, **fields},
        }
        if isinstance(body.get("event_time"), int) and not isinstance(body["event_time"], bool):
            projected["event_time"] = body["event_time"]
        return _json(projected)

    async def _interaction(self, payload: Mapping[str, Any]) -> Admitted:
        kind = _text(payload, "type", "payload")
        if kind != "block_actions":
            raise _Ignored(f"interaction type {kind!r}")
        team = _object(payload.get("team"), "payload.team")
        await self._check_workspace(_text(team, "id", "team"), _text(payload, "api_app_id"))
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions:
            raise _Refused(400, "malformed request", "`actions` must be a non-empty list")
        first = _object(actions[0], "actions[0]")
        action_id = _text(first, "action_id", "actions[0]")
        if action_id not in ACTIONS and action_id not in COLLECTIONS_ACTIONS:
            raise _Ignored(f"action {action_id!r}")
        action: dict[str, Any] = _texts(
            first,
            "actions[0]",
            required=("action_id", "value") if action_id != CATEGORY else ("action_id",),
            optional=("block_id", "type", "action_ts"),
        )
        if action_id == CATEGORY:
            option = _object(first.get("selected_option"), "actions[0].selected_option")
            action["selected_option"] = _texts(option, "selected_option", required=("value",))
        projected: dict[str, Any] = {
            "type": kind,
            "api_app_id": payload["api_app_id"],
            "team": {"id": team["id"]},
            "user": _texts(
                _object(payload.get("user"), "payload.user"),
                "user",
                required=("id",),
                optional=("name", "username", "team_id"),
            ),
            "actions": [action],
            **_texts(payload, "payload", optional=("trigger_id", "response_url")),
        }
        for key, fields in (("channel", ("id",)), ("message", ("ts",))):
            if payload.get(key) is not None:
                part = _object(payload[key], f"payload.{key}")
                projected[key] = _texts(part, key, required=fields)
        if payload.get("container") is not None:
            container = _object(payload["container"], "payload.container")
            projected["container"] = _texts(
                container, "container", optional=("type", "message_ts", "channel_id")
            )
        _check_url(projected, "payload.response_url")
        return Admitted(urllib.parse.urlencode({"payload": json.dumps(projected)}), FORM)

    async def _command(self, form: Mapping[str, str]) -> Admitted:
        if form["command"] != COMMAND:
            raise _Ignored(f"command {form['command']!r}")
        await self._check_workspace(_text(form, "team_id", "form"), _text(form, "api_app_id"))
        projected = _texts(
            form,
            "form",
            required=("command", "team_id", "api_app_id", "user_id", "response_url"),
            optional=("text", "channel_id", "user_name", "trigger_id"),
        )
        _check_url(projected, "form.response_url")
        return Admitted(urllib.parse.urlencode(projected), FORM)

    async def _check_workspace(self, team_id: str, app_id: str) -> None:
        try:
            ours = await self._workspace.get()
        except Exception as exc:  # Slack unreachable or the token refused: retry later
            raise _Refused(503, "workspace unknown", f"auth.test failed: {exc}") from None
        if (team_id, app_id) != (ours.team_id, ours.app_id):
            detail = f"names app {app_id!r} in workspace {team_id!r}"
            raise _Refused(403, "not this app's workspace", detail)


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Refused(400, "malformed request", f"`{where}` must be an object")
    return value


def _text(source: Mapping[str, Any], key: str, where: str = "body") -> str:
    value = source.get(key)
    if not isinstance(value, str) or not value:
        raise _Refused(400, "malformed request", f"`{where}.{key}` must be a non-empty string")
    return value


def _texts(
    source: Mapping[str, Any],
    where: str,
    *,
    required: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
) -> dict[str, str]:
    """The named string fields of `source` (the optional ones when present)."""
    picked = {key: _text(source, key, where) for key in required}
    for key in optional:
        value = source.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise _Refused(400, "malformed request", f"`{where}.{key}` must be a string")
        picked[key] = value
    return picked


def _check_url(projected: Mapping[str, Any], where: str) -> None:
    """`response_url`, where bolt's `respond()` posts, must be a web address."""
    url = projected.get("response_url")
    if url is not None and not url.startswith(("https://", "http://")):
        raise _Refused(400, "malformed request", f"`{where}` must be an http(s) URL")


def _json(body: dict[str, Any]) -> Admitted:
    return Admitted(json.dumps(body), JSON)

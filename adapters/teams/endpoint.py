"""`POST /api/messages`: authenticate the Bot Connector's request, run the turn, answer.

botbuilder 4.17's `CloudAdapter.process` is not used, for two reasons found in its source:
- it writes an invoke's body with `serializer_helper`, which only accepts msrest models, so
  every invoke answered with a plain JSON body (an Adaptive Card) becomes HTTP 500;
- only `PermissionError` becomes 401: a bad signature, an expired token (PyJWT errors), an
  unknown key id (`IndexError`) or a failed endorsement check (bare `Exception`) become 500.
Here authentication is its own step, before the bot runs: any failure in it is a 401, except
an unreachable OpenID metadata endpoint, which is our problem, not the caller's (503).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from adapters.teams.activities import NOT_DELIVERED

log = logging.getLogger(__name__)

TurnLogic = Callable[[Any], Awaitable[None]]


class TeamsEndpoint:
    """The aiohttp handler for the Bot Connector's POSTs."""

    def __init__(
        self,
        adapter: Any,
        logic: TurnLogic,
        count: Callable[[str], None] = lambda _outcome: None,
    ) -> None:
        self._adapter = adapter  # botbuilder CloudAdapter
        self._logic = logic
        self._count = count

    async def handle(self, request: web.Request) -> web.Response:
        from botbuilder.schema import Activity

        if request.content_type != "application/json":
            return self._refuse(415, "expected an application/json activity")
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return self._refuse(400, "request body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return self._refuse(400, "request body is not an activity (no `type`)")
        try:
            activity = Activity().deserialize(body)
        except Exception as exc:  # msrest raises DeserializationError and friends
            return self._refuse(400, f"malformed activity: {exc}")

        header = request.headers.get("Authorization")
        try:
            authenticated = await self._adapter.bot_framework_authentication.authenticate_request(
                activity, header
            )
        except Exception as exc:
            if _is_unreachable(exc):
                log.error("cannot fetch Bot Framework signing keys: %s", exc)
                return self._refuse(503, "token signing keys unavailable", retry_after=30)
            log.warning("rejected %s activity: %s: %s", body["type"], type(exc).__name__, exc)
            return self._refuse(401, "unauthorized")

        turns: list[Any] = []

        async def logic(turn: Any) -> None:
            turns.append(turn)
            await self._logic(turn)

        invoke_response = await self._adapter.process_activity(authenticated, activity, logic)
        self._count(str(body["type"]))
        if any(turn.turn_state.get(NOT_DELIVERED) for turn in turns):
            # Tell the platform the truth: the turn failed (nothing was kept) or its reply is
            # not delivered yet (it is queued). A redelivery is handled, never doubled.
            return self._refuse(503, "the reply is not delivered yet", retry_after=5)
        if invoke_response is None:
            return web.Response(status=201)
        payload = invoke_response.body
        if hasattr(payload, "serialize"):  # an msrest model from an SDK handler
            payload = payload.serialize()
        if payload is None:
            return web.Response(status=int(invoke_response.status))
        return web.json_response(payload, status=int(invoke_response.status))

    def _refuse(self, status: int, reason: str, *, retry_after: int | None = None) -> web.Response:
        self._count(f"refused_{status}")
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return web.json_response({"error": reason}, status=status, headers=headers)


def _is_unreachable(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, requests.RequestException | OSError) and not isinstance(
        exc, PermissionError
    )

"""`POST /api/messages`: authenticate the Bot Connector's request, run the turn, answer.

botbuilder 4.17's `CloudAdapter.process` is not used, for two reasons found in its source:
- it writes an invoke's body with `serializer_helper`, which only accepts msrest models, so
  every invoke answered with a plain JSON body (an Adaptive Card) becomes HTTP 500;
- only `PermissionError` becomes 401: a bad signature, an expired token (PyJWT errors), an
  unknown key id (`IndexError`) or a failed endorsement check (bare `Exception`) become 500.
Here authentication is its own step, before the bot runs: any failure in it is a 401, except
an unreachable OpenID metadata endpoint, which is our problem, not the caller's (503).
botbuilder also accepts a signed token without `exp` (PyJWT checks expiry only when the
claim is present), or one whose `exp` is decades away: here both are a 401 too (a token
lives a day at most, `adapters.teams.auth.MAX_TOKEN_LIFETIME`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from adapters.exposure import is_loopback_url
from adapters.http_limits import one_line, refuse
from adapters.teams import activities
from adapters.teams.activities import NOT_DELIVERED
from adapters.teams.auth import has_expiry, lifetime_problem
from adapters.teams.direct import Connector, DirectTurn, unreadable
from adapters.wire import MalformedBody, parse_json

log = logging.getLogger(__name__)

TurnLogic = Callable[[Any], Awaitable[None]]
# The values `count` gets (labels of teams_activities_total) come from a fixed set, so a
# sender inventing activity types cannot mint new time series: any other type is "other".
ACTIVITY_TYPES = frozenset(
    {
        "message",
        "invoke",
        "conversationUpdate",
        "installationUpdate",
        "messageReaction",
        "messageUpdate",
        "messageDelete",
        "typing",
        "event",
        "endOfConversation",
    }
)
TurnError = Callable[[Any, Exception], Awaitable[None]]


class TeamsEndpoint:
    """The aiohttp handler for the Bot Connector's POSTs.

    Order of checks: content type; with authentication on, the token on its own (present,
    signature, issuer, audience, `exp` present and not past) before the body is parsed;
    the body (size-bounded by the server) as plain JSON within `adapters.wire`'s bounds;
    the token again, bound to the two fields of the activity it vouches for (`channelId`:
    the signing key's endorsement; `serviceUrl`: the token's `serviceurl` claim); the whole
    activity's shape; only then the turn: a customer's `message` as a `DirectTurn` (see
    `adapters.teams.direct`), anything else through botbuilder's adapter. Every refusal is
    one log line.
    """

    def __init__(
        self,
        adapter: Any,
        logic: TurnLogic,
        count: Callable[[str], None] = lambda _outcome: None,
        *,
        authenticated: bool = True,
        on_error: TurnError | None = None,
        connector: Connector | None = None,
    ) -> None:
        self._adapter = adapter  # botbuilder CloudAdapter
        self._logic = logic
        self._count = count
        self._authenticated = authenticated  # False only in local mode (no app id)
        self._on_error = on_error
        self._connector = connector  # None: every activity goes through botbuilder

    async def handle(self, request: web.Request) -> web.Response:
        """Each step of `_admit` refuses with its own status and one log line; an admitted
        activity runs as a turn, directly or through botbuilder."""
        try:
            body, authenticated = await self._admit(request)
            activity = _readable(body, direct=self._direct(body))
        except Refusal as refusal:
            return self._refuse(request, refusal)
        if activity is None:
            return await self._direct_turn(request, body, authenticated)
        return await self._botbuilder_turn(request, body, authenticated, activity)

    async def _admit(self, request: web.Request) -> tuple[dict[str, Any], Any]:
        """The activity and its authentication, in the order the class docstring gives."""
        header = _checked_headers(request, authenticated=self._authenticated)
        raw = await request.read()
        if self._authenticated:  # a stranger's body is never parsed
            _check_token_alone(await self._authenticate(_token_alone(), header, "request"))
        body = _activity_body(raw)
        if not self._authenticated:
            _check_local_service_url(body)
        authenticated = await self._authenticate(
            _addressing(body), header, f"{body['type']} activity"
        )
        if (problem := activities.shape_problem(body)) is not None:
            raise Refusal(400, f"malformed activity: {problem}")
        return body, authenticated

    async def _botbuilder_turn(
        self, request: web.Request, body: dict[str, Any], authenticated: Any, activity: Any
    ) -> web.Response:
        turns: list[Any] = []

        async def logic(turn: Any) -> None:
            turns.append(turn)
            await self._logic(turn)

        invoke_response = await self._adapter.process_activity(authenticated, activity, logic)
        self._count(_outcome(body["type"]))
        if any(turn.turn_state.get(NOT_DELIVERED) for turn in turns):
            # Tell the platform the truth: the turn failed (nothing was kept) or its reply is
            # not delivered yet (it is queued). A redelivery is handled, never doubled.
            return self._refuse(request, NOT_DELIVERED_YET)
        if invoke_response is None:
            return web.Response(status=201)
        return _invoke_answer(invoke_response)

    def _direct(self, body: dict[str, Any]) -> bool:
        return (
            self._connector is not None
            and self._on_error is not None
            and body["type"] == "message"
            and body.get("deliveryMode") != "expectReplies"  # replies in the HTTP body
        )

    async def _direct_turn(
        self, request: web.Request, body: dict[str, Any], authenticated: Any
    ) -> web.Response:
        """A customer's message, as botbuilder's adapter would run it (errors go to the
        turn-error handler) without its per-request work."""
        assert self._connector is not None and self._on_error is not None
        turn = DirectTurn(body, self._connector, authenticated)
        try:
            await self._logic(turn)
        except Exception as exc:
            await self._on_error(turn, exc)
        self._count(_outcome(body["type"]))
        if turn.turn_state.get(NOT_DELIVERED):  # as in `_botbuilder_turn`
            return self._refuse(request, NOT_DELIVERED_YET)
        return web.Response(status=201)

    async def _authenticate(self, addressing: Any, header: str | None, what: str) -> Any:
        """botbuilder's authentication result; refused with a 401, or a 503 when the
        signing keys cannot be fetched (our problem, not the caller's)."""
        try:
            return await self._adapter.bot_framework_authentication.authenticate_request(
                addressing, header
            )
        except Exception as exc:
            if _is_unreachable(exc):
                log.error("cannot fetch Bot Framework signing keys: %s", one_line(str(exc)))
                raise Refusal(503, "token signing keys unavailable", retry_after=30) from exc
            detail = f"{what}: {type(exc).__name__}: {exc}"
            raise Refusal(401, "unauthorized", detail=detail) from exc

    def _refuse(self, request: web.Request, refusal: Refusal) -> web.Response:
        self._count(f"refused_{refusal.status}")
        return refuse(
            request,
            refusal.status,
            refusal.reason,
            detail=refusal.detail,
            retry_after=refusal.retry_after,
        )


class Refusal(Exception):
    """A step of the pipeline refusing the request: its status, the reason the caller reads
    and the detail the log line adds."""

    def __init__(
        self, status: int, reason: str, *, detail: str = "", retry_after: int | None = None
    ) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


NOT_DELIVERED_YET = Refusal(503, "the reply is not delivered yet", retry_after=5)


def _checked_headers(request: web.Request, *, authenticated: bool) -> str | None:
    """The Authorization header, after the content type is checked."""
    if request.content_type != "application/json":
        raise Refusal(415, "expected an application/json activity")
    header = request.headers.get("Authorization")
    if header is None and authenticated:
        raise Refusal(401, "unauthorized", detail="no Authorization header")
    return header


def _check_token_alone(alone: Any) -> None:
    """A token botbuilder accepted must also carry an `exp` within a token's lifetime."""
    if not has_expiry(alone.claims_identity):
        raise Refusal(401, "unauthorized", detail="token carries no `exp`")
    if (too_long := lifetime_problem(alone.claims_identity)) is not None:
        raise Refusal(401, "unauthorized", detail=f"token: {too_long}")


def _activity_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object with a `type` and non-empty `channelId` and `serviceUrl`."""
    try:
        body = parse_json(raw)
    except MalformedBody as exc:
        raise Refusal(400, "request body is not valid JSON", detail=str(exc)) from exc
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise Refusal(400, "request body is not an activity (no `type`)")
    for key in ("channelId", "serviceUrl"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise Refusal(400, f"`{key}` must be a non-empty string")
    return body


def _check_local_service_url(body: dict[str, Any]) -> None:
    """Local mode: replies go to the Emulator on this machine, never to a URL a stranger
    chose (with a customer's invoices in them)."""
    if not is_loopback_url(body["serviceUrl"]):
        raise Refusal(
            403,
            "local mode (no TEAMS_APP_ID): `serviceUrl` must be a loopback address",
            detail=one_line(body["serviceUrl"]),
        )


def _readable(body: dict[str, Any], *, direct: bool) -> Any:
    """What botbuilder would refuse to read is refused here, on either path: botbuilder's
    `Activity` for `body`, or None on the direct path (which reads the JSON itself)."""
    if direct:
        if (unread := unreadable(body)) is not None:
            raise Refusal(400, "malformed activity", detail=unread)
        return None
    from botbuilder.schema import Activity

    try:
        return Activity().deserialize(body)
    except Exception as exc:  # msrest raises DeserializationError and friends
        raise Refusal(400, "malformed activity", detail=str(exc)) from exc


def _invoke_answer(invoke_response: Any) -> web.Response:
    payload = invoke_response.body
    if hasattr(payload, "serialize"):  # an msrest model from an SDK handler
        payload = payload.serialize()
    if payload is None:
        return web.Response(status=int(invoke_response.status))
    return web.json_response(payload, status=int(invoke_response.status))


def _outcome(kind: object) -> str:
    return kind if isinstance(kind, str) and kind in ACTIVITY_TYPES else "other"


def _token_alone() -> Any:
    """An activity that binds the token to nothing: botbuilder then checks only the token
    (no `serviceurl` claim match without a service URL, no endorsement without a channel)."""
    from botbuilder.schema import Activity

    return Activity()


def _addressing(body: dict[str, Any]) -> Any:
    """The part of an activity its token is validated against, and nothing else."""
    from botbuilder.schema import Activity, ChannelAccount

    recipient = body.get("recipient")
    role = recipient.get("role") if isinstance(recipient, dict) else None
    return Activity(
        channel_id=body["channelId"],
        service_url=body["serviceUrl"],
        recipient=ChannelAccount(role=role if isinstance(role, str) else None),
    )


def _is_unreachable(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, requests.RequestException | OSError) and not isinstance(
        exc, PermissionError
    )

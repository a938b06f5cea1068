"""One Teams turn: translate the activity, ask the core, send back what it says.

The core commits the turn (the event's id, its effects and the reply as an outbox row
claimed by this process) before anything is sent. Then the reply goes out inline, at once,
and its row is settled as delivered. If that send fails, the row is released to the outbox
dispatcher, which delivers it proactively, and the endpoint tells the Bot Connector the
truth (`NOT_DELIVERED`: a 5xx, so a redelivery may come; it finds the row and sends the reply
only if it is still undelivered). A card action answered in the HTTP body is settled the
same way, and a redelivered click gets the same card again.

The core is synchronous (database, embeddings), so every call into it goes through
`run_core`, which runs it off the event loop: the server keeps serving other requests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from adapters.teams import activities, cards
from adapters.teams.direct import ConnectorError
from bot.channel import OutboxEvent
from bot.conversation.store import Conversations
from bot.tickets.inbound import InboundEvents
from bot.tickets.outbox import Claimed, Outbox
from bot.turn import INLINE_LEASE
from bot.types import Message

if TYPE_CHECKING:
    from bot.app import Assistant

log = logging.getLogger(__name__)

CoreRunner = Callable[..., Awaitable[Any]]  # run_core(fn, *args) -> fn(*args), off the loop
WELCOME_SOURCE = "teams-welcome"
NOTHING_TO_READ = "I can only read typed questions: please type yours."
MAX_REMEMBERED = 10_000  # conversations whose stored reference this process knows
SORRY = "Sorry, something went wrong on my side. Please try again in a moment."
# Turn state the endpoint reads: the turn failed, or its reply could not be sent inline.
NOT_DELIVERED = activities.NOT_DELIVERED
# An inline send gives up well before its claim on the row runs out, so the dispatcher
# never sends a reply that is still on its way.
INLINE_TIMEOUT = INLINE_LEASE.total_seconds() / 2


class TeamsTurns:
    """The bot logic handed to botbuilder's adapter: `await turns.on_turn(turn_context)`."""

    def __init__(
        self,
        assistant: Assistant,
        conversations: Conversations,
        inbound: InboundEvents,
        outbox: Outbox,
        run_core: CoreRunner,
        local_tenant: str | None = None,
    ) -> None:
        self._assistant = assistant
        self._conversations = conversations
        self._inbound = inbound
        self._outbox = outbox
        self._run_core = run_core
        self._local_tenant = local_tenant  # the Emulator's stand-in tenant, local mode only
        self._remembered: dict[str, dict[str, Any]] = {}  # conversation -> stored reference

    async def on_turn(self, turn: Any) -> None:
        wire = turn.activity.serialize()
        kind = wire.get("type")
        if kind in ("message", "invoke", "conversationUpdate", "installationUpdate"):
            await self._remember(wire)
        if kind == "message":
            await self._on_message(turn, wire)
        elif activities.is_card_action(wire):
            await self._on_card_action(turn, wire)
        elif activities.wants_welcome(wire):
            await self._welcome(turn, wire)
        # Anything else (typing, reactions, members leaving, ...) needs no answer.

    async def on_error(self, turn: Any, error: Exception) -> None:
        """botbuilder's `on_turn_error`: log, tell the customer, keep serving."""
        if _is_connector_failure(error):  # an operational failure: one line is enough
            log.error("Teams turn failed: Bot Connector unreachable or refused: %s", error)
        else:
            log.error("Teams turn failed", exc_info=(type(error), error, error.__traceback__))
        wire = turn.activity.serialize()
        turn.turn_state[NOT_DELIVERED] = True  # nothing was committed: a redelivery is welcome
        try:
            if activities.is_card_action(wire):
                await _invoke_reply(
                    turn,
                    {
                        "statusCode": 500,
                        "type": "application/vnd.microsoft.error",
                        "value": {"code": "InternalError", "message": SORRY},
                    },
                )
            elif wire.get("type") == "message":
                await turn.send_activity(SORRY)
        except Exception as exc:
            log.warning("could not tell the customer about the failed turn: %s", exc)

    async def _on_message(self, turn: Any, wire: dict[str, Any]) -> None:
        from botbuilder.schema import Activity, ActivityTypes

        message = self._with_tenant(activities.message_from_activity(wire))
        if not message.text and not message.value:
            await turn.send_activity(NOTHING_TO_READ)
            return
        typing = asyncio.ensure_future(_typing(turn, Activity(type=ActivityTypes.typing)))
        try:  # the indicator goes out while the core works, and before the answer
            handled = await self._run_core(self._assistant.respond, message)
        finally:
            await typing
        if handled.delivery is not None:
            await self._send_inline(turn, handled.delivery)
        elif not handled.repeat and handled.reply.text:  # an activity without an id: no row
            await turn.send_activity(card_activity(cards.reply_card(handled.reply, message.text)))
        # Otherwise nothing to say, or the reply went out already (or is going out elsewhere).

    async def _send_inline(self, turn: Any, delivery: Claimed) -> None:
        outgoing = delivery.outgoing
        activity = card_activity(cards.outgoing_card(OutboxEvent(outgoing.event), outgoing.body))
        try:
            response = await asyncio.wait_for(turn.send_activity(activity), INLINE_TIMEOUT)
        except Exception as exc:
            log.warning("reply %s not sent inline (%s); the outbox delivers it", outgoing.key, exc)
            await self._run_core(self._release, delivery, f"inline send: {exc!r}")
            turn.turn_state[NOT_DELIVERED] = True
            return
        reference = getattr(response, "id", None) or None
        await self._run_core(self._settle, delivery, reference)

    def _release(self, delivery: Claimed, error: str) -> None:
        """Hand the reply to the dispatcher, due now."""
        self._outbox.failed(delivery, error, retry_at=_now())

    def _settle(self, delivery: Claimed, reference: str | None) -> None:
        self._outbox.delivered(delivery, reference, now=_now())

    async def _on_card_action(self, turn: Any, wire: dict[str, Any]) -> None:
        message = self._with_tenant(activities.message_from_card_action(wire))
        handled = await self._run_core(self._assistant.respond, message)
        if handled.delivery is not None:  # answered in the HTTP body: that is its delivery
            await self._run_core(self._settle, handled.delivery, None)
        reply = handled.reply
        if reply.text:  # a redelivered click gets the same card again
            body = cards.invoke_response_body(cards.reply_card(reply))
        else:
            body = {
                "statusCode": 200,
                "type": "application/vnd.microsoft.activity.message",
                "value": "Done.",
            }
        await _invoke_reply(turn, body)

    async def _welcome(self, turn: Any, wire: dict[str, Any]) -> None:
        # Installing a personal app sends both installationUpdate and conversationUpdate:
        # greet once per conversation and day.
        day = datetime.now(UTC).date().isoformat()
        key = f"{activities.conversation_id(wire)}:{day}"
        first = await self._run_core(self._inbound.first_delivery, WELCOME_SOURCE, key)
        if not first:
            return
        tenant = activities.tenant_id(wire) or self._local_tenant
        reply = await self._run_core(self._assistant.welcome, tenant)
        if reply.text:
            await turn.send_activity(card_activity(cards.reply_card(reply)))

    def _with_tenant(self, message: Message) -> Message:
        if message.tenant_id or not self._local_tenant:
            return message
        return replace(message, tenant_id=self._local_tenant)

    async def _remember(self, wire: dict[str, Any]) -> None:
        conversation = activities.conversation_id(wire)
        if not conversation or not wire.get("serviceUrl"):
            return
        reference = activities.conversation_reference(wire)
        reference.pop("activityId", None)  # proactive sends never reply to an old message
        if self._remembered.get(conversation) == reference:
            return  # already stored by this process: spare the database a write per message
        await self._run_core(
            self._conversations.remember,
            activities.CHANNEL,
            conversation,
            reference,
            None,
        )
        if len(self._remembered) >= MAX_REMEMBERED:
            self._remembered.clear()
        self._remembered[conversation] = reference


def card_activity(content: cards.Card) -> Any:
    from botbuilder.schema import Activity, ActivityTypes, Attachment

    attachment = cards.attachment(content)
    return Activity(
        type=ActivityTypes.message,
        attachments=[Attachment(content_type=attachment["contentType"], content=content)],
    )


async def _invoke_reply(turn: Any, body: dict[str, Any]) -> None:
    from botbuilder.core import InvokeResponse
    from botbuilder.schema import Activity, ActivityTypes

    await turn.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
    )


def _now() -> datetime:
    return datetime.now(UTC)


async def _typing(turn: Any, typing: Any) -> None:
    """Cosmetic: a failed typing indicator must not cost the customer the answer."""
    try:
        await turn.send_activity(typing)
    except Exception as exc:
        log.warning("typing indicator not sent: %s", exc)


def _is_connector_failure(error: BaseException) -> bool:
    import aiohttp
    from msrest.exceptions import ClientRequestError, HttpOperationError

    failures = (ClientRequestError, HttpOperationError, ConnectorError, aiohttp.ClientError)
    return isinstance(error, failures)

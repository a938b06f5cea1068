"""One Teams turn: translate the activity, ask the core, send back what it says.

The core commits the turn (the event's id, its effects and the reply as an outbox row
claimed by this process) before anything is sent. Then the reply goes out inline, at once,
and its row is settled as delivered. If that send fails, the row is released to the outbox
dispatcher, which delivers it proactively, and the endpoint tells the Bot Connector the
truth (`NOT_DELIVERED`: a 5xx, so a redelivery may come; it finds the row and sends the reply
only if it is still undelivered). A card action answered in the HTTP body is settled the
same way, and a redelivered click gets the same card again. The welcome on install is a
turn of its own (`Assistant.greet`), queued and sent like a reply.

Exactly once, as far as the Bot Connector lets a sender know (outbox on this side, an
idempotent consumer on the other): the inline send follows the core's protocol
(`bot.delivery.inline`: heartbeat, settle, release; a slow send is never abandoned nor
doubled), and every activity carries its row's key, the same on every attempt, in
`channelData.deliveryKey`. The Bot Connector has no idempotency key of its own (botbuilder
clears `id`, which the service assigns), so one case is left: a process killed after the
connector took the activity and before the row was marked delivered. That row is sent again
when its claim runs out, at least once, under the same key, for the receiver (or a proxy in
front of it) to drop.

The core is synchronous (database, embeddings), so every call into it goes through
`run_core`, which runs it off the event loop: the server keeps serving other requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from adapters.teams import activities, cards
from adapters.teams.direct import ConnectorError
from bot.conversation.store import Conversations
from bot.delivery.inline import CoreRunner, InlineSends
from bot.delivery.outbox import Claimed, Outbox
from bot.locale import N_, Translator, translator
from bot.logsafe import loggable
from bot.types import Message

if TYPE_CHECKING:
    from bot.app import Assistant

log = logging.getLogger(__name__)

NOTHING_TO_READ = N_("I can only read typed questions: please type yours.")
MAX_REMEMBERED = 10_000  # conversations whose stored reference this process knows
SORRY = N_("Sorry, something went wrong on my side. Please try again in a moment.")
DONE = N_("Done.")
# Turn state the endpoint reads: the turn failed, or its reply could not be sent inline.
NOT_DELIVERED = activities.NOT_DELIVERED
DELIVERY_KEY = "deliveryKey"  # channelData field: the outbox row's key, for the receiver


class TeamsTurns:
    """The bot logic handed to botbuilder's adapter: `await turns.on_turn(turn_context)`."""

    def __init__(
        self,
        assistant: Assistant,
        conversations: Conversations,
        outbox: Outbox,
        run_core: CoreRunner,
        local_tenant: str | None = None,
        count_stranger: Callable[[], None] = lambda: None,
    ) -> None:
        self._assistant = assistant
        self._conversations = conversations
        self._inline = InlineSends(outbox, run_core)
        self._run_core = run_core
        self._local_tenant = local_tenant  # the Emulator's stand-in tenant, local mode only
        self._remembered: dict[str, dict[str, Any]] = {}  # conversation -> stored reference
        self._count_stranger = count_stranger  # an activity from no customer's tenant

    async def on_turn(self, turn: Any) -> None:
        wire = turn.activity.serialize()
        kind = wire.get("type")
        if not self._from_customer(wire):
            self._count_stranger()  # answered as today; its conversation is not stored
        elif kind in ("message", "invoke", "conversationUpdate", "installationUpdate"):
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
            log.error("Teams turn failed", exc_info=loggable(error))
        wire = turn.activity.serialize()
        _ = _in_locale_of(wire)
        turn.turn_state[NOT_DELIVERED] = True  # nothing was committed: a redelivery is welcome
        try:
            if activities.is_card_action(wire):
                await _invoke_reply(
                    turn,
                    {
                        "statusCode": 500,
                        "type": "application/vnd.microsoft.error",
                        "value": {"code": "InternalError", "message": _(SORRY)},
                    },
                )
            elif wire.get("type") == "message":
                await turn.send_activity(_(SORRY))
        except Exception as exc:
            log.warning("could not tell the customer about the failed turn: %s", exc)

    async def _on_message(self, turn: Any, wire: dict[str, Any]) -> None:
        from botbuilder.schema import Activity, ActivityTypes

        message = self._with_tenant(activities.message_from_activity(wire))
        if not message.text and not message.value:
            await turn.send_activity(_in_locale_of(wire)(NOTHING_TO_READ))
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
        """Send a committed reply now; tell the endpoint when it has not gone out (yet)."""
        outgoing = delivery.outgoing
        card = cards.outgoing_card(outgoing.event, outgoing.body)

        async def send() -> str | None:
            response = await turn.send_activity(card_activity(card, outgoing.key))
            return getattr(response, "id", None) or None

        if not await self._inline.send(delivery, send):
            turn.turn_state[NOT_DELIVERED] = True

    async def drain(self) -> None:
        """Let inline sends still on their way end (and settle) before the server stops."""
        await self._inline.drain()

    async def _on_card_action(self, turn: Any, wire: dict[str, Any]) -> None:
        message = self._with_tenant(activities.message_from_card_action(wire))
        handled = await self._run_core(self._assistant.respond, message)
        if handled.delivery is not None:  # answered in the HTTP body: that is its delivery
            await self._inline.settle(handled.delivery, None)
        reply = handled.reply
        if reply.text:  # a redelivered click gets the same card again
            body = cards.invoke_response_body(cards.reply_card(reply))
        else:
            body = {
                "statusCode": 200,
                "type": "application/vnd.microsoft.activity.message",
                "value": translator(reply.language)(DONE),
            }
        await _invoke_reply(turn, body)

    async def _welcome(self, turn: Any, wire: dict[str, Any]) -> None:
        # Installing a personal app sends both installationUpdate and conversationUpdate:
        # greet once per conversation and day (the event id says so; hashed, as conversation
        # ids can be long).
        conversation = activities.conversation_id(wire)
        day = datetime.now(UTC).date().isoformat()
        digest = hashlib.sha256(conversation.encode()).hexdigest()[:32]
        message = Message(
            "",
            channel=activities.CHANNEL,
            conversation=conversation,
            tenant_id=activities.tenant_id(wire) or self._local_tenant,
            event_id=f"welcome:{digest}:{day}",
        )
        handled = await self._run_core(self._assistant.greet, message)
        if handled.delivery is not None:
            await self._send_inline(turn, handled.delivery)
        elif not handled.repeat and handled.reply.text:  # an unknown tenant's: no row
            await turn.send_activity(card_activity(cards.reply_card(handled.reply)))

    def _from_customer(self, wire: dict[str, Any]) -> bool:
        tenant = activities.tenant_id(wire) or self._local_tenant
        if not tenant:
            return False
        return self._assistant.knowledge.customer_for_tenant(tenant) is not None

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


def _in_locale_of(wire: dict[str, Any]) -> Translator:
    """What the core has not answered yet is said in the language of the user's Teams."""
    return translator(str(wire.get("locale") or "") or None)


def card_activity(content: cards.Card, key: str | None = None) -> Any:
    """A message carrying one card; `key`, an outbox row's, rides along in `channelData`."""
    from botbuilder.schema import Activity, ActivityTypes, Attachment

    attachment = cards.attachment(content)
    return Activity(
        type=ActivityTypes.message,
        attachments=[Attachment(content_type=attachment["contentType"], content=content)],
        channel_data={DELIVERY_KEY: key} if key else None,
    )


async def _invoke_reply(turn: Any, body: dict[str, Any]) -> None:
    from botbuilder.core import InvokeResponse
    from botbuilder.schema import Activity, ActivityTypes

    await turn.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
    )


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

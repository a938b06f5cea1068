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
idempotent consumer on the other):
- a send is never abandoned while it may still succeed. One that outlasts `INLINE_TIMEOUT`
  goes on after the endpoint has answered, keeps its claim on the row (renewed while it
  runs) and settles the row when it ends; the dispatcher and redeliveries leave a claimed
  row alone, so a slow send is never doubled by a retry (msrest sends from a worker thread:
  cancelling the wait never cancelled the request);
- every activity carries its row's key, the same on every attempt, in
  `channelData.deliveryKey`. The Bot Connector has no idempotency key of its own (botbuilder
  clears `id`, which the service assigns), so one case is left: a process killed after the
  connector took the activity and before the row was marked delivered. That row is sent
  again when its claim runs out, at least once, under the same key, for the receiver (or a
  proxy in front of it) to drop. To keep that window short, a send's outcome is recorded
  on threads of its own (`SETTLERS`), never queued behind turns waiting in the core's pool
  for the encoder: right after the send, the settle statement alone.

The core is synchronous (database, embeddings), so every call into it goes through
`run_core`, which runs it off the event loop: the server keeps serving other requests.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from adapters.http_limits import one_line
from adapters.teams import activities, cards
from adapters.teams.direct import ConnectorError
from bot.channel import OutboxEvent
from bot.conversation.store import Conversations
from bot.locale import N_, Translator, translator
from bot.logsafe import loggable
from bot.tickets.outbox import Claimed, Outbox
from bot.turn import INLINE_LEASE
from bot.types import Message

if TYPE_CHECKING:
    from bot.app import Assistant

log = logging.getLogger(__name__)

CoreRunner = Callable[..., Awaitable[Any]]  # run_core(fn, *args) -> fn(*args), off the loop
NOTHING_TO_READ = N_("I can only read typed questions: please type yours.")
MAX_REMEMBERED = 10_000  # conversations whose stored reference this process knows
SORRY = N_("Sorry, something went wrong on my side. Please try again in a moment.")
DONE = N_("Done.")
# Turn state the endpoint reads: the turn failed, or its reply could not be sent inline.
NOT_DELIVERED = activities.NOT_DELIVERED
# Seconds the endpoint waits for the inline send before answering "not delivered yet"; the
# send itself goes on, holding its claim on the row, until it succeeds or fails.
INLINE_TIMEOUT = 4.0
DELIVERY_KEY = "deliveryKey"  # channelData field: the outbox row's key, for the receiver
SETTLE_RETRIES = (0.2, 1.0)  # seconds between attempts to record an inline send's outcome
SHUTDOWN_GRACE = 10.0  # seconds inline sends still on their way get when the server stops
SETTLERS = 2  # threads that record inline sends' outcomes (one short statement each)


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
        self._outbox = outbox
        self._sending: set[asyncio.Future[bool]] = set()  # inline sends still on their way
        self._settlers = ThreadPoolExecutor(SETTLERS, thread_name_prefix="settle")
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
        sending = asyncio.ensure_future(self._deliver_inline(turn, delivery))
        self._sending.add(sending)
        sending.add_done_callback(self._sending.discard)
        try:
            delivered = await asyncio.wait_for(asyncio.shield(sending), INLINE_TIMEOUT)
        except TimeoutError:
            log.warning(
                "reply %s still on its way after %.0f s; it keeps its claim until it ends",
                delivery.outgoing.key,
                INLINE_TIMEOUT,
            )
            delivered = False
        if not delivered:
            turn.turn_state[NOT_DELIVERED] = True

    async def _deliver_inline(self, turn: Any, delivery: Claimed) -> bool:
        """Send, then settle the row (delivered) or release it to the dispatcher; the claim
        is renewed meanwhile, so nobody else sends the row while this send may succeed."""
        outgoing = delivery.outgoing
        card = cards.outgoing_card(OutboxEvent(outgoing.event), outgoing.body)
        heartbeat = asyncio.ensure_future(self._keep_claim(delivery))
        try:
            try:
                response = await turn.send_activity(card_activity(card, outgoing.key))
            except Exception as exc:
                log.warning(
                    "reply %s not sent inline (%s); the outbox delivers it",
                    outgoing.key,
                    one_line(f"{type(exc).__name__}: {exc}"),
                )
                # Through the core's pool, which wakes the dispatcher to deliver it at once.
                await self._record(self._run_core, self._release, delivery, f"inline send: {exc!r}")
                return False
            reference = getattr(response, "id", None) or None
            await self._record(self._on_settler, self._settle, delivery, reference)
            return True
        finally:
            heartbeat.cancel()

    async def _keep_claim(self, delivery: Claimed) -> None:
        while True:
            await asyncio.sleep(INLINE_LEASE.total_seconds() / 3)
            try:
                await self._run_core(self._renew, delivery)
            except Exception as exc:  # the database is away: the claim may run out
                log.warning("could not renew the claim on %s: %s", delivery.outgoing.key, exc)

    async def _on_settler(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._settlers, functools.partial(fn, *args))

    async def _record(
        self, run: CoreRunner, outcome: Callable[[Claimed, Any], None], *args: Any
    ) -> None:
        """Store a send's outcome (with `run`), retrying briefly. If it cannot be stored, the
        row's claim runs out and the dispatcher sends it: a reply sent once more (same key),
        never lost."""
        for pause in (*SETTLE_RETRIES, None):
            try:
                await run(outcome, *args)
                return
            except Exception as exc:
                if pause is None:
                    log.error("could not record the outcome of %s: %s", args[0].outgoing.key, exc)
                    return
                await asyncio.sleep(pause)

    async def drain(self, timeout: float = SHUTDOWN_GRACE) -> None:
        """Let inline sends still on their way end (and settle) before the server stops."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=timeout)
        self._settlers.shutdown(wait=False)

    def _renew(self, delivery: Claimed) -> None:
        self._outbox.renew([delivery], until=_now() + INLINE_LEASE)

    def _release(self, delivery: Claimed, error: str) -> None:
        """Hand the reply to the dispatcher (due now, unless a redelivery claimed it)."""
        self._outbox.release(delivery, error)

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

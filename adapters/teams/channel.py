"""`TeamsChannel`: the core's `Channel` port for Teams, i.e. proactive messages to customers.

The outbox dispatcher hands it what is addressed to a Teams conversation (the bot's reply to
a message whose inline send failed, an agent's reply, a resolution); it renders them as
cards and sends them into the conversation whose reference `TeamsTurns` stored when the
customer last wrote. A delivery already made is never repeated: the outbox row's status is
the persisted delivery key (see `bot.delivery.outbox`), not a set in this process; the row's
key rides along (`channelData.deliveryKey`) for the one resend the Bot Connector cannot rule
out (see `adapters.teams.turns`).

A 401, 403 or 404 from the Bot Connector (the bot is not allowed there, the conversation is
gone), or a conversation whose reference was never stored, is `DeliveryRefused`: parked for
an operator. Anything else (5xx, 503 with Retry-After, a refused connection) is retried
until the connector is back.

Retries belong to the dispatcher (durable, with backoff and a dead-letter state): the
connector clients for these sends have the SDK's own retries switched off (see
`adapters.teams.connectors`), so a 429 reaches the dispatcher as `RetryLater` at once.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

from adapters.teams import cards
from adapters.teams.activities import CHANNEL
from adapters.teams.turns import CoreRunner, card_activity
from bot.channel import Delivered, OutboxEvent, Outgoing
from bot.conversation.store import Conversations
from bot.errors import DeliveryError, DeliveryRefused, RetryLater
from bot.locale import SOURCE_LANGUAGE

DEFAULT_RETRY_AFTER = 5.0  # seconds, when a 429 names no Retry-After
REFUSED = frozenset({401, 403, 404})  # the connector will not take it, however often asked


class TeamsChannel:
    name = CHANNEL

    def __init__(
        self, adapter: Any, conversations: Conversations, app_id: str, run_core: CoreRunner
    ) -> None:
        self._adapter = adapter  # botbuilder CloudAdapter
        self._conversations = conversations
        self._app_id = app_id
        self._run_core = run_core

    async def deliver(self, message: Outgoing) -> Delivered:
        from botbuilder.schema import ConversationReference

        stored = await self._run_core(self._conversations.reference, CHANNEL, message.conversation)
        if stored is None:
            raise DeliveryRefused(
                f"no stored Teams conversation {message.conversation!r}: the customer has "
                "not written to the bot from it (or its reference was never saved)"
            )
        reference = ConversationReference().deserialize(stored)
        event = message.event
        language = SOURCE_LANGUAGE
        if event != OutboxEvent.REPLY:  # a reply carries its language; a notice follows the chat
            state = await self._run_core(self._conversations.state, CHANNEL, message.conversation)
            language = state.language
        card = cards.outgoing_card(event, message.body, language)
        activity = card_activity(card, message.key)  # the key: the receiver may drop a resend
        sent: list[str | None] = []
        failures: list[BaseException] = []

        async def send(turn: Any) -> None:
            # Errors are kept, not raised: the adapter would hand them to on_turn_error.
            try:
                response = await turn.send_activity(activity)
                sent.append(getattr(response, "id", None) or None)
            except Exception as exc:
                failures.append(exc)

        try:
            await self._adapter.continue_conversation(reference, send, self._app_id)
        except Exception as exc:
            failures.append(exc)
        if failures:
            raise delivery_error(failures[0], message.conversation) from failures[0]
        return Delivered(sent[0] if sent else None)


def delivery_error(exc: BaseException, conversation: str) -> DeliveryError:
    """The dispatcher's view of a failed send: `RetryLater` for a 429 (and a 503 that says
    when to come back), `DeliveryRefused` for a refusal no retry mends, else
    `DeliveryError`."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is None:
        return DeliveryError(f"Teams conversation {conversation!r}: {type(exc).__name__}: {exc}")
    headers = getattr(response, "headers", {}) or {}
    if status == 429 or (status == 503 and headers.get("Retry-After")):
        wait = retry_after(headers)
        return RetryLater(f"Bot Connector answered {status} for {conversation!r}", wait)
    text = (getattr(response, "text", "") or "")[:200]
    failure = DeliveryRefused if status in REFUSED else DeliveryError
    return failure(f"Bot Connector answered HTTP {status} for {conversation!r}: {text}")


def retry_after(headers: Any, default: float = DEFAULT_RETRY_AFTER) -> float:
    """Seconds to wait from a Retry-After header: a number, or an HTTP date."""
    value = headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(when.timestamp() - time.time(), 0.0)

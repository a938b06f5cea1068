"""`TeamsChannel`: the core's `Channel` port for Teams, i.e. proactive messages to customers.

The outbox dispatcher hands it what is addressed to a Teams conversation (the bot's reply to
a message whose inline send failed, an agent's reply, a resolution); it renders them as
cards and sends them into the conversation whose reference `TeamsTurns` stored when the
customer last wrote. A delivery already made is never repeated: the outbox row's status is
the persisted delivery key (see `bot.tickets.outbox`), not a set in this process.

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
from bot.errors import DeliveryError, RetryLater

DEFAULT_RETRY_AFTER = 5.0  # seconds, when a 429 names no Retry-After


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
            raise DeliveryError(
                f"no stored Teams conversation {message.conversation!r}: the customer has "
                "not written to the bot from it (or its reference was never saved)"
            )
        reference = ConversationReference().deserialize(stored)
        activity = card_activity(cards.outgoing_card(OutboxEvent(message.event), message.body))
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
    """The dispatcher's view of a failed send: `RetryLater` for a 429, else `DeliveryError`."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is None:
        return DeliveryError(f"Teams conversation {conversation!r}: {type(exc).__name__}: {exc}")
    if status == 429:
        wait = retry_after(getattr(response, "headers", {}) or {})
        return RetryLater(f"Bot Connector throttled conversation {conversation!r}", wait)
    text = (getattr(response, "text", "") or "")[:200]
    return DeliveryError(f"Bot Connector answered HTTP {status} for {conversation!r}: {text}")


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

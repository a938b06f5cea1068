"""The one port through which the core reaches people: `Channel.deliver(Outgoing)`.

Adapters implement it (Teams: proactive message to a customer's conversation; Slack: a post,
an update or a thread reply in the escalations channel). The core never imports them: the
outbox dispatcher looks a channel up by `Outgoing.channel`.

`RecordingChannel` is the in-memory twin that tests use instead of a mock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class OutboxEvent(StrEnum):
    """What an outbox row announces; each channel renders the ones addressed to it."""

    REPLY = "reply"  # the bot's answer to a customer's message (customer's channel)
    AGENT_REPLY = "agent_reply"  # an agent answered in the ticket's thread (customer's channel)
    TICKET_RESOLVED = "ticket_resolved"  # asks the customer whether it is solved
    TICKET_OPENED = "ticket_opened"  # the agents' post that starts the ticket's thread
    TICKET_UPDATED = "ticket_updated"  # that post, refreshed to show the ticket as it is now
    CUSTOMER_MESSAGE = "customer_message"  # the customer wrote again: into the thread
    PAYMENT_REMINDER = "payment_reminder"  # a collections step: the reminder card (customer)
    PAYMENT_CLAIMED = "payment_claimed"  # a customer clicked "I've paid": told to the agents
    COLLECTIONS_DIGEST = "collections_digest"  # the agents' daily collections digest
    WEEKLY_REPORT = "weekly_report"  # Monday's post of last week's figures (agents' channel)


# What is addressed to a customer (the rest goes to the partner's agents): held, not retried
# forever, when it cannot be delivered within its window.
TO_CUSTOMERS = frozenset(
    {
        OutboxEvent.REPLY,
        OutboxEvent.AGENT_REPLY,
        OutboxEvent.TICKET_RESOLVED,
        OutboxEvent.PAYMENT_REMINDER,
    }
)


# The body field of a message that was held past its window and then put back in line: when
# it was first queued (ISO 8601). The channel says sorry for the delay before it.
LATE = "late"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to deliver, as written to the outbox.

    `key` is the idempotency key: a channel that sees the same key twice may drop the
    second. `conversation` is the stored reference of where it goes (a Teams conversation
    id, a Slack thread), empty for a new agents' thread. `event` says what happened; `body`
    is the JSON-able content. `attempt` counts this one: past the first, an earlier attempt
    may have reached the platform before its process died.
    """

    key: str
    channel: str
    conversation: str
    event: OutboxEvent
    body: Mapping[str, Any]
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class Delivered:
    """What the platform gave back: e.g. the Slack `ts` of a new thread, stored on the ticket."""

    reference: str | None = None


@runtime_checkable
class Channel(Protocol):
    name: str

    async def deliver(self, message: Outgoing) -> Delivered:
        """Deliver or raise `DeliveryError` (`RetryLater` when the platform asks to wait,
        `DeliveryRefused` when it refuses the message for good)."""
        ...


@dataclass
class RecordingChannel:
    """A real, in-memory channel: keeps what it was given, in order."""

    name: str
    delivered: list[Outgoing] = field(default_factory=list)

    async def deliver(self, message: Outgoing) -> Delivered:
        self.delivered.append(message)
        return Delivered(reference=f"{self.name}-{len(self.delivered)}")

"""Plain frozen values the ticket store hands out; no SQLAlchemy object ever leaves it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.channel import OutboxEvent
from bot.tickets.status import Status
from bot.types import ReplyKind, TicketInfo

PREFIX = "BILL-"


def format_number(ticket_id: int) -> str:
    return f"{PREFIX}{ticket_id}"


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """One line of a ticket's conversation.

    `author` is "customer", "bot" or "agent:<name>"; `internal` notes are for agents only
    and never reach the customer.
    """

    author: str
    text: str
    at: datetime
    internal: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "author": self.author,
            "text": self.text,
            "at": self.at.isoformat(),
            "internal": self.internal,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TranscriptEntry:
        return cls(
            author=str(data["author"]),
            text=str(data["text"]),
            at=datetime.fromisoformat(data["at"]),
            internal=bool(data.get("internal", False)),
        )


class HistoryKind(StrEnum):
    """What one row of a ticket's history records."""

    OPENED = "opened"
    STATUS = "status"  # a status change (from_status → to_status)
    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"
    INTERNAL_NOTE = "internal_note"
    CATEGORY = "category"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"  # the platform refused it for good (never because it was down)
    HELD = "held"  # past its delivery window: kept until the customer writes again
    SUPERSEDED = "superseded"  # a newer row of the same kind makes this one pointless


@dataclass(frozen=True, slots=True)
class Ticket:
    number: str
    customer_id: str
    category: str
    route: str
    status: Status
    question: str
    transcript: tuple[TranscriptEntry, ...]
    evidence: tuple[str, ...]
    channel: str
    conversation: str
    thread: str | None  # the agents' thread (Slack ts), known once the post is delivered
    assignee: str | None
    created_at: datetime
    updated_at: datetime

    def info(self, expected_reply: str | None = None) -> TicketInfo:
        return TicketInfo(
            number=self.number,
            category=self.category,
            route=self.route,
            status=self.status,
            expected_reply=expected_reply,
        )

    def to_json(self) -> dict[str, Any]:
        """Everything an agents' renderer needs (internal notes included)."""
        return {
            "number": self.number,
            "customer_id": self.customer_id,
            "category": self.category,
            "route": self.route,
            "status": self.status,
            "assignee": self.assignee,
            "question": self.question,
            "transcript": [entry.to_json() for entry in self.transcript],
            "evidence": list(self.evidence),
            "channel": self.channel,
            "conversation": self.conversation,
            "thread": self.thread,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One row of a ticket's history: a status change, a message or a note."""

    id: int
    number: str
    at: datetime
    actor: str
    kind: HistoryKind
    text: str | None
    from_status: Status | None
    to_status: Status | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "kind": self.kind,
            "text": self.text,
            "from_status": self.from_status,
            "to_status": self.to_status,
        }


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """An outbox row as operators see it (`billing-bot tickets outbox`)."""

    id: int
    key: str
    channel: str
    conversation: str
    event: OutboxEvent
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    number: str | None
    body: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "channel": self.channel,
            "conversation": self.conversation,
            "event": self.event,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "delivered_at": None if self.delivered_at is None else self.delivered_at.isoformat(),
            "ticket": self.number,
            "body": dict(self.body),
        }


@dataclass(frozen=True, slots=True)
class Unanswered:
    """A customer question the bot did not answer, as admins see it."""

    at: datetime
    channel: str
    customer_id: str | None
    kind: ReplyKind  # not_sure | out_of_scope
    question: str
    confidence: float
    nearest: str | None  # the closest section, "path › section"

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "channel": self.channel,
            "customer_id": self.customer_id,
            "kind": self.kind,
            "question": self.question,
            "confidence": round(self.confidence, 4),
            "nearest": self.nearest,
        }

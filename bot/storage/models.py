"""SQLAlchemy 2 typed ORM models. The schema itself is owned by the Alembic migrations in
`migrations/versions/`; a test checks that these models and the migrations agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

FIRST_TICKET = 1001  # BILL-1001 is the first ticket of a fresh database


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zones: values are stored as naive UTC text, which also sorts right.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the ticket store stores UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDoc = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class TicketRow(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_customer_conversation", "channel", "conversation"),
        # A customer's tickets, and the report's "a ticket within 7 days": one index range.
        Index("ix_tickets_customer_created", "customer_id", "created_at"),
        # One active ticket per customer conversation: the database, not a check in Python,
        # decides when two "talk to a person" clicks race.
        Index(
            "uq_tickets_active_conversation",
            "channel",
            "conversation",
            unique=True,
            postgresql_where=text("status <> 'resolved'"),
            sqlite_where=text("status <> 'resolved'"),
        ),
        {"sqlite_autoincrement": True},  # never reuse a number, even after a delete
    )

    # The ticket number is BILL-<id>: an identity / autoincrement column allocates it, so
    # concurrent writers never collide and no counter row serialises them.
    id: Mapped[int] = mapped_column(Integer, Identity(start=FIRST_TICKET), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(200))  # ix_tickets_customer_created
    category: Mapped[str] = mapped_column(String(100))
    route: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(32), index=True)
    question: Mapped[str] = mapped_column(Text)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    evidence: Mapped[list[str]] = mapped_column(JSONDoc)
    channel: Mapped[str] = mapped_column(String(50))
    conversation: Mapped[str] = mapped_column(String(500))
    thread: Mapped[str | None] = mapped_column(String(200), index=True)
    assignee: Mapped[str | None] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TicketEventRow(Base):
    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # The dispatcher's hot path: due pending rows, oldest first.
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_order", "ticket_id", "channel", "id"),
        Index("ix_outbox_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    channel: Mapped[str] = mapped_column(String(50))
    conversation: Mapped[str] = mapped_column(String(500))
    # "opens": the delivery's reference becomes the ticket's thread; "follows": sent into
    # the ticket's thread, resolved at delivery time; "none": `conversation` as stored.
    thread_mode: Mapped[str] = mapped_column(String(10))
    event: Mapped[str] = mapped_column(String(50))
    body: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    last_error: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboundEventRow(Base):
    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("source", "event_id", name="uq_inbound_events_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(50))
    event_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # What handling the event produced (e.g. the reply and its outbox key): a redelivery is
    # answered from it instead of being handled again.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)


class ConversationRow(Base):
    __tablename__ = "conversations"

    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    conversation: Mapped[str] = mapped_column(String(500), primary_key=True)
    reference: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    customer_id: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)  # bot.conversation.state
    # Counts the writes of `state`: a turn writes only over the version it read.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(50))
    conversation: Mapped[str] = mapped_column(String(500))
    helpful: Mapped[bool] = mapped_column(Boolean)
    about: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(32))  # a 👎's `bot.reasons.Reason`
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class UnansweredRow(Base):
    """A customer question the bot did not answer (not sure, or not billing): what admins
    read to see which articles the knowledge folder is missing."""

    __tablename__ = "unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(50))
    customer_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    nearest: Mapped[str | None] = mapped_column(Text)  # the closest section, "path › section"


class TurnRow(Base):
    """One customer event the bot handled (a message or a card button), as the resolution
    report reads it: when, what kind of reply, the intent understood and the topic. No text:
    the report shows no message text beyond the unanswered questions (kept masked apart)."""

    __tablename__ = "turns"
    __table_args__ = (
        # A conversation's turns in order: its last turn, read when a turn is stored.
        Index("ix_turns_episodes", "channel", "conversation", "at", "id"),
        # The report's episodes, grouped as the index reads them (no sort), the period's
        # turns told apart by the index alone.
        Index("ix_turns_episode", "episode", "at"),
        # The report's citations and votes, read off the index alone.
        Index("ix_turns_kind", "kind", "at", "topic"),
        Index("ix_turns_intent", "intent", "at"),
        # "A question on the same topic within 7 days", answered by the index alone.
        Index("ix_turns_follow_up", "customer_id", "topic", "at", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(50))
    conversation: Mapped[str] = mapped_column(String(500))
    customer_id: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # bot.types.ReplyKind
    intent: Mapped[str | None] = mapped_column(String(100))  # the classifier's reading
    topic: Mapped[str | None] = mapped_column(String(300))  # article cited, look-up, category
    ticket_id: Mapped[int | None] = mapped_column(Integer)  # the ticket it opened or added to
    offered: Mapped[bool] = mapped_column(Boolean)  # the reply offers a ticket
    # The id of the turn that opened this turn's episode (its own, for an opener), decided
    # when the turn is stored (`bot.conversation.turns`). Nullable as migration 0012 added
    # it (and filled it for the turns stored before); every turn has one.
    episode: Mapped[int | None] = mapped_column(Integer)

"""`TurnLog`: one row per customer event the bot handled, in the `turns` table: when, the kind
of reply, the intent understood, the topic and the ticket. The resolution report
(`bot.report`) tells each episode's outcome from these rows, the tickets and the votes.

Written in the turn's own transaction, so a redelivered event is never counted twice. Each
row also records its episode (`bot.report.outcomes`): the episode of the conversation's last
turn, unless 24 h of silence passed or one of the conversation's tickets was resolved since
(then the turn opens one, and is its own episode's id). Decided here, once per turn, so the
report groups turns by a stored number instead of working episodes out over every turn of
its period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Insert,
    Subquery,
    bindparam,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.orm import Session

from bot.report.outcomes import EPISODE_GAP
from bot.storage.database import Database
from bot.storage.models import TicketEventRow, TicketRow, TurnRow, UTCDateTime
from bot.tickets.status import Status
from bot.tickets.values import HistoryKind
from bot.types import Action, Reply, ReplyKind

# Replies that say nothing about the customer's question: not a turn of an episode.
UNCOUNTED = frozenset({ReplyKind.WELCOME, ReplyKind.DUPLICATE, ReplyKind.UNKNOWN_CUSTOMER})
TOPIC_LIMIT = 300
FEEDBACK_HELPFUL = "feedback.helpful"  # 👍 on an answer
FEEDBACK_UNHELPFUL = "feedback.unhelpful"  # 👎


@dataclass(frozen=True, slots=True)
class TurnNote:
    """What the assistant knows of a customer turn before its reply: who asked, and what the
    classifier read (None: no reading, e.g. a card button) and the topic it was about."""

    customer_id: str
    intent: str | None = None
    topic: str | None = None


def button_intent(value: Mapping[str, object]) -> str:
    """What a card button says, as the report reads it: `feedback.helpful` (👍) and
    `feedback.unhelpful` (👎), else `button.<action>`."""
    action = str(value.get("action", ""))
    if action == Action.FEEDBACK:
        return FEEDBACK_HELPFUL if value.get("helpful") else FEEDBACK_UNHELPFUL
    return f"button.{action}"


def topic_of(reply: Reply, note: TurnNote) -> str | None:
    """The category of the ticket the reply opened, the note's topic (an invoice look-up's
    intent, whatever article it also cites), the article the reply cites, else the intent:
    what "the same topic" means to the report."""
    if reply.ticket is not None:
        return f"ticket:{reply.ticket.category}"
    if note.topic:
        return note.topic
    if reply.citations:
        return reply.citations[0].path
    return note.intent


class TurnLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record_in(
        self,
        conn: Connection,
        *,
        channel: str,
        conversation: str,
        note: TurnNote,
        reply: Reply,
        offered: bool,
    ) -> None:
        if reply.kind in UNCOUNTED:
            return
        topic = topic_of(reply, note)
        now = self._db.now()
        values = {
            "at": now,
            "channel": channel,
            "conversation": conversation,
            "customer_id": note.customer_id,
            "language": reply.language,
            "kind": str(reply.kind),
            "intent": note.intent,
            "topic": None if topic is None else topic[:TOPIC_LIMIT],
            "ticket_id": _ticket_id(reply),
            "offered": offered,
        }
        conn.execute(_insert(conn.dialect.name), {**values, "silence": now - EPISODE_GAP})

    def prune_in(self, session: Session, before: datetime) -> int:
        """Forget the turns older than `before` (read through `ix_turns_at`); the report
        reads none older than its period, a day and the 7-day follow-up."""
        result = session.execute(delete(TurnRow).where(TurnRow.at < before))
        return int(cast(CursorResult[Any], result).rowcount)


FIELDS = (
    "at",
    "channel",
    "conversation",
    "customer_id",
    "language",
    "kind",
    "intent",
    "topic",
    "ticket_id",
    "offered",
)


@cache
def _insert(dialect: str) -> Insert:
    """The turn's one statement, built once per dialect (its parameters: the columns of
    `FIELDS`, and `silence`, 24 h before the turn): the new row's id is taken first (a
    derived table), so an opener is its own episode without a second write of the row."""
    new = _next_id(dialect)
    columns = TurnRow.__table__.c
    params = {name: bindparam(name, type_=columns[name].type) for name in FIELDS}
    continued = _continued(params["channel"], params["conversation"])
    row = select(*params.values(), new.c.id, func.coalesce(continued, new.c.id)).select_from(new)
    return insert(TurnRow).from_select([*FIELDS, "id", "episode"], row)


def _next_id(dialect: str) -> Subquery:
    """The id the next turn gets: PostgreSQL's sequence; on SQLite, whose writers take turns,
    the largest id's successor (what SQLite itself would pick)."""
    if dialect == "postgresql":
        following: ColumnElement[int] = func.nextval(func.pg_get_serial_sequence("turns", "id"))
    else:
        following = func.coalesce(func.max(TurnRow.id), 0) + 1
    return select(following.label("id")).subquery("new")


def _continued(
    channel: BindParameter[str], conversation: BindParameter[str]
) -> ColumnElement[int | None]:
    """The episode of the conversation's last turn (read off `ix_turns_episodes`), when the
    new turn continues it: the last came after `silence` (less than 24 h before), and no
    ticket of the conversation was resolved since. NULL: the turn opens an episode."""
    last = (
        select(TurnRow.at, TurnRow.episode)
        .where(TurnRow.channel == channel, TurnRow.conversation == conversation)
        .order_by(TurnRow.at.desc(), TurnRow.id.desc())
        .limit(1)
        .subquery("last")
    )
    resolved = (
        select(TicketEventRow.id)
        .join(TicketRow, TicketRow.id == TicketEventRow.ticket_id)
        .where(
            TicketRow.channel == channel,
            TicketRow.conversation == conversation,
            TicketEventRow.kind == HistoryKind.STATUS.value,
            TicketEventRow.to_status == Status.RESOLVED.value,
            TicketEventRow.at >= last.c.at,
        )
        .exists()
    )
    silence = bindparam("silence", type_=UTCDateTime())
    return select(last.c.episode).where(last.c.at > silence, ~resolved).scalar_subquery()


def _ticket_id(reply: Reply) -> int | None:
    if reply.ticket is None:
        return None
    digits = reply.ticket.number.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else None

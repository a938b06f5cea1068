"""`Storage`: every kind of stored data, each with its own small store, on one `Database`.

    tickets        TicketStore     tickets, their history, the outbox rows they imply
    inbound        InboundEvents   ids of handled platform events, and what handling produced
    conversations  Conversations   stored references (proactive sends) and conversation state
    feedback       FeedbackLog     "was this helpful?" votes and unanswered questions
    turns          TurnLog         each customer turn's kind of reply, intent and topic
    outbox         Outbox          what is still to be delivered, and by whom
    collections    CollectionsStore  reminder steps sent, agents' pauses, "I've paid" claims

`turn(message)` is the one transaction of one customer's event (see `bot.storage.turn`);
`agent_action(source, event_id)` the one of an agents' action (see `bot.storage.agent_action`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, and_, bindparam, delete, exists, literal_column, select

from bot.collections.store import CollectionsStore
from bot.conversation.state import ConversationState
from bot.conversation.store import Conversations
from bot.conversation.turns import TurnLog
from bot.delivery.outbox import Outbox
from bot.storage.agent_action import AgentAction
from bot.storage.database import POOL_SIZE, Clock, Database, utcnow
from bot.storage.feedback import FeedbackLog
from bot.storage.inbox import InboundEvents, Result
from bot.storage.models import ConversationRow, InboundEventRow, OutboxRow, TicketRow
from bot.storage.prepared import Prepared
from bot.storage.turn import AlreadyHandled, Turn
from bot.tickets.status import ACTIVE, Status
from bot.tickets.store import TicketStore, ticket_of
from bot.tickets.values import OutboxStatus, Ticket
from bot.types import Message


@dataclass(frozen=True, slots=True)
class BeforeTurn:
    """`seen`: what an earlier delivery of the event produced (None: never handled);
    `state`: the conversation's state; `owner`: its active ticket, if any; `held`: messages
    to it are held for its next turn (they could not be delivered in their window);
    `version`: the version of the state read (None: the conversation has no row yet)."""

    seen: Result | None
    state: ConversationState
    owner: Ticket | None
    held: bool = False
    version: int | None = None


class Pruned(NamedTuple):
    """What `Storage.prune` deleted."""

    inbound: int
    outbox: int
    states: int
    turns: int = 0


class Storage:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.outbox = Outbox(db.engine)  # the one: dispatcher, inline sends, /metrics
        self.tickets = TicketStore(db, self.outbox)
        self.inbound = InboundEvents(db)
        self.conversations = Conversations(db)
        self.feedback = FeedbackLog(db)
        self.turns = TurnLog(db)
        self.collections = CollectionsStore(db)
        self._before_turn = Prepared(_before_turn_query(), db.engine.dialect)

    @classmethod
    def from_url(cls, url: str, *, clock: Clock = utcnow, pool_size: int = POOL_SIZE) -> Storage:
        """Connect, creating the SQLite folder if missing, and migrate to the newest schema."""
        return cls(Database.from_url(url, clock=clock, pool_size=pool_size))

    def before_turn(self, message: Message) -> BeforeTurn:
        """What a turn reads before it decides, in one statement: what an earlier delivery
        of the event produced, the conversation's state, its active ticket (at most one: a
        unique index says so)."""
        with self.db.single() as conn:
            (row,) = self._before_turn.run(
                conn,
                {
                    "b_channel": message.channel,
                    "b_event_id": message.event_id or None,
                    "b_conversation": message.conversation,
                },
            )
        return BeforeTurn(
            seen=None if row.seen_id is None else dict(row.result or {}),
            state=ConversationState.from_json(row.state),
            owner=None if row.id is None else ticket_of(row),
            held=bool(row.held),
            version=row.version,
        )

    @contextmanager
    def turn(self, message: Message, before: BeforeTurn) -> Iterator[Turn]:
        """One transaction for one incoming event, over what `before_turn` read: its id is
        marked first (a concurrent delivery of the same event waits here, then raises
        `AlreadyHandled`), then whatever the turn changes; it all commits when the block
        ends, or none of it (`StaleTurn`: another turn of the conversation wrote its state
        since `before` was read)."""
        with self.db.transaction() as conn:
            if message.event_id and not self.inbound.claim_in(
                conn, message.channel, message.event_id
            ):
                raise AlreadyHandled(f"{message.channel} event {message.event_id}")
            with Turn(self, conn, message, before.state, before.version) as turn:
                yield turn

    @contextmanager
    def agent_action(self, source: str, event_id: str | None) -> Iterator[AgentAction]:
        """One transaction for one agents' action, marked with the id of the platform event
        (or interaction) that asked for it (none: no mark): a second delivery of it raises
        `AlreadyHandled` and changes nothing. It all commits when the block ends, or none."""
        with self.db.write() as session:
            if event_id and not self.inbound.claim_in(session, source, event_id):
                raise AlreadyHandled(f"{source} event {event_id}")
            yield AgentAction(self, session)

    def prune(self, older_than: timedelta, turns_older_than: timedelta | None = None) -> Pruned:
        """Forget inbound event ids and settled (delivered or superseded) outbox rows older
        than `older_than`, and the state (transcript, what was shown) of conversations quiet
        for as long; pending and dead rows, tickets and their history, and the references
        proactive messages need stay. With `turns_older_than`, also the turns (what the
        resolution report reads) older than that."""
        cutoff = self.db.now() - older_than
        settled = [OutboxStatus.DELIVERED.value, OutboxStatus.SUPERSEDED.value]
        with self.db.write() as session:
            inbound = self.inbound.prune_in(session, older_than)
            outbox = session.execute(
                delete(OutboxRow)
                .where(OutboxRow.status.in_(settled))
                .where(OutboxRow.created_at < cutoff)
            )
            states = self.conversations.forget_states_in(session, cutoff)
            turns = (
                0
                if turns_older_than is None
                else self.turns.prune_in(session, self.db.now() - turns_older_than)
            )
        return Pruned(inbound, int(cast(CursorResult[Any], outbox).rowcount), states, turns)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _before_turn_query() -> Any:
    """`Storage.before_turn`'s statement: three outer joins on one row, each a primary key
    or unique index lookup (a conversation has one active ticket at most)."""
    assert frozenset(Status) - {Status.RESOLVED} == ACTIVE  # the unique index's condition
    here = select(literal_column("1").label("one")).subquery("here")
    held = (
        exists()
        .where(
            # Written out, as below: the status index finds the (rare) held rows.
            OutboxRow.status == literal_column(f"'{OutboxStatus.HELD.value}'"),
            OutboxRow.channel == bindparam("b_channel"),
            OutboxRow.conversation == bindparam("b_conversation"),
        )
        .label("held")
    )
    return (
        select(
            InboundEventRow.id.label("seen_id"),
            InboundEventRow.result,
            ConversationRow.state,
            ConversationRow.version,
            held,
            *TicketRow.__table__.columns,
        )
        .select_from(here)
        .outerjoin(
            InboundEventRow,
            and_(
                InboundEventRow.source == bindparam("b_channel"),
                InboundEventRow.event_id == bindparam("b_event_id"),
            ),
        )
        .outerjoin(
            ConversationRow,
            and_(
                ConversationRow.channel == bindparam("b_channel"),
                ConversationRow.conversation == bindparam("b_conversation"),
            ),
        )
        .outerjoin(
            TicketRow,
            and_(
                TicketRow.channel == bindparam("b_channel"),
                TicketRow.conversation == bindparam("b_conversation"),
                # Written out, not bound: SQLite re-plans a statement on every execution
                # when a bound value decides whether a partial index applies.
                TicketRow.status != literal_column(f"'{Status.RESOLVED.value}'"),
            ),
        )
    )

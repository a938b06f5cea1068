"""`TicketStore`: tickets, their history, the outbox rows they imply, inbound idempotency,
conversation references and feedback, on SQLite or PostgreSQL.

Every public write is one transaction: the ticket change, its event row(s) and its outbox
rows commit together or not at all, so a message is never recorded without being queued for
delivery, nor queued without being recorded. The ticket row is locked (`FOR UPDATE` on
PostgreSQL; SQLite's write lock) while it changes, so concurrent messages never overwrite
each other's transcript lines.

Customer text (question, transcript, messages) passes through `bot.pii.mask_pii` before it
is stored, so card numbers, IBANs and passwords never reach the database or the agents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import TicketError
from bot.pii import mask_pii
from bot.tickets.database import READ_ONLY, make_engine, upgrade
from bot.tickets.models import (
    ConversationRow,
    ConversationStateRow,
    FeedbackRow,
    InboundEventRow,
    OutboxRow,
    TicketEventRow,
    TicketRow,
    UnansweredRow,
)
from bot.tickets.outbox import Outbox, OutboxStatus, ThreadMode, enqueue
from bot.tickets.status import ACTIVE, UNCLAIMED, Status, check_transition, parse_status
from bot.tickets.values import (
    PREFIX,
    Ticket,
    TicketEvent,
    TranscriptEntry,
    Unanswered,
    format_number,
)

Clock = Callable[[], datetime]

AGENTS = "slack"  # the channel name of the agents' side
_NUMBER = re.compile(rf"^\s*{PREFIX}(\d{{1,9}})\s*$", re.IGNORECASE)


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_number(number: str) -> int:
    match = _NUMBER.match(number)
    if match is None:
        raise TicketError(f"no ticket {number} (ticket numbers look like {PREFIX}1001)")
    return int(match.group(1))


class TicketStore:
    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._reader = engine.execution_options(**{READ_ONLY: True})
        self._clock = clock
        self.outbox = Outbox(engine)

    @classmethod
    def from_url(cls, url: str, *, clock: Clock = utcnow) -> TicketStore:
        """Connect, creating the SQLite folder if missing, and migrate to the newest schema."""
        engine = make_engine(url)
        upgrade(engine)
        return cls(engine, clock=clock)

    @property
    def engine(self) -> Engine:
        return self._engine

    def now(self) -> datetime:
        """The store's clock (UTC)."""
        return self._clock()

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> TicketStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- tickets: writes -----------------------------------------------------------------

    def open_ticket(
        self,
        *,
        customer_id: str,
        category: str,
        route: str,
        question: str,
        transcript: Sequence[tuple[str, str]],
        evidence: Sequence[str],
        channel: str,
        conversation: str,
    ) -> Ticket:
        """Open a ticket and queue its post to the agents ("ticket_opened" to slack)."""
        _check("customer_id", customer_id, 200)
        _check("category", category, 100)
        _check("route", route, 100)
        _check("channel", channel, 50)
        _check("conversation", conversation, 500)
        now = self._clock()
        entries = [
            TranscriptEntry(author=author, text=mask_pii(text), at=now).to_json()
            for author, text in transcript
        ]
        with self._write() as session:
            row = TicketRow(
                customer_id=customer_id,
                category=category,
                route=route,
                status=Status.OPEN.value,
                question=mask_pii(question),
                transcript=entries,
                evidence=[str(e) for e in evidence],
                channel=channel,
                conversation=conversation,
                thread=None,
                assignee=None,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()  # allocates the number
            event = self._event(session, row, customer_id, "opened", row.question, None, "open")
            ticket = _ticket(row)
            enqueue(
                session,
                key=f"{ticket.number}:{event.id}",
                channel=AGENTS,
                event="ticket_opened",
                body={"number": ticket.number, "ticket": ticket.to_json()},
                now=now,
                ticket_id=row.id,
                thread_mode=ThreadMode.OPENS,
            )
            return ticket

    def add_customer_message(self, number: str, text: str) -> Ticket:
        """Append the customer's message and relay it to the agents' thread.

        A ticket waiting on the customer goes back to its agent (waiting → claimed).
        """
        text = mask_pii(text)
        with self._write() as session:
            row, now = self._locked(session, number)
            if not text.strip():
                raise TicketError(f"an empty customer message for {format_number(row.id)}")
            if row.status == Status.RESOLVED.value:
                raise TicketError(
                    f"{format_number(row.id)} is resolved; reopen it or open a new ticket "
                    "for this message"
                )
            self._append(row, "customer", text, now)
            event = self._event(session, row, "customer", "customer_message", text)
            if row.status == Status.WAITING_ON_CUSTOMER.value:
                self._move(session, row, Status.CLAIMED, "customer", now)
            ticket = _ticket(row)
            self._to_thread(
                session,
                ticket,
                f"{ticket.number}:{event.id}",
                "customer_message",
                {"number": ticket.number, "author": "customer", "text": text},
            )
            self._refresh_post(session, ticket, event)
            return ticket

    def add_answered_exchange(self, number: str, question: str, answer: str) -> Ticket:
        """While no agent has claimed the ticket the bot keeps answering: copy the customer's
        message and the bot's answer to the ticket and its agents' thread."""
        question, answer = mask_pii(question), mask_pii(answer)
        with self._write() as session:
            row, now = self._locked(session, number)
            self._append(row, "customer", question, now)
            self._append(row, "bot", answer, now)
            note = f"{question}\n(answered by the bot) {answer}"
            event = self._event(session, row, "customer", "customer_message", note)
            ticket = _ticket(row)
            self._to_thread(
                session,
                ticket,
                f"{ticket.number}:{event.id}",
                "customer_message",
                {"number": ticket.number, "author": "customer", "text": note},
            )
            self._refresh_post(session, ticket, event)
            return ticket

    def add_agent_reply(
        self, number: str, agent: str, text: str, *, internal: bool = False
    ) -> Ticket:
        """Record an agent's reply and relay it to the customer; `internal` notes stay with
        the agents. An agent answering an unclaimed ticket claims it."""
        _check("agent", agent, 200)
        with self._write() as session:
            row, now = self._locked(session, number)
            if not text.strip():
                raise TicketError(f"an empty reply from {agent} on {format_number(row.id)}")
            self._append(row, f"agent:{agent}", text, now, internal=internal)
            kind = "internal_note" if internal else "agent_reply"
            event = self._event(session, row, agent, kind, text)
            if not internal and row.status in UNCLAIMED:
                row.assignee = agent
                self._move(session, row, Status.CLAIMED, agent, now)
            ticket = _ticket(row)
            if not internal:
                enqueue(
                    session,
                    key=f"{ticket.number}:{event.id}",
                    channel=ticket.channel,
                    conversation=ticket.conversation,
                    event="agent_reply",
                    body={
                        "number": ticket.number,
                        "agent": agent,
                        "text": text,
                        "ticket": ticket.info().to_json(),
                    },
                    now=now,
                    ticket_id=row.id,
                )
            self._refresh_post(session, ticket, event)
            return ticket

    def claim(self, number: str, agent: str) -> Ticket:
        _check("agent", agent, 200)

        def change(row: TicketRow) -> None:
            detail = f"assigned to {row.assignee}" if row.assignee else ""
            check_transition(format_number(row.id), row.status, Status.CLAIMED, detail)
            row.assignee = agent

        return self._change_status(number, agent, Status.CLAIMED, change)

    def unclaim(self, number: str, agent: str) -> Ticket:
        def change(row: TicketRow) -> None:
            check_transition(format_number(row.id), row.status, Status.OPEN)
            row.assignee = None

        return self._change_status(number, agent, Status.OPEN, change)

    def wait_on_customer(self, number: str, agent: str) -> Ticket:
        _check("agent", agent, 200)

        def change(row: TicketRow) -> None:
            check_transition(format_number(row.id), row.status, Status.WAITING_ON_CUSTOMER)
            row.assignee = row.assignee or agent

        return self._change_status(number, agent, Status.WAITING_ON_CUSTOMER, change)

    def resolve(self, number: str, actor: str) -> Ticket:
        """Resolve, and tell the customer ("ticket_resolved": the adapter asks whether it
        solved the problem)."""
        return self._change_status(number, actor, Status.RESOLVED, None, tell_customer=True)

    def reopen(self, number: str, actor: str) -> Ticket:
        return self._change_status(number, actor, Status.REOPENED, None)

    def change_category(self, number: str, category: str, route: str, actor: str) -> Ticket:
        _check("category", category, 100)
        _check("route", route, 100)
        with self._write() as session:
            row, now = self._locked(session, number)
            text = f"{row.category}/{row.route} → {category}/{route}"
            row.category, row.route, row.updated_at = category, route, now
            event = self._event(session, row, actor, "category", text)
            ticket = _ticket(row)
            self._refresh_post(session, ticket, event)
            return ticket

    # --- tickets: reads ------------------------------------------------------------------

    def get(self, number: str) -> Ticket:
        ticket_id = parse_number(number)
        with self._read() as session:
            row = session.get(TicketRow, ticket_id)
            if row is None:
                raise TicketError(f"no ticket {format_number(ticket_id)}")
            return _ticket(row)

    def open_ticket_for(self, channel: str, conversation: str) -> Ticket | None:
        """The newest not-resolved ticket that owns this customer conversation, if any."""
        query = (
            select(TicketRow)
            .where(TicketRow.channel == channel, TicketRow.conversation == conversation)
            .where(TicketRow.status.in_([s.value for s in ACTIVE]))
            .order_by(TicketRow.id.desc())
            .limit(1)
        )
        with self._read() as session:
            row = session.scalars(query).first()
            return None if row is None else _ticket(row)

    def ticket_for_thread(self, thread: str) -> Ticket | None:
        """The ticket whose agents' thread this is (a Slack `ts`), if any."""
        query = select(TicketRow).where(TicketRow.thread == thread).order_by(TicketRow.id.desc())
        with self._read() as session:
            row = session.scalars(query.limit(1)).first()
            return None if row is None else _ticket(row)

    def list(
        self,
        *,
        status: str | None = None,
        customer_id: str | None = None,
        assignee: str | None = None,
    ) -> list[Ticket]:
        query = select(TicketRow).order_by(TicketRow.id)
        if status is not None:
            query = query.where(TicketRow.status == parse_status(status).value)
        if customer_id is not None:
            query = query.where(TicketRow.customer_id == customer_id)
        if assignee is not None:
            query = query.where(TicketRow.assignee == assignee)
        with self._read() as session:
            return [_ticket(row) for row in session.scalars(query)]

    def events(self, number: str) -> list[TicketEvent]:
        ticket_id = parse_number(number)
        with self._read() as session:
            if session.get(TicketRow, ticket_id) is None:
                raise TicketError(f"no ticket {format_number(ticket_id)}")
            rows = session.scalars(
                select(TicketEventRow)
                .where(TicketEventRow.ticket_id == ticket_id)
                .order_by(TicketEventRow.id)
            )
            return [_event(row) for row in rows]

    # --- inbound idempotency, conversations, feedback --------------------------------------

    def first_delivery(self, source: str, event_id: str) -> bool:
        """True the first time (source, event_id) is seen, False for any redelivery, across
        every replica sharing the database (a unique constraint decides)."""
        values = {"source": source, "event_id": event_id, "received_at": self._clock()}
        dialect = self._engine.dialect.name
        with self._write() as session:
            if dialect in ("postgresql", "sqlite"):
                insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
                statement = (
                    insert(InboundEventRow)
                    .values(**values)
                    .on_conflict_do_nothing()
                    .returning(InboundEventRow.id)
                )
                return session.execute(statement).first() is not None
        try:  # other dialects: let the constraint raise
            with self._write() as session:
                session.add(InboundEventRow(**values))
            return True
        except IntegrityError:
            return False

    def prune(self, older_than: timedelta) -> tuple[int, int]:
        """Forget inbound event ids and settled (delivered or superseded) outbox rows older
        than `older_than`; pending and dead rows, tickets and their history stay.
        Returns (inbound ids, outbox rows) deleted."""
        cutoff = self._clock() - older_than
        settled = [OutboxStatus.DELIVERED.value, OutboxStatus.SUPERSEDED.value]
        with self._write() as session:
            inbound = session.execute(
                delete(InboundEventRow).where(InboundEventRow.received_at < cutoff)
            ).rowcount
            outbox = session.execute(
                delete(OutboxRow)
                .where(OutboxRow.status.in_(settled))
                .where(OutboxRow.created_at < cutoff)
            ).rowcount
        return int(inbound), int(outbox)

    def remember_conversation(
        self,
        channel: str,
        conversation: str,
        reference: Mapping[str, Any],
        customer_id: str | None,
    ) -> None:
        """Store (or refresh) what a proactive message to this conversation needs; a known
        customer id is kept when a later call passes None."""
        values = {
            "channel": channel,
            "conversation": conversation,
            "reference": dict(reference),
            "customer_id": customer_id,
            "updated_at": self._clock(),
        }
        insert = postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert
        statement = insert(ConversationRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["channel", "conversation"],
            set_={
                "reference": statement.excluded.reference,
                "customer_id": func.coalesce(
                    statement.excluded.customer_id, ConversationRow.customer_id
                ),
                "updated_at": statement.excluded.updated_at,
            },
        )
        with self._write() as session:
            session.execute(statement)

    def conversation_reference(self, channel: str, conversation: str) -> dict[str, Any] | None:
        with self._read() as session:
            row = session.get(ConversationRow, (channel, conversation))
            return None if row is None else dict(row.reference)

    def conversation_customer(self, channel: str, conversation: str) -> str | None:
        with self._read() as session:
            row = session.get(ConversationRow, (channel, conversation))
            return None if row is None else row.customer_id

    def conversation_state(self, channel: str, conversation: str) -> str | None:
        """The conversation's state as stored (JSON), None for a new conversation."""
        with self._read() as session:
            row = session.get(ConversationStateRow, (channel, conversation))
            return None if row is None else row.state

    def save_conversation_state(self, channel: str, conversation: str, state: str) -> None:
        with self._write() as session:
            row = session.get(ConversationStateRow, (channel, conversation))
            if row is None:
                session.add(
                    ConversationStateRow(
                        channel=channel,
                        conversation=conversation,
                        state=state,
                        updated_at=self._clock(),
                    )
                )
            else:
                row.state, row.updated_at = state, self._clock()

    def record_feedback(self, channel: str, conversation: str, helpful: bool, about: str) -> None:
        with self._write() as session:
            session.add(
                FeedbackRow(
                    channel=channel,
                    conversation=conversation,
                    helpful=helpful,
                    about=mask_pii(about),
                    at=self._clock(),
                )
            )

    def feedback(
        self, *, helpful: bool | None = None
    ) -> list[tuple[str, str, bool, str, datetime]]:
        """(channel, conversation, helpful, about, at), oldest first."""
        query = select(FeedbackRow).order_by(FeedbackRow.id)
        if helpful is not None:
            query = query.where(FeedbackRow.helpful == helpful)
        with self._read() as session:
            return [
                (r.channel, r.conversation, r.helpful, r.about, r.at)
                for r in session.scalars(query)
            ]

    def record_unanswered(
        self,
        *,
        channel: str,
        customer_id: str | None,
        kind: str,
        question: str,
        confidence: float,
        nearest: str | None,
    ) -> None:
        with self._write() as session:
            session.add(
                UnansweredRow(
                    at=self._clock(),
                    channel=channel,
                    customer_id=customer_id,
                    kind=kind,
                    question=mask_pii(question),
                    confidence=confidence,
                    nearest=nearest,
                )
            )

    def unanswered(self, *, since: datetime | None = None) -> list[Unanswered]:
        """The questions the bot did not answer, newest first."""
        query = select(UnansweredRow).order_by(UnansweredRow.id.desc())
        if since is not None:
            query = query.where(UnansweredRow.at >= since)
        with self._read() as session:
            return [
                Unanswered(
                    r.at, r.channel, r.customer_id, r.kind, r.question, r.confidence, r.nearest
                )
                for r in session.scalars(query)
            ]

    # --- internals -------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self._reader) as session, session.begin():
            yield session

    def _locked(self, session: Session, number: str) -> tuple[TicketRow, datetime]:
        ticket_id = parse_number(number)
        row = session.scalars(
            select(TicketRow).where(TicketRow.id == ticket_id).with_for_update()
        ).first()
        if row is None:
            raise TicketError(f"no ticket {format_number(ticket_id)}")
        # Read the clock after taking the lock, so history times follow commit order.
        return row, self._clock()

    def _change_status(
        self,
        number: str,
        actor: str,
        target: Status,
        change: Callable[[TicketRow], None] | None,
        *,
        tell_customer: bool = False,
    ) -> Ticket:
        with self._write() as session:
            row, now = self._locked(session, number)
            if change is None:
                check_transition(format_number(row.id), row.status, target)
            else:
                change(row)
            event = self._move(session, row, target, actor, now)
            ticket = _ticket(row)
            if tell_customer:
                enqueue(
                    session,
                    key=f"{ticket.number}:{event.id}",
                    channel=ticket.channel,
                    conversation=ticket.conversation,
                    event="ticket_resolved",
                    body={"number": ticket.number, "ticket": ticket.info().to_json()},
                    now=now,
                    ticket_id=row.id,
                )
            self._refresh_post(session, ticket, event)
            return ticket

    def _move(
        self, session: Session, row: TicketRow, target: Status, actor: str, now: datetime
    ) -> TicketEventRow:
        check_transition(format_number(row.id), row.status, target)
        before = row.status
        row.status = target.value
        row.updated_at = now
        if target in UNCLAIMED:
            row.assignee = None
        return self._event(session, row, actor, "status", None, before, target.value)

    def _event(
        self,
        session: Session,
        row: TicketRow,
        actor: str,
        kind: str,
        text: str | None,
        from_status: str | None = None,
        to_status: str | None = None,
    ) -> TicketEventRow:
        event = TicketEventRow(
            ticket_id=row.id,
            at=row.updated_at,
            actor=actor,
            kind=kind,
            text=text,
            from_status=from_status,
            to_status=to_status,
        )
        session.add(event)
        session.flush()  # the event id names the outbox rows it causes
        return event

    @staticmethod
    def _append(
        row: TicketRow, author: str, text: str, now: datetime, *, internal: bool = False
    ) -> None:
        entry = TranscriptEntry(author=author, text=text, at=now, internal=internal)
        row.transcript = [*row.transcript, entry.to_json()]  # a new list: the ORM sees it change
        row.updated_at = now

    def _to_thread(
        self,
        session: Session,
        ticket: Ticket,
        key: str,
        kind: str,
        body: dict[str, Any],
    ) -> None:
        enqueue(
            session,
            key=key,
            channel=AGENTS,
            event=kind,
            body=body,
            now=ticket.updated_at,
            ticket_id=parse_number(ticket.number),
            thread_mode=ThreadMode.FOLLOWS,
        )

    def _refresh_post(self, session: Session, ticket: Ticket, event: TicketEventRow) -> None:
        """Queue a "ticket_updated" so the agents' post shows the ticket as it is now."""
        self._to_thread(
            session,
            ticket,
            f"{ticket.number}:{event.id}:updated",
            "ticket_updated",
            {"number": ticket.number, "ticket": ticket.to_json()},
        )


def _check(field: str, value: str, limit: int) -> None:
    """Refuse what the database would refuse later, with a message naming the field."""
    if not value or not value.strip():
        raise TicketError(f"{field} is empty")
    if len(value) > limit:
        raise TicketError(f"{field} is {len(value)} characters long; at most {limit} fit")


def _ticket(row: TicketRow) -> Ticket:
    return Ticket(
        number=format_number(row.id),
        customer_id=row.customer_id,
        category=row.category,
        route=row.route,
        status=row.status,
        question=row.question,
        transcript=tuple(TranscriptEntry.from_json(e) for e in row.transcript),
        evidence=tuple(row.evidence),
        channel=row.channel,
        conversation=row.conversation,
        thread=row.thread,
        assignee=row.assignee,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _event(row: TicketEventRow) -> TicketEvent:
    return TicketEvent(
        id=row.id,
        number=format_number(row.ticket_id),
        at=row.at,
        actor=row.actor,
        kind=row.kind,
        text=row.text,
        from_status=row.from_status,
        to_status=row.to_status,
    )

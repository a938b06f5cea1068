"""`TicketStore`: tickets, their history and the outbox rows they imply, on SQLite or
PostgreSQL. (Inbound event ids, conversations and feedback have their own stores beside it,
on the same `Database`: `bot.storage.Storage` holds them all.)

Every write joins its caller's transaction (`session`: a customer's `Turn`, an agents'
`AgentAction`, or a `Database.write()`): the ticket change, its event row(s) and its outbox
rows commit together or not at all, so a message is never recorded without being queued for
delivery, nor queued without being recorded. The ticket row is locked (`FOR UPDATE` on
PostgreSQL; SQLite's write lock) while it changes, so concurrent messages never overwrite
each other's transcript lines. A conversation has at most one active (not resolved) ticket:
a partial unique index enforces it, and `open_or_append_in` opens or adds to it under a lock.
(One customer turn commits its ticket change with everything else it did.) Reads open their
own read-only session.

Customer text (question, transcript, messages) passes through `bot.pii.mask_pii` before it
is stored, so card numbers, IBANs and passwords never reach the database or the agents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channel import OutboxEvent
from bot.delivery.outbox import Outbox, ThreadMode, enqueue
from bot.errors import TicketError
from bot.pii import mask_pii
from bot.storage.database import Clock, Database, utcnow
from bot.storage.models import TicketEventRow, TicketRow
from bot.tickets.status import ACTIVE, UNCLAIMED, Status, check_transition
from bot.tickets.values import (
    PREFIX,
    HistoryKind,
    Ticket,
    TicketEvent,
    TranscriptEntry,
    format_number,
)

__all__ = ["AGENTS", "Clock", "TicketStore", "parse_number", "utcnow"]

AGENTS = "slack"  # the channel name of the agents' side
_NUMBER = re.compile(rf"^\s*{PREFIX}(\d{{1,9}})\s*$", re.IGNORECASE)


def parse_number(number: str) -> int:
    match = _NUMBER.match(number)
    if match is None:
        raise TicketError(f"no ticket {number} (ticket numbers look like {PREFIX}1001)")
    return int(match.group(1))


class TicketStore:
    def __init__(self, db: Database, outbox: Outbox | None = None) -> None:
        """`outbox`: the storage's (`Storage` passes its one); a store of its own (a test, the
        CLI) makes one on `db`."""
        self._db = db
        self._clock = db.now
        self._read = db.read
        self.outbox = outbox or Outbox(db.engine)

    @classmethod
    def from_url(cls, url: str, *, clock: Clock = utcnow) -> TicketStore:
        """Connect, creating the SQLite folder if missing, and migrate to the newest schema."""
        return cls(Database.from_url(url, clock=clock))

    @property
    def engine(self) -> Engine:
        return self._db.engine

    @property
    def database(self) -> Database:
        return self._db

    def now(self) -> datetime:
        """The store's clock (UTC)."""
        return self._clock()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TicketStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- tickets: writes -----------------------------------------------------------------

    def open_or_append_in(  # noqa: PLR0913 (keyword-only: a ticket's fields)
        self,
        session: Session,
        *,
        customer_id: str,
        category: str,
        route: str,
        question: str,
        evidence: Sequence[str],
        channel: str,
        conversation: str,
        earlier: Sequence[tuple[str, str]] = (),
        said: str | None = None,
    ) -> tuple[Ticket, bool]:
        """The conversation's active ticket with the customer's words added to it, or a new
        ticket about `question`: (ticket, opened?). A new ticket carries the conversation
        `earlier` that led to it; `said` is what the customer wrote when it differs from the
        question (a "yes" that accepts an offer). Two racing callers end with one ticket: the
        loser of the unique index adds to the winner's."""
        existing = self.active_in(session, channel, conversation)
        if existing is None:
            try:
                with session.begin_nested():
                    opened = self.open_in(
                        session,
                        customer_id=customer_id,
                        category=category,
                        route=route,
                        question=question,
                        transcript=[*earlier, ("customer", said or question)],
                        evidence=evidence,
                        channel=channel,
                        conversation=conversation,
                    )
                return opened, True
            except TicketError:  # another transaction opened it first and has committed
                existing = self.active_in(session, channel, conversation)
                if existing is None:
                    raise
        return self.add_customer_message_in(session, existing.number, said or question), False

    def active_in(self, session: Session, channel: str, conversation: str) -> Ticket | None:
        """The conversation's active ticket, locked until the caller's transaction ends."""
        row = session.scalars(
            select(TicketRow)
            .where(TicketRow.channel == channel, TicketRow.conversation == conversation)
            .where(TicketRow.status.in_([s.value for s in ACTIVE]))
            .with_for_update()
        ).first()
        return None if row is None else _ticket(row)

    def open_in(  # noqa: PLR0913 (keyword-only: a ticket's fields)
        self,
        session: Session,
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
        """Open a ticket and queue its post to the agents ("ticket_opened" to slack); a
        conversation that has an active ticket already is refused (`TicketError`)."""
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
        try:
            session.flush()  # allocates the number; the unique index checks the conversation
        except IntegrityError as exc:
            raise TicketError(
                f"{channel} conversation {conversation!r} has an active ticket already"
            ) from exc
        event = self._event(
            session, row, customer_id, HistoryKind.OPENED, row.question, None, Status.OPEN
        )
        ticket = _ticket(row)
        enqueue(
            session,
            key=f"{ticket.number}:{event.id}",
            channel=AGENTS,
            event=OutboxEvent.TICKET_OPENED,
            body={"number": ticket.number, "ticket": ticket.to_json()},
            now=now,
            ticket_id=row.id,
            thread_mode=ThreadMode.OPENS,
        )
        return ticket

    def add_customer_message_in(self, session: Session, number: str, text: str) -> Ticket:
        """Append the customer's message and relay it to the agents' thread.

        A ticket waiting on the customer goes back to its agent (waiting → claimed).
        """
        text = mask_pii(text)
        row, now = self._locked(session, number)
        if not text.strip():
            raise TicketError(f"an empty customer message for {format_number(row.id)}")
        if row.status == Status.RESOLVED:
            raise TicketError(
                f"{format_number(row.id)} is resolved; reopen it or open a new ticket "
                "for this message"
            )
        self._append(row, "customer", text, now)
        event = self._event(session, row, "customer", HistoryKind.CUSTOMER_MESSAGE, text)
        if row.status == Status.WAITING_ON_CUSTOMER:
            self._move(session, row, Status.CLAIMED, "customer", now)
        return self._post_customer_event(session, row, event, text)

    def add_evidence_in(self, session: Session, number: str, lines: Sequence[str]) -> Ticket:
        """Add evidence lines to a ticket (those it carries already are not repeated)."""
        row, now = self._locked(session, number)
        new = [line for line in dict.fromkeys(lines) if line not in row.evidence]
        if new:
            row.evidence = [*row.evidence, *new]
            row.updated_at = now
        return _ticket(row)

    def add_answered_exchange_in(
        self, session: Session, number: str, question: str, answer: str
    ) -> Ticket:
        """While no agent has claimed the ticket the bot keeps answering: copy the customer's
        message and the bot's answer to the ticket and its agents' thread."""
        question, answer = mask_pii(question), mask_pii(answer)
        row, now = self._locked(session, number)
        self._append(row, "customer", question, now)
        self._append(row, "bot", answer, now)
        note = f"{question}\n(answered by the bot) {answer}"
        event = self._event(session, row, "customer", HistoryKind.CUSTOMER_MESSAGE, note)
        return self._post_customer_event(session, row, event, note)

    def _post_customer_event(
        self, session: Session, row: TicketRow, event: TicketEventRow, text: str
    ) -> Ticket:
        """Queue the customer's words to the agents' thread and refresh the ticket's post."""
        ticket = _ticket(row)
        self._to_thread(
            session,
            ticket,
            f"{ticket.number}:{event.id}",
            OutboxEvent.CUSTOMER_MESSAGE,
            {"number": ticket.number, "author": "customer", "text": text},
        )
        self._refresh_post(session, ticket, event)
        return ticket

    def add_agent_reply_in(
        self, session: Session, number: str, agent: str, text: str, *, internal: bool = False
    ) -> Ticket:
        """Record an agent's reply and relay it to the customer; `internal` notes stay with
        the agents. An agent answering an unclaimed ticket claims it."""
        _check("agent", agent, 200)
        row, now = self._locked(session, number)
        if not text.strip():
            raise TicketError(f"an empty reply from {agent} on {format_number(row.id)}")
        self._append(row, f"agent:{agent}", text, now, internal=internal)
        kind = HistoryKind.INTERNAL_NOTE if internal else HistoryKind.AGENT_REPLY
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
                event=OutboxEvent.AGENT_REPLY,
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

    # Agents' actions, in the caller's transaction (`AgentAction` marks the Slack action's id
    # in it, so a repeated action changes nothing).

    def claim_in(self, session: Session, number: str, agent: str) -> Ticket:
        _check("agent", agent, 200)

        def change(row: TicketRow) -> None:
            detail = f"assigned to {row.assignee}" if row.assignee else ""
            check_transition(format_number(row.id), row.status, Status.CLAIMED, detail)
            row.assignee = agent

        return self._change_status_in(session, number, agent, Status.CLAIMED, change)

    def unclaim_in(self, session: Session, number: str, agent: str) -> Ticket:
        def change(row: TicketRow) -> None:
            check_transition(format_number(row.id), row.status, Status.OPEN)
            row.assignee = None

        return self._change_status_in(session, number, agent, Status.OPEN, change)

    def wait_on_customer_in(self, session: Session, number: str, agent: str) -> Ticket:
        _check("agent", agent, 200)

        def change(row: TicketRow) -> None:
            check_transition(format_number(row.id), row.status, Status.WAITING_ON_CUSTOMER)
            row.assignee = row.assignee or agent

        return self._change_status_in(session, number, agent, Status.WAITING_ON_CUSTOMER, change)

    def resolve_in(self, session: Session, number: str, actor: str) -> Ticket:
        """Resolve, and tell the customer ("ticket_resolved": the adapter asks whether it
        solved the problem)."""
        return self._change_status_in(
            session, number, actor, Status.RESOLVED, None, tell_customer=True
        )

    def reopen_in(self, session: Session, number: str, actor: str) -> Ticket:
        """Reopen in the caller's transaction; refused while the conversation has another
        active ticket (`TicketError`)."""
        try:
            with session.begin_nested():
                return self._change_status_in(session, number, actor, Status.REOPENED, None)
        except IntegrityError as exc:
            raise TicketError(
                f"{number} cannot reopen: its conversation has another active ticket"
            ) from exc

    def change_category_in(
        self, session: Session, number: str, category: str, route: str, actor: str
    ) -> Ticket:
        _check("category", category, 100)
        _check("route", route, 100)
        row, now = self._locked(session, number)
        text = f"{row.category}/{row.route} → {category}/{route}"
        row.category, row.route, row.updated_at = category, route, now
        event = self._event(session, row, actor, HistoryKind.CATEGORY, text)
        ticket = _ticket(row)
        self._refresh_post(session, ticket, event)
        return ticket

    def adopt_thread_in(self, session: Session, number: str, thread: str) -> None:
        """Make `thread` the ticket's agents' thread if it has none yet: its post is known
        from the platform itself (the post names the ticket) before its delivery was
        recorded, or when the process that posted it died first."""
        session.execute(
            update(TicketRow)
            .where(TicketRow.id == parse_number(number), TicketRow.thread.is_(None))
            .values(thread=thread)
        )

    # --- tickets: reads ------------------------------------------------------------------

    def get(self, number: str) -> Ticket:
        ticket_id = parse_number(number)
        with self._read() as session:
            row = session.get(TicketRow, ticket_id)
            if row is None:
                raise TicketError(f"no ticket {format_number(ticket_id)}")
            return _ticket(row)

    def open_ticket_for(self, channel: str, conversation: str) -> Ticket | None:
        """The not-resolved ticket that owns this customer conversation, if any."""
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

    def find(
        self,
        *,
        status: Status | None = None,
        customer_id: str | None = None,
        assignee: str | None = None,
    ) -> list[Ticket]:
        query = select(TicketRow).order_by(TicketRow.id)
        if status is not None:
            query = query.where(TicketRow.status == status.value)
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

    # --- internals -------------------------------------------------------------------------

    def _locked(self, session: Session, number: str) -> tuple[TicketRow, datetime]:
        ticket_id = parse_number(number)
        row = session.scalars(
            select(TicketRow).where(TicketRow.id == ticket_id).with_for_update()
        ).first()
        if row is None:
            raise TicketError(f"no ticket {format_number(ticket_id)}")
        # Read the clock after taking the lock, so history times follow commit order.
        return row, self._clock()

    def _change_status_in(
        self,
        session: Session,
        number: str,
        actor: str,
        target: Status,
        change: Callable[[TicketRow], None] | None,
        *,
        tell_customer: bool = False,
    ) -> Ticket:
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
                event=OutboxEvent.TICKET_RESOLVED,
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
        before = Status(row.status)
        row.status = target.value
        row.updated_at = now
        if target in UNCLAIMED:
            row.assignee = None
        return self._event(session, row, actor, HistoryKind.STATUS, None, before, target)

    def _event(
        self,
        session: Session,
        row: TicketRow,
        actor: str,
        kind: HistoryKind,
        text: str | None,
        from_status: Status | None = None,
        to_status: Status | None = None,
    ) -> TicketEventRow:
        event = TicketEventRow(
            ticket_id=row.id,
            at=row.updated_at,
            actor=actor,
            kind=kind.value,
            text=text,
            from_status=None if from_status is None else from_status.value,
            to_status=None if to_status is None else to_status.value,
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
        kind: OutboxEvent,
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
            OutboxEvent.TICKET_UPDATED,
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
        status=Status(row.status),
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
        kind=HistoryKind(row.kind),
        text=row.text,
        from_status=None if row.from_status is None else Status(row.from_status),
        to_status=None if row.to_status is None else Status(row.to_status),
    )


def ticket_of(row: Any) -> Ticket:
    """A ticket from any row with the `tickets` columns as attributes (a Core row too)."""
    return _ticket(row)

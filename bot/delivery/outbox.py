"""The durable outbox: rows written in the same transaction as the change they announce,
claimed and settled by the dispatcher.

Claiming rules (one SQL statement, `FOR UPDATE SKIP LOCKED` on PostgreSQL, under SQLite's
write lock there):

* due: `pending`, `next_attempt_at` reached, no live lease, for a channel someone can deliver
  to (rows for an unregistered channel wait, they do not fail);
* in order: a row waits while an older row of the same ticket and channel is still pending,
  so a ticket's messages go out in the order they were written, and nothing reaches the
  agents' thread before the post that creates it;
* fresh: a "ticket_updated" row with a newer one waiting behind it is marked `superseded`
  and skipped (the newer one carries the whole ticket anyway);
* leased: a claim sets `lease_until`, which the holder renews while it works (`renew`, the
  dispatcher's heartbeat); a process that dies mid-delivery loses its claim within one short
  lease and another one delivers the row.
* settled once: whoever delivered a row marks it delivered, even after its lease ran out, and
  a row is checked again just before it is sent (`still_pending`): the row's status is the
  persisted delivery key, shared by every process and replica and kept across restarts.

A row can be born claimed (`Outbox.enqueue_claimed_in`): the bot's reply to a customer is
written in the turn's transaction already leased to the process that sends it inline right
after the commit; if that send fails (or the process dies), the row is released (or its lease
runs out) and the dispatcher delivers it.

A row whose thread is not known yet (its "ticket_opened" post is dead) is deferred, not
attempted. A row the platform refused for good (the dispatcher's `refused`: the conversation
is gone, the bot is not allowed there) is parked as `dead` with its last error: never
deleted, listed by `billing-bot tickets outbox`, put back with `billing-bot tickets requeue
ID`. A platform that is down never makes a row dead: it is retried until it is delivered, or
(a customer's message, past its delivery window) `held`: kept, and put back in line with a
`late` mark when the customer next writes in that conversation (`release_held_in`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.channel import LATE, OutboxEvent, Outgoing
from bot.errors import TicketError
from bot.storage.database import READ_ONLY, Executor, connection_of, single_statement
from bot.storage.models import OutboxRow, TicketRow
from bot.storage.prepared import Prepared
from bot.tickets.values import OutboxEntry, OutboxStatus, format_number

# Events that only refresh a view (the agents' post): when a newer one is waiting, the
# older one is skipped instead of sent, which spares the platform's rate limits.
REPLACEABLE = frozenset({OutboxEvent.TICKET_UPDATED.value})


class ThreadMode(StrEnum):
    NONE = "none"  # deliver to `conversation` as stored
    OPENS = "opens"  # the delivery creates the ticket's agents' thread
    FOLLOWS = "follows"  # deliver into the ticket's thread, looked up at delivery time


def enqueue(  # noqa: PLR0913 (keyword-only: a row's columns)
    session: Session,
    *,
    key: str,
    channel: str,
    event: OutboxEvent,
    body: dict[str, Any],
    now: datetime,
    conversation: str = "",
    ticket_id: int | None = None,
    thread_mode: ThreadMode = ThreadMode.NONE,
) -> OutboxRow:
    """Add an outbox row to the caller's transaction (it commits or vanishes with it)."""
    row = OutboxRow(
        key=key,
        ticket_id=ticket_id,
        channel=channel,
        conversation=conversation,
        thread_mode=thread_mode.value,
        event=event.value,
        body=body,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def enqueue_once(
    session: Session,
    insert_for: Any,
    *,
    key: str,
    channel: str,
    event: OutboxEvent,
    body: dict[str, Any],
    now: datetime,
    conversation: str = "",
) -> bool:
    """Add an outbox row unless one with `key` exists (written by any process, committed or
    not yet): False, and nothing written. `insert_for` is `Database.insert` (the dialect's
    INSERT ... ON CONFLICT DO NOTHING), so a race between replicas has one winner."""
    statement = (
        insert_for(OutboxRow)
        .values(
            key=key,
            ticket_id=None,
            channel=channel,
            conversation=conversation,
            thread_mode=ThreadMode.NONE.value,
            event=event.value,
            body=body,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxRow.id)
    )
    return session.execute(statement).first() is not None


_INSERT_CLAIMED = (
    insert(OutboxRow)
    .values(
        key=bindparam("b_key"),
        ticket_id=None,
        channel=bindparam("b_channel"),
        conversation=bindparam("b_conversation"),
        thread_mode=ThreadMode.NONE.value,
        event=bindparam("b_event"),
        body=bindparam("b_body"),
        status=OutboxStatus.PENDING.value,
        attempts=1,
        next_attempt_at=bindparam("b_now"),
        lease_until=bindparam("b_lease_until"),
        claim_token=bindparam("b_claim_token"),
        created_at=bindparam("b_now"),
    )
    .returning(OutboxRow.id)
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this dispatcher may deliver until `lease_until`; settle it with its token."""

    id: int
    token: str
    attempts: int  # including this one
    outgoing: Outgoing
    opens_thread: bool
    created_at: datetime  # when it was queued (or put back in line after being held)


@dataclass(frozen=True, slots=True)
class Backlog:
    """What is waiting to be delivered: rows pending (due or backing off) and held, and the
    age of the oldest of them (None: nothing waits)."""

    pending: int
    held: int
    oldest_seconds: float | None


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = engine.execution_options(**{READ_ONLY: True})
        self._single_write = single_statement(engine, writes=True)
        self._insert_claimed = Prepared(_INSERT_CLAIMED, engine.dialect)
        self._settle = Prepared(_SETTLE, engine.dialect)

    def enqueue_claimed_in(
        self,
        where: Executor,
        *,
        key: str,
        channel: str,
        conversation: str,
        event: OutboxEvent,
        body: dict[str, Any],
        now: datetime,
        lease: timedelta,
    ) -> Claimed:
        """Add an outbox row to the caller's transaction, already claimed by the caller until
        `now + lease` (one statement: every turn with a reply runs it)."""
        token = str(uuid.uuid4())
        inserted = self._insert_claimed.run(
            connection_of(where),
            {
                "b_key": key,
                "b_channel": channel,
                "b_conversation": conversation,
                "b_event": event.value,
                "b_body": body,
                "b_now": now,
                "b_lease_until": now + lease,
                "b_claim_token": token,
            },
        )
        return Claimed(
            id=inserted[0].id,
            token=token,
            attempts=1,
            outgoing=Outgoing(
                key=key, channel=channel, conversation=conversation, event=event, body=body
            ),
            opens_thread=False,
            created_at=now,
        )

    def claim(
        self,
        channels: Collection[str],
        *,
        now: datetime,
        lease: timedelta,
        limit: int,
        defer: timedelta,
    ) -> list[Claimed]:
        if not channels:
            return []
        earlier = aliased(OutboxRow)
        blocked = exists().where(
            earlier.ticket_id == OutboxRow.ticket_id,
            earlier.channel == OutboxRow.channel,
            earlier.id < OutboxRow.id,
            earlier.status == OutboxStatus.PENDING.value,
        )
        later = aliased(OutboxRow)
        newer = exists().where(
            later.ticket_id == OutboxRow.ticket_id,
            later.channel == OutboxRow.channel,
            later.event == OutboxRow.event,
            later.id > OutboxRow.id,
            later.status == OutboxStatus.PENDING.value,
        )
        due = (
            select(OutboxRow, TicketRow.thread, newer.label("superseded"))
            .outerjoin(TicketRow, TicketRow.id == OutboxRow.ticket_id)
            .where(
                OutboxRow.status == OutboxStatus.PENDING.value,
                OutboxRow.next_attempt_at <= now,
                or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until <= now),
                OutboxRow.channel.in_(list(channels)),
                or_(OutboxRow.ticket_id.is_(None), ~blocked),
            )
            .order_by(OutboxRow.id)
            .with_for_update(of=OutboxRow, skip_locked=True)
        )
        claimed: list[Claimed] = []
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            # Skipping or parking a row unblocks the next one of its line: look again.
            settled_some = True
            while settled_some and len(claimed) < limit:
                settled_some = False
                rows = session.execute(due.limit(limit - len(claimed))).all()
                for row, thread, superseded in rows:
                    if superseded and row.event in REPLACEABLE and row.ticket_id is not None:
                        row.status = OutboxStatus.SUPERSEDED.value
                        settled_some = True
                    elif row.thread_mode == ThreadMode.FOLLOWS.value and thread is None:
                        row.next_attempt_at = now + defer  # its thread does not exist yet
                    else:
                        claimed.append(_lease(row, thread, now + lease))
        return claimed

    def claim_key(self, key: str, *, now: datetime, lease: timedelta) -> Claimed | None:
        """Claim one row by its key, due or not (a redelivered event asks for its reply
        again): None when it is settled or someone else holds a live lease on it. The
        platform's redelivery is not one of the row's attempts: it changes neither the
        count nor when the dispatcher tries next."""
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            row = session.scalars(
                select(OutboxRow)
                .where(OutboxRow.key == key, OutboxRow.status == OutboxStatus.PENDING.value)
                .where(or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until <= now))
                .with_for_update(skip_locked=True)
            ).first()
            return None if row is None else _lease(row, None, now + lease, counted=False)

    def renew(self, items: Collection[Claimed], *, until: datetime) -> int:
        """Extend the leases still held (the heartbeat of a process at work); returns how
        many were renewed."""
        if not items:
            return 0
        tokens = [item.token for item in items]
        with Session(self._engine) as session, session.begin():
            renewed = session.execute(
                update(OutboxRow)
                .where(OutboxRow.claim_token.in_(tokens))
                .where(OutboxRow.status == OutboxStatus.PENDING.value)
                .values(lease_until=until)
            )
        return int(cast(CursorResult[Any], renewed).rowcount)

    def still_pending(self, item: Claimed) -> bool:
        """False when the row was settled since it was claimed (another process delivered
        it after this one's lease ran out): then it must not be sent again."""
        query = select(OutboxRow.status).where(OutboxRow.id == item.id)
        with Session(self._reader) as session, session.begin():
            return session.execute(query).scalar() == OutboxStatus.PENDING.value

    def delivered(self, item: Claimed, reference: str | None, *, now: datetime) -> bool:
        """Settle a delivery; for an "opens" row the reference becomes the ticket's thread.

        Settles even when the claim was lost (the lease ran out meanwhile): the message was
        sent, so nobody may send it again. False when the row was settled already.
        """
        values = {"b_id": item.id, "b_reference": reference, "b_now": now}
        if not item.opens_thread:  # one statement (every inline reply ends here)
            with self._single_write() as conn:
                return bool(self._settle.run(conn, values))
        with self._engine.begin() as conn:
            settled = self._settle.run(conn, values)
            if not settled:
                return False
            done = settled[0]
            if reference is not None and done.ticket_id is not None:
                conn.execute(
                    update(TicketRow)
                    .where(TicketRow.id == done.ticket_id, TicketRow.thread.is_(None))
                    .values(thread=reference)
                )
        return True

    def failed(self, item: Claimed, error: str, *, retry_at: datetime) -> None:
        """Record a failed attempt and release the claim: the row is due again at
        `retry_at`."""
        self._settle_failure(item, error, next_attempt_at=retry_at)

    def release(self, item: Claimed, error: str) -> None:
        """Give a claim back after a failed inline send: the row keeps its place in the
        dispatcher's schedule (a new reply is due at once; one a redelivered event claimed
        again keeps its backoff, so a platform's redeliveries never hasten or cost it)."""
        self._settle_failure(item, error)

    def refused(self, item: Claimed, error: str) -> None:
        """The platform refused the row for good: park it as dead (an operator may requeue
        it once the cause is fixed)."""
        self._settle_failure(item, error, status=OutboxStatus.DEAD.value)

    def hold(self, item: Claimed, error: str) -> None:
        """Past its delivery window: keep the row, out of the dispatcher's way, until the
        customer writes in its conversation again (`release_held_in`)."""
        self._settle_failure(item, error, status=OutboxStatus.HELD.value)

    def _settle_failure(self, item: Claimed, error: str, **values: Any) -> None:
        with Session(self._engine) as session, session.begin():
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item.id, OutboxRow.claim_token == item.token)
                .where(OutboxRow.status == OutboxStatus.PENDING.value)
                .values(last_error=error[:2000], lease_until=None, **values)
            )

    def release_held_in(
        self, session: Session, channel: str, conversation: str, *, now: datetime
    ) -> int:
        """Put the conversation's held rows back in line, due now, each marked `late` with
        when it was first queued (the channel says sorry for the delay); the delivery window
        starts again. Returns how many."""
        rows = session.scalars(
            select(OutboxRow).where(
                OutboxRow.status == OutboxStatus.HELD.value,
                OutboxRow.channel == channel,
                OutboxRow.conversation == conversation,
            )
        ).all()
        for row in rows:
            _back_in_line(row, now)
        return len(rows)

    def backlog(self, now: datetime) -> Backlog:
        """Rows not delivered yet, and the oldest one's age (for `/metrics` and the
        dispatcher's backlog warning)."""
        waiting = [OutboxStatus.PENDING.value, OutboxStatus.HELD.value]
        query = (
            select(OutboxRow.status, func.count(), func.min(OutboxRow.created_at))
            .where(OutboxRow.status.in_(waiting))
            .group_by(OutboxRow.status)
        )
        with Session(self._reader) as session, session.begin():
            found = {str(status): (int(n), oldest) for status, n, oldest in session.execute(query)}
        counts = {status: found.get(status, (0, None))[0] for status in waiting}
        oldest = min((o for _n, o in found.values() if o is not None), default=None)
        if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
            oldest = oldest.replace(tzinfo=now.tzinfo)
        return Backlog(
            pending=counts[OutboxStatus.PENDING.value],
            held=counts[OutboxStatus.HELD.value],
            oldest_seconds=None if oldest is None else max((now - oldest).total_seconds(), 0.0),
        )

    def entries(self, *statuses: OutboxStatus, limit: int = 500) -> list[OutboxEntry]:
        query = select(OutboxRow).order_by(OutboxRow.id).limit(limit)
        if statuses:
            query = query.where(OutboxRow.status.in_([s.value for s in statuses]))
        with Session(self._reader) as session, session.begin():
            return [_entry(row) for row in session.scalars(query)]

    def counts(self) -> dict[str, int]:
        query = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        with Session(self._reader) as session, session.begin():
            found = {str(status): int(n) for status, n in session.execute(query).all()}
        return {s.value: found.get(s.value, 0) for s in OutboxStatus}

    def requeue(self, row_id: int, *, now: datetime) -> OutboxEntry:
        """Put a dead (or held) row back in line for a fresh round of attempts."""
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            row = session.get(OutboxRow, row_id)
            if row is None:
                raise TicketError(f"no outbox row {row_id}")
            if row.status not in (OutboxStatus.DEAD.value, OutboxStatus.HELD.value):
                raise TicketError(
                    f"outbox row {row_id} is {row.status}, only dead or held rows requeue"
                )
            _back_in_line(row, now)
            return _entry(row)


_SETTLE = (
    update(OutboxRow)
    .where(OutboxRow.id == bindparam("b_id"))
    .where(OutboxRow.status == OutboxStatus.PENDING.value)
    .values(
        status=OutboxStatus.DELIVERED.value,
        delivered_at=bindparam("b_now"),
        reference=bindparam("b_reference"),
        lease_until=None,
        last_error=None,
    )
    .returning(OutboxRow.ticket_id)
)


def _lease(row: OutboxRow, thread: str | None, until: datetime, *, counted: bool = True) -> Claimed:
    if counted:
        row.attempts += 1
    row.lease_until = until
    row.claim_token = str(uuid.uuid4())
    follows = row.thread_mode == ThreadMode.FOLLOWS.value
    return Claimed(
        id=row.id,
        token=row.claim_token,
        attempts=row.attempts,
        outgoing=Outgoing(
            key=row.key,
            channel=row.channel,
            conversation=thread if follows and thread is not None else row.conversation,
            event=OutboxEvent(row.event),
            body=row.body,
            attempt=max(row.attempts, 1),
        ),
        opens_thread=row.thread_mode == ThreadMode.OPENS.value,
        created_at=row.created_at,
    )


def _back_in_line(row: OutboxRow, now: datetime) -> None:
    """A dead or held row, pending again for a fresh round of attempts from now. A held row
    is marked late (when it was first queued, for the channel's apology) and its delivery
    window starts again."""
    if row.status == OutboxStatus.HELD.value:
        row.body = {**row.body, LATE: row.body.get(LATE) or row.created_at.isoformat()}
        row.created_at = now
    row.status = OutboxStatus.PENDING.value
    row.attempts = 0
    row.next_attempt_at = now
    row.lease_until = None


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        key=row.key,
        channel=row.channel,
        conversation=row.conversation,
        event=OutboxEvent(row.event),
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        number=None if row.ticket_id is None else format_number(row.ticket_id),
        body=row.body,
    )

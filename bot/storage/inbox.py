"""`InboundEvents`: the inbox half of "one transaction per incoming event".

A platform may deliver one event several times (Teams and Slack retry, replicas race). The
event's id is marked in the same transaction as everything handling it changed, and what
handling produced (the reply and its outbox key) is kept beside the mark: a redelivery finds
it and is answered from it instead of being handled again. A turn that fails commits
nothing, so its redelivery is handled in full.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, select, update
from sqlalchemy.orm import Session

from bot.storage.database import Database, Executor, connection_of
from bot.storage.models import InboundEventRow
from bot.storage.prepared import Prepared

Result = dict[str, Any]


class InboundEvents:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Prepared once: every turn runs them.
        claim = (
            db.insert(InboundEventRow)
            .values(
                source=bindparam("b_source"),
                event_id=bindparam("b_event_id"),
                received_at=bindparam("b_received_at"),
            )
            .on_conflict_do_nothing()
            .returning(InboundEventRow.id)
        )
        finish = (
            update(InboundEventRow)
            .where(
                InboundEventRow.source == bindparam("b_source"),
                InboundEventRow.event_id == bindparam("b_event_id"),
            )
            .values(result=bindparam("b_result"))
        )
        self._claim = Prepared(claim, db.engine.dialect)
        self._finish = Prepared(finish, db.engine.dialect)

    def claim_in(self, where: Executor, source: str, event_id: str) -> bool:
        """Mark (source, event_id) in the caller's transaction: True the first time, False
        when it is already marked (a unique constraint decides, across every replica; a
        concurrent first delivery makes this wait for its commit)."""
        found = self._claim.run(
            connection_of(where),
            {"b_source": source, "b_event_id": event_id, "b_received_at": self._db.now()},
        )
        return bool(found)

    def finish_in(self, where: Executor, source: str, event_id: str, result: Result) -> None:
        """Keep what handling the event produced, in the caller's transaction."""
        self._finish.run(
            connection_of(where), {"b_source": source, "b_event_id": event_id, "b_result": result}
        )

    def first_delivery(self, source: str, event_id: str) -> bool:
        """Mark (source, event_id) on its own (for events whose effect is not stored)."""
        with self._db.write() as session:
            return self.claim_in(session, source, event_id)

    def seen(self, source: str, event_id: str) -> Result | None:
        """None when the event was never handled; else what handling it produced ({} when
        nothing was kept)."""
        with self._db.read() as session:
            return self.seen_in(session, source, event_id)

    def seen_in(self, session: Session, source: str, event_id: str) -> Result | None:
        query = select(InboundEventRow.result).where(
            InboundEventRow.source == source, InboundEventRow.event_id == event_id
        )
        found = session.execute(query).first()
        return None if found is None else dict(found.result or {})

    def prune_in(self, session: Session, older_than: timedelta) -> int:
        cutoff = self._db.now() - older_than
        deleted = session.execute(
            delete(InboundEventRow).where(InboundEventRow.received_at < cutoff)
        )
        return int(cast(CursorResult[Any], deleted).rowcount)

"""`CollectionsStore`: the steps sent, agents' pauses and "I've paid" claims (tables in
`bot.collections.models`), read into the plan's `Facts` and written by `Reminders.run` and
the card buttons (`*_in(session, ...)` join the caller's transaction)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.collections.models import CollectionPauseRow, CollectionStepRow, PaymentClaimRow
from bot.collections.plan import Pause
from bot.invoices.models import InvoiceImportRow
from bot.knowledge.partner import Step, StepKind
from bot.storage.database import Database
from bot.storage.models import OutboxRow

_KEY = re.compile(r"^([a-z_]+)([+-]\d+)$")


def step_of(key: str) -> Step | None:
    """The `Step` a stored key names ("reminder+7"), None for a key no longer understood."""
    match = _KEY.match(key)
    if match is None:
        return None
    try:
        return Step(int(match.group(2)), StepKind(match.group(1)))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Happened:
    """One line of `collections history`: a step sent, a claim made or confirmed, a pause."""

    at: datetime
    customer_id: str
    kind: str  # "sent", "claimed_paid", "confirmed_paid", "paused", "resumed"
    invoice: str = ""
    step: str = ""
    by: str = ""
    detail: str = ""  # the outbox row's status for a sent step; a pause's end


@dataclass(frozen=True, slots=True)
class Claim:
    """An "I've paid" click awaiting an agent's confirmation."""

    invoice: str
    customer_id: str
    by: str
    at: datetime


class CollectionsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- read into the plan's facts --------------------------------------------------------
    def sent(self) -> dict[str, frozenset[Step]]:
        """Invoice number -> the steps sent about it."""
        found: dict[str, set[Step]] = {}
        with self._db.read() as session:
            for invoice, key in session.execute(
                select(CollectionStepRow.invoice, CollectionStepRow.step)
            ):
                step = step_of(key)
                if step is not None:
                    found.setdefault(invoice, set()).add(step)
        return {invoice: frozenset(steps) for invoice, steps in found.items()}

    def pauses(self) -> dict[str, Pause]:
        """Customer id -> the agent's latest pause (a resume is a pause ending the day it
        was made)."""
        found: dict[str, Pause] = {}
        query = select(CollectionPauseRow).order_by(CollectionPauseRow.id)
        with self._db.read() as session:
            for row in session.scalars(query):
                found[row.customer_id] = Pause(row.customer_id, row.until, row.by)
        return found

    def claimed(self) -> frozenset[str]:
        """Invoices the customer says are paid, with no invoice import since."""
        with self._db.read() as session:
            latest = _latest_import(session)
            rows = session.scalars(
                select(PaymentClaimRow.invoice).where(PaymentClaimRow.after_import == latest)
            )
            return frozenset(rows)

    # -- written -------------------------------------------------------------------------------
    def record_step_in(
        self,
        session: Session,
        *,
        invoice: str,
        step: str,
        customer_id: str,
        day: date,
        outbox_key: str,
        by: str,
    ) -> bool:
        """Record that `step` of `invoice` goes out; False (nothing written) when it was
        already recorded, by this run or any other."""
        statement = (
            self._db.insert(CollectionStepRow)
            .values(
                invoice=invoice,
                step=step,
                customer_id=customer_id,
                day=day,
                sent_to="teams",
                outbox_key=outbox_key,
                by=by,
                at=self._db.now(),
            )
            .on_conflict_do_nothing(index_elements=["invoice", "step"])
            .returning(CollectionStepRow.id)
        )
        return session.execute(statement).first() is not None

    def claim_in(
        self,
        session: Session,
        *,
        invoice: str,
        customer_id: str,
        by: str,
        channel: str,
        conversation: str,
    ) -> bool:
        """Record an "I've paid" click; False when the invoice was already claimed since the
        last invoice import (a second click changes nothing)."""
        statement = (
            self._db.insert(PaymentClaimRow)
            .values(
                invoice=invoice,
                customer_id=customer_id,
                after_import=_latest_import(session),
                by=by,
                channel=channel,
                conversation=conversation,
                at=self._db.now(),
            )
            .on_conflict_do_nothing(index_elements=["invoice", "after_import"])
            .returning(PaymentClaimRow.id)
        )
        return session.execute(statement).first() is not None

    def pause(self, customer_id: str, until: date | None, by: str, today: date) -> bool:
        with self._db.write() as session:
            return self.pause_in(session, customer_id, until, by, today)

    def pause_in(
        self, session: Session, customer_id: str, until: date | None, by: str, today: date
    ) -> bool:
        """Pause reminders to a customer until `until` (None: until resumed); False (nothing
        written) when the customer's pause on `today` already ends that day: a second click
        on the same button is no second pause."""
        if _pause_end(session, customer_id, today) == (until,):
            return False
        session.add(
            CollectionPauseRow(customer_id=customer_id, until=until, by=by, at=self._db.now())
        )
        return True

    def resume(self, customer_id: str, today: date, by: str) -> bool:
        with self._db.write() as session:
            return self.resume_in(session, customer_id, today, by)

    def resume_in(self, session: Session, customer_id: str, today: date, by: str) -> bool:
        """End an agent's pause on `today`; False (nothing written) when none holds."""
        if _pause_end(session, customer_id, today) is None:
            return False
        session.add(
            CollectionPauseRow(
                customer_id=customer_id, until=today, by=by, at=self._db.now(), resumed=True
            )
        )
        return True

    def confirm(self, invoice: str, by: str) -> bool:
        with self._db.write() as session:
            return self.confirm_in(session, invoice, by)

    def confirm_in(self, session: Session, invoice: str, by: str) -> bool:
        """An agent confirms the newest claim on `invoice` (who and when are kept); False when
        there is none open (already confirmed: a second click changes nothing)."""
        row = session.scalars(
            select(PaymentClaimRow)
            .where(PaymentClaimRow.invoice == invoice, PaymentClaimRow.confirmed_at.is_(None))
            .order_by(PaymentClaimRow.id.desc())
            .limit(1)
            .with_for_update()
        ).first()
        if row is None:
            return False
        row.confirmed_by, row.confirmed_at = by, self._db.now()
        return True

    def open_claims(self) -> list[Claim]:
        """ "I've paid" clicks no agent has confirmed and no invoice import has overtaken."""
        with self._db.read() as session:
            latest = _latest_import(session)
            rows = session.scalars(
                select(PaymentClaimRow)
                .where(
                    PaymentClaimRow.after_import == latest,
                    PaymentClaimRow.confirmed_at.is_(None),
                )
                .order_by(PaymentClaimRow.id)
            )
            return [Claim(r.invoice, r.customer_id, r.by, r.at) for r in rows]

    def last_sent(self, customer_id: str) -> Happened | None:
        """The newest step sent to a customer (with its delivery status), None: never."""
        sent = [h for h in self.history(customer_id) if h.kind == "sent"]
        return sent[-1] if sent else None

    # -- history -------------------------------------------------------------------------------
    def history(self, customer_id: str | None = None) -> list[Happened]:
        """What was sent, clicked and confirmed, oldest first."""
        found: list[Happened] = []
        sent = select(CollectionStepRow, OutboxRow.status).outerjoin(
            OutboxRow, OutboxRow.key == CollectionStepRow.outbox_key
        )
        claims = select(PaymentClaimRow)
        pauses = select(CollectionPauseRow)
        if customer_id is not None:
            sent = sent.where(CollectionStepRow.customer_id == customer_id)
            claims = claims.where(PaymentClaimRow.customer_id == customer_id)
            pauses = pauses.where(CollectionPauseRow.customer_id == customer_id)
        with self._db.read() as session:
            for step, status in session.execute(sent):
                found.append(
                    Happened(
                        step.at,
                        step.customer_id,
                        "sent",
                        step.invoice,
                        step.step,
                        step.by,
                        status or "pruned",
                    )
                )
            for claim in session.scalars(claims):
                found.append(
                    Happened(
                        claim.at, claim.customer_id, "claimed_paid", claim.invoice, by=claim.by
                    )
                )
                if claim.confirmed_at is not None:
                    found.append(
                        Happened(
                            claim.confirmed_at,
                            claim.customer_id,
                            "confirmed_paid",
                            claim.invoice,
                            by=claim.confirmed_by or "",
                        )
                    )
            for pause in session.scalars(pauses):
                kind = "resumed" if pause.resumed else "paused"
                until = pause.until.isoformat() if pause.until else "until resumed"
                found.append(Happened(pause.at, pause.customer_id, kind, by=pause.by, detail=until))
        found.sort(key=lambda h: h.at)
        return found


def _pause_end(session: Session, customer_id: str, today: date) -> tuple[date | None] | None:
    """The end of the agent's pause holding on `today` (in a 1-tuple: its end may be None,
    until resumed), None when no pause holds."""
    latest = session.scalars(
        select(CollectionPauseRow)
        .where(CollectionPauseRow.customer_id == customer_id)
        .order_by(CollectionPauseRow.id.desc())
        .limit(1)
    ).first()
    if latest is None or not Pause(customer_id, latest.until).holds(today):
        return None
    return (latest.until,)


def _latest_import(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(InvoiceImportRow.id), 0))) or 0)

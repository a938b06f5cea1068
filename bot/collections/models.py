"""What collections has done, kept in the database (migration 0006):

collection_steps   one row per (invoice, step) sent: the unique key that makes a second run,
                   a restart or a second replica a no-op; who ran it, when, its outbox key
collection_pauses  agents' pauses: no reminders to a customer until a day; a resume is a
                   pause ending the day it was made, marked `resumed` (migration 0009)
payment_claims     "I've paid" clicks: reminders for the invoice stop while no later invoice
                   import says otherwise; confirmed by an agent (who, when) or not yet
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, UTCDateTime

ID = 200  # invoice numbers and customer ids (bot.knowledge.invoices.MAX_ID)


class CollectionStepRow(Base):
    __tablename__ = "collection_steps"
    __table_args__ = (UniqueConstraint("invoice", "step", name="uq_collection_steps_invoice_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice: Mapped[str] = mapped_column(String(ID))
    step: Mapped[str] = mapped_column(String(40))  # `Step.key`, e.g. "reminder+7"
    customer_id: Mapped[str] = mapped_column(String(ID), index=True)
    day: Mapped[date] = mapped_column(Date)  # the plan's day (partner's timezone)
    # "teams": a reminder card was queued; "agents": nobody to send it to (no Teams chat)
    sent_to: Mapped[str] = mapped_column(String(20))
    outbox_key: Mapped[str | None] = mapped_column(String(200))
    by: Mapped[str] = mapped_column(String(200))  # the process that ran the plan
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CollectionPauseRow(Base):
    __tablename__ = "collection_pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(ID), index=True)
    until: Mapped[date | None] = mapped_column(Date)  # None: until resumed
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    resumed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PaymentClaimRow(Base):
    __tablename__ = "payment_claims"
    __table_args__ = (
        # One claim per invoice between two imports: a second click is a no-op.
        UniqueConstraint("invoice", "after_import", name="uq_payment_claims_invoice_import"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice: Mapped[str] = mapped_column(String(ID))
    customer_id: Mapped[str] = mapped_column(String(ID), index=True)
    # The newest invoice import when the claim was made (0: none): a later import decides.
    after_import: Mapped[int] = mapped_column(Integer)
    by: Mapped[str] = mapped_column(String(200))  # who clicked (the Teams user, or "customer")
    channel: Mapped[str] = mapped_column(String(50))
    conversation: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""`plan(...)`: for one day, what the collections policy sends, and why every other open
invoice gets nothing. Pure: invoices, customers, the partner's policy and the facts kept
elsewhere (open disputes, pauses, payments received, steps already sent, who can be reached)
in; a `Plan` out. Nothing is read or written here.

Per open invoice, in this order (the first that applies wins):

paid / credited     nothing is owed (paid in the export, covered by payments received, or a
                    credit note: a total of zero or less)
claimed paid        the customer clicked "I've paid" and no invoice import came since: no
                    reminder while an agent confirms it (or the next import says otherwise)
disputed            an open dispute (status `disputed` in the export, or an open dispute
                    ticket naming it): no message while the disputed amount is unknown; when
                    the ticket says how much is disputed, the undisputed rest follows the
                    timeline (the dispute article: the rest stays payable by its due date)
paused              the customer's `reminders: false`, or an agent's pause until a day
not yet due         no step's day has come
already sent        the latest step whose day has come was sent (or a later one was):
                    missed steps are never sent in a burst, only the latest, once
past last step      the last step (suspension) was sent: it is the agents' to act on now
unreachable         no stored Teams conversation with the customer (when that is known)
send                the latest step whose day has come; `catch_up` when its day was earlier

A step whose day falls when support is closed (a weekday without hours, a holiday, in the
partner's timezone: the day given is already local) moves to the next open day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bot.knowledge.customers import Customer
from bot.knowledge.invoices import Invoice, InvoiceStatus
from bot.knowledge.partner import Collections, Step, SupportHours


class Outcome(StrEnum):
    SEND = "send"
    PAID = "paid"
    CREDITED = "credited"
    CLAIMED_PAID = "claimed_paid"  # the customer says it is paid; awaiting confirmation
    DISPUTED = "disputed"
    PAUSED = "paused"
    NOT_YET_DUE = "not_yet_due"
    ALREADY_SENT = "already_sent"
    PAST_LAST_STEP = "past_last_step"
    UNREACHABLE = "unreachable"
    UNKNOWN_CUSTOMER = "unknown_customer"


# Open invoices that still owe money (what the digest counts as overdue), whatever is sent
# about them.
OWING = frozenset(
    {
        Outcome.SEND,
        Outcome.CLAIMED_PAID,
        Outcome.PAUSED,
        Outcome.NOT_YET_DUE,
        Outcome.ALREADY_SENT,
        Outcome.PAST_LAST_STEP,
        Outcome.UNREACHABLE,
    }
)


@dataclass(frozen=True, slots=True)
class Dispute:
    """An open dispute on one invoice. `disputed`: the amount on hold when known (None: the
    whole invoice is held, as the export's `disputed` status says nothing more)."""

    invoice: str
    ticket: str | None = None
    disputed: Decimal | None = None
    customer_id: str | None = None  # the ticket's customer: it holds only its own invoices


@dataclass(frozen=True, slots=True)
class Pause:
    """No reminders to a customer: `until` None is for good (customers.yaml), else they
    resume on that day (an agent's pause; stored elsewhere, passed in here)."""

    customer_id: str
    until: date | None = None
    by: str = ""

    def holds(self, day: date) -> bool:
        return self.until is None or day < self.until


@dataclass(frozen=True, slots=True)
class Facts:
    """What the plan needs besides invoices, customers and policy: each kept by its own store
    (tickets, the history of sends, the conversations) and read by the caller."""

    disputes: Mapping[str, Dispute] = field(default_factory=dict)  # by invoice number
    pauses: Mapping[str, Pause] = field(default_factory=dict)  # agents' pauses, by customer
    received: Mapping[str, Decimal] = field(default_factory=dict)  # paid so far, by invoice
    sent: Mapping[str, frozenset[Step]] = field(default_factory=dict)  # by invoice number
    # Invoices the customer says are paid ("I've paid"), with no invoice import since.
    claimed: frozenset[str] = frozenset()
    # Customers with a stored Teams conversation; None when not known (no database at hand).
    reachable: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A step for one invoice: its day by the policy and the day it goes out (the next day
    support is open)."""

    step: Step
    day: date
    send_on: date


@dataclass(frozen=True, slots=True)
class Entry:
    """One open invoice on the plan's day: what happens to it and why.

    `step`: for SEND the step that goes out; otherwise the latest step whose day has come,
    if any. `amount`: what is payable now (total less payments received and, for a partly
    disputed invoice, less the disputed amount)."""

    customer_id: str
    invoice: str
    currency: str
    amount: Decimal
    due_date: date
    days_overdue: int
    outcome: Outcome
    step: Scheduled | None = None
    next: Scheduled | None = None
    catch_up: bool = False  # SEND: the step's day was earlier (server down, a late import)
    detail: str = ""  # for agents: the dispute ticket, the pause, the disputed amount

    @property
    def owing(self) -> bool:
        return self.outcome in OWING


@dataclass(frozen=True, slots=True)
class Plan:
    day: date
    entries: tuple[Entry, ...]

    @property
    def to_send(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.outcome is Outcome.SEND)

    @property
    def skipped(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.outcome is not Outcome.SEND)

    def overdue(self) -> tuple[Entry, ...]:
        """Invoices that owe money and are past their due date (disputed ones are not)."""
        return tuple(e for e in self.entries if e.owing and e.days_overdue > 0)


def schedule(collections: Collections, hours: SupportHours, due: date) -> tuple[Scheduled, ...]:
    """The invoice's steps with the day each goes out, by step."""
    return tuple(
        Scheduled(step, day, hours.next_open_day(day)) for step, day in collections.timeline(due)
    )


def plan(
    invoices: Iterable[Invoice],
    customers: Sequence[Customer],
    collections: Collections,
    hours: SupportHours,
    day: date,
    facts: Facts = Facts(),
) -> Plan:
    """The plan for `day` (a date in the partner's timezone); open invoices only, by
    customer, due date and number."""
    by_id = {c.id: c for c in customers}
    entries = [
        _entry(invoice, by_id.get(invoice.customer_id), collections, hours, day, facts)
        for invoice in invoices
        if invoice.status != InvoiceStatus.PAID
    ]
    entries.sort(key=lambda e: (e.customer_id, e.due_date, e.invoice))
    return Plan(day, tuple(entries))


def _dispute_of(invoice: Invoice, facts: Facts) -> Dispute | None:
    """The dispute holding this invoice: a ticket on it, or its disputed status."""
    dispute = facts.disputes.get(invoice.number)
    if dispute is not None and dispute.customer_id not in (None, invoice.customer_id):
        dispute = None  # a ticket naming another customer's invoice holds nothing
    if dispute is None and invoice.status == InvoiceStatus.DISPUTED:
        dispute = Dispute(invoice.number)
    return dispute


def _settled(
    invoice: Invoice, owed: Decimal, received: Decimal, facts: Facts
) -> tuple[Outcome, str] | None:
    """Why nothing is owed on this invoice (outcome, detail), or None while it is."""
    if invoice.total <= 0:
        return Outcome.CREDITED, "a credit note: nothing to pay"
    if owed <= 0:
        return Outcome.PAID, f"payments received: {received}"
    if invoice.number in facts.claimed:
        return Outcome.CLAIMED_PAID, "the customer says it is paid"
    return None


def _held(customer: Customer, facts: Facts, day: date) -> str | None:
    """Why reminders to this customer are held on `day`, or None when they are not."""
    pause = facts.pauses.get(customer.id)
    if not customer.reminders:
        return "reminders: false in customers.yaml"
    if pause is not None and pause.holds(day):
        until = f" until {pause.until.isoformat()}" if pause.until else ""
        by = f" by {pause.by}" if pause.by else ""
        return f"paused{by}{until}"
    return None


def _entry(
    invoice: Invoice,
    customer: Customer | None,
    collections: Collections,
    hours: SupportHours,
    day: date,
    facts: Facts,
) -> Entry:
    late = max(0, (day - invoice.due_date).days)
    received = facts.received.get(invoice.number, Decimal(0))
    owed = invoice.total - received
    steps = schedule(collections, hours, invoice.due_date)
    come = [s for s in steps if s.send_on <= day]
    reached = come[-1] if come else None
    upcoming = next((s for s in steps if s.send_on > day), None)

    def entry(
        outcome: Outcome, amount: Decimal = owed, detail: str = "", catch_up: bool = False
    ) -> Entry:
        return Entry(
            invoice.customer_id,
            invoice.number,
            invoice.currency,
            amount,
            invoice.due_date,
            late,
            outcome,
            reached,
            upcoming,
            catch_up,
            detail,
        )

    if customer is None:
        return entry(Outcome.UNKNOWN_CUSTOMER, detail="not in customers.yaml")
    settled = _settled(invoice, owed, received, facts)
    if settled is not None:
        return entry(settled[0], detail=settled[1])
    dispute = _dispute_of(invoice, facts)
    detail = ""
    if dispute is not None:
        where = f"ticket {dispute.ticket}" if dispute.ticket else "status disputed"
        if dispute.disputed is None or owed - dispute.disputed <= 0:
            return entry(Outcome.DISPUTED, detail=where)
        owed -= dispute.disputed
        detail = f"{dispute.disputed} disputed ({where}); the undisputed rest stays payable"
    held = _held(customer, facts, day)
    if held is not None:
        return entry(Outcome.PAUSED, owed, held)
    if reached is None:
        return entry(Outcome.NOT_YET_DUE, owed, detail)
    sent = facts.sent.get(invoice.number, frozenset())
    if any(step >= reached.step for step in sent):
        last = reached.step == steps[-1].step
        return entry(Outcome.PAST_LAST_STEP if last else Outcome.ALREADY_SENT, owed, detail)
    catch_up = reached.send_on < day
    if facts.reachable is not None and customer.id not in facts.reachable:
        return entry(Outcome.UNREACHABLE, owed, "no Teams conversation stored", catch_up)
    return entry(Outcome.SEND, owed, detail, catch_up)

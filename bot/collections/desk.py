"""Agents' questions across customers, answered from the collections plan as tables:
"which customers are overdue", "who has invoices due this week" (or next week, this month);
and about one customer's collections history: "when was fabrikam last reminded".
Pure: a `Plan` (or what was sent) and the customers in, a sentence and a `Table` out, in the
agents' language."""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.collections.plan import Entry, Outcome, Plan
from bot.collections.store import Happened, step_of
from bot.knowledge.customers import Customer
from bot.knowledge.invoices import STATUS_WORDS, InvoiceStatus
from bot.knowledge.partner import StepKind
from bot.locale import N_, SOURCE_LANGUAGE, formats, plural_translator, translator
from bot.tickets.values import OutboxStatus
from bot.types import Table

STEP_NAMES = {
    StepKind.COURTESY: N_("courtesy notice"),
    StepKind.REMINDER: N_("reminder"),
    StepKind.SUSPENSION_NOTICE: N_("suspension notice"),
    StepKind.SUSPENSION: N_("suspension"),
}
# A sent reminder's delivery, from its outbox row's status ("pruned": delivered long ago).
DELIVERY: dict[str, str] = {
    OutboxStatus.DELIVERED: N_("delivered"),
    "pruned": N_("delivered"),
    OutboxStatus.PENDING: N_("waiting to be delivered"),
    OutboxStatus.HELD: N_("held: Teams could not take it in time"),
    OutboxStatus.DEAD: N_("refused by Teams"),
    OutboxStatus.SUPERSEDED: N_("replaced by a newer message"),
}
SHOWN_SENT = 10  # the newest reminders listed
_NEXT_WEEK = re.compile(r"\bnext week\b|\bpr[oó]xima semana\b|\bsemana que viene\b", re.I)
_THIS_MONTH = re.compile(r"\bthis month\b|\beste mes\b", re.I)
_NEXT_MONTH = re.compile(r"\bnext month\b|\bpr[oó]ximo mes\b|\bmes que viene\b", re.I)


@dataclass(frozen=True, slots=True)
class DeskAnswer:
    text: str
    table: Table | None


def step_name(kind: StepKind, language: str = SOURCE_LANGUAGE) -> str:
    return translator(language)(STEP_NAMES[kind])


def period_of(text: str, today: date) -> tuple[date, date]:
    """The days a "due ..." question means: this week (Monday to Sunday) unless it says next
    week, this month or next month."""
    monday = today - timedelta(days=today.weekday())
    if _NEXT_WEEK.search(text):
        return monday + timedelta(days=7), monday + timedelta(days=13)
    if _THIS_MONTH.search(text) or _NEXT_MONTH.search(text):
        year, month = today.year, today.month
        if _NEXT_MONTH.search(text):
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        last = calendar.monthrange(year, month)[1]
        return date(year, month, 1), date(year, month, last)
    return monday, monday + timedelta(days=6)


def _amounts(entries: Sequence[Entry], language: str) -> str:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        totals[entry.currency] += entry.amount
    return ", ".join(formats.money(amount, cur, language) for cur, amount in sorted(totals.items()))


def overdue(
    plan: Plan, customers: Sequence[Customer], language: str = SOURCE_LANGUAGE
) -> DeskAnswer:
    """One row per customer with overdue invoices, most overdue first."""
    _, ngettext = translator(language), plural_translator(language)
    names = {c.id: c.name for c in customers}
    late: dict[str, list[Entry]] = defaultdict(list)
    for entry in plan.overdue():
        late[entry.customer_id].append(entry)
    disputed = [e for e in plan.entries if e.outcome is Outcome.DISPUTED and e.days_overdue > 0]
    day = formats.day(plan.day, language)
    if not late:
        text = _("No customer has an overdue invoice on {date}.").format(date=day)
    else:
        text = ngettext(
            "{count} customer has overdue invoices on {date}.",
            "{count} customers have overdue invoices on {date}.",
            len(late),
        ).format(count=len(late), date=day)
    if disputed:
        text += " " + ngettext(
            "Left out: {count} disputed invoice, on which collections are paused.",
            "Left out: {count} disputed invoices, on which collections are paused.",
            len(disputed),
        ).format(count=len(disputed))
    if not late:
        return DeskAnswer(text, None)
    rows = []
    for customer_id, entries in sorted(
        late.items(), key=lambda item: -max(e.days_overdue for e in item[1])
    ):
        oldest = max(entries, key=lambda e: e.days_overdue)
        reached = oldest.step.step.kind if oldest.step else None
        rows.append(
            (
                f"{names.get(customer_id, customer_id)} ({customer_id})",
                ", ".join(e.invoice for e in entries),
                _amounts(entries, language),
                formats.short_day(oldest.due_date, language),
                str(oldest.days_overdue),
                step_name(reached, language) if reached else "–",
            )
        )
    columns = (
        _("Customer"),
        _("Invoices"),
        _("Overdue"),
        _("Oldest due"),
        _("Days overdue"),
        _("Step reached"),
    )
    return DeskAnswer(text, Table(columns, tuple(rows)))


def due_between(
    plan: Plan,
    customers: Sequence[Customer],
    start: date,
    end: date,
    language: str = SOURCE_LANGUAGE,
) -> DeskAnswer:
    """Open invoices due from `start` to `end` (both included), by due date."""
    _, ngettext = translator(language), plural_translator(language)
    names = {c.id: c.name for c in customers}
    due = sorted(
        (
            e
            for e in plan.entries
            if start <= e.due_date <= end and (e.owing or e.outcome is Outcome.DISPUTED)
        ),
        key=lambda e: (e.due_date, e.customer_id, e.invoice),
    )
    period = {"start": formats.day(start, language), "end": formats.day(end, language)}
    if not due:
        return DeskAnswer(_("No open invoice is due from {start} to {end}.").format(**period), None)
    invoices = ngettext("{count} open invoice", "{count} open invoices", len(due))
    customers_due = len({e.customer_id for e in due})
    text = ngettext(
        "{invoices} of {count} customer due from {start} to {end}.",
        "{invoices} of {count} customers due from {start} to {end}.",
        customers_due,
    ).format(invoices=invoices.format(count=len(due)), count=customers_due, **period)
    rows = tuple(
        (
            f"{names.get(e.customer_id, e.customer_id)} ({e.customer_id})",
            e.invoice,
            formats.money(e.amount, e.currency, language),
            formats.short_day(e.due_date, language),
            _status(e, language),
        )
        for e in due
    )
    columns = (_("Customer"), _("Invoice"), _("Amount"), _("Due"), _("Status"))
    return DeskAnswer(text, Table(columns, rows))


def _status(entry: Entry, language: str) -> str:
    _, ngettext = translator(language), plural_translator(language)
    if entry.outcome is Outcome.DISPUTED:
        return _(STATUS_WORDS[InvoiceStatus.DISPUTED])
    if entry.outcome is Outcome.PAUSED:
        return _("reminders paused")
    if entry.days_overdue:
        days = entry.days_overdue
        return ngettext("overdue {days} day", "overdue {days} days", days).format(days=days)
    return _(STATUS_WORDS[InvoiceStatus.UNPAID])


def last_reminded(
    customer: Customer, sent: Sequence[Happened], zone: str, language: str = SOURCE_LANGUAGE
) -> DeskAnswer:
    """When a customer was last sent a reminder (`sent`: oldest first), and the newest few
    as a table; dates in the partner's timezone."""
    _, ngettext = translator(language), plural_translator(language)
    name = f"{customer.name} ({customer.id})"
    if not sent:
        return DeskAnswer(
            _("{customer} has not been sent any payment reminder.").format(customer=name), None
        )

    def when(h: Happened) -> str:
        return formats.day(h.at.astimezone(ZoneInfo(zone)).date(), language)

    def what(h: Happened) -> str:
        step = step_of(h.step)
        return step_name(step.kind, language) if step else h.step

    def delivery(h: Happened) -> str:
        return _(DELIVERY[h.detail]) if h.detail in DELIVERY else h.detail

    last = sent[-1]
    text = _(
        "{customer} was last reminded on {date}: {step} about invoice {invoice} ({delivery})."
    ).format(
        customer=name, date=when(last), step=what(last), invoice=last.invoice,
        delivery=delivery(last),
    )  # fmt: skip
    if len(sent) > 1:
        text += " " + ngettext(
            "{count} reminder sent in all.", "{count} reminders sent in all.", len(sent)
        ).format(count=len(sent))
    rows = tuple((when(h), h.invoice, what(h), delivery(h)) for h in reversed(sent[-SHOWN_SENT:]))
    columns = (_("Sent on"), _("Invoice"), _("Step"), _("Delivery"))
    return DeskAnswer(text, Table(columns, rows))

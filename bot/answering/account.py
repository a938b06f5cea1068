"""`account_summary`: one customer's account as agents see it (balance per currency, what is
overdue), computed in one place so no adapter adds up invoices on its own."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.knowledge.customers import Customer
from bot.knowledge.folder import Knowledge
from bot.knowledge.invoices import Invoice


@dataclass(frozen=True, slots=True)
class Balance:
    """What is open in one currency (amounts in different currencies are never added)."""

    currency: str
    amount: Decimal
    invoices: int


@dataclass(frozen=True, slots=True)
class Overdue:
    invoice: Invoice
    days: int


@dataclass(frozen=True, slots=True)
class AccountSummary:
    customer: Customer
    balances: tuple[Balance, ...]  # one per currency with open invoices, by currency
    overdue: tuple[Overdue, ...]  # oldest due date first

    @property
    def open_invoices(self) -> int:
        return sum(b.invoices for b in self.balances)


def account_summary(knowledge: Knowledge, customer: Customer, today: date) -> AccountSummary:
    open_invoices = [i for i in knowledge.invoices_of(customer.id) if i.is_open]
    totals: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for invoice in open_invoices:
        totals[invoice.currency] += invoice.total
        counts[invoice.currency] += 1
    overdue = sorted(
        (Overdue(i, i.days_overdue(today)) for i in open_invoices if i.days_overdue(today) > 0),
        key=lambda o: o.invoice.due_date,
    )
    return AccountSummary(
        customer=customer,
        balances=tuple(Balance(c, totals[c], counts[c]) for c in sorted(totals)),
        overdue=tuple(overdue),
    )

"""Lines sharing an invoice number form one invoice; when one is withheld.

The first line of an invoice (in load order) sets its header fields; a later line that
disagrees on one is a problem, and the invoice is withheld as a whole, like an invoice with
a rejected line: what is left of it would be told as fact. `Grouper` applies these rules to
lines as they are read, holding one first line per invoice (and every line only when asked
to); the database applies the same rules per invoice number (`bot.invoices.store`), with
the same messages from `disagreement`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.knowledge.invoices import Invoice, InvoiceLine, RejectedLine, WithheldInvoice
from bot.knowledge.problems import Problem

HEADER = ("customer_id", "issue_date", "due_date", "currency", "status")


def location(source: str) -> tuple[str, int]:
    """(path, line) of a line's `source`, "path:line"."""
    path, line = source.rsplit(":", 1)
    return path, int(line)


def disagreement(number: str, field: str, value: object, first: object, where: str) -> Problem:
    """The problem of a line (at `where`, "path:line") whose `field` is `value` where the
    invoice's first line has `first`."""
    path, line = location(where)
    return Problem(
        path,
        line,
        f"invoice {number}: {field} {value} differs from {first} on its first line; the "
        "invoice is withheld from customers until fixed",
    )


def disagreements(first: InvoiceLine, other: InvoiceLine) -> list[Problem]:
    return [
        disagreement(
            other.invoice_number, field, getattr(other, field), getattr(first, field), other.source
        )
        for field in HEADER
        if getattr(other, field) != getattr(first, field)
    ]


def unknown_customer(number: str, customer_id: str, where: str) -> Problem:
    path, line = location(where)
    return Problem(path, line, f"invoice {number}: unknown customer_id {customer_id!r}")


@dataclass(frozen=True, slots=True)
class Grouped:
    invoices: tuple[Invoice, ...]  # complete ones, by (issue_date, number); () unless kept
    count: int  # complete invoices
    withheld: tuple[WithheldInvoice, ...]  # by number
    problems: tuple[Problem, ...]  # disagreements, then invoices of unknown customers


class Grouper:
    """Invoices from lines and rejected rows fed in load order. Holds each invoice's first
    line; its other lines too only with `keep_lines` (`check` needs counts, not lines)."""

    def __init__(self, *, keep_lines: bool = True) -> None:
        self._keep = keep_lines
        self._first: dict[str, InvoiceLine] = {}  # in order of first appearance
        self._lines: dict[str, list[InvoiceLine]] = {}
        self._others: dict[str, set[str]] = {}  # customer ids besides the first line's
        self._rejected: dict[str, list[Problem]] = {}
        self._disagree: dict[str, list[Problem]] = {}

    def add(self, item: InvoiceLine | RejectedLine) -> None:
        if isinstance(item, RejectedLine):
            if item.invoice_number:
                self._rejected.setdefault(item.invoice_number, []).append(item.problem)
                self._others.setdefault(item.invoice_number, set()).add(item.customer_id)
            return
        number = item.invoice_number
        first = self._first.setdefault(number, item)
        if self._keep:
            self._lines.setdefault(number, []).append(item)
        if first is item:
            return
        if item.customer_id != first.customer_id:
            self._others.setdefault(number, set()).add(item.customer_id)
        found = disagreements(first, item)
        if found:
            self._disagree.setdefault(number, []).extend(found)

    def result(self, known_customers: Iterable[str] | None = None) -> Grouped:
        """The invoices so far; `known_customers` (when the folder has any) flags invoices
        naming another customer."""
        held = set(self._rejected) | set(self._disagree)
        withheld = tuple(
            WithheldInvoice(
                number,
                frozenset(self._customers_of(number) - {""}),
                (*self._rejected.get(number, ()), *self._disagree.get(number, ())),
            )
            for number in sorted(held)
        )
        complete = [line for number, line in self._first.items() if number not in held]
        invoices = tuple(
            sorted(
                (self._invoice(first) for first in complete),
                key=lambda inv: (inv.issue_date, inv.number),
            )
            if self._keep
            else ()
        )
        # By invoice, in order of first appearance; each invoice's in line order.
        problems = [p for number in self._first for p in self._disagree.get(number, ())]
        if known_customers is not None:
            problems += unknown_customers(
                ((f.issue_date, f.invoice_number, f.customer_id, f.source) for f in complete),
                set(known_customers),
            )
        return Grouped(invoices, len(complete), withheld, tuple(problems))

    def _customers_of(self, number: str) -> set[str]:
        first = self._first.get(number)
        return self._others.get(number, set()) | ({first.customer_id} if first else set())

    def _invoice(self, first: InvoiceLine) -> Invoice:
        return Invoice(
            first.invoice_number,
            first.customer_id,
            first.issue_date,
            first.due_date,
            first.currency,
            first.status,
            first.paid_date,
            tuple(self._lines[first.invoice_number]),
        )


def unknown_customers(
    invoices: Iterable[tuple[date, str, str, str]], known: set[str]
) -> list[Problem]:
    """A problem for each invoice (issue date, number, customer id, "path:line" of its
    first line) naming a customer not in `known`, by issue date and number."""
    strangers = sorted(inv for inv in invoices if inv[2] not in known)
    return [unknown_customer(number, customer, where) for _, number, customer, where in strangers]

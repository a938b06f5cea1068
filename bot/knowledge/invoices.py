"""The partner's invoices to its customers: one CSV row per line item, grouped per invoice."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation
from typing import Any

from bot.knowledge.problems import FileRejected, Problem, Severity

COLUMNS = (
    "invoice_number", "customer_id", "issue_date", "due_date", "period_start", "period_end",
    "product", "sku", "charge_type", "quantity", "unit_price", "amount", "tax", "currency",
    "status", "paid_date",
)  # fmt: skip
CHARGE_TYPES = ("new", "renewal", "cancel", "prorate", "usage", "credit")
STATUSES = ("paid", "unpaid", "overdue", "disputed")
LIMIT_DIGITS = 12  # no invoice line of a CSP partner comes near a trillion
LIMIT = Decimal(10) ** LIMIT_DIGITS
DECIMALS = 6  # unit prices have up to 4 decimals; usage quantities a few more
SMALLEST = Decimal(1).scaleb(-DECIMALS)
# Room to quantize any number under LIMIT, whatever its exponent, without a signal.
_WIDE = Context(prec=40, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    invoice_number: str
    customer_id: str
    issue_date: date
    due_date: date
    period_start: date
    period_end: date
    product: str
    sku: str
    charge_type: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax: Decimal
    currency: str
    status: str
    paid_date: date | None
    source: str  # "path:line", for evidence shown to agents


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    customer_id: str
    issue_date: date
    due_date: date
    currency: str
    status: str
    paid_date: date | None
    lines: tuple[InvoiceLine, ...]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax

    @property
    def is_open(self) -> bool:
        return self.status != "paid"

    def days_overdue(self, today: date) -> int:
        """Days past the due date of an unpaid invoice; a disputed invoice is never overdue
        (collections pause on it while the billing team investigates)."""
        if not self.is_open or self.status == "disputed":
            return 0
        return max(0, (today - self.due_date).days)


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """A row that could not be read: its invoice (when the row names one) is withheld."""

    invoice_number: str
    customer_id: str
    problem: Problem


@dataclass(frozen=True, slots=True)
class WithheldInvoice:
    """An invoice with a rejected line (or lines that disagree): never shown to customers as
    a whole, since what is left of it would be told as fact; flagged to agents instead."""

    number: str
    customer_ids: frozenset[str]  # every customer id its lines name, rejected ones included
    reasons: tuple[Problem, ...]


def parse_invoices(path: str, text: str) -> tuple[list[InvoiceLine], list[RejectedLine]]:
    """The file's lines and its rejected rows; `FileRejected` when no row can be trusted."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames or ()
    except csv.Error as exc:
        raise FileRejected(1, f"the header row cannot be read: {exc}") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise FileRejected(1, f"missing column(s): {', '.join(missing)}")
    lines: list[InvoiceLine] = []
    rejected: list[RejectedLine] = []
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over the csv module's size limit
            raise FileRejected(reader.line_num, f"cannot be read past this line: {exc}") from None
        line_no = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a row of empty cells (spreadsheets export them) carries nothing
        try:
            lines.append(_line(row, f"{path}:{line_no}"))
        except ValueError as exc:
            rejected.append(_rejected(row, Problem(path, line_no, str(exc))))
    return lines, rejected


def _rejected(row: dict[str, Any], problem: Problem) -> RejectedLine:
    number = str(row.get("invoice_number") or "").strip()
    customer = str(row.get("customer_id") or "").strip()
    if number:
        message = f"{problem.message}; invoice {number} is withheld from customers until fixed"
        return RejectedLine(number, customer, replace(problem, message=message))
    # No number: any of the invoices could be the incomplete one.
    message = (
        f"{problem.message}; the line names no invoice_number, so any invoice could be "
        "incomplete: every invoice answer could be wrong"
    )
    return RejectedLine("", customer, replace(problem, message=message, severity=Severity.FATAL))


def _line(row: dict[str, Any], source: str) -> InvoiceLine:
    get = {k: v.strip() if isinstance(v, str) else "" for k, v in row.items() if k}
    for required in ("invoice_number", "customer_id", "product", "currency"):
        if not get[required]:
            raise ValueError(f"{required} is empty")
    if get["charge_type"] not in CHARGE_TYPES:
        raise ValueError(
            f"charge_type must be one of {', '.join(CHARGE_TYPES)}, not {get['charge_type']!r}"
        )
    if get["status"] not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {get['status']!r}")
    line = InvoiceLine(
        invoice_number=get["invoice_number"],
        customer_id=get["customer_id"],
        issue_date=_date(get, "issue_date"),
        due_date=_date(get, "due_date"),
        period_start=_date(get, "period_start"),
        period_end=_date(get, "period_end"),
        product=get["product"],
        sku=get["sku"],
        charge_type=get["charge_type"],
        quantity=_number(get, "quantity"),
        unit_price=_number(get, "unit_price"),
        amount=_number(get, "amount"),
        tax=_number(get, "tax"),
        currency=get["currency"].upper(),
        status=get["status"],
        paid_date=_date(get, "paid_date") if get["paid_date"] else None,
        source=source,
    )
    if line.status == "paid" and line.paid_date is None:
        raise ValueError("status is 'paid' but paid_date is empty")
    if abs(line.quantity * line.unit_price - line.amount) > Decimal("0.01"):
        raise ValueError(
            f"amount {line.amount} is not quantity × unit_price "
            f"({line.quantity} × {line.unit_price})"
        )
    return line


def _date(row: dict[str, str], column: str) -> date:
    try:
        return date.fromisoformat(row[column])
    except ValueError:
        raise ValueError(f"{column} {row[column]!r} is not a date (YYYY-MM-DD)") from None


def _number(row: dict[str, str], column: str) -> Decimal:
    try:
        value = Decimal(row[column])
    except InvalidOperation:
        raise ValueError(f"{column} {row[column]!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{column} {row[column]!r} is not a finite number")
    # `adjusted()` is the exponent of the leading digit: no arithmetic, so no overflow.
    if value.adjusted() >= LIMIT_DIGITS or value != value.quantize(SMALLEST, context=_WIDE):
        raise ValueError(
            f"{column} {row[column]!r} is out of range (under {LIMIT:,} with at most "
            f"{DECIMALS} decimals)"
        )
    return value


def group_invoices(
    lines: Iterable[InvoiceLine], rejected: Iterable[RejectedLine] = ()
) -> tuple[list[Invoice], list[WithheldInvoice], list[Problem]]:
    """Lines sharing an invoice number form one invoice; its header fields must agree.

    An invoice with a rejected line, or whose lines disagree on a header field, is withheld
    as a whole; the problems returned are the disagreements (rejected lines carry their own).
    """
    by_number: dict[str, list[InvoiceLine]] = {}
    for line in lines:
        by_number.setdefault(line.invoice_number, []).append(line)
    reasons: dict[str, list[Problem]] = {}
    customers: dict[str, set[str]] = {}
    for row in rejected:
        if row.invoice_number:
            reasons.setdefault(row.invoice_number, []).append(row.problem)
            customers.setdefault(row.invoice_number, set()).add(row.customer_id)
    invoices: list[Invoice] = []
    problems: list[Problem] = []
    for number, items in by_number.items():
        first = items[0]
        customers.setdefault(number, set()).update(item.customer_id for item in items)
        header = ("customer_id", "issue_date", "due_date", "currency", "status")
        for other in items[1:]:
            for field in header:
                if getattr(other, field) != getattr(first, field):
                    path, line_no = other.source.rsplit(":", 1)
                    problem = Problem(
                        path,
                        int(line_no),
                        f"invoice {number}: {field} {getattr(other, field)} differs from "
                        f"{getattr(first, field)} on its first line; the invoice is withheld "
                        "from customers until fixed",
                    )
                    problems.append(problem)
                    reasons.setdefault(number, []).append(problem)
        if number in reasons:
            continue
        invoices.append(
            Invoice(
                number,
                first.customer_id,
                first.issue_date,
                first.due_date,
                first.currency,
                first.status,
                first.paid_date,
                tuple(items),
            )
        )
    invoices.sort(key=lambda inv: (inv.issue_date, inv.number))
    withheld = [
        WithheldInvoice(number, frozenset(customers[number] - {""}), tuple(found))
        for number, found in sorted(reasons.items())
    ]
    return invoices, withheld, problems

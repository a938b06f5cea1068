"""The partner's invoices to its customers: one CSV row per line item, grouped per invoice."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from bot.knowledge.problems import Problem

COLUMNS = (
    "invoice_number", "customer_id", "issue_date", "due_date", "period_start", "period_end",
    "product", "sku", "charge_type", "quantity", "unit_price", "amount", "tax", "currency",
    "status", "paid_date",
)  # fmt: skip
CHARGE_TYPES = ("new", "renewal", "cancel", "prorate", "usage", "credit")
STATUSES = ("paid", "unpaid", "overdue", "disputed")


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


def parse_invoices(path: str, text: str) -> tuple[list[InvoiceLine], list[Problem]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        return [], [Problem(path, 1, f"missing column(s): {', '.join(missing)}")]
    lines: list[InvoiceLine] = []
    problems: list[Problem] = []
    for row in reader:
        line_no = reader.line_num
        try:
            lines.append(_line(row, f"{path}:{line_no}"))
        except ValueError as exc:
            problems.append(Problem(path, line_no, str(exc)))
    return lines, problems


def _line(row: dict[str, str], source: str) -> InvoiceLine:
    get = {k: (v or "").strip() for k, v in row.items() if k}
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
        return Decimal(row[column])
    except InvalidOperation:
        raise ValueError(f"{column} {row[column]!r} is not a number") from None


def group_invoices(lines: Iterable[InvoiceLine]) -> tuple[list[Invoice], list[Problem]]:
    """Lines sharing an invoice number form one invoice; its header fields must agree."""
    by_number: dict[str, list[InvoiceLine]] = {}
    for line in lines:
        by_number.setdefault(line.invoice_number, []).append(line)
    invoices: list[Invoice] = []
    problems: list[Problem] = []
    for number, items in by_number.items():
        first = items[0]
        header = ("customer_id", "issue_date", "due_date", "currency", "status")
        for other in items[1:]:
            for field in header:
                if getattr(other, field) != getattr(first, field):
                    path, line = other.source.rsplit(":", 1)
                    problems.append(
                        Problem(
                            path,
                            int(line),
                            f"invoice {number}: {field} "
                            f"{getattr(other, field)} differs from "
                            f"{getattr(first, field)} on its first line",
                        )
                    )
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
    return invoices, problems

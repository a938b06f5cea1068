"""The partner's invoices to its customers: one CSV row per line item, grouped per invoice."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.knowledge.problems import FileRejected, Problem, Severity
from bot.locale import N_

COLUMNS = (
    "invoice_number", "customer_id", "issue_date", "due_date", "period_start", "period_end",
    "product", "sku", "charge_type", "quantity", "unit_price", "amount", "tax", "currency",
    "status", "paid_date",
)  # fmt: skip
CHARGE_TYPES = ("new", "renewal", "cancel", "prorate", "usage", "credit")


class InvoiceStatus(StrEnum):
    """An invoice's status as its file states it (read once, where the file is loaded)."""

    PAID = "paid"
    UNPAID = "unpaid"
    OVERDUE = "overdue"
    DISPUTED = "disputed"


STATUSES = tuple(s.value for s in InvoiceStatus)
# The plain word for each status, as a customer or an agent reads it (translate with `_()`).
STATUS_WORDS = {
    InvoiceStatus.PAID: N_("paid"),
    InvoiceStatus.UNPAID: N_("unpaid"),
    InvoiceStatus.OVERDUE: N_("overdue"),
    InvoiceStatus.DISPUTED: N_("disputed"),
}
LIMIT_DIGITS = 12  # no invoice line of a CSP partner comes near a trillion
LIMIT = Decimal(10) ** LIMIT_DIGITS
DECIMALS = 6  # unit prices have up to 4 decimals; usage quantities a few more
SMALLEST = Decimal(1).scaleb(-DECIMALS)
# Room to quantize any number under LIMIT, whatever its exponent, without a signal.
_WIDE = Context(prec=40, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])
MAX_ID = 200  # characters of an invoice number or customer id (both are looked up by index)
# What losing a whole invoices file means for customers (`check`, and `serve` refusing).
LOST = (
    "no invoices loaded from it: every customer will be told their invoices can't be shown "
    "right now"
)


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
    status: InvoiceStatus
    paid_date: date | None
    source: str  # "path:line", for evidence shown to agents


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    customer_id: str
    issue_date: date
    due_date: date
    currency: str
    status: InvoiceStatus
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
        return self.status != InvoiceStatus.PAID

    def days_overdue(self, today: date) -> int:
        """Days past the due date of an unpaid invoice; a disputed invoice is never overdue
        (collections pause on it while the billing team investigates)."""
        if not self.is_open or self.status == InvoiceStatus.DISPUTED:
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


class FieldError(ValueError):
    """A value of one row that cannot be used; `field` names which (for the column an
    importer reports)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


Row = TypeVar("Row", covariant=True)


class CsvReader(Protocol[Row]):
    """`csv.reader` and `csv.DictReader` alike."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[Row]: ...


def csv_rows(reader: CsvReader[Row]) -> Iterator[tuple[int, Row]]:
    """(line number, row) of a csv reader's rows; `FileRejected` at the line the file cannot
    be read past (e.g. a field over the csv module's size limit), and at the line where a
    stray quote opens a value that swallows the lines after it (see `_stray_quote`)."""
    rows = iter(reader)
    pending: tuple[int, Row] | None = None
    while True:
        try:
            row = next(rows)
        except StopIteration:
            if pending is not None:
                _refuse_stray_quote(*pending, to_the_end=True)
                yield pending
            return
        except csv.Error as exc:
            raise FileRejected(reader.line_num, f"cannot be read past this line: {exc}") from None
        if pending is not None:
            _refuse_stray_quote(*pending, to_the_end=False)
            yield pending
        pending = reader.line_num, row


def _refuse_stray_quote(line_num: int, row: object, *, to_the_end: bool) -> None:
    """A value spanning lines is a quote that opened and closed too late (the row then has
    the wrong number of values) or never (it runs to the end of the file): every line it
    swallowed would be lost, so the file is refused at the line where the quote opens.
    A multi-line value in a well-formed row (a spreadsheet cell with a line break) stays."""
    if isinstance(row, Mapping):  # csv.DictReader: a short or long row is misshapen
        values: list[object] = list(row.values())
        suspect = None in row or None in values
    elif isinstance(row, list):  # csv.reader: no header to count against
        values, suspect = row, to_the_end
    else:
        return
    if not suspect or not any(isinstance(v, str) and "\n" in v for v in values):
        return
    texts = [v for v in values if isinstance(v, str)]
    # The row's first line (its first multi-line value opens there): the lines the row took,
    # less the line breaks inside its values; a value that ran to the end of the file also
    # took the last line's own break.
    opens = line_num - sum(v.count("\n") for v in texts)
    if to_the_end and any(v.endswith("\n") for v in texts):
        opens += 1
    if to_the_end:
        raise FileRejected(
            opens,
            "a quote opens a value on this line and is never closed: every later line would "
            "be read as part of it",
        )
    raise FileRejected(
        opens,
        f"a quote opens a value on this line and closes only on line {line_num}: "
        "the lines between would be read as part of it",
    )


def read_invoices(path: str, lines: Iterable[str]) -> Iterator[InvoiceLine | RejectedLine]:
    """The file's lines and rejected rows, in file order, read as they come: `lines` is
    any iterable of text lines (a file opened with `newline="\\n"`), never held whole.
    `FileRejected` when the header is unusable or the file cannot be read past a line
    (what was yielded before is then not to be trusted either)."""
    reader = csv.DictReader(lines)
    try:
        header = reader.fieldnames or ()
    except csv.Error as exc:
        raise FileRejected(1, f"the header row cannot be read: {exc}") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise FileRejected(1, f"missing column(s): {', '.join(missing)}")
    read_any = False
    for line_no, row in csv_rows(reader):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a row of empty cells (spreadsheets export them) carries nothing
        read_any = True
        get = {k: v.strip() if isinstance(v, str) else "" for k, v in row.items() if k}
        try:
            yield build_line(get, f"{path}:{line_no}")
        except ValueError as exc:
            yield rejected_row(get, Problem(path, line_no, str(exc)))
    if not read_any:  # an export that wrote only its header: its invoices are lost
        raise FileRejected(1, "only a header, no invoice line")


def parse_invoices(path: str, text: str) -> tuple[list[InvoiceLine], list[RejectedLine]]:
    """The lines and rejected rows of a whole file's text; `FileRejected` when no row can
    be trusted."""
    lines: list[InvoiceLine] = []
    rejected: list[RejectedLine] = []
    for item in read_invoices(path, io.StringIO(text)):
        if isinstance(item, InvoiceLine):
            lines.append(item)
        else:
            rejected.append(item)
    return lines, rejected


def file_lost(path: str, line: int, message: str) -> Problem:
    """The fatal problem of an invoices file that cannot be used at all."""
    return Problem(path, line, f"{message}; {LOST}", Severity.FATAL)


def rejected_row(row: Mapping[str, str], problem: Problem) -> RejectedLine:
    """A row that could not be read, withholding the invoice it names (any invoice at all,
    a fatal problem, when it names none)."""
    number = str(row.get("invoice_number") or "").strip()
    customer = str(row.get("customer_id") or "").strip()
    customer = customer if len(customer) <= MAX_ID else ""
    if number and len(number) <= MAX_ID:
        message = f"{problem.message}; invoice {number} is withheld from customers until fixed"
        return RejectedLine(number, customer, replace(problem, message=message))
    # No number (or none an invoice could have): any of the invoices could be the incomplete one.
    message = (
        f"{problem.message}; the line names no invoice_number, so any invoice could be "
        "incomplete: every invoice answer could be wrong"
    )
    return RejectedLine("", customer, replace(problem, message=message, severity=Severity.FATAL))


def build_line(
    get: Mapping[str, str],
    source: str,
    *,
    to_date: Callable[[str, str], date] | None = None,
    to_number: Callable[[str, str], Decimal] | None = None,
    check_amount: bool = True,
    paid_date_required: bool = True,
) -> InvoiceLine:
    """One invoice line from its fields' stripped text (`get`, by column name), checked;
    `FieldError` naming the field otherwise. `to_date(column, text)` and `to_number` read
    values written another way (an importer's date format, a decimal comma)."""
    day = to_date or _date
    number = to_number or _number
    for required in ("invoice_number", "customer_id", "product", "currency"):
        if not get[required]:
            raise FieldError(required, f"{required} is empty")
    for identifier in ("invoice_number", "customer_id"):
        if len(get[identifier]) > MAX_ID:
            raise FieldError(identifier, f"{identifier} is longer than {MAX_ID} characters")
    if get["charge_type"] not in CHARGE_TYPES:
        raise FieldError(
            "charge_type",
            f"charge_type must be one of {', '.join(CHARGE_TYPES)}, not {get['charge_type']!r}",
        )
    if get["status"] not in STATUSES:
        raise FieldError(
            "status", f"status must be one of {', '.join(STATUSES)}, not {get['status']!r}"
        )
    line = InvoiceLine(
        invoice_number=get["invoice_number"],
        customer_id=get["customer_id"],
        issue_date=day("issue_date", get["issue_date"]),
        due_date=day("due_date", get["due_date"]),
        period_start=day("period_start", get["period_start"]),
        period_end=day("period_end", get["period_end"]),
        product=get["product"],
        sku=get["sku"],
        charge_type=get["charge_type"],
        quantity=number("quantity", get["quantity"]),
        unit_price=number("unit_price", get["unit_price"]),
        amount=number("amount", get["amount"]),
        tax=number("tax", get["tax"]),
        currency=get["currency"].upper(),
        status=InvoiceStatus(get["status"]),
        paid_date=day("paid_date", get["paid_date"]) if get["paid_date"] else None,
        source=source,
    )
    if line.status == InvoiceStatus.PAID and line.paid_date is None and paid_date_required:
        raise FieldError("paid_date", "status is 'paid' but paid_date is empty")
    if check_amount and abs(line.quantity * line.unit_price - line.amount) > Decimal("0.01"):
        raise FieldError(
            "amount",
            f"amount {line.amount} is not quantity × unit_price "
            f"({line.quantity} × {line.unit_price})",
        )
    return line


def _date(column: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(column, f"{column} {text!r} is not a date (YYYY-MM-DD)") from None


def _number(column: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldError(column, f"{column} {text!r} is not a number") from None
    return checked_number(column, text, value)


def checked_number(column: str, text: str, value: Decimal, plain: str | None = None) -> Decimal:
    """`value` (read from `text`; `plain`: the text Decimal read, if not `text`) if an
    invoice line may hold it."""
    if not value.is_finite():
        raise FieldError(column, f"{column} {text!r} is not a finite number")
    # `adjusted()` is the exponent of the leading digit: no arithmetic, so no overflow.
    if value.adjusted() >= LIMIT_DIGITS or (
        not _few_decimals(plain or text) and value != value.quantize(SMALLEST, context=_WIDE)
    ):
        raise FieldError(
            column,
            f"{column} {text!r} is out of range (under {LIMIT:,} with at most {DECIMALS} decimals)",
        )
    return value


def _few_decimals(text: str) -> bool:
    """Plainly written with at most DECIMALS decimals (the common case, checked fast)."""
    point = text.find(".")
    return (point < 0 or len(text) - point <= DECIMALS + 1) and "e" not in text and "E" not in text

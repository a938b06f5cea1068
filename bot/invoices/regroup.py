"""The served invoices, grouped from the live sources' rows inside the transaction that
changes which sources are live (so readers see the old invoices or the new, never a mix).

Per invoice number, with the rules of `bot.invoices.grouping`: the rows of the highest rank
count (an import's invoice replaces the folder's or an older import's); the first line (in
load order) sets the header; a rejected row or a line that disagrees withholds the invoice,
for every customer id its rows name. Only the numbers a change touches are grouped again,
read in number order as a stream: memory does not grow with the number of invoices.
Lines of an invoice voided by a `--full` re-import are left out: it is served from no one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Date,
    Integer,
    String,
    Text,
    cast,
    delete,
    func,
    literal,
    null,
    select,
    type_coerce,
    union,
    union_all,
)

from bot.invoices.bulk import insert_rows
from bot.invoices.grouping import HEADER, disagreement
from bot.invoices.models import (
    InvoiceHoldRow,
    InvoiceLineRow,
    InvoiceReasonRow,
    InvoiceRejectionRow,
    InvoiceRow,
    InvoiceSourceRow,
    cast_table,
)

LINES = cast_table(InvoiceLineRow.__table__)
REJECTIONS = cast_table(InvoiceRejectionRow.__table__)
SOURCES = cast_table(InvoiceSourceRow.__table__)
INVOICES = cast_table(InvoiceRow.__table__)
HOLDS = cast_table(InvoiceHoldRow.__table__)
REASONS = cast_table(InvoiceReasonRow.__table__)
DERIVED = (INVOICES, HOLDS, REASONS)
# Above this many rows changed, every invoice is grouped again (one pass over all rows)
# rather than the touched numbers one chunk at a time.
EVERYTHING_ABOVE = 50_000
CHUNK = 500  # invoice numbers per query
BATCH = 5_000  # derived rows per insert


def regroup(conn: Connection, changed: Sequence[int] | None) -> None:
    """Group again the invoice numbers in the sources `changed` (made live or retired in
    this transaction); None: every invoice."""
    if changed is not None and not changed:
        return
    if changed is None or _rows_in(conn, changed) > EVERYTHING_ABOVE:
        for table in DERIVED:
            conn.execute(delete(table))
        _settle(conn, _rows(None))
        return
    regroup_numbers(conn, _numbers_in(conn, changed))


def regroup_numbers(conn: Connection, touched: Iterable[str]) -> None:
    """Group again the invoice numbers `touched` (a re-import's changed invoices)."""
    numbers = sorted(set(touched))
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        for table in DERIVED:
            conn.execute(delete(table).where(table.c.number.in_(chunk)))
        _settle(conn, _rows(chunk))


def _rows_in(conn: Connection, sources: Sequence[int]) -> int:
    found = conn.execute(
        select(func.coalesce(func.sum(SOURCES.c.row_count), 0)).where(SOURCES.c.id.in_(sources))
    ).scalar_one()
    return int(found)


def _numbers_in(conn: Connection, sources: Sequence[int]) -> set[str]:
    query = union(
        select(LINES.c.invoice_number).where(LINES.c.source_id.in_(sources)),
        select(REJECTIONS.c.invoice_number).where(
            REJECTIONS.c.source_id.in_(sources), REJECTIONS.c.invoice_number != ""
        ),
    )
    return set(conn.execute(query).scalars())


def _rows(numbers: Sequence[str] | None) -> CompoundSelect[Any]:
    """Every live row of `numbers` (None: all), lines and rejected rows alike, by number,
    then rank (highest first), then load order. Dates come as the driver gives them."""
    live = SOURCES.c.state == "live"
    lines = (
        select(
            LINES.c.invoice_number.label("number"),
            SOURCES.c.rank,
            SOURCES.c.position,
            LINES.c.line,
            literal(0, Integer).label("rejected"),
            LINES.c.line_key.label("place"),
            SOURCES.c.id.label("source_id"),
            SOURCES.c.name,
            LINES.c.customer_id,
            type_coerce(LINES.c.issue_date, String).label("issue_date"),
            type_coerce(LINES.c.due_date, String).label("due_date"),
            LINES.c.currency,
            LINES.c.status,
            type_coerce(LINES.c.paid_date, String).label("paid_date"),
            cast(null(), Text).label("message"),
            cast(null(), String).label("severity"),
            cast(null(), Integer).label("column_no"),
        )
        .join(SOURCES, SOURCES.c.id == LINES.c.source_id)
        .where(live, LINES.c.voided_at.is_(None))
    )
    rejections = (
        select(
            REJECTIONS.c.invoice_number,
            SOURCES.c.rank,
            SOURCES.c.position,
            REJECTIONS.c.line,
            literal(1, Integer),
            REJECTIONS.c.line,
            SOURCES.c.id,
            SOURCES.c.name,
            REJECTIONS.c.customer_id,
            type_coerce(cast(null(), Date), String),
            type_coerce(cast(null(), Date), String),
            cast(null(), Text),
            cast(null(), String),
            type_coerce(cast(null(), Date), String),
            REJECTIONS.c.message,
            REJECTIONS.c.severity,
            REJECTIONS.c.column_no,
        )
        .join(SOURCES, SOURCES.c.id == REJECTIONS.c.source_id)
        .where(live, REJECTIONS.c.invoice_number != "")
    )
    if numbers is not None:
        lines = lines.where(LINES.c.invoice_number.in_(numbers))
        rejections = rejections.where(REJECTIONS.c.invoice_number.in_(numbers))
    both = union_all(lines, rejections)
    by = both.selected_columns
    # Lines in their place in the invoice, rejected rows in line order: the two lists the
    # grouping makes (the header's first line, the reasons) each keep their own order.
    return both.order_by(by.number, by.rank.desc(), by.position, by.place)


# Positions in a `_rows` row.
NUMBER, RANK, POSITION, LINE, REJECTED, PLACE, SOURCE, NAME, CUSTOMER = range(9)
FIELDS = {"customer_id": 8, "issue_date": 9, "due_date": 10, "currency": 11, "status": 12}
PAID, MESSAGE, SEVERITY, COLUMN = 13, 14, 15, 16
_HEAD = tuple(FIELDS[field] for field in HEADER)
INVOICE_COLUMNS = (
    "number", "customer_id", "issue_date", "due_date", "currency", "status", "paid_date",
    "rank", "first_source_id", "first_line",
)  # fmt: skip
HOLD_COLUMNS = ("number", "customer_id")
REASON_COLUMNS = (
    "number", "seq", "source_id", "line", "column_no", "message", "severity",
    "first_source_id", "first_line",
)  # fmt: skip


def _settle(conn: Connection, query: CompoundSelect[Any]) -> None:
    rows = conn.execute(query.execution_options(yield_per=BATCH))
    invoices: list[tuple[Any, ...]] = []
    holds: list[tuple[Any, ...]] = []
    reasons: list[tuple[Any, ...]] = []
    for number, group in groupby(rows, key=itemgetter(NUMBER)):
        _derived(number, list(group), invoices, holds, reasons)
        if len(invoices) + len(reasons) >= BATCH:
            _flush(conn, invoices, holds, reasons)
    rows.close()
    _flush(conn, invoices, holds, reasons)


def _flush(
    conn: Connection,
    invoices: list[tuple[Any, ...]],
    holds: list[tuple[Any, ...]],
    reasons: list[tuple[Any, ...]],
) -> None:
    for table, columns, found in (
        ("invoices", INVOICE_COLUMNS, invoices),
        ("invoice_holds", HOLD_COLUMNS, holds),
        ("invoice_reasons", REASON_COLUMNS, reasons),
    ):
        insert_rows(conn, table, columns, found)
        found.clear()


def _derived(
    number: str,
    rows: list[tuple[Any, ...]],
    invoices: list[tuple[Any, ...]],
    holds: list[tuple[Any, ...]],
    reasons: list[tuple[Any, ...]],
) -> None:
    """The derived rows of one invoice number from its live rows (in `_rows` order)."""
    top = rows[0][RANK]
    if rows[-1][RANK] != top:  # a higher rank replaces the others
        rows = [row for row in rows if row[RANK] == top]
    first = next((row for row in rows if not row[REJECTED]), None)
    found: list[tuple[Any, ...]] = [
        (row[SOURCE], row[LINE], row[COLUMN], row[MESSAGE], row[SEVERITY], None, None)
        for row in rows
        if row[REJECTED]
    ]
    if first is not None:
        head = [first[i] for i in _HEAD]
        for other in rows:
            if other is first or other[REJECTED] or [other[i] for i in _HEAD] == head:
                continue
            for field, at in zip(HEADER, _HEAD, strict=True):
                if other[at] != first[at]:
                    where = f"{other[NAME]}:{other[LINE]}"
                    problem = disagreement(number, field, other[at], first[at], where)
                    found.append(
                        (other[SOURCE], other[LINE], None, problem.message,
                         str(problem.severity), first[SOURCE], first[LINE])
                    )  # fmt: skip
    if first is not None and not found:
        invoices.append(
            (number, first[CUSTOMER], iso(first[FIELDS["issue_date"]]),
             iso(first[FIELDS["due_date"]]), first[FIELDS["currency"]],
             first[FIELDS["status"]], iso(first[PAID]) if first[PAID] else None, top,
             first[SOURCE], first[LINE])
        )  # fmt: skip
        return
    reasons.extend((number, seq, *reason) for seq, reason in enumerate(found))
    for customer in sorted({row[CUSTOMER] for row in rows} - {""}) or [""]:
        holds.append((number, customer))


def iso(value: str | date) -> str:
    """A date as the driver returned it, as ISO text (what either driver takes back)."""
    return value if isinstance(value, str) else value.isoformat()


def as_date(value: str | date) -> date:
    """A date as the driver returns it (SQLite: ISO text; PostgreSQL: a date)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    return (items[start : start + size] for start in range(0, len(items), size))

"""Importing a partner's invoice export (a PSA's or billing platform's CSV) with a mapping.

An import is known by its source name (default: the file's name). Importing the same
content under that name again changes nothing; new content replaces what the name held.
An invoice number in an import replaces the knowledge folder's invoice of that number, and
an older import's: the newest copy of an invoice is the one served. Rows that fail are
reported as `file:line:column: message` and withhold their invoice, as in the folder; a
row naming no invoice number could belong to any invoice, so the import is refused then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import bindparam, text

from bot.errors import ImportRefused
from bot.invoices.customers import CustomerMatcher
from bot.invoices.files import Reading, open_text, scan
from bot.invoices.lookup import rejections
from bot.invoices.mapping import Mapping, read_mapped
from bot.invoices.store import IMPORT, InvoiceStore, Source
from bot.knowledge.invoices import InvoiceLine, RejectedLine
from bot.knowledge.problems import FileRejected, Problem, Severity

PROGRESS_EVERY = 2_000  # rows between progress reports

Progress = Callable[[int], None]  # told the bytes read so far


@dataclass(frozen=True)
class Imported:
    source: str
    unchanged: bool  # the same content was imported under this name already
    lines: int  # rows read as invoice lines
    invoices: int  # invoice numbers in the file
    withheld: tuple[str, ...]  # of those, the ones held back (a row failed)
    problems: tuple[Problem, ...]  # the rows that failed, in file order
    warnings: tuple[Problem, ...] = ()  # rows tolerated (fees, discounts) or skipped (void)


def import_file(
    store: InvoiceStore,
    path: Path,
    mapping: Mapping,
    *,
    source: str | None = None,
    progress: Progress | None = None,
    customers: CustomerMatcher | None = None,
    today: date | None = None,
    partner_center_prices: bool = False,
) -> Imported:
    """Import `path`; `ImportRefused` (nothing stored) when it cannot be read as mapped."""
    name = source or path.name
    notes: list[Problem] = []
    try:
        digest = scan(path, encoding=mapping.encoding).sha256
        current = store.live(IMPORT).get(name)
        if current is not None and current.sha256 == digest:
            return Imported(name, True, current.row_count, 0, (), ())
        with open_text(path, mapping.encoding) as reading:
            rows = read_mapped(
                name,
                reading.lines,
                mapping,
                customers=customers,
                today=today,
                notes=notes,
                partner_center_prices=partner_center_prices,
            )
            staged = store.stage(
                IMPORT, name, _reporting(rows, reading, progress), sha256=lambda: reading.sha256
            )
    except FileRejected as exc:
        raise ImportRefused(f"{name}:{exc.line}: {exc.message}; nothing was imported") from None
    problems = tuple(rejections(store.db, [staged.id])[staged.id])
    fatal = [p for p in problems if p.severity is Severity.FATAL]
    if fatal:
        store.discard([staged.id])
        shown = "\n".join(f"  {problem}" for problem in fatal[:20])
        raise ImportRefused(
            f"{len(fatal)} row(s) name no invoice number, so any invoice could be incomplete; "
            f"nothing was imported:\n{shown}"
        )
    live = store.make_live(IMPORT, {name: staged})[name]
    store.tidy()
    numbers, held = _invoices_in(store, live)
    lines = staged.row_count - staged.rejected
    return Imported(name, False, lines, numbers, held, problems, tuple(notes))


def _reporting(
    rows: Iterable[InvoiceLine | RejectedLine], reading: Reading, progress: Progress | None
) -> Iterator[InvoiceLine | RejectedLine]:
    for n, row in enumerate(rows, 1):
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(reading.read_bytes)
        yield row
    if progress is not None:
        progress(reading.read_bytes)


def _invoices_in(store: InvoiceStore, source: Source) -> tuple[int, tuple[str, ...]]:
    """How many invoice numbers `source` holds, and which of them are withheld."""
    count = text(
        "SELECT count(DISTINCT invoice_number) FROM invoice_lines WHERE source_id = :source"
    )
    held = text(
        "SELECT DISTINCT h.number FROM invoice_holds h JOIN invoice_reasons r "
        "ON r.number = h.number WHERE r.source_id IN :sources ORDER BY h.number"
    ).bindparams(bindparam("sources", expanding=True))
    with store.db.read() as session:
        conn = session.connection()
        numbers = int(conn.execute(count, {"source": source.id}).scalar_one())
        withheld = tuple(conn.execute(held, {"sources": [source.id]}).scalars())
    return numbers, withheld

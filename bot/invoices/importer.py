"""Importing a partner's invoice export (a PSA's or billing platform's CSV) with a mapping.

An import is known by its source name (default: the file's name). Importing the same
content under that name again changes nothing; new content changes, line by line, only what
differs (`bot.invoices.reimport`): an invoice it no longer names is kept, or voided with
`full`. Every import is recorded (`invoice_imports`).
An invoice number in an import replaces the knowledge folder's invoice of that number, and
an older import's: the newest copy of an invoice is the one served. Rows that fail are
reported as `file:line:column: message` and withhold their invoice, as in the folder; a
row naming no invoice number could belong to any invoice, so the import is refused then.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, bindparam, text

from bot.errors import ImportRefused
from bot.invoices.customers import CustomerMatcher
from bot.invoices.files import Reading, open_text, scan
from bot.invoices.lookup import rejections
from bot.invoices.mapping import Mapping, read_mapped
from bot.invoices.reimport import Counts, Diff, Run, apply, record
from bot.invoices.store import (
    BATCH,
    IMPORT,
    InvoiceStore,
    LineKeys,
    Raced,
    Rows,
    Source,
    line_row,
)
from bot.knowledge.invoices import InvoiceLine, RejectedLine
from bot.knowledge.problems import FileRejected, Problem, Severity
from bot.locale.formats import counted

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
    counts: Counts | None = None  # invoices new, changed, unchanged, voided, ... per customer
    dry_run: bool = False  # nothing was written


def import_file(  # noqa: PLR0913 (keyword-only options, one per import flag)
    store: InvoiceStore,
    path: Path,
    mapping: Mapping,
    *,
    source: str | None = None,
    progress: Progress | None = None,
    customers: CustomerMatcher | None = None,
    today: date | None = None,
    partner_center_prices: bool = False,
    full: bool = False,
    dry_run: bool = False,
    user: str | None = None,
) -> Imported:
    """Import `path`; `ImportRefused` (nothing stored) when it cannot be read as mapped.

    Under a source name already imported, only what changed is written (see
    `bot.invoices.reimport`); `full`: the file lists every invoice of the source, so one
    it no longer names is voided (else kept). `dry_run`: compare and count, write nothing.
    Each import is recorded (`invoice_imports`), with `user` (default: the login name)."""
    name = source or path.name
    run_by = user or getpass.getuser()
    for attempt in range(ATTEMPTS):
        try:
            return _import_once(
                store, path, mapping, name, progress, customers, today,
                partner_center_prices, full, dry_run, run_by,
            )  # fmt: skip
        except Raced:
            if attempt == ATTEMPTS - 1:
                raise ImportRefused(
                    f"{name}: other imports of it kept arriving meanwhile; nothing was "
                    "imported, try again"
                ) from None
    raise AssertionError("unreachable")


ATTEMPTS = 5  # a concurrent import of the same source made live first: compare again


def _import_once(  # noqa: PLR0913 (import_file's options, passed through)
    store: InvoiceStore,
    path: Path,
    mapping: Mapping,
    name: str,
    progress: Progress | None,
    customers: CustomerMatcher | None,
    today: date | None,
    partner_center_prices: bool,
    full: bool,
    dry_run: bool,
    user: str,
) -> Imported:
    notes: list[Problem] = []
    started = store.db.now()
    try:
        digest = scan(path, encoding=mapping.encoding).sha256
        current = store.live(IMPORT).get(name)
        # The same content again changes nothing; but `full` may void invoices an earlier
        # import of this content kept: that takes a comparison (writing no line).
        if current is not None and current.sha256 == digest and not full:
            if not dry_run:
                run = Run(name, path.name, digest, full, current.row_count, user, started)
                with store.db.write() as session:
                    record(session.connection(), run, Counts(), store.db.now())
            return Imported(name, True, current.row_count, 0, (), (), dry_run=dry_run)
        diff = Diff(store, current)
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
            items = _noting(_reporting(rows, reading, progress), diff)
            if dry_run:
                return _dry_run(name, items, diff, full, tuple(notes))
            staged = store.stage(IMPORT, name, items, sha256=lambda: reading.sha256, keep=diff.keep)
    except FileRejected as exc:
        raise ImportRefused(f"{name}:{exc.line}: {exc.message}; nothing was imported") from None
    try:
        problems = tuple(rejections(store.db, [staged.id])[staged.id])
        fatal = [p for p in problems if p.severity is Severity.FATAL]
        if fatal:
            shown = "\n".join(f"  {problem}" for problem in fatal[:20])
            raise ImportRefused(
                f"{counted(len(fatal), 'row names', 'rows name')} no invoice number, so any "
                "invoice could be "
                f"incomplete; nothing was imported:\n{shown}"
            )
        counts = diff.finish(full=full)
        run = Run(name, path.name, staged.sha256, full, staged.row_count, user, started)

        def recorded(conn: Connection) -> None:
            record(conn, run, counts, store.db.now())

        if current is None:
            live = store.make_live(IMPORT, {name: staged}, first=True, also=recorded)[name]
        else:
            apply(store, diff, staged, counts, full=full, also=recorded)
            live = current
    except BaseException:
        store.discard([staged.id])
        raise
    store.tidy()
    numbers, held = _invoices_in(store, live)
    lines = staged.row_count - staged.rejected
    return Imported(name, False, lines, numbers, held, problems, tuple(notes), counts)


def _noting(
    items: Iterable[InvoiceLine | RejectedLine], diff: Diff
) -> Iterator[InvoiceLine | RejectedLine]:
    """`items`, telling `diff` of each rejected row (its invoice is withheld)."""
    for item in items:
        if isinstance(item, RejectedLine):
            diff.refused(item.invoice_number, item.customer_id)
        yield item


def _dry_run(
    name: str,
    items: Iterable[InvoiceLine | RejectedLine],
    diff: Diff,
    full: bool,
    notes: tuple[Problem, ...],
) -> Imported:
    """Compare the file with what is stored, writing nothing."""
    keys = LineKeys()
    batch: Rows = []
    problems: list[Problem] = []
    lines = 0
    for item in items:
        if isinstance(item, RejectedLine):
            problems.append(item.problem)
            continue
        lines += 1
        batch.append(line_row(0, item, keys.next(item.invoice_number)))
        if len(batch) >= BATCH:
            diff.keep(batch)
            batch = []
    diff.keep(batch)
    counts = diff.finish(full=full)
    if any(p.severity is Severity.FATAL for p in problems):
        raise ImportRefused(
            f"{name}: rows name no invoice number, so any invoice could be incomplete; "
            "the import would be refused"
        )
    held = tuple(sorted(n for n, inv in diff.invoices.items() if inv.refused))
    return Imported(
        name, False, lines, len(diff.invoices), held, tuple(problems), notes, counts, True
    )


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

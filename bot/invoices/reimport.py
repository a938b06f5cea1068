"""Importing an export again under the same source name: only what changed is written.

Lines are keyed by (source, invoice number, line key: the line's place in its invoice) and
carry a hash of their content. While the file is read (no lock held), each batch of lines
is compared with the live source's lines of the same invoices (`Diff.keep`): a new or
changed line is written to a staged source, invisible to readers; an unchanged one is not
written at all. Then one transaction (`apply`, under the lock that makes sources live)
replaces the changed lines, deletes lines an invoice no longer has, voids (with `--full`)
the invoices the file no longer names, groups again only the invoices touched, and records
the import in `invoice_imports`. A failure, or the process killed, before that commit
leaves what is served as it was (a staged leftover is invisible, and deleted a day later).

Voided: an invoice missing from a `--full` export keeps its lines, marked `voided_at`; the
grouping leaves them out, so it is in no look-up (a customer's invoices, an owner, the
collections plan). Without `--full` a missing invoice is kept as it was (`kept`): an export
of open invoices only says nothing about the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update

from bot.invoices.models import InvoiceImportRow, cast_table
from bot.invoices.regroup import LINES, REJECTIONS, SOURCES, chunks, regroup, regroup_numbers
from bot.invoices.store import (
    LIVE,
    ROW_CUSTOMER,
    ROW_HASH,
    ROW_KEY,
    ROW_NUMBER,
    InvoiceStore,
    Raced,
    Rows,
    Source,
)

IMPORTS = cast_table(InvoiceImportRow.__table__)
KINDS = ("new", "changed", "unchanged", "voided", "kept", "refused")

_OLD = text(
    "SELECT invoice_number, line_key, row_hash, voided_at FROM invoice_lines "
    "WHERE source_id = :source AND invoice_number IN :numbers"
).bindparams(bindparam("numbers", expanding=True))
_ALL_NUMBERS = text(
    "SELECT invoice_number, min(customer_id), count(voided_at), count(*) FROM invoice_lines "
    "WHERE source_id = :source GROUP BY invoice_number"
)
_OLD_REJECTED = text(
    "SELECT DISTINCT invoice_number FROM invoice_rejections "
    "WHERE source_id = :source AND invoice_number != ''"
)


@dataclass
class _Invoice:
    customer: str
    old: int = -1  # lines it had in the live source (-1: not asked yet)
    lines: int = 0  # lines in the file
    changed: bool = False
    refused: bool = False

    def kind(self) -> str:
        """What the import does to it: refused, new, changed or unchanged."""
        if self.refused:
            return "refused"
        if self.old <= 0:
            return "new"
        if self.changed or self.lines != self.old:
            return "changed"
        return "unchanged"


@dataclass
class Counts:
    """What an import does, in invoices (and lines written), in total and per customer."""

    written: int = 0  # invoice lines written
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    customers: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, customer: str, kind: str) -> None:
        self.totals[kind] += 1
        per = self.customers.setdefault(customer, dict.fromkeys(KINDS, 0))
        per[kind] += 1


class Diff:
    """Compares a file's lines, batch by batch, with the live source `base` (None: a first
    import, every line new). `keep` returns the rows to write; `finish` classifies."""

    def __init__(self, store: InvoiceStore, base: Source | None) -> None:
        self._store = store
        self.base = base
        self.invoices: dict[str, _Invoice] = {}
        self.written = 0
        self.touched: set[str] = set()  # numbers whose served invoice may change
        self.shorter: list[tuple[str, int]] = []  # (number, lines now) of shrunk invoices
        self.missing: list[tuple[str, str]] = []  # (number, customer) not in the file

    def keep(self, rows: Rows) -> Rows:
        old: dict[tuple[str, int], tuple[str, bool]] = {}
        fresh = {row[ROW_NUMBER] for row in rows} - {
            n for n, inv in self.invoices.items() if inv.old == 0
        }
        if self.base is not None and fresh:
            with self._store.db.read() as session:
                conn = session.connection()
                for chunk in chunks(sorted(fresh)):
                    for number, key, digest, voided in conn.execute(
                        _OLD, {"source": self.base.id, "numbers": list(chunk)}
                    ):
                        old[(number, key)] = (digest, voided is not None)
        counted: dict[str, int] = {}
        for number, _key in old:
            counted[number] = counted.get(number, 0) + 1
        kept = []
        for row in rows:
            number = row[ROW_NUMBER]
            invoice = self.invoices.get(number)
            if invoice is None:
                invoice = self.invoices[number] = _Invoice(row[ROW_CUSTOMER])
            if invoice.old < 0:
                invoice.old = counted.get(number, 0)
            invoice.lines += 1
            was = old.get((number, row[ROW_KEY]))
            if was is None or was[0] != row[ROW_HASH] or was[1]:
                invoice.changed = True
                kept.append(row)
        self.written += len(kept)
        return kept

    def refused(self, number: str, customer: str) -> None:
        """A row of invoice `number` failed: the invoice is withheld."""
        if number:
            invoice = self.invoices.setdefault(number, _Invoice(customer))
            invoice.refused = True

    def finish(self, *, full: bool) -> Counts:
        """Classify every invoice, once the whole file is read."""
        counts = Counts(self.written)
        for number, invoice in self.invoices.items():
            kind = invoice.kind()
            if kind != "unchanged":
                self.touched.add(number)
            if 0 < invoice.lines < invoice.old:
                self.shorter.append((number, invoice.lines))
            counts.add(invoice.customer, kind)
        if self.base is not None:
            self._not_in_file(self.base.id, counts, full=full)
        return counts

    def _not_in_file(self, base: int, counts: Counts, *, full: bool) -> None:
        """The base import's invoices missing from the file: voided (`full`) or kept."""
        with self._store.db.read() as session:
            conn = session.connection()
            for number, customer, voided, lines in conn.execute(_ALL_NUMBERS, {"source": base}):
                if number in self.invoices or voided == lines:
                    continue  # in the file, or voided already
                self.missing.append((number, customer))
                counts.add(customer, "voided" if full else "kept")
            self.touched.update(conn.execute(_OLD_REJECTED, {"source": base}).scalars())
        if full:
            self.touched.update(number for number, _ in self.missing)


@dataclass(frozen=True)
class Run:
    """Who imported what, when: one row of `invoice_imports`."""

    source: str
    file_name: str
    sha256: str
    full: bool
    rows: int
    user: str
    started_at: datetime


def record(conn: Connection, run: Run, counts: Counts, finished_at: datetime) -> None:
    conn.execute(
        insert(IMPORTS).values(
            source=run.source,
            file_name=run.file_name,
            sha256=run.sha256,
            full=run.full,
            rows=run.rows,
            written=counts.written,
            user_name=run.user,
            started_at=run.started_at,
            finished_at=finished_at,
            **counts.totals,
        )
    )


def apply(
    store: InvoiceStore,
    diff: Diff,
    staged: Source,
    counts: Counts,
    *,
    full: bool,
    also: Callable[[Connection], None],
) -> None:
    """Make the staged changes live in the source `diff.base`, in one transaction. `Raced`
    when the source changed since it was compared (another import got there first)."""
    base = diff.base
    assert base is not None
    now = store.db.now()
    with store.db.write() as session:
        conn = session.connection()
        store.lock(conn)
        current = conn.execute(
            select(SOURCES.c.sha256).where(SOURCES.c.id == base.id, SOURCES.c.state == LIVE)
        ).scalar()
        if current != base.sha256:
            raise Raced(f"import source {base.name!r} changed meanwhile")
        _replace_lines(conn, base.id, staged.id)
        if diff.shorter:
            conn.execute(
                delete(LINES).where(
                    LINES.c.source_id == base.id,
                    LINES.c.invoice_number == bindparam("number"),
                    LINES.c.line_key > bindparam("lines"),
                ),
                [{"number": n, "lines": lines} for n, lines in diff.shorter],
            )
        if full and diff.missing:
            for chunk in chunks([number for number, _ in diff.missing]):
                conn.execute(
                    update(LINES)
                    .where(
                        LINES.c.source_id == base.id,
                        LINES.c.invoice_number.in_(chunk),
                        LINES.c.voided_at.is_(None),
                    )
                    .values(voided_at=now)
                )
        conn.execute(delete(REJECTIONS).where(REJECTIONS.c.source_id == base.id))
        for table in (LINES, REJECTIONS):
            conn.execute(
                update(table).where(table.c.source_id == staged.id).values(source_id=base.id)
            )
        top = int(conn.execute(select(func.max(SOURCES.c.rank))).scalar() or 0)
        promoted = base.rank < top  # an import made live since: this one is now the newest
        conn.execute(
            update(SOURCES)
            .where(SOURCES.c.id == base.id)
            .values(
                sha256=staged.sha256,
                row_count=staged.row_count,
                rank=top + 1 if promoted else base.rank,
            )
        )
        conn.execute(delete(SOURCES).where(SOURCES.c.id == staged.id))
        if promoted:
            regroup(conn, [base.id])
        else:
            regroup_numbers(conn, diff.touched)
        also(conn)


def _replace_lines(conn: Connection, live: int, staged: int) -> None:
    """Delete the live lines that staged ones replace (same invoice number and key)."""
    keys = conn.execute(
        select(LINES.c.invoice_number, LINES.c.line_key).where(LINES.c.source_id == staged)
    ).all()
    gone = delete(LINES).where(
        LINES.c.source_id == live,
        LINES.c.invoice_number == bindparam("number"),
        LINES.c.line_key == bindparam("key"),
    )
    for chunk in chunks(keys, 5_000):
        conn.execute(gone, [{"number": number, "key": key} for number, key in chunk])


def history(store: InvoiceStore, limit: int | None = None) -> list[dict[str, Any]]:
    """The imports recorded, newest first."""
    query = select(IMPORTS).order_by(IMPORTS.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with store.db.read() as session:
        rows = session.execute(query).mappings().all()
    return [dict(row) for row in rows]


def customers_of(counts: Counts) -> Iterable[tuple[str, dict[str, int]]]:
    return sorted(counts.customers.items())

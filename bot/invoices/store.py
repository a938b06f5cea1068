"""`InvoiceStore`: invoice sources written to the database without ever blocking readers.

A source (one knowledge-folder file, or one imported export) is written `staged`, in
batches that each commit on their own: readers do not see it and a SQLite writer holds the
lock only for one batch at a time. Making sources live is one short transaction (under a
lock, so replicas starting together take turns): the replaced ones are retired and the
invoice numbers they touch are grouped again (`bot.invoices.regroup`). Retired sources'
rows are deleted afterwards, in batches; a staged source nobody made live (its process
died) is deleted a day later.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update

from bot.invoices.bulk import insert_rows
from bot.invoices.regroup import LINES, REJECTIONS, SOURCES, chunks, regroup
from bot.knowledge.invoices import InvoiceLine, RejectedLine
from bot.storage.database import Database

FOLDER, IMPORT = "folder", "import"
STAGED, LIVE, RETIRED = "staged", "live", "retired"
BATCH = 5_000  # rows per insert (and per commit) while staging
FORGOTTEN_AFTER = timedelta(days=1)  # a staged source older than this was abandoned
_SWITCH_LOCK = 0x494E5643  # "INVC": the PostgreSQL advisory lock for making sources live


@dataclass(frozen=True, slots=True)
class Source:
    id: int
    origin: str
    name: str
    sha256: str
    rank: int
    position: int
    row_count: int
    rejected: int = 0  # of its rows


class Raced(Exception):
    """Another process changed the live sources since they were read: read them again."""


class InvoiceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def from_url(cls, url: str) -> InvoiceStore:
        """Connect (creating the SQLite folder if missing) and migrate to the newest schema."""
        return cls(Database.from_url(url))

    # -- sources ---------------------------------------------------------------------------
    def live(self, origin: str) -> dict[str, Source]:
        """The live sources of `origin`, by name."""
        with self.db.read() as session:
            rows = session.execute(
                select(SOURCES).where(SOURCES.c.origin == origin, SOURCES.c.state == LIVE)
            ).all()
        return {row.name: _source(row) for row in rows}

    def stage(
        self,
        origin: str,
        name: str,
        items: Iterable[InvoiceLine | RejectedLine],
        *,
        sha256: Callable[[], str],
        position: int = 0,
        keep: Callable[[Rows], Rows] | None = None,
    ) -> Source:
        """Write `items` as a new staged source; `sha256()`, asked once they are all read,
        is the hash of what they were read from. Whatever `items` raises (the file cannot be
        read past a line) leaves nothing behind, and is raised again. `keep`, given each
        batch of line rows (`LINE_COLUMNS`), returns the ones to write (a re-import writes
        only what changed); the source's `row_count` counts every row read."""
        now = self.db.now()
        with self.db.write() as session:
            source_id = session.execute(
                insert(SOURCES)
                .values(
                    origin=origin,
                    name=name,
                    sha256="",
                    state=STAGED,
                    rank=0,
                    position=position,
                    row_count=0,
                    created_at=now,
                )
                .returning(SOURCES.c.id)
            ).scalar_one()
        lines: list[tuple[Any, ...]] = []
        rejected: list[tuple[Any, ...]] = []
        counts = [0, 0]
        keys = LineKeys()
        writer = _Writer(self._write)  # the database writes a batch while the next is read
        try:
            try:
                for item in items:
                    if isinstance(item, InvoiceLine):
                        lines.append(line_row(source_id, item, keys.next(item.invoice_number)))
                    else:
                        rejected.append(_rejection_row(source_id, item))
                    if len(lines) + len(rejected) >= BATCH:
                        counts = [counts[0] + len(lines), counts[1] + len(rejected)]
                        writer.put(keep(lines) if keep else lines, rejected)
                        lines, rejected = [], []
                counts = [counts[0] + len(lines), counts[1] + len(rejected)]
                writer.put(keep(lines) if keep else lines, rejected)
            finally:
                writer.close()
            digest = sha256()
        except BaseException:
            self.discard([source_id])
            raise
        with self.db.write() as session:
            session.execute(
                update(SOURCES)
                .where(SOURCES.c.id == source_id)
                .values(sha256=digest, row_count=counts[0] + counts[1])
            )
        return Source(
            source_id, origin, name, digest, 0, position, counts[0] + counts[1], counts[1]
        )

    def _write(self, lines: list[tuple[Any, ...]], rejected: list[tuple[Any, ...]]) -> None:
        with self.db.write() as session:
            conn = session.connection()
            insert_rows(conn, "invoice_lines", LINE_COLUMNS, lines)
            insert_rows(conn, "invoice_rejections", REJECTION_COLUMNS, rejected)

    def discard(self, ids: Sequence[int]) -> None:
        """Delete sources that are not live (staged, retired) and their rows; a live one
        among `ids` is left alone."""
        if not ids:
            return
        with self.db.read() as session:
            gone = list(
                session.execute(
                    select(SOURCES.c.id).where(SOURCES.c.id.in_(ids), SOURCES.c.state != LIVE)
                ).scalars()
            )
        for source_id in gone:
            self._delete_rows(source_id)
        if gone:
            with self.db.write() as session:
                session.execute(delete(SOURCES).where(SOURCES.c.id.in_(gone)))

    def _delete_rows(self, source_id: int) -> None:
        """A source's rows, deleted in batches (a SQLite writer holds the lock per batch)."""
        for table in (LINES, REJECTIONS):
            while True:
                with self.db.write() as session:
                    last = session.execute(
                        select(table.c.line)
                        .where(table.c.source_id == source_id)
                        .order_by(table.c.line)
                        .offset(BATCH * 4)
                        .limit(1)
                    ).scalar()
                    query = delete(table).where(table.c.source_id == source_id)
                    if last is not None:
                        query = query.where(table.c.line < last)
                    session.execute(query)
                if last is None:
                    break

    def _chosen(
        self,
        conn: Connection,
        origin: str,
        wanted: Mapping[str, Source],
        live: Mapping[str, Source],
        dropped: list[int],
    ) -> dict[str, Source]:
        """The source to make live for each wanted name: the live one when its content is
        the same (the staged one goes to `dropped`), else the staged one; `Raced` when that
        is no longer staged."""
        chosen: dict[str, Source] = {}
        for name, source in wanted.items():
            current = live.get(name)
            if current is not None and current.sha256 == source.sha256:
                chosen[name] = current
                if current.id != source.id:
                    dropped.append(source.id)
            elif self._is_staged(conn, source):
                chosen[name] = source
            else:
                raise Raced(f"{origin} source {name!r} changed meanwhile")
        return chosen

    def make_live(
        self,
        origin: str,
        wanted: Mapping[str, Source],
        *,
        positions: Mapping[str, int] | None = None,
        replace_all: bool = False,
        first: bool = False,
        also: Callable[[Connection], None] | None = None,
    ) -> dict[str, Source]:
        """Make `wanted` (by name: each a live or a staged source) the live sources of
        their names, in one transaction, and group again the invoices they touch; with
        `replace_all` (the knowledge folder), live sources of `origin` not wanted are
        retired too. Returns what is live for those names: a staged source whose content
        is already live (a replica got there first) is dropped for the live one. `Raced`
        when a source read as live no longer is, or (`first`: a first import) when one of
        `wanted`'s names is live already. `also` runs last, in the same transaction."""
        dropped: list[int] = []
        with self.db.write() as session:
            conn = session.connection()
            self.lock(conn)
            live = {
                row.name: _source(row)
                for row in conn.execute(
                    select(SOURCES).where(SOURCES.c.origin == origin, SOURCES.c.state == LIVE)
                )
            }
            if first and set(wanted) & set(live):
                raise Raced(f"{origin} source {sorted(set(wanted) & set(live))[0]!r} arrived")
            chosen = self._chosen(conn, origin, wanted, live, dropped)
            keep = {source.id for source in chosen.values()}
            retire = [
                s.id
                for name, s in live.items()
                if s.id not in keep and (replace_all or name in wanted)
            ]
            arrive = [s.id for s in chosen.values() if s.id not in {x.id for x in live.values()}]
            if retire:
                conn.execute(update(SOURCES).where(SOURCES.c.id.in_(retire)).values(state=RETIRED))
            if arrive:
                rank = 0
                if origin == IMPORT:
                    top = conn.execute(select(func.max(SOURCES.c.rank))).scalar()
                    rank = int(top or 0) + 1
                conn.execute(
                    update(SOURCES).where(SOURCES.c.id.in_(arrive)).values(state=LIVE, rank=rank)
                )
            for name, position in (positions or {}).items():
                if name in chosen and chosen[name].position != position:
                    conn.execute(
                        update(SOURCES)
                        .where(SOURCES.c.id == chosen[name].id)
                        .values(position=position)
                    )
            regroup(conn, [*retire, *arrive])
            if also is not None:
                also(conn)
        self.discard(dropped)
        return chosen

    def tidy(self) -> None:
        """Delete retired sources and staged ones abandoned long ago."""
        cutoff = self.db.now() - FORGOTTEN_AFTER
        with self.db.read() as session:
            ids = list(
                session.execute(
                    select(SOURCES.c.id).where(
                        (SOURCES.c.state == RETIRED)
                        | ((SOURCES.c.state == STAGED) & (SOURCES.c.created_at < cutoff))
                    )
                ).scalars()
            )
        for chunk in chunks(ids, 50):
            self.discard(list(chunk))

    def _is_staged(self, conn: Connection, source: Source) -> bool:
        state = conn.execute(select(SOURCES.c.state).where(SOURCES.c.id == source.id)).scalar()
        return state == STAGED

    def lock(self, conn: Connection) -> None:
        """Serialise making sources live (SQLite: the write transaction already is)."""
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SWITCH_LOCK})


Rows = list[tuple[Any, ...]]


class _Writer:
    """Writes batches on its own thread while the next one is read and checked: the
    database works while Python parses. `close()` waits for every write and raises the
    first that failed (`put` raises it too, as soon as it is known)."""

    def __init__(self, write: Callable[[Rows, Rows], None]) -> None:
        self._write = write
        self._queue: queue.Queue[tuple[Rows, Rows] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="invoice-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._write(*batch)
                except BaseException as exc:  # raised again in the reading thread
                    self._error = exc

    def put(self, lines: Rows, rejected: Rows) -> None:
        if self._error is not None:
            raise self._error
        if lines or rejected:
            self._queue.put((lines, rejected))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def _source(row: Any) -> Source:
    return Source(row.id, row.origin, row.name, row.sha256, row.rank, row.position, row.row_count)


LINE_COLUMNS = (
    "source_id", "line", "invoice_number", "customer_id", "issue_date", "due_date",
    "period_start", "period_end", "product", "sku", "charge_type", "quantity", "unit_price",
    "amount", "tax", "currency", "status", "paid_date", "line_key", "row_hash",
)  # fmt: skip
# Positions in a line row.
ROW_NUMBER, ROW_CUSTOMER, ROW_KEY, ROW_HASH = 2, 3, 18, 19


class LineKeys:
    """Each line's key: its place among its invoice's lines so far (1, 2, ...)."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def next(self, number: str) -> int:
        key = self._seen.get(number, 0) + 1
        self._seen[number] = key
        return key


REJECTION_COLUMNS = (
    "source_id", "line", "invoice_number", "customer_id", "column_no", "message", "severity",
)  # fmt: skip


def line_row(source_id: int, line: InvoiceLine, key: int) -> tuple[Any, ...]:
    """The row of `line`, as the driver takes it (dates as ISO text, amounts exact), with
    its key in its invoice and the hash of its content (what a re-import compares)."""
    fields = _fields(line)
    digest = hashlib.blake2b("\x1f".join(map(str, fields)).encode(), digest_size=16)
    return (source_id, int(line.source.rpartition(":")[2]), *fields, key, digest.hexdigest())


def _fields(line: InvoiceLine) -> tuple[Any, ...]:
    return (
        line.invoice_number,
        line.customer_id,
        line.issue_date.isoformat(),
        line.due_date.isoformat(),
        line.period_start.isoformat(),
        line.period_end.isoformat(),
        line.product,
        line.sku,
        line.charge_type,
        str(line.quantity),
        str(line.unit_price),
        str(line.amount),
        str(line.tax),
        line.currency,
        line.status,
        line.paid_date.isoformat() if line.paid_date else None,
    )


def _rejection_row(source_id: int, row: RejectedLine) -> tuple[Any, ...]:
    return (
        source_id,
        row.problem.line,
        row.invoice_number,
        row.customer_id,
        row.problem.column,
        row.problem.message,
        str(row.problem.severity),
    )

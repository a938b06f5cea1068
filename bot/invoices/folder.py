"""`InDatabase`: the knowledge folder's invoice files, kept in the database.

Each load hashes every invoice file (one streamed pass); a file whose hash matches its live
copy is not read again. A changed or new file is staged as it is read; then, if the folder
can be served (no fatal problem anywhere in it), the staged files go live in one
transaction and the files no longer in the folder are retired. If it cannot be served,
nothing changes: the invoices served are still the last good ones.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import KnowledgeError
from bot.invoices.book import LoadedInvoices
from bot.invoices.files import open_text, scan
from bot.invoices.lookup import StoredBook, disagreements, rejections, strangers, withheld
from bot.invoices.store import FOLDER, IMPORT, InvoiceStore, Raced, Source
from bot.knowledge.folder import Knowledge, load_knowledge
from bot.knowledge.invoices import file_lost, read_invoices
from bot.knowledge.problems import FileRejected, Problem, Severity
from bot.knowledge.walk import Entry
from bot.storage.database import Database

log = logging.getLogger(__name__)
ATTEMPTS = 3  # loads racing another replica's, before giving up


@dataclass(frozen=True)
class InDatabase:
    store: InvoiceStore

    def load(
        self, entries: Sequence[Entry], *, known: frozenset[str] | None, servable: bool
    ) -> LoadedInvoices:
        for _ in range(ATTEMPTS):
            try:
                return self._load(entries, known, servable)
            except Raced as exc:  # another replica made a change live meanwhile
                log.info("invoice files changed meanwhile (%s); reading them again", exc)
        raise KnowledgeError("the invoice files kept changing while they were loaded")

    def imported(self) -> bool:
        return bool(self.store.live(IMPORT))

    def _load(
        self, entries: Sequence[Entry], known: frozenset[str] | None, servable: bool
    ) -> LoadedInvoices:
        store, db = self.store, self.store.db
        live = store.live(FOLDER)
        wanted: dict[str, Source] = {}
        refused: dict[str, Problem] = {}
        staged: list[Source] = []
        try:
            for entry in entries:
                try:
                    source = self._source(entry, live.get(entry.relative))
                except FileRejected as exc:
                    refused[entry.relative] = file_lost(entry.relative, exc.line, exc.message)
                    continue
                except SQLAlchemyError:
                    raise
                except Exception as exc:  # a value no check foresaw: a problem, not a crash
                    log.exception("unexpected error loading %s", entry.relative)
                    message = f"unexpected error ({type(exc).__name__}: {exc}); skipped"
                    refused[entry.relative] = file_lost(entry.relative, 1, message)
                    continue
                wanted[entry.relative] = source
                if source is not live.get(entry.relative):
                    staged.append(source)
            found = rejections(db, [source.id for source in wanted.values()])
            files = {
                entry.relative: [refused[entry.relative]]
                if entry.relative in refused
                else found[wanted[entry.relative].id]
                for entry in entries
            }
            fatal = any(p.severity is Severity.FATAL for ps in files.values() for p in ps)
            if not servable or fatal:  # nothing changes: the last good invoices stay served
                store.discard([source.id for source in staged])
                return LoadedInvoices(StoredBook(db), files, (), withheld(db))
            positions = {entry.relative: n for n, entry in enumerate(entries)}
            if staged or set(live) != set(wanted) or _moved(wanted, positions):
                store.make_live(FOLDER, wanted, positions=positions, replace_all=True)
        except BaseException:
            store.discard([source.id for source in staged])
            raise
        store.tidy()
        problems = disagreements(db) + (strangers(db, known) if known is not None else [])
        return LoadedInvoices(StoredBook(db), files, tuple(problems), withheld(db))

    def _source(self, entry: Entry, current: Source | None) -> Source:
        """The live source of `entry` if its content is unchanged, else a staged new one."""
        digest = scan(entry.path).sha256
        if current is not None and current.sha256 == digest:
            return current
        with open_text(entry.path) as reading:
            return self.store.stage(
                FOLDER,
                entry.relative,
                read_invoices(entry.relative, reading.lines),
                sha256=lambda: reading.sha256,
            )


def load_served(folder: Path, db: Database) -> Knowledge:
    """The knowledge folder with its invoices in `db`: what every command that answers
    customers loads."""
    return load_knowledge(folder, InDatabase(InvoiceStore(db)))


def _moved(wanted: dict[str, Source], positions: dict[str, int]) -> bool:
    return any(source.position != positions[name] for name, source in wanted.items())

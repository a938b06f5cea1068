"""What answers ask of the invoices, and where a knowledge folder's invoices are kept.

`InvoiceBook`: one customer's invoices, the owner of an invoice number, one customer's
withheld invoices: each a lookup, never a scan of every invoice. `InvoiceSource`: how a
folder's invoice files are loaded: `InMemory` (here: `check`, tests and tools with no
database; `keep_lines=False` only validates) or `bot.invoices.folder.InDatabase` (what every
command that answers customers uses).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from bot.invoices.files import open_text, scan
from bot.invoices.grouping import Grouper
from bot.knowledge.invoices import (
    Invoice,
    InvoiceStatus,
    RejectedLine,
    WithheldInvoice,
    file_lost,
    read_invoices,
)
from bot.knowledge.problems import FileRejected, Problem
from bot.knowledge.walk import Entry

log = logging.getLogger(__name__)


class InvoiceBook(Protocol):
    def __len__(self) -> int:
        """Complete invoices (withheld ones are not counted)."""
        ...

    def __iter__(self) -> Iterator[Invoice]:
        """Every complete invoice, by issue date and number: for tests and small folders."""
        ...

    def of(self, customer_id: str) -> list[Invoice]:
        """The customer's complete invoices, by issue date and number."""
        ...

    def unpaid(self) -> Iterator[Invoice]:
        """Every complete invoice whose status is not `paid` (what collections plans over),
        by issue date and number."""
        ...

    def owner_of(self, number: str) -> str | None:
        """The customer id of the complete invoice `number`."""
        ...

    def withheld_of(self, customer_id: str) -> list[WithheldInvoice]:
        """The customer's invoices that exist but cannot be shown (a line was rejected)."""
        ...

    def products(self) -> set[tuple[str, str]]:
        """(product, SKU) of every complete invoice's lines: words the bot knows."""
        ...


@dataclass(frozen=True)
class LoadedInvoices:
    book: InvoiceBook
    files: Mapping[str, Sequence[Problem]]  # each invoice file's own problems, by path
    problems: tuple[Problem, ...]  # across files: lines that disagree, unknown customers
    withheld: tuple[WithheldInvoice, ...]


class InvoiceSource(Protocol):
    def load(
        self, entries: Sequence[Entry], *, known: frozenset[str] | None, servable: bool
    ) -> LoadedInvoices:
        """The invoices of `entries` (the folder's invoice files, in load order).
        `known`: the folder's customer ids (None: it has none, so none is flagged unknown).
        `servable`: False when the rest of the folder has a fatal problem: nothing stored
        may change then (a reload keeps serving the last good copy)."""
        ...

    def imported(self) -> bool:
        """Whether invoices also come from `billing-bot import invoices`: the folder then
        needs no invoice file of its own."""
        ...


class MemoryBook:
    def __init__(
        self,
        invoices: Sequence[Invoice] = (),
        withheld: Sequence[WithheldInvoice] = (),
        count: int | None = None,
    ) -> None:
        self._invoices = tuple(invoices)
        self._withheld = tuple(withheld)
        self._count = len(self._invoices) if count is None else count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Invoice]:
        return iter(self._invoices)

    def unpaid(self) -> Iterator[Invoice]:
        return (invoice for invoice in self._invoices if invoice.status != InvoiceStatus.PAID)

    def of(self, customer_id: str) -> list[Invoice]:
        return list(self._by_customer.get(customer_id, ()))

    def owner_of(self, number: str) -> str | None:
        return self._owners.get(number)

    def withheld_of(self, customer_id: str) -> list[WithheldInvoice]:
        return [w for w in self._withheld if customer_id in w.customer_ids]

    def products(self) -> set[tuple[str, str]]:
        return {(line.product, line.sku) for invoice in self._invoices for line in invoice.lines}

    @cached_property
    def _by_customer(self) -> dict[str, list[Invoice]]:
        found: dict[str, list[Invoice]] = {}
        for invoice in self._invoices:
            found.setdefault(invoice.customer_id, []).append(invoice)
        return found

    @cached_property
    def _owners(self) -> dict[str, str]:
        return {invoice.number: invoice.customer_id for invoice in self._invoices}


@dataclass(frozen=True)
class InMemory:
    """The folder's invoice files read into memory (streamed: a file is never read whole).
    `keep_lines=False` keeps one line per invoice, enough to validate and count."""

    keep_lines: bool = True
    # No database here: `check --invoices-imported` says the invoices come from imports.
    imports: bool = False

    def imported(self) -> bool:
        return self.imports

    def load(
        self, entries: Sequence[Entry], *, known: frozenset[str] | None, servable: bool
    ) -> LoadedInvoices:
        refused: dict[str, Problem] = {}  # files that cannot be used, with why
        while True:
            grouper = Grouper(keep_lines=self.keep_lines)
            files: dict[str, list[Problem]] = {}
            spoiled = False
            for entry in entries:
                if entry.relative in refused:
                    files[entry.relative] = [refused[entry.relative]]
                    continue
                try:
                    files[entry.relative] = _read_into(grouper, entry)
                except _Refused as exc:
                    refused[entry.relative] = exc.problem
                    files[entry.relative] = [exc.problem]
                    if exc.spoiled:  # some of its rows were grouped: group again without it
                        spoiled = True
                        break
            if not spoiled:
                break
        grouped = grouper.result(known)
        book = MemoryBook(grouped.invoices, grouped.withheld, grouped.count)
        return LoadedInvoices(book, files, grouped.problems, grouped.withheld)


class _Refused(Exception):
    def __init__(self, problem: Problem, spoiled: bool) -> None:
        super().__init__(str(problem))
        self.problem = problem
        self.spoiled = spoiled


def _read_into(grouper: Grouper, entry: Entry) -> list[Problem]:
    """Feed one file's rows to `grouper`; its rejected rows' problems. `_Refused` when the
    file cannot be used as a whole (`spoiled`: after some of its rows were fed)."""
    relative, fed = entry.relative, False
    problems: list[Problem] = []
    try:
        scan(entry.path)
        with open_text(entry.path) as reading:
            for item in read_invoices(relative, reading.lines):
                fed = True
                grouper.add(item)
                if isinstance(item, RejectedLine):
                    problems.append(item.problem)
    except FileRejected as exc:
        raise _Refused(file_lost(relative, exc.line, exc.message), fed) from None
    except Exception as exc:  # a value no check foresaw: still a problem, never a crash
        log.exception("unexpected error loading %s", relative)
        message = f"unexpected error ({type(exc).__name__}: {exc}); skipped"
        raise _Refused(file_lost(relative, 1, message), fed) from exc
    return problems

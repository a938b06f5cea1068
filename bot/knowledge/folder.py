"""Read a whole knowledge folder into one `Knowledge` value, collecting every problem.

Loading never raises on a bad file: the file (or record) is skipped and a `Problem` names
it, so `billing-bot check` can list them all and the server keeps serving the rest. Losing
a whole file that customers' answers depend on (customers, invoices, partner settings,
escalation rules) is `Severity.FATAL`: `serve` refuses to start with it. An invoice with a
rejected line is withheld as a whole (`Knowledge.withheld`), never served in part.

Invoice files, of any size, are read as streams by an `InvoiceSource`: into memory by
default (`check`, tests), into the database for every command that answers customers
(`bot.invoices.folder.InDatabase`); `Knowledge.invoices` answers lookups either way.
"""

from __future__ import annotations

import codecs
import logging
import os
import stat
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from bot.errors import KnowledgeError
from bot.invoices.book import InMemory, InvoiceBook, InvoiceSource, MemoryBook
from bot.knowledge.customers import Customer, parse_customers
from bot.knowledge.escalation import EMPTY_RULES, EscalationRules, parse_escalation
from bot.knowledge.faq_yaml import is_faq, parse_faq
from bot.knowledge.invoices import LOST as INVOICES_LOST
from bot.knowledge.invoices import Invoice, WithheldInvoice
from bot.knowledge.markdown import parse_markdown
from bot.knowledge.partner import Partner, parse_partner
from bot.knowledge.problems import FileRejected, Problem, Severity
from bot.knowledge.walk import Entry, walk
from bot.knowledge.yaml_lines import load_yaml
from bot.types import Passage

MAX_FILE_BYTES = 5 * 1024 * 1024  # invoice files excepted: they are read as streams
MARKDOWN = (".md", ".markdown")
YAML = (".yaml", ".yml")

log = logging.getLogger(__name__)


class Kind(StrEnum):
    README = "readme"  # documentation for the admins, not an article
    ARTICLE = "article"
    CUSTOMERS = "customers"
    PARTNER = "partner"
    ESCALATION = "escalation"
    INVOICES = "invoices"
    OTHER_YAML = "other yaml"  # a YamlMime:FAQ page, or skipped
    OTHER = "other"


# What losing a whole file of each kind means for customers: with it, the problem is fatal
# (`serve` refuses to start, a reload keeps the last good snapshot).
LOST: dict[Kind, str] = {
    Kind.CUSTOMERS: "no customers loaded from it: every customer will be refused",
    Kind.INVOICES: INVOICES_LOST,
    Kind.PARTNER: "partner settings not loaded: the bot would not know your name, support "
    "hours or collections policy",
    Kind.ESCALATION: "escalation rules not loaded: requests that need a person would not be "
    "handed over",
}


def kind_of(relative: str) -> Kind:
    name = relative.rsplit("/", 1)[-1].lower()
    stem, _, suffix = name.rpartition(".")
    suffix = f".{suffix}"
    if name == "readme.md":
        return Kind.README
    if suffix in MARKDOWN:
        return Kind.ARTICLE
    if suffix in YAML:
        return {
            "customers": Kind.CUSTOMERS,
            "partner": Kind.PARTNER,
            "escalation": Kind.ESCALATION,
        }.get(stem, Kind.OTHER_YAML)
    if suffix == ".csv" and _is_invoices(relative):
        return Kind.INVOICES
    return Kind.OTHER


@dataclass(frozen=True)
class Knowledge:
    root: Path
    passages: tuple[Passage, ...] = ()
    customers: tuple[Customer, ...] = ()
    # Complete invoices only, never a withheld one; looked up, never scanned.
    invoices: InvoiceBook = field(default_factory=MemoryBook)
    rules: EscalationRules = EMPTY_RULES
    partner: Partner = field(default_factory=Partner)
    problems: tuple[Problem, ...] = ()
    withheld: tuple[WithheldInvoice, ...] = ()  # invoices with a rejected line, when loaded
    # Where the invoices were loaded from: a reload loads them the same way.
    invoice_source: InvoiceSource = field(default_factory=InMemory)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is not Severity.WARNING)

    @property
    def fatal(self) -> tuple[Problem, ...]:
        """Problems that make serving this folder mislead customers (a whole file lost)."""
        return tuple(p for p in self.problems if p.severity is Severity.FATAL)

    @cached_property
    def refused_invoices(self) -> tuple[Problem, ...]:
        """Fatal problems on invoice files (one refused or missing): the invoices loaded
        may lack any customer's, so no invoice answer can be told as fact."""
        return tuple(p for p in self.fatal if kind_of(p.path) is Kind.INVOICES)

    @property
    def invoices_refused(self) -> bool:
        return bool(self.refused_invoices)

    def customer(self, customer_id: str) -> Customer | None:
        return self._by_id.get(customer_id)

    def customer_for_tenant(self, tenant_id: str) -> Customer | None:
        return self._by_tenant.get(tenant_id.strip().lower())

    def invoices_of(self, customer_id: str) -> list[Invoice]:
        return self.invoices.of(customer_id)

    def owner_of(self, number: str) -> str | None:
        """The customer whose complete invoice `number` is."""
        return self.invoices.owner_of(number)

    def withheld_of(self, customer_id: str) -> list[WithheldInvoice]:
        """The customer's invoices that exist but cannot be shown (a line was rejected)."""
        return self.invoices.withheld_of(customer_id)

    @cached_property
    def _by_id(self) -> dict[str, Customer]:
        return {c.id: c for c in self.customers}

    @cached_property
    def _by_tenant(self) -> dict[str, Customer]:
        found: dict[str, Customer] = {}
        for customer in self.customers:
            for tenant in customer.tenant_ids:
                found.setdefault(tenant, customer)  # a tenant claimed twice: the first
        return found


@dataclass
class _Collected:
    passages: list[Passage] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    rules: EscalationRules = EMPTY_RULES
    partner: Partner = field(default_factory=Partner)
    problems: list[Problem] = field(default_factory=list)


def load_knowledge(root: Path | str, invoices: InvoiceSource | None = None) -> Knowledge:
    """The folder at `root`; its invoice files loaded by `invoices` (default: into memory)."""
    root = Path(root)
    source = invoices or InMemory()
    if not root.is_dir():
        raise KnowledgeError(f"knowledge folder {root} does not exist or is not a folder")
    found = _Collected()
    entries, refused = walk(root)
    # Each entry's problems, in load order; an invoice file's are filled in once its source
    # has read them all (lines of one invoice may be in several files).
    sections: list[list[Problem]] = [[_lost_if_needed(problem) for problem in refused]]
    invoice_files: list[Entry] = []
    of_invoice_file: dict[str, list[Problem]] = {}
    for entry in entries:
        if kind_of(entry.relative) is Kind.INVOICES:
            invoice_files.append(entry)
            sections.append(of_invoice_file.setdefault(entry.relative, []))
            continue
        found.problems = []
        _load_entry(entry, found)
        sections.append(found.problems)
    present = {kind_of(entry.relative) for entry in entries}
    present |= {kind_of(problem.path) for problem in refused}
    sections.append(_missing(present, imported=source.imported()))
    servable = not any(p.severity is Severity.FATAL for section in sections for p in section)
    known = frozenset(c.id for c in found.customers) if found.customers else None
    loaded = source.load(invoice_files, known=known, servable=servable)
    for relative, problems in loaded.files.items():
        of_invoice_file[relative].extend(problems)
    return Knowledge(
        root=root,
        passages=tuple(found.passages),
        customers=tuple(found.customers),
        invoices=loaded.book,
        rules=found.rules,
        partner=found.partner,
        problems=tuple(p for section in sections for p in section) + loaded.problems,
        withheld=loaded.withheld,
        invoice_source=source,
    )


# The file each kind is reported missing as (invoices may also be `invoices/*.csv`).
REQUIRED: dict[Kind, str] = {
    Kind.CUSTOMERS: "customers.yaml",
    Kind.INVOICES: "invoices.csv",
    Kind.PARTNER: "partner.yaml",
    Kind.ESCALATION: "escalation.yaml",
}


def _missing(present: set[Kind], *, imported: bool) -> list[Problem]:
    """A fatal problem for each file customers' answers depend on that the folder lacks.
    No invoice file is fine when the invoices come from `billing-bot import invoices`."""
    missing: list[Problem] = []
    for kind, name in REQUIRED.items():
        if kind in present or (kind is Kind.INVOICES and imported):
            continue
        what = "missing (nor any invoices/*.csv)" if kind is Kind.INVOICES else "missing"
        missing.append(Problem(name, 1, f"{what}; {LOST[kind]}", Severity.FATAL))
    return missing


def _lost_if_needed(problem: Problem) -> Problem:
    """A problem that loses a whole file: fatal, saying what it means, if customers' answers
    depend on that file."""
    lost = LOST.get(kind_of(problem.path))
    if lost is None:
        return problem
    return replace(problem, message=f"{problem.message}; {lost}", severity=Severity.FATAL)


def _load_entry(entry: Entry, found: _Collected) -> None:
    relative = entry.relative
    kind = kind_of(relative)
    if kind is Kind.README:
        return
    if kind is Kind.OTHER:
        suffix = PurePosixPath(relative).suffix.lower()
        found.problems.append(
            Problem(
                relative,
                1,
                f"unknown file type '{suffix or PurePosixPath(relative).name}'; skipped",
                Severity.WARNING,
            )
        )
        return
    try:
        text = _read_text(entry)
        if text is None:
            if kind in LOST:
                raise FileRejected(1, "empty file")
            found.problems.append(Problem(relative, 1, "empty file; skipped", Severity.WARNING))
            return
        _parse(relative, kind, text, found)
    except FileRejected as exc:
        found.problems.append(_lost_if_needed(Problem(relative, exc.line, exc.message)))
    except Exception as exc:  # a value no check foresaw: still a problem, never a crash
        log.exception("unexpected error loading %s", relative)
        found.problems.append(
            _lost_if_needed(
                Problem(relative, 1, f"unexpected error ({type(exc).__name__}: {exc}); skipped")
            )
        )


def _parse(relative: str, kind: Kind, text: str, found: _Collected) -> None:
    """Parse one file; what it holds is added to `found` only once it parsed whole."""
    if kind is Kind.ARTICLE:
        passages, problems = parse_markdown(relative, text)
        found.passages.extend(passages)
    else:
        data, problems = load_yaml(relative, text)
        if problems:
            if kind in LOST:
                raise FileRejected(problems[0].line, problems[0].message)
            found.problems.extend(problems)
            return
        problems = _parse_yaml(relative, kind, data, text, found)
    found.problems.extend(problems)


def _parse_yaml(
    relative: str, kind: Kind, data: Any, text: str, found: _Collected
) -> list[Problem]:
    if kind is Kind.CUSTOMERS:
        customers, problems = parse_customers(relative, data)
        found.customers.extend(customers)
    elif kind is Kind.ESCALATION:
        found.rules, problems = parse_escalation(relative, data)
    elif kind is Kind.PARTNER:
        found.partner, problems = parse_partner(relative, data)
    elif is_faq(text):
        passages, problems = parse_faq(relative, data, text)
        found.passages.extend(passages)
    else:
        problems = [
            Problem(
                relative,
                1,
                "YAML file is not customers, escalation, partner or a YamlMime:FAQ page; skipped",
                Severity.WARNING,
            )
        ]
    return problems


def _is_invoices(relative: str) -> bool:
    parts = relative.lower().split("/")
    return parts[-1].startswith("invoices") or "invoices" in parts[:-1]


def _read_text(entry: Entry) -> str | None:
    """The file's text, None when it is empty; `FileRejected` when it is not usable text.

    Opened without following a link and without blocking, then checked to be a regular
    file: what was walked may have been swapped for a link or a FIFO since."""
    try:
        fd = os.open(entry.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        raise FileRejected(1, f"cannot be opened: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileRejected(1, "is not a regular file any more; skipped")
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise FileRejected(
            1, f"file is over the {MAX_FILE_BYTES // (1024 * 1024)} MiB limit; skipped"
        )
    if b"\0" in data:
        raise FileRejected(1, "binary file, not text; skipped")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
        line = data[:start].count(b"\n") + 1
        raise FileRejected(
            line,
            f"not UTF-8 (byte 0x{data[start]:02x} at offset {start}); save the file as UTF-8",
        ) from None
    return text if text.strip() else None

"""Read a whole knowledge folder into one `Knowledge` value, collecting every problem.

Loading never raises on a bad file: the file (or record) is skipped and a `Problem` names
it, so `billing-bot check` can list them all and the server keeps serving the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import KnowledgeError
from bot.knowledge.customers import Customer, parse_customers
from bot.knowledge.escalation import EMPTY_RULES, EscalationRules, parse_escalation
from bot.knowledge.faq_yaml import is_faq, parse_faq
from bot.knowledge.invoices import Invoice, InvoiceLine, group_invoices, parse_invoices
from bot.knowledge.markdown import parse_markdown
from bot.knowledge.partner import Partner, parse_partner
from bot.knowledge.problems import Problem, Severity
from bot.knowledge.yaml_lines import load_yaml
from bot.types import Passage

MAX_FILE_BYTES = 5 * 1024 * 1024
MARKDOWN = (".md", ".markdown")
YAML = (".yaml", ".yml")


@dataclass(frozen=True)
class Knowledge:
    root: Path
    passages: tuple[Passage, ...] = ()
    customers: tuple[Customer, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    rules: EscalationRules = EMPTY_RULES
    partner: Partner = field(default_factory=Partner)
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    def customer(self, customer_id: str) -> Customer | None:
        return next((c for c in self.customers if c.id == customer_id), None)

    def customer_for_tenant(self, tenant_id: str) -> Customer | None:
        tenant = tenant_id.strip().lower()
        return next((c for c in self.customers if tenant in c.tenant_ids), None)

    def invoices_of(self, customer_id: str) -> list[Invoice]:
        return [inv for inv in self.invoices if inv.customer_id == customer_id]


@dataclass
class _Collected:
    passages: list[Passage] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    invoice_lines: list[InvoiceLine] = field(default_factory=list)
    rules: EscalationRules = EMPTY_RULES
    partner: Partner = field(default_factory=Partner)
    problems: list[Problem] = field(default_factory=list)


def load_knowledge(root: Path | str) -> Knowledge:
    root = Path(root)
    if not root.is_dir():
        raise KnowledgeError(f"knowledge folder {root} does not exist or is not a folder")
    found = _Collected()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        _load_file(path, relative, found)
    invoices, problems = group_invoices(found.invoice_lines)
    found.problems.extend(problems)
    known = {c.id for c in found.customers}
    if found.customers:
        for invoice in invoices:
            if invoice.customer_id not in known:
                path, line = invoice.lines[0].source.rsplit(":", 1)
                found.problems.append(
                    Problem(
                        path,
                        int(line),
                        f"invoice {invoice.number}: unknown customer_id {invoice.customer_id!r}",
                    )
                )
    return Knowledge(
        root=root,
        passages=tuple(found.passages),
        customers=tuple(found.customers),
        invoices=tuple(invoices),
        rules=found.rules,
        partner=found.partner,
        problems=tuple(found.problems),
    )


def _load_file(path: Path, relative: str, found: _Collected) -> None:
    name = path.name.lower()
    suffix = path.suffix.lower()
    if name == "readme.md":
        return  # documentation for the admins, not an article
    known = suffix in MARKDOWN + YAML or (suffix == ".csv" and _is_invoices(relative))
    if not known:
        found.problems.append(
            Problem(
                relative, 1, f"unknown file type '{suffix or path.name}'; skipped", Severity.WARNING
            )
        )
        return
    text = _read_text(path, relative, found.problems)
    if text is None:
        return
    if suffix in MARKDOWN:
        passages, problems = parse_markdown(relative, text)
        found.passages.extend(passages)
    elif suffix == ".csv":
        lines, problems = parse_invoices(relative, text)
        found.invoice_lines.extend(lines)
    else:
        problems = _load_yaml_file(relative, name, text, found)
    found.problems.extend(problems)


def _load_yaml_file(relative: str, name: str, text: str, found: _Collected) -> list[Problem]:
    data, problems = load_yaml(relative, text)
    if problems:
        return problems
    stem = name.rsplit(".", 1)[0]
    if stem == "customers":
        customers, problems = parse_customers(relative, data)
        found.customers.extend(customers)
    elif stem == "escalation":
        found.rules, problems = parse_escalation(relative, data)
    elif stem == "partner":
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


def _read_text(path: Path, relative: str, problems: list[Problem]) -> str | None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        problems.append(
            Problem(
                relative,
                1,
                f"file is {size // (1024 * 1024)} MiB, over the "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MiB limit; skipped",
            )
        )
        return None
    data = path.read_bytes()
    if b"\0" in data:
        problems.append(Problem(relative, 1, "binary file, not text; skipped"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                relative,
                line,
                f"not UTF-8 (byte 0x{data[exc.start]:02x} at "
                f"offset {exc.start}); save the file as UTF-8",
            )
        )
        return None
    if not text.strip():
        problems.append(Problem(relative, 1, "empty file; skipped", Severity.WARNING))
        return None
    return text

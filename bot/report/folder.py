"""What the report reads from the knowledge folder: the partner's name and support hours
(agents' times are in business hours), the articles (to tell the ones never cited) and the
names of routes and categories in the agent language. Nothing else is loaded: no invoices,
no index."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import KnowledgeError
from bot.knowledge.escalation import parse_escalation
from bot.knowledge.folder import Kind, kind_of
from bot.knowledge.partner import SupportHours, parse_partner
from bot.knowledge.problems import FileRejected
from bot.knowledge.walk import walk


@dataclass(frozen=True, slots=True)
class FolderFacts:
    partner: str = ""
    hours: SupportHours = field(default_factory=SupportHours)
    articles: tuple[str, ...] = ()
    # "route:<id>" / "category:<id>" -> its name (a route and a category may share an id)
    names: dict[str, str] = field(default_factory=dict)


def read_folder(root: Path, language: str) -> FolderFacts:
    if not root.is_dir():
        raise KnowledgeError(f"knowledge folder {root} does not exist or is not a folder")
    entries, _refused = walk(root)
    articles = tuple(sorted(e.relative for e in entries if kind_of(e.relative) is Kind.ARTICLE))
    partner, hours, names = "", SupportHours(), {}
    for entry in entries:
        kind = kind_of(entry.relative)
        if kind not in (Kind.PARTNER, Kind.ESCALATION):
            continue
        try:
            data = yaml.safe_load(entry.path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise KnowledgeError(f"{entry.relative}: cannot be read: {exc}") from exc
        try:
            if kind is Kind.PARTNER:
                found, _problems = parse_partner(entry.relative, data)
                partner, hours = found.name, found.support
            else:
                rules, _problems = parse_escalation(entry.relative, data)
                names.update({f"category:{c.id}": c.name_in(language) for c in rules.categories})
                names.update({f"route:{r.id}": r.name_in(language) for r in rules.routes.values()})
        except FileRejected as exc:
            raise KnowledgeError(f"{entry.relative}: {exc}") from exc
    return FolderFacts(partner, hours, articles, names)

"""`escalation.yaml`: what lies outside baseline support, and which people it goes to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.knowledge.problems import FileRejected, Problem, Severity
from bot.knowledge.translations import Translations, pick, translations_of
from bot.knowledge.yaml_lines import line_of

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Route:
    id: str
    name: str
    description: str
    names: Translations = ()  # `name_es: ...`: what a customer writing Spanish reads

    def name_in(self, language: str | None) -> str:
        return pick(self.name, self.names, language)


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name: str
    route: str
    description: str
    examples: tuple[str, ...]
    # Policy questions that sound like this category ("what are the steps to contest a bill?"):
    # they teach the intent classifier what is NOT a request of this kind.
    counter_examples: tuple[str, ...] = ()
    names: Translations = ()  # `name_es: ...`: what a customer writing Spanish reads

    def name_in(self, language: str | None) -> str:
        return pick(self.name, self.names, language)


@dataclass(frozen=True, slots=True)
class EscalationRules:
    routes: dict[str, Route]
    categories: tuple[Category, ...]

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)


EMPTY_RULES = EscalationRules({}, ())


def parse_escalation(path: str, data: Any) -> tuple[EscalationRules, list[Problem]]:
    if not isinstance(data, dict):
        raise FileRejected(1, "expected 'routes:' and 'categories:' mappings")
    problems: list[Problem] = []
    routes = _routes(path, data, problems)
    raw_categories = data.get("categories")
    # Without categories the file hands nothing over: lost as a whole (fatal), not a nit.
    if not isinstance(raw_categories, list):
        raise FileRejected(line_of(data), "'categories:' must be a list")
    if not raw_categories:
        raise FileRejected(line_of(data), "the 'categories:' list is empty")
    categories = [
        category
        for record in raw_categories
        if (category := _category(path, record, routes, problems)) is not None
    ]
    if not categories:
        problems.append(
            Problem(
                path,
                line_of(data),
                "no escalation category could be used: requests that need a person would not "
                "be handed over",
                Severity.FATAL,
            )
        )
    return EscalationRules(routes, tuple(categories)), problems


def _routes(path: str, data: dict[str, Any], problems: list[Problem]) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    raw_routes = data.get("routes")
    if not isinstance(raw_routes, dict):
        problems.append(Problem(path, line_of(data), "'routes:' must map route ids to routes"))
        return routes
    for rid, record in raw_routes.items():
        if rid == "__line__":
            continue
        if not isinstance(record, dict) or not record.get("name"):
            problems.append(
                Problem(path, line_of(record, line_of(data)), f"route {rid!r} needs a 'name'")
            )
            continue
        routes[str(rid)] = Route(
            str(rid),
            str(record["name"]),
            str(record.get("description", "")),
            translations_of(record, "name", path, problems),
        )
    return routes


def _category(
    path: str, record: Any, routes: dict[str, Route], problems: list[Problem]
) -> Category | None:
    """The record's category; None (with a problem) when it cannot be used."""
    line = line_of(record)
    if not isinstance(record, dict):
        problems.append(Problem(path, line, "each category must be a mapping"))
        return None
    cid = str(record.get("id", ""))
    if not _ID.match(cid):
        problems.append(Problem(path, line, f"category id {cid!r} must be snake_case"))
        return None
    route = str(record.get("route", ""))
    if route not in routes:
        problems.append(
            Problem(
                path,
                line,
                f"category {cid!r}: unknown route {route!r} "
                f"(routes: {', '.join(routes) or 'none'})",
            )
        )
        return None
    examples = _examples(path, line, cid, record.get("examples") or [], problems)
    if examples is None:
        return None
    return Category(
        cid,
        str(record.get("name") or cid.replace("_", " ").capitalize()),
        route,
        str(record.get("description", "")),
        examples,
        tuple(str(e) for e in record.get("counter_examples") or () if str(e).strip()),
        translations_of(record, "name", path, problems),
    )


def _examples(
    path: str, line: int, cid: str, raw: Any, problems: list[Problem]
) -> tuple[str, ...] | None:
    """A category's example phrasings; None (with a problem) when it has none."""
    if not isinstance(raw, list):
        problems.append(Problem(path, line, f"category {cid!r}: examples must be a list"))
        return None
    examples = tuple(str(e) for e in raw if isinstance(e, str | int | float) and str(e).strip())
    if not examples:
        problems.append(Problem(path, line, f"category {cid!r} needs example phrasings"))
        return None
    return examples

"""`partner.yaml` `support_plans`: the names the partner's support plans go by in each
language, as its articles write them.

A customer's `support_plan` in customers.yaml is an id ("standard"); the Spanish articles
write that plan "Estándar". The bot reads an article against the customer's plan (what it
prices for them, what another plan includes: bot/answering/facts_check.py), so it must know
every name a plan is written under:

    support_plans:
      standard: {en: Standard, es: Estándar}
      premium: {es: [Premium, Soporte Técnico Premium]}

A plan is always named by its id too, in every language; a folder that declares nothing
reads a plan by its id alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.knowledge.problems import Problem
from bot.knowledge.yaml_lines import LINE, line_of

_LANGUAGE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True, slots=True)
class PlanNames:
    """(plan id, language, names) triples; hashable like the records that carry it."""

    declared: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def of(self, plan: str, language: str) -> tuple[str, ...]:
        """Every name of `plan` in `language`: its id first, then the declared ones."""
        plan = plan.lower()
        names = [plan]
        for declared_plan, declared_language, declared in self.declared:
            if declared_plan == plan and declared_language == language:
                names += [n for n in declared if fold(n) not in map(fold, names)]
        return tuple(names)


def fold(text: str) -> str:
    """`text` without accents, lower case: "Estándar" and "estandar" are one name."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def parse_plan_names(data: dict[str, Any], path: str, problems: list[Problem]) -> PlanNames:
    """`support_plans` of partner.yaml; each unusable entry is a problem naming its key,
    and is left out (the plan is still named by its id)."""
    raw = data.get("support_plans")
    if raw is None:
        return PlanNames()
    if not isinstance(raw, dict):
        message = f"support_plans: must be a mapping of plan id to names, not {raw!r}"
        problems.append(Problem(path, line_of(data), message))
        return PlanNames()
    found: list[tuple[str, str, tuple[str, ...]]] = []
    for plan, languages in raw.items():
        if plan == LINE:
            continue
        where = f"support_plans: {plan}"
        if not isinstance(languages, dict):
            message = f"{where}: must be a mapping of language to name(s), not {languages!r}"
            problems.append(Problem(path, line_of(raw, line_of(data)), message))
            continue
        for language, value in languages.items():
            if language == LINE:
                continue
            line = line_of(languages, line_of(raw, line_of(data)))
            if not isinstance(language, str) or not _LANGUAGE.match(language):
                message = f"{where}: {language!r} is not a two-letter language code (en, es)"
                problems.append(Problem(path, line, message))
                continue
            names = _names(value)
            if names is None:
                message = f"{where}: {language}: must be a name or a list of names, not {value!r}"
                problems.append(Problem(path, line, message))
                continue
            found.append((str(plan).lower(), language, names))
    return PlanNames(tuple(found))


def _names(value: Any) -> tuple[str, ...] | None:
    """The non-empty names of `value` (one text or a list of them); None when not texts."""
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        return None
    return tuple(v.strip() for v in values)

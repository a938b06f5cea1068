"""A YAML value customers see, in other languages: `name_es: Reclamación de facturación`
beside `name: Billing dispute` (any two-letter language code after the field's name).

The plain field stays the value for every language without its own, so a folder written
before translations existed, or one in English only, reads the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.knowledge.problems import Problem, Severity
from bot.knowledge.yaml_lines import line_of

# (language, text) pairs: hashable, so the frozen records that carry them stay hashable.
Translations = tuple[tuple[str, str], ...]
_LANGUAGE = re.compile(r"^[a-z]{2}$")


def translations_of(
    record: Mapping[str, Any], field: str, path: str, problems: list[Problem]
) -> Translations:
    """The `<field>_<language>` values of `record`; a value that is not text is a problem."""
    found: list[tuple[str, str]] = []
    for key, value in record.items():
        if not isinstance(key, str) or not key.startswith(f"{field}_"):
            continue
        language = key.removeprefix(f"{field}_")
        if not _LANGUAGE.match(language):
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            message = f"{key}: must be a text, not {value!r}; the plain {field!r} is used"
            problems.append(Problem(path, line_of(record), message, Severity.WARNING))
            continue
        if str(value).strip():
            found.append((language, str(value).strip()))
    return tuple(sorted(found))


def pick(default: str, translations: Translations, language: str | None) -> str:
    """The value in `language`, else the plain field's."""
    wanted = (language or "").split("-")[0].lower()
    return next((text for code, text in translations if code == wanted), default)

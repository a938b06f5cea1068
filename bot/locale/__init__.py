"""Message catalogs: every sentence the bot writes to a customer, per language (gettext `.po`
files read with Babel, `<language>/LC_MESSAGES/messages.po` beside this module).

The idiom is gettext's: bind `_ = translator(language)` where a reply is written and wrap each
sentence in `_("...")`, formatting after translating (`_("Ticket {number}").format(...)`), so
Babel's extractor finds them (`pybabel extract -F babel.cfg`); `tests/unit/locale` fails when
the Spanish catalog misses one, and when a sentence a customer or an agent can see is not
marked. A sentence defined away from where it is shown (a table of words) is marked `N_()`
and translated with `_()` where it is used. English is the source language: its sentences
are the ids.
Amounts and dates are formatted for the language in `bot.locale.formats`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

LOCALE_DIR = Path(__file__).parent
SOURCE_LANGUAGE = "en"
Translator = Callable[[str], str]


@functools.cache
def _messages(language: str) -> dict[str, str]:
    """The translated messages of `language` (none for English or a language without one)."""
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE_LANGUAGE or not path.exists():
        return {}
    with path.open("rb") as file:
        catalog = read_po(file, locale=language)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def N_(message: str) -> str:
    """Marks a sentence for the catalog where it is defined; translated where it is shown."""
    return message


def has_catalog(language: str) -> bool:
    return language == SOURCE_LANGUAGE or bool(_messages(language))


def translator(language: str | None) -> Translator:
    """gettext for `language`: a sentence its catalog lacks stays in English."""
    messages = _messages((language or SOURCE_LANGUAGE).split("-")[0].lower())
    return lambda message: messages.get(message, message)

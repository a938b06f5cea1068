"""Message catalogs: every sentence the bot writes to a customer, per language (gettext `.po`
files read with Babel, `<language>/LC_MESSAGES/messages.po` beside this module).

The idiom is gettext's: bind `_ = translator(language)` where a reply is written and wrap each
sentence in `_("...")`, formatting after translating (`_("Ticket {number}").format(...)`), so
Babel's extractor finds them (`pybabel extract -F babel.cfg`); `tests/unit/locale` fails when
the Spanish catalog misses one, and when a sentence a customer or an agent can see is not
marked. A sentence defined away from where it is shown (a table of words) is marked `N_()`
and translated with `_()` where it is used. A sentence with a count in it has a form per
count: `ngettext = plural_translator(language)`, then `ngettext(singular, plural, n)` (each
catalog's Plural-Forms rule picks the form; never "invoice(s)"). English is the source
language: its sentences are the ids.
Amounts and dates are formatted for the language in `bot.locale.formats`.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

LOCALE_DIR = Path(__file__).parent
SOURCE_LANGUAGE = "en"
Translator = Callable[[str], str]
# `ngettext(singular, plural, n)`: the form of a sentence that the count `n` takes.
PluralTranslator = Callable[[str, str, int], str]


class _Catalog(NamedTuple):
    messages: dict[str, str]  # sentence -> its translation
    plurals: dict[str, tuple[str, ...]]  # a counted sentence's singular -> its forms
    form: Callable[[int], int]  # which of the forms a count takes (the Plural-Forms rule)


def _english_form(n: int) -> int:
    return 0 if n == 1 else 1


@functools.cache
def _catalog(language: str) -> _Catalog:
    """The translated messages of `language` (none for English or a language without one)."""
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == SOURCE_LANGUAGE or not path.exists():
        return _Catalog({}, {}, _english_form)
    with path.open("rb") as file:
        catalog = read_po(file, locale=language)
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, str):
            if m.string:
                messages[m.id] = str(m.string)
        elif isinstance(m.string, tuple | list) and all(m.string):
            # a counted sentence is used once every one of its forms is translated
            plurals[str(m.id[0])] = tuple(str(form) for form in m.string)
    return _Catalog(messages, plurals, gettext.c2py(catalog.plural_expr))


def N_(message: str) -> str:
    """Marks a sentence for the catalog where it is defined; translated where it is shown."""
    return message


def has_catalog(language: str) -> bool:
    return language == SOURCE_LANGUAGE or bool(_catalog(language).messages)


def _language(language: str | None) -> str:
    return (language or SOURCE_LANGUAGE).split("-")[0].lower()


def translator(language: str | None) -> Translator:
    """gettext for `language`: a sentence its catalog lacks stays in English."""
    messages = _catalog(_language(language)).messages
    return lambda message: messages.get(message, message)


def plural_translator(language: str | None) -> PluralTranslator:
    """ngettext for `language`: bind it as `ngettext` (the name Babel's extractor reads) and
    format after choosing, `ngettext("{count} invoice", "{count} invoices", n).format(count=n)`.
    The form comes from the catalog's Plural-Forms rule; a sentence the catalog lacks stays in
    English, singular for 1 and plural otherwise."""
    catalog = _catalog(_language(language))

    def ngettext(singular: str, plural: str, n: int) -> str:
        forms = catalog.plurals.get(singular)
        if forms is None:
            return singular if n == 1 else plural
        return forms[min(catalog.form(n), len(forms) - 1)]

    return ngettext

"""Counted sentences (`ngettext`): each one in the form its count takes, 0, 1 and many, in
English and in Spanish; no sentence in the catalogs writes a count as "invoice(s)"."""

import re

import pytest
from babel.messages.pofile import read_po

from bot.locale import LOCALE_DIR, plural_translator
from bot.locale.extract import template

COUNTED = sorted(
    (m.id for m in template() if isinstance(m.id, tuple)), key=lambda pair: pair[0].lower()
)
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def spanish_forms() -> dict[str, tuple[str, ...]]:
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalog = read_po(file, locale="es")
    return {m.id[0]: m.string for m in catalog if isinstance(m.id, tuple)}


def filled(sentence: str, n: int) -> str:
    """The sentence as shown: the count where a count goes, a stand-in elsewhere."""
    return sentence.format(**{name: n for name in _PLACEHOLDER.findall(sentence)})


def test_the_bot_counts_things_in_many_sentences():
    assert len(COUNTED) >= 15


@pytest.mark.parametrize(("singular", "plural"), COUNTED, ids=[s for s, _ in COUNTED])
def test_each_counted_sentence_takes_the_form_of_its_count_in_english_and_spanish(singular, plural):
    english, spanish = plural_translator("en"), plural_translator("es")
    forms = spanish_forms()[singular]
    # English and Spanish alike: one form for 1, the other for 0 and for many
    assert english(singular, plural, 1) == singular
    assert english(singular, plural, 0) == english(singular, plural, 7) == plural
    assert spanish(singular, plural, 1) == forms[0]
    assert spanish(singular, plural, 0) == spanish(singular, plural, 7) == forms[1]
    assert plural_translator("es-ES")(singular, plural, 1) == forms[0]


def test_the_forms_read_right_for_zero_one_and_many():
    english, spanish = plural_translator("en"), plural_translator("es")
    open_invoices = ("{count} open invoice", "{count} open invoices")
    assert [english(*open_invoices, n).format(count=n) for n in (0, 1, 4)] == [
        "0 open invoices",
        "1 open invoice",
        "4 open invoices",
    ]
    assert [spanish(*open_invoices, n).format(count=n) for n in (0, 1, 4)] == [
        "0 facturas pendientes",
        "1 factura pendiente",
        "4 facturas pendientes",
    ]
    overdue = ("overdue {days} day", "overdue {days} days")
    assert [spanish(*overdue, n).format(days=n) for n in (0, 1, 12)] == [
        "vencida hace 0 días",
        "vencida hace 1 día",
        "vencida hace 12 días",
    ]


def test_a_counted_sentence_a_catalog_lacks_stays_in_english_in_english_forms():
    german = plural_translator("de")
    assert german("{count} apple", "{count} apples", 1) == "{count} apple"
    assert german("{count} apple", "{count} apples", 0) == "{count} apples"


def test_no_sentence_writes_a_count_as_a_word_with_s_in_brackets():
    """ "1 open invoice(s)" is what `ngettext` replaces; "(s)" after a letter never reads right."""
    bracketed = re.compile(r"\w\((s|es)\)")
    spanish = spanish_forms()
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        every = [m for m in read_po(file, locale="es") if m.id]
    texts = [
        text
        for m in every
        for text in (
            *(m.id if isinstance(m.id, tuple) else (m.id,)),
            *(m.string if isinstance(m.string, tuple) else (m.string,)),
        )
    ]
    texts += [s for pair in COUNTED for s in pair] + [f for fs in spanish.values() for f in fs]
    assert [t for t in texts if bracketed.search(t)] == []
    for singular, plural in COUNTED:
        for n in (0, 1, 3):
            assert not bracketed.search(filled(plural_translator("es")(singular, plural, n), n))

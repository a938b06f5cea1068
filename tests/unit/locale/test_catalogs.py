"""The catalogs cover every sentence the code marks, and translate it faithfully."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.locale import LOCALE_DIR, translator
from bot.locale.extract import template

_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def catalog(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=language)


def ids(messages) -> set[str | tuple[str, str]]:
    return {m.id for m in messages if m.id}


def translated(message) -> bool:
    """Every form given: a counted sentence (`ngettext`) has a tuple of forms."""
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(forms) and not message.fuzzy


def test_the_template_on_disk_is_what_the_code_marks():
    with (LOCALE_DIR / "messages.pot").open("rb") as file:
        on_disk = read_po(file)
    assert ids(template()) == ids(on_disk), "run: python -m bot.locale.extract"


def test_the_spanish_catalog_translates_every_sentence_the_code_marks():
    spanish = {m.id: m for m in catalog("es") if m.id}
    missing = ids(template()) - {i for i, m in spanish.items() if translated(m)}
    assert not missing, f"bot/locale/es/LC_MESSAGES/messages.po lacks: {sorted(missing)}"


def test_a_translation_uses_the_placeholders_of_its_sentence_all_of_them():
    """None dropped: a value the partner wrote in English has its Spanish version in the
    folder (`name_es`, `first_response_es`, see knowledge/README.md), not a gap here. A
    counted sentence's singular form (count 1, `n != 1` in Spanish) has its singular's
    placeholders, the other form its plural's."""
    for message in catalog("es"):
        if not message.id:
            continue
        if isinstance(message.id, str):
            pairs = [(message.id, message.string)]
        else:
            pairs = list(zip(message.id, message.string, strict=True))
        for sentence, translation in pairs:
            used = set(_PLACEHOLDER.findall(translation))
            assert used == set(_PLACEHOLDER.findall(sentence)), message.id


def test_a_counted_sentence_has_the_forms_its_catalog_declares():
    spanish = catalog("es")
    assert spanish.num_plurals == 2  # Plural-Forms: nplurals=2; plural=(n != 1)
    counted = [m for m in spanish if m.id and isinstance(m.id, tuple)]
    assert len(counted) >= 15
    for message in counted:
        assert len(message.string) == 2 and all(message.string), message.id


@pytest.mark.parametrize("language", ["nl", "de", "fr", "pt", "it"])
def test_a_language_the_bot_does_not_write_is_told_in_it_which_ones_it_does(language):
    from bot.answering.multilingual import languages_sentence

    sentence = languages_sentence(language)
    assert sentence and sentence != languages_sentence("en")


def test_a_sentence_a_catalog_lacks_stays_in_english():
    assert translator("de")("Thanks for the feedback!") == "Thanks for the feedback!"
    assert translator("es")("Thanks for the feedback!") == "¡Gracias por su opinión!"


def test_every_catalog_is_shipped_in_the_package():
    pyproject = (Path(__file__).parents[3] / "pyproject.toml").read_text()
    assert '"locale/*/LC_MESSAGES/*.po"' in pyproject

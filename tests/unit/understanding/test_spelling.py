"""Misspellings and text-speak read as the folder's own words; everything else as written."""

import pytest

from bot.knowledge.folder import load_knowledge
from bot.understanding.intents import load_examples
from bot.understanding.spelling import SHORTHAND, Speller, count_words, folder_speller
from tests.conftest import SAMPLE_KNOWLEDGE


@pytest.fixture(scope="module")
def speller() -> Speller:
    """The sample folder's vocabulary and the built-in examples, as the bot builds it."""
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    return folder_speller(
        knowledge, {lang: load_examples(knowledge.rules, (lang,)) for lang in ("en", "es")}
    )


def test_misspelt_english_words_become_the_folder_words(speller):
    assert speller.correct("paymnet methdos for the licnece", "en") == (
        "payment methods for the licence"
    )
    assert speller.correct("can we get a refnud", "en") == "can we get a refund"


def test_misspelt_spanish_words_become_the_spanish_folder_words(speller):
    assert speller.correct("la fatura de novienbre", "es") == "la factura de noviembre"
    assert speller.correct("formas de pgo", "es") == "formas de pago"


def test_text_speak_is_spelt_out_in_each_language(speller):
    assert speller.correct("do u take cards pls", "en") == "do you take cards please"
    assert speller.correct("xq tengo q pagar", "es") == "por qué tengo que pagar"
    assert all(short == short.lower() for table in SHORTHAND.values() for short in table)


def test_names_numbers_amounts_and_ids_are_left_as_written(speller):
    text = "is 178,80 on NW-2026-0477 the NC24ads A100 line for wingtip in EUR?"
    assert speller.correct(text, "en") == text
    assert speller.correct("fabrkam balance", "en") == "fabrikam balance"  # a customer's name


def test_known_and_ordinary_words_are_never_changed(speller):
    # Common English words the folder never uses stay: a question about onions stays one
    # (the bot declines it as not billing), not "options".
    text = "how many onions do i have on hand"
    assert speller.correct(text, "en") == text
    assert speller.knows("invoice", "en") and speller.knows("factura", "es")


def test_case_is_kept_and_a_word_too_far_from_any_known_one_stays(speller):
    assert speller.correct("WHEN IS MY INVOCIE DUE", "en") == "WHEN IS MY INVOICE DUE"
    assert speller.correct("Paymnet", "en") == "Payment"
    assert speller.correct("zxqvwk", "en") == "zxqvwk"


def test_a_language_without_a_vocabulary_is_left_alone(speller):
    assert speller.correct("Wie hoch ist die Rechnng?", "de") == "Wie hoch ist die Rechnng?"


def test_short_words_get_one_edit_long_ones_two():
    speller = Speller({"en": count_words(["tax invoice"])})
    assert speller.correct("tzx", "en") == "tax"
    assert speller.correct("txz", "en") == "txz"  # two edits from "tax": too far for 3 letters
    assert speller.correct("invcie", "en") == "invoice"  # two edits, six letters

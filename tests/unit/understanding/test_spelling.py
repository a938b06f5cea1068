"""Misspellings and text-speak read as the folder's own words; everything else as written."""

import pytest

from bot.knowledge.folder import load_knowledge
from bot.understanding.intents import load_examples
from bot.understanding.spelling import (
    SHORTHAND,
    Speller,
    count_pairs,
    count_words,
    folder_speller,
)
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
    assert speller.correct("pls send ur office hrs", "en") == "please send your office hours"
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


def test_a_language_the_bot_reads_is_read_with_its_ordinary_words_and_the_folders(speller):
    assert speller.correct("Wie hoch ist die Rechnng?", "de") == "Wie hoch ist die Rechnung?"
    # A word the bot knows in another language stays (an English word in a French message).
    assert speller.correct("les invoices de Fabrkam", "fr") == "les invoices de Fabrikam"


def test_a_language_the_bot_does_not_read_is_left_alone(speller):
    assert speller.correct("Jinsi ya kulipa ankra", "sw") == "Jinsi ya kulipa ankra"


def test_short_words_get_one_edit_long_ones_two():
    speller = Speller({"en": count_words(["tax invoice"])})
    assert speller.correct("tzx", "en") == "tax"
    assert speller.correct("txz", "en") == "txz"  # two edits from "tax": too far for 3 letters
    assert speller.correct("invcie", "en") == "invoice"  # two edits, six letters


def test_an_ordinary_word_the_folder_never_uses_is_read_too():
    speller = Speller({"en": count_words(["invoice total"])})
    assert speller.correct("the invoice totla for my grandmothr", "en") == (
        "the invoice total for my grandmother"
    )


def test_the_folders_word_wins_at_the_same_distance_an_ordinary_one_when_nearer():
    speller = Speller({"en": count_words(["cloud", "guard"])})
    assert speller.correct("coud", "en") == "cloud"  # "could" is one edit away too
    assert speller.correct("gardn", "en") == "garden"  # "guard" is two


def test_a_rare_word_of_the_language_is_not_read_as_a_commoner_one():
    speller = Speller({"en": count_words(["invoice"])})
    assert speller.correct("a phishing email", "en") == "a phishing email"  # not "fishing"


def test_the_words_beside_a_short_slip_choose_what_it_stands_for():
    texts = ["you can pay by bank transfer", "pay the invoice by bank transfer"]
    speller = Speller({"en": count_words(texts)}, {"en": count_pairs(texts)})
    # Two edits from "bank": too far for a word of four letters on its own...
    assert Speller({"en": count_words(texts)}).correct("bqnl", "en") == "bqnl"
    # ...but the folder writes "by bank" and "bank transfer".
    assert speller.correct("paying by bqnl transfer works", "en") == "paying by bank transfer works"


def test_a_longer_slip_keeps_its_nearest_word_whatever_its_neighbours():
    texts = ["the amount due", "the amount paid"]
    speller = Speller({"en": count_words([*texts, "mount"])}, {"en": count_pairs(texts)})
    assert speller.correct("the mountt due", "en") == "the mount due"


def test_a_word_before_an_apostrophe_is_corrected_and_the_rest_kept(speller):
    assert speller.correct("fabrkam's balance", "en") == "fabrikam's balance"


def test_count_pairs_counts_neighbouring_words():
    assert count_pairs(["Pay the bill", "pay the fee"])[("pay", "the")] == 2


def test_towards_the_folder_only_a_sentence_in_another_language_stays_itself():
    speller = Speller({"en": count_words(["you can pay the invoice by card"])})
    dutch = "mogen wij later betalen met de kaart"
    # Every ordinary English word within reach would make English of it...
    assert speller.correct(dutch, "en") != dutch
    # ...so the language detector's respelling reaches for the folder's words only.
    assert speller.towards_folder(dutch, "en") == dutch
    assert speller.towards_folder("the invocie", "en") == "the invoice"


def test_two_letters_are_read_only_as_a_word_the_folder_writes_beside_them():
    texts = ["how much is the fee", "how much do we owe"]
    speller = Speller({"en": count_words(texts)}, {"en": count_pairs(texts)})
    assert speller.correct("hw much is it", "en") == "how much is it"
    assert speller.correct("hw", "en") == "hw"  # nothing beside it to tell
    # Frequent two-letter words and capitals (ids, acronyms) are as written.
    assert speller.correct("is it on the PO much", "en") == "is it on the PO much"


def test_each_side_of_an_apostrophe_is_read(speller):
    assert speller.correct("la facture d'ocotbre", "fr") == "la facture d'octobre"


def test_a_message_read_twice_is_corrected_once_and_alike(speller):
    first = speller.correct("can we get a refnud", "en")
    assert speller.correct("can we get a refnud", "en") == first == "can we get a refund"
    speller.forget()
    assert speller.correct("can we get a refnud", "en") == first

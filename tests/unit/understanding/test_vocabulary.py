"""The words the bot knows, and the share of a message it has never seen."""

from bot.knowledge.folder import load_knowledge
from bot.understanding import intents as I
from bot.understanding.intents import Example
from bot.understanding.vocabulary import Vocabulary, known_words
from tests.conftest import SAMPLE_KNOWLEDGE


def test_the_share_of_words_never_seen():
    known = Vocabulary(["We accept bank transfers and credit cards for every invoice."])
    assert known.unknown_share("do you accept credit cards?") == 0.0
    assert known.unknown_share("do you accept bitcoin?") == 1 / 2
    assert known.unknown_share("") == 0.0


def test_stems_numbers_and_single_letters_count_as_known():
    known = Vocabulary(["Licenses are billed monthly."])
    assert known.unknown_share("licence billing") == 0.0  # stemmed, British spelling
    assert known.unknown_share("licenses 0466 2026 q") == 0.0


def test_spanish_is_read_by_its_own_rules():
    known = Vocabulary(["Aceptamos transferencias bancarias."])
    assert known.unknown_share("¿aceptáis transferencia?", "es") == 0.0
    assert known.unknown_share("¿aceptáis bitcoin?", "es") == 0.5


def test_the_folder_products_customers_and_billing_examples_are_known():
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    examples = [
        Example("balance pls", I.BALANCE),
        Example("write me a poem about spreadsheets", I.NOT_BILLING),
    ]
    known = known_words(knowledge, examples)
    assert known.unknown_share("what is the NC24ads A100 line for wingtip") == 0.0
    assert known.unknown_share("pls") == 0.0
    # what the bot does not handle is no word of its own
    assert known.unknown_share("poem spreadsheets") == 1.0


def test_a_slip_of_the_keys_says_nothing_about_the_topic():
    known = Vocabulary(["We accept bank transfers and credit cards for every invoice."])
    # "crdeit" is no word at all: the question is still about credit cards
    assert known.unknown_share("do you accept crdeit cards?") == 0.0
    # a real word the folder never uses still counts
    assert known.unknown_share("do you accept bitcoin or crdeit cards?") == 1 / 3
    # nothing but slips: nothing readable, all unknown
    assert known.unknown_share("xqzt vbnrq") == 1.0

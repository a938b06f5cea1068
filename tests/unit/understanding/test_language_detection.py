import pytest

from bot.understanding.language import LanguageDetector


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


CLEAR = [
    ("When is my invoice due?", "en"),
    ("Why is my bill higher than last month?", "en"),
    ("¿Cuándo vence mi factura?", "es"),
    ("quiero hablar con una persona", "es"),
    ("Cuanto debemos en total este mes", "es"),  # no accents, as customers type
    ("Wanneer moet ik mijn factuur betalen?", "nl"),
    ("Wann ist meine Rechnung fällig?", "de"),
    ("Quand dois-je payer ma facture ?", "fr"),
    ("Quando vence a minha fatura?", "pt"),
    ("Quando scade la mia fattura?", "it"),
]


@pytest.mark.parametrize(("text", "language"), CLEAR)
def test_a_clear_message_is_read_in_its_language(detector, text, language):
    assert detector.language_of(text) == language


def test_a_spanish_message_moves_an_english_conversation_to_spanish(detector):
    assert (
        detector.language_of("Quiero disputar la factura NW-2026-0477", conversation="en") == "es"
    )


@pytest.mark.parametrize("text", ["NW-2026-0477", "178,80", "2026-12-02", "?"])
def test_a_message_without_words_keeps_the_conversation_language(detector, text):
    assert detector.language_of(text, conversation="es", customer="en") == "es"


@pytest.mark.parametrize("text", ["ok", "sí", "gracias", "NW-2026-0525"])
def test_a_short_first_message_falls_back_to_the_customer_language(detector, text):
    assert detector.language_of(text, customer="es") == "es"


def test_with_nothing_to_go_on_the_language_is_english(detector):
    assert detector.language_of("NW-2026-0477") == "en"
    assert detector.guess("NW-2026-0477") is None

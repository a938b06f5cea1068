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


# Short Spanish spreads lingua's confidence over its cousins (es 0.29, it 0.26, pt 0.16) and
# none reaches switch_confidence, but English scores far below Spanish: the message is Spanish.
@pytest.mark.parametrize("text", ["que es la linea de 178,80", "que es esto", "de nada"])
def test_short_spanish_far_from_english_moves_an_english_conversation(detector, text):
    assert detector.ranked(text)[0][1] < detector.switch_confidence
    assert detector.language_of(text, conversation="en") == "es"


@pytest.mark.parametrize(
    "text",
    [
        "factura NW-2026-0477",  # en 0.32, es 0.28: a close call keeps the conversation's
        "ok perfecto",
        "we bought Teams Phone para el equipo",
        "invoice for Casa Lopez SL",
        "Hola, when is my invoice due?",
        "credit limit details",
        "can I cancel?",  # it 0.27, es 0.18, en 0.16: Spanish stands for Italian, not far enough
        "cancel it",
    ],
)
def test_english_with_a_spanish_word_stays_english(detector, text):
    assert detector.language_of(text, conversation="en") == "en"


def test_an_unsure_guess_at_an_unserved_language_keeps_the_conversation(detector):
    # nl 0.22 at the top, English far below: only a served language may win on the ratio.
    top, confidence = detector.ranked("ok vale")[0]
    assert top not in ("en", "es") and confidence < detector.switch_confidence
    assert detector.language_of("ok vale", conversation="en") == "en"


def test_a_sure_cousin_moves_an_english_conversation_to_spanish(detector):
    # pt 0.59, es 0.18, English far below: Portuguese-looking Spanish.
    assert detector.language_of("que tipo de IVA nos aplicais", conversation="en") == "es"


@pytest.fixture(scope="module")
def respell():
    """The bot's spelling correction over the sample folder, as `Assistant` passes it."""
    from bot.knowledge.folder import load_knowledge
    from bot.understanding.intents import load_examples
    from bot.understanding.spelling import folder_speller
    from tests.conftest import SAMPLE_KNOWLEDGE

    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    examples = {lang: load_examples(knowledge.rules, (lang,)) for lang in ("en", "es")}
    return folder_speller(knowledge, examples).towards_folder


def test_misspelt_english_stays_english_once_spelt(detector, respell):
    text = "plese oppen a tiket for mee"  # read as written, it looks Dutch
    assert detector.language_of(text, customer="en") != "en"
    assert detector.language_of(text, customer="en", respell=respell) == "en"


def test_misspelt_spanish_stays_spanish_once_spelt(detector, respell):
    assert detector.language_of("cuanto debemos de la factrua de novimbre", customer="es") == "es"
    text = "qando vnece la fatcura"
    assert detector.language_of(text, customer="es", respell=respell) == "es"


def test_misspelt_spanish_read_as_portuguese_is_spanish_once_spelt(detector, respell):
    # To a customer who writes English: the expected language does not help, the cousin does.
    text = "por que nos cobrao a fatura tan alta"
    assert detector.language_of(text, customer="en") == "pt"
    assert detector.language_of(text, customer="en", respell=respell) == "es"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Welke betaalmethoden accepteren jullie?", "nl"),
        ("Ich möchte meine Rechnung bezahlen", "de"),
        ("Quiero disputar la factura NW-2026-0477", "es"),
        ("Posso ridurre il numero di licenze prima del rinnovo?", "it"),
    ],
)
def test_another_language_is_not_spelt_into_the_expected_one(detector, respell, text, language):
    assert detector.language_of(text, conversation="en", respell=respell) == language

"""Which language the bot writes to a message in a language it only reads."""

from bot.answering.multilingual import languages_sentence, writing_language
from bot.knowledge.folder import load_knowledge
from tests.conftest import SAMPLE_KNOWLEDGE


def test_the_customers_configured_language_when_the_bot_writes_it_else_english():
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    assert writing_language(knowledge.customer("coho")) == "es"  # `language: es`
    assert writing_language(knowledge.customer("contoso")) == "en"
    assert writing_language(None) == "en"


def test_the_sentence_naming_the_languages_is_in_the_message_language():
    assert languages_sentence("de") == "Ich antworte auf Englisch oder Spanisch."
    assert languages_sentence("fr") == "Je réponds en anglais ou en espagnol."
    assert languages_sentence("en") == "I answer in English or Spanish."

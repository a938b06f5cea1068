"""Reading and writing across languages: how the bot reads a language it does not write,
which language it answers in then, and an answer taken from an article in another language
than the question's.

The bot writes the languages with a full catalog (English, Spanish). A message in another
language the detector knows and the multilingual model reads (German, French, Dutch,
Portuguese, Italian) is read with that model and answered with the facts in a language the
bot writes, led by one sentence in the customer's language saying which languages those are
(that sentence is all the catalogs of those languages hold).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.customers import Customer
from bot.locale import N_, translator
from bot.retrieval.index import SearchIndex
from bot.understanding.intents import IntentClassifier
from bot.understanding.language import DEFAULT_LANGUAGE, SERVED_LANGUAGES

LANGUAGE_NAMES = {"en": N_("English"), "es": N_("Spanish")}


@dataclass(frozen=True, slots=True)
class Reader:
    """How the bot reads a language it does not write: a multilingual model's index (its
    vectors of the folder's articles) and an intent classifier fit on that model's vectors
    of the examples, so that meaning, not spelling, carries the message across."""

    index: SearchIndex
    intents: IntentClassifier


def writing_language(customer: Customer | None) -> str:
    """The language the bot writes to a customer whose message is in a language it does not
    write: the customer's configured language when the bot writes it, else English."""
    if customer is not None and customer.language in SERVED_LANGUAGES:
        return customer.language
    return DEFAULT_LANGUAGE


def languages_sentence(language: str) -> str:
    """In `language` (its catalog holds this sentence): which languages the bot writes."""
    return translator(language)(N_("I answer in English or Spanish."))


def in_other_language(language: str, article_language: str) -> str:
    """Put before an answer taken from an article not written in the customer's language."""
    _ = translator(language)
    if article_language == "en":
        note = _("We don't have this article in Spanish yet; this answer is from the English one.")
        return note + "\n\n"
    return _("This answer is from an article in another language.") + "\n\n"

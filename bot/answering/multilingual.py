"""The sentences about language itself: a language the partner does not serve, and an answer
taken from an article in another language than the question's."""

from __future__ import annotations

from bot.locale import N_, translator

LANGUAGE_NAMES = {"en": N_("English"), "es": N_("Spanish")}


def unserved_sentence(language: str) -> str:
    """In `language` when a catalog has it, else in English."""
    _ = translator(language)
    return _(
        "Sorry, I can only answer in English or Spanish. Would you like to talk to a person "
        "from our billing team?"
    )


def in_other_language(language: str, article_language: str) -> str:
    """Put before an answer taken from an article not written in the customer's language."""
    _ = translator(language)
    if article_language == "en":
        note = _("We don't have this article in Spanish yet; this answer is from the English one.")
        return note + "\n\n"
    return _("This answer is from an article in another language.") + "\n\n"

"""Which language a customer writes in: lingua on the message, with the conversation's language
(else the customer's) as the prior that short or ambiguous messages keep.

"ok", "sí", "NW-2026-0477" or "hi" say little about a language, and a detector forced to choose
among seven languages guesses wrong on such text more often than right. So the detector moves
the conversation to another language only when the message has at least `min_words` words
and the detector is sure enough (`switch_confidence`); numbers, invoice numbers and amounts
are not words. Short text spreads lingua's confidence over cousins ("que es el cargo de 64,20":
es 0.37, pt 0.25, it 0.12, en 0.07): it is not sure which Romance language it reads, but
it is sure the text is not English. So a served language at the top also wins when it scores
at least `switch_ratio` times the expected language: the message contradicts the prior, which
a close call ("factura NW-2026-0477": en 0.32, es 0.28) does not. The same holds for Spanish
standing in for an unsure cousin at the top: "can I cancel?" (it 0.27, es 0.18, en 0.16) stays
English.

The detector knows the languages the bot serves (English, Spanish) and a few more that the
multilingual model reads and the bot answers in a language it writes (Dutch, German, French,
Portuguese, Italian; see bot/answering/multilingual.py): fewer candidates are faster and
more accurate than all 75 of lingua's. Its models (about 40 MB in high-accuracy mode) load
on first use; see benchmarks/language.py for accuracy, load time and memory per mode.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

DEFAULT_LANGUAGE = "en"
KNOWN_LANGUAGES = ("en", "es", "nl", "de", "fr", "pt", "it")
SERVED_LANGUAGES = ("en", "es")  # the bot writes these; it reads the others
# Served languages and the unserved ones that short text in them is mistaken for.
_COUSINS = {"es": ("pt", "it", "gl", "ca")}
_TOKEN = re.compile(r"[\w'’-]+")
# Spells `text` as written in a language: (text, language) -> text.
Respell = Callable[[str, str], str]


def words(text: str) -> list[str]:
    """Tokens of two letters or more without digits: "sí" and "ok" are words, "NW-2026-0477"
    and "178,80" are not."""
    return [
        token
        for token in _TOKEN.findall(text)
        if not any(c.isdigit() for c in token) and sum(c.isalpha() for c in token) >= 2
    ]


class LanguageDetector:
    def __init__(
        self,
        languages: Sequence[str] = KNOWN_LANGUAGES,
        *,
        min_words: int = 2,
        switch_confidence: float = 0.4,
        switch_ratio: float = 2.0,
        cousin_share: float = 0.25,
        low_accuracy: bool = False,
    ) -> None:
        self.languages = tuple(languages)
        self.min_words = min_words
        self.switch_confidence = switch_confidence
        self.switch_ratio = switch_ratio
        self.cousin_share = cousin_share
        self.low_accuracy = low_accuracy
        self._detector: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Build lingua's detector now (a server may call this at start instead of on the
        first message)."""
        with self._lock:
            if self._detector is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [IsoCode639_1.from_str(code) for code in self.languages]
                builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
                if self.low_accuracy:
                    builder = builder.with_low_accuracy_mode()
                self._detector = builder.build()

    def guess(self, text: str) -> tuple[str, float] | None:
        """The likeliest language of `text` and its confidence (0..1); None without words."""
        ranked = self.ranked(text)
        return ranked[0] if ranked else None

    def ranked(self, text: str) -> list[tuple[str, float]]:
        """Every candidate language of `text` with its confidence, likeliest first."""
        if not words(text):
            return []
        if self._detector is None:
            self.load()
        values = self._detector.compute_language_confidence_values(text)
        return [(v.language.iso_code_639_1.name.lower(), float(v.value)) for v in values]

    def language_of(
        self,
        text: str,
        *,
        conversation: str | None = None,
        customer: str | None = None,
        respell: Respell | None = None,
    ) -> str:
        """The language to read `text` in and answer it in: the detected one when it is the
        expected language or the detector is sure enough; otherwise the expected one, which
        is the conversation's so far, else the customer's, else English.

        With `respell` (the bot's spelling correction), misspelt words do not move the
        conversation: a slip of the keys ("invocie", "teh") often reads as Dutch or German,
        so a message read as a language the bot does not write is read again spelt as the
        expected language, and when the detector is as sure it reads that language as a
        switch needs (`switch_confidence`), it does; so it does as the served language the
        detected one is a close cousin of (`_COUSINS`). Text really written in another
        language stays in it: correcting it towards the expected language's vocabulary
        changes a word or two, not what it reads as."""
        expected = conversation or customer or DEFAULT_LANGUAGE
        detected = self._detected(text, expected)
        if respell is not None and detected not in SERVED_LANGUAGES:
            # Only a language the bot does not write is put to the test: a message that
            # reads as written as one it writes was written in it (respelt word by word
            # into English, a Spanish message would read as English too).
            # The expected language first, then a served one the detected language is a
            # cousin of (a misspelt Spanish message to an English-speaking customer reads as
            # Portuguese).
            cousin_of = [served for served, cousins in _COUSINS.items() if detected in cousins]
            for language in dict.fromkeys([expected, *cousin_of]):
                spelt = respell(text, language)
                ranked = self.ranked(spelt) if spelt != text else []
                if ranked and ranked[0][0] == language and ranked[0][1] >= self.switch_confidence:
                    return language
        return detected

    def _detected(self, text: str, expected: str) -> str:
        if len(words(text)) < self.min_words:
            return expected
        ranked = self.ranked(text)
        if not ranked:
            return expected
        top, confidence = ranked[0]
        share = dict(ranked)
        language = top
        if top not in SERVED_LANGUAGES:
            # Short Spanish often reads as Portuguese ("os pagamos con IVA": pt 0.41,
            # es 0.36): a served language the top one is a close cousin of stands for it when
            # it has a fair share of the top one's confidence (measured on the dev
            # conversations).
            for served, cousins in _COUSINS.items():
                if top in cousins and share.get(served, 0.0) >= confidence * self.cousin_share:
                    language = served
        if language == expected or confidence >= self.switch_confidence:
            return language
        # Not sure which language, but sure it is not the expected one (see the docstring).
        # Only towards a served language: an unsure guess at an unserved one would read a
        # message in the wrong language.
        if language in SERVED_LANGUAGES and share[language] >= self.switch_ratio * share.get(
            expected, 0.0
        ):
            return language
        return expected

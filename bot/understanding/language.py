"""Which language a customer writes in: lingua on the message, with the conversation's language
(else the customer's) as the prior that short or ambiguous messages keep.

"ok", "sí", "NW-2026-0477" or "hi" say little about a language, and a detector forced to choose
among seven languages guesses wrong on such text more often than right. So the detector moves
the conversation to another language only when the message has at least `min_words` words
and the detector is sure enough (`switch_confidence`); numbers, invoice numbers and amounts
are not words.

The detector knows the languages the bot serves (English, Spanish) and a few more it should
recognise in order to answer politely that it does not speak them (Dutch, German, French,
Portuguese, Italian): fewer candidates are faster and more accurate than all 75 of lingua's.
Its models (about 40 MB in high-accuracy mode) load on first use; see benchmarks/language.py
for accuracy, load time and memory per mode.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

DEFAULT_LANGUAGE = "en"
KNOWN_LANGUAGES = ("en", "es", "nl", "de", "fr", "pt", "it")
SERVED_LANGUAGES = ("en", "es")  # the others get a polite reply offering a person
_TOKEN = re.compile(r"[\w'’-]+")


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
        low_accuracy: bool = False,
    ) -> None:
        self.languages = tuple(languages)
        self.min_words = min_words
        self.switch_confidence = switch_confidence
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
        if not words(text):
            return None
        if self._detector is None:
            self.load()
        values = self._detector.compute_language_confidence_values(text)
        if not values:
            return None
        best = values[0]
        return best.language.iso_code_639_1.name.lower(), float(best.value)

    def language_of(
        self, text: str, *, conversation: str | None = None, customer: str | None = None
    ) -> str:
        """The language to read `text` in and answer it in: the detected one when it is the
        expected language or the detector is sure enough; otherwise the expected one, which
        is the conversation's so far, else the customer's, else English."""
        expected = conversation or customer or DEFAULT_LANGUAGE
        if len(words(text)) < self.min_words:
            return expected
        guessed = self.guess(text)
        if guessed is None:
            return expected
        language, confidence = guessed
        return language if confidence >= self.switch_confidence else expected

"""Sentences in English among what a customer writing another language was shown: the measure
behind "0 untranslated strings" (benchmarks/spanish_turns.py, tests/model).

Each text is cut into sentences; the data a reply quotes as it is (product names as invoiced,
the customer's and the partner's names, invoice numbers, amounts, e-mail addresses, file
paths) is taken out first, and what is left is given to lingua (`LanguageDetector`). A
fragment of fewer than `MIN_WORDS` words cannot be told apart ("Total", "No") and is not
judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.knowledge.folder import Knowledge
from bot.understanding.language import LanguageDetector

MIN_WORDS = 3
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
_DATA = re.compile(
    r"\S+@\S+|\+?\d[\d\s]{6,}\d"  # e-mail addresses, phone numbers
    r"|\b[A-Z]{2,6}-\d{4}-\d{3,6}\b|\bBILL-\d+\b"  # invoice and ticket numbers
    r"|\S*/\S+\.md\b"  # article paths
    r"|[-+−]?\d[\d.,\s]*\d|\d"  # figures
)
_WORD = re.compile(r"[^\W\d_]{2,}")


def quoted_names(knowledge: Knowledge) -> set[str]:
    """What a reply quotes as the folder has it: product names, customers, the partner."""
    names = {product for product, _sku in knowledge.invoices.products()}
    return names | {c.name for c in knowledge.customers} | {knowledge.partner.name}


def without_data(text: str, names: Iterable[str]) -> str:
    """`text` with the quoted data taken out: `names` (longest first), then the patterns."""
    for name in sorted(names, key=len, reverse=True):
        if name:
            text = text.replace(name, " ")
    return _DATA.sub(" ", text)


def english_sentences(
    texts: Sequence[str], names: Iterable[str], detector: LanguageDetector
) -> list[str]:
    """The sentences of `texts` that read as English (their original wording)."""
    names = tuple(names)
    found = []
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            rest = without_data(sentence, names)
            if len(_WORD.findall(rest)) < MIN_WORDS:
                continue
            ranked = detector.ranked(rest)
            if ranked and ranked[0][0] == "en":
                found.append(sentence.strip())
    return found

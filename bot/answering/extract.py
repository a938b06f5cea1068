"""Extractive answers: the part of the best section that answers the question, verbatim."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import pairwise

_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z0-9\"'(])")
MAX_WORDS = 100
# A section's first sentence usually answers its heading, the question retrieval matched
# ("Northwind billing support is closed on the Dutch public holidays."): when the best run
# is further down, a first sentence this short leads the answer anyway.
LEAD_WORDS = 25
# A bare "Yes." / "No." / "Sí." lead only means something with the sentence that says what
# it answers ("No. The price per license is fixed for your term."): they lead together.
BARE_LEAD_WORDS = 3


def sentences(text: str) -> list[tuple[int, str]]:
    """(line number, sentence): lines first (list items stay whole), then sentences."""
    out: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines()):
        out.extend((number, s.strip()) for s in _SENTENCE_END.split(line) if s.strip())
    return out


def extract(
    text: str,
    question: str,
    tokenize: Callable[[str], list[str]],
    prefer: Sequence[str] = (),
    keep: Callable[[str], bool] | None = None,
) -> str:
    """The contiguous run of sentences sharing most words with the question, widened with
    its context to at most MAX_WORDS; a short section is returned whole. Sentences naming
    one of `prefer` (the customer's own facts: its currency, plan, country) count as
    matching twice, so a USD customer's answer keeps the sentence with the USD price.
    Sentences `keep` refuses (they contradict the customer's facts, see
    bot/answering/facts_check.py) are left out first; "" when none is left."""
    parts = _kept(sentences(text), keep)
    if not parts:
        return ""
    text = _joined(parts)
    if len(text.split()) <= MAX_WORDS:
        return text
    wanted = set(tokenize(question))
    facts = [f.lower() for f in prefer if f]
    gains = [
        len(wanted & set(tokenize(s))) + 2 * sum(f in s.lower() for f in facts) for _, s in parts
    ]
    lengths = [len(s.split()) for _, s in parts]
    best: tuple[int, int, int] = (-1, 0, 0)
    best_span = (0, 1)
    for start in range(len(parts)):
        words = gain = 0
        for end in range(start, len(parts)):
            if end > start and words + lengths[end] > MAX_WORDS:
                break
            words += lengths[end]
            gain += gains[end]
            # More matched words, then the tightest run (its context comes after), then the
            # earlier (usually the defining) sentences.
            score = (gain, -words, -start)
            if score > best:
                best, best_span = score, (start, end + 1)
    start, end = _widened(best_span, lengths, [line for line, _ in parts])
    lead_end = 2 if lengths[0] <= BARE_LEAD_WORDS and len(parts) > 1 else 1
    lead = start > 0 and lengths[0] <= LEAD_WORDS
    if lead and start <= lead_end:
        start, lead = 0, False  # the run follows it: one passage
    text_out = _joined(parts[start:end])
    if lead:
        text_out = f"{_joined(parts[:lead_end])} … {text_out}"
    return text_out if end == len(parts) else text_out + " …"


def _kept(
    parts: list[tuple[int, str]], keep: Callable[[str], bool] | None
) -> list[tuple[int, str]]:
    return parts if keep is None else [(line, s) for line, s in parts if keep(s)]


def _joined(chosen: Sequence[tuple[int, str]]) -> str:
    """Sentences as they stood: a space within a line, a line break between lines."""
    text_out = chosen[0][1]
    for (previous_line, _), (line, sentence) in pairwise(chosen):
        text_out += (" " if line == previous_line else "\n") + sentence
    return text_out


def _widened(
    span: tuple[int, int], lengths: Sequence[int], lines: Sequence[int]
) -> tuple[int, int]:
    """The best run with its context, up to MAX_WORDS: first its paragraph's sentences
    before it (what the matched sentence continues), then the sentences after it (a
    condition or an exception often follows: "EUR invoices only"), then earlier ones."""
    start, end = span
    words = sum(lengths[start:end])

    def fits(i: int) -> bool:
        return words + lengths[i] <= MAX_WORDS

    while start > 0 and lines[start - 1] == lines[start] and fits(start - 1):
        start -= 1
        words += lengths[start]
    while end < len(lengths) and fits(end):
        words += lengths[end]
        end += 1
    while start > 0 and fits(start - 1):
        start -= 1
        words += lengths[start]
    return start, end

"""The words the bot knows: its articles', its billing examples', its products' and customers'.

A message made largely of words the bot has never seen ("do you accept bitcoin through a
Lightning invoice?", "can i mix antifreeze with water") is about something the folder does not
cover, however close its nearest article or intent looks: `unknown_share` measures that.
Words are compared stemmed, by the message's language rules, so "licences" and "license"
meet; numbers are known (they are slots: amounts, invoice numbers, dates), and so are
single letters ("quick q").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.knowledge.folder import Knowledge
from bot.retrieval.lexical import Tokenizer, rules_language
from bot.understanding.intents import NOT_BILLING, Example

_JOINED = re.compile(r"[-'’/]")


class Vocabulary:
    def __init__(self, texts: Iterable[str], languages: Iterable[str] = ("en", "es")) -> None:
        self._tokenizers = {rules_language(lang): Tokenizer(lang) for lang in languages}
        corpus = list(texts)
        self._known = {
            language: {stem for text in corpus for stem in self._stems(text, tokenizer)}
            for language, tokenizer in self._tokenizers.items()
        }

    @staticmethod
    def _stems(text: str, tokenizer: Tokenizer) -> list[str]:
        return tokenizer(_JOINED.sub(" ", text))

    def unknown_share(self, text: str, language: str = "en") -> float:
        """The share of the message's words (stop words aside) the bot has never seen.

        A string that is no word of the language at all ("hgap", "tadtaum": wordfreq has
        never seen it) is a slip of the keys the spelling correction could not place: it
        says nothing about what the message is about, so it is left out of the count (a
        message of nothing else is all unknown). A real word the folder never uses
        ("onions", "bitcoin") is what marks a question the folder does not cover."""
        code = rules_language(language)
        tokenizer = self._tokenizers.get(code) or Tokenizer(code)
        known = self._known.get(code, set())
        words = tokenizer.words(_JOINED.sub(" ", text))
        pairs = [
            (w, s)
            for w, s in zip(words, tokenizer.stem(words), strict=True)
            if len(s) > 1 and not s.isdigit()
        ]
        if not pairs:
            return 0.0
        unknown = [w for w, s in pairs if s not in known]
        slips = sum(not _a_word(w, language) for w in unknown)
        if slips == len(pairs):
            return 1.0
        return (len(unknown) - slips) / (len(pairs) - slips)


def _a_word(word: str, language: str) -> bool:
    """Whether `word` is a word of `language` at all, however rare (wordfreq knows it)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, language) > 0


def known_words(knowledge: Knowledge, examples: Iterable[Example]) -> Vocabulary:
    """The folder's articles, the billing examples (not the not-billing ones, whose words are
    what the bot does not handle), the customers' products and the customers' names."""
    texts = [f"{p.title} {p.section} {p.text}" for p in knowledge.passages]
    texts += [e.text for e in examples if e.intent != NOT_BILLING]
    texts += [f"{customer.id} {customer.name}" for customer in knowledge.customers]
    # One query, not one per customer: a partner may have ten thousand.
    texts += [f"{product} {sku}" for product, sku in sorted(knowledge.invoices.products())]
    texts.append(knowledge.partner.name)
    return Vocabulary(texts)

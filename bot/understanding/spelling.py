"""Reading past misspellings and text-speak: "teh licnece fee" is read as "the licence fee"
before the bot embeds, classifies and searches it.

A word is corrected only towards the bot's own vocabulary (its articles', its billing
examples', its customers' and products' names), in the message's language, with symspellpy
(edit distance 1 for words of up to four letters, 2 for longer ones: the nearest word, then
the most frequent in the folder). A word is never touched when the bot knows it, when it is
an ordinary word of the language (a Zipf frequency of at least `COMMON` in wordfreq's lists,
the usual line between rare and common words: "onions" stays onions, and a question about
onions stays outside billing) or when it holds a digit or stands next to one (invoice
numbers, amounts, SKUs). Text-speak ("u", "pls", "xq") is not a misspelling but a habit:
a small table per language spells it out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

from bot.knowledge.folder import Knowledge
from bot.understanding.intents import NOT_BILLING, Example
from bot.understanding.slots import MONTH_WORDS

# Zipf 3: once per million words. Below it a word is rare enough to be a slip of the keys.
COMMON = 3.0
# Edits a word of this many letters may need to reach a known word: short words have many
# neighbours one edit away, so they get one.
_LONG_WORD = 5
# Letters only: a token with a digit, or glued to one ("0466", "A100", "NW-2026"), is a slot.
_WORD = re.compile(r"(?<![\w-])[^\W\d_]+(?:['’][^\W\d_]+)?(?![\w-]*\d)")
_TOKENS = re.compile(r"[^\W\d_]+")

# Habits of chat, spelt out; one table per language the bot serves.
SHORTHAND: Mapping[str, Mapping[str, str]] = {
    "en": {
        "u": "you",
        "ur": "your",
        "r": "are",
        "y": "why",
        "pls": "please",
        "plz": "please",
        "thx": "thanks",
        "ty": "thank you",
        "wen": "when",
        "wat": "what",
        "wut": "what",
        "whats": "what is",
        "wats": "what is",
        "teh": "the",
        "b4": "before",
        "bc": "because",
        "cuz": "because",
        "coz": "because",
        "w": "with",
        "abt": "about",
        "yr": "your",
        "im": "I am",
        "dont": "don't",
        "cant": "can't",
        "wont": "won't",
        "doesnt": "doesn't",
        "isnt": "isn't",
        "didnt": "didn't",
        "inv": "invoice",
        "pmt": "payment",
        "acct": "account",
        "amt": "amount",
        "msg": "message",
        "tmrw": "tomorrow",
        "2day": "today",
    },
    "es": {
        "q": "que",
        "k": "que",
        "ke": "que",
        "xq": "por qué",
        "pq": "por qué",
        "porq": "por qué",
        "porfa": "por favor",
        "xfa": "por favor",
        "tb": "también",
        "tmb": "también",
        "tmbn": "también",
        "dnd": "dónde",
        "cdo": "cuando",
        "pa": "para",
        "fact": "factura",
        "msj": "mensaje",
    },
}


class Speller:
    """Corrects the words of a message towards `vocabulary` (language -> word counts)."""

    def __init__(self, vocabulary: Mapping[str, Counter[str]]) -> None:
        from symspellpy import SymSpell

        self._known = {language: set(words) for language, words in vocabulary.items()}
        self._lookups = {}
        for language, words in vocabulary.items():
            lookup = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
            for word, count in words.items():
                if len(word) >= 2:
                    lookup.create_dictionary_entry(word, count)
            self._lookups[language] = lookup

    def knows(self, word: str, language: str) -> bool:
        return word.lower() in self._known.get(language, set())

    def correct(self, text: str, language: str) -> str:
        """`text` with its misspelt and shorthand words replaced; the rest as written."""
        if language not in self._lookups:
            return text
        return _WORD.sub(lambda match: self._word(match.group(0), language), text)

    def _word(self, word: str, language: str) -> str:
        lowered = word.lower()
        spelt = SHORTHAND.get(language, {}).get(lowered)
        if spelt is not None:
            return _same_case(spelt, word)
        if len(lowered) < 3 or lowered in self._known[language] or _common(lowered, language):
            return word
        from symspellpy import Verbosity

        distance = 1 if len(lowered) < _LONG_WORD else 2
        found = self._lookups[language].lookup(lowered, Verbosity.CLOSEST, distance)
        if not found:
            return word
        return _same_case(found[0].term, word)  # nearest, then most frequent in the folder


def _common(word: str, language: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, language) >= COMMON


def _same_case(new: str, old: str) -> str:
    if len(old) > 1 and old.isupper():
        return new.upper()
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def count_words(texts: Iterable[str]) -> Counter[str]:
    return Counter(token.lower() for text in texts for token in _TOKENS.findall(text))


def folder_speller(
    knowledge: Knowledge, examples_by_language: Mapping[str, Iterable[Example]]
) -> Speller:
    """Per language: the folder's articles in it and its billing examples (not the
    not-billing ones: their words are what the bot does not handle), plus, in every
    language, the customers' (and their contacts'), products' and partner's names."""
    names = [
        " ".join(
            (customer.id, customer.name, *customer.aliases, *(c.name for c in customer.contacts))
        )
        for customer in knowledge.customers
    ]
    names += [f"{product} {sku}" for product, sku in sorted(knowledge.invoices.products())]
    names.append(knowledge.partner.name)
    names += sorted(MONTH_WORDS)  # slots the bot reads, whether or not the folder names them
    vocabulary = {}
    for language, examples in examples_by_language.items():
        texts = [
            f"{p.title} {p.section} {p.text}" for p in knowledge.passages if p.language == language
        ]
        texts += [e.text for e in examples if e.intent != NOT_BILLING]
        vocabulary[language] = count_words([*texts, *names])
    return Speller(vocabulary)

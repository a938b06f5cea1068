"""Reading past misspellings and text-speak: "teh licnece fee" is read as "the licence fee"
before the bot embeds, classifies and searches it.

A word is corrected towards the bot's own vocabulary (its articles', its billing examples',
its customers' and products' names) and the ordinary words of the message's language
(wordfreq's, Zipf `COMMON` or more: "grandmothr" is a grandmother, whatever the folder
says), with symspellpy: edit distance 1 for words of up to four letters, 2 for longer ones;
the nearest word, the folder's first at the same distance, then the most frequent. Short
words have many neighbours by chance, so the words beside a slip choose too: within two
edits, a word the folder writes next to one of them ("how lnog", "pay by bnak transfer")
is the one meant; a rare pair of small letters ("hw much") is read that way only. Each side
of an apostrophe is a word ("invocie's", "d'ocotbre"). A word is never touched when the
bot knows it, when it is an ordinary word of the language (a Zipf frequency of at least
`COMMON`, the usual line between rare and common words: "onions" stays onions, and a
question about onions stays outside billing) or when it holds a digit or stands next to
one (invoice numbers, amounts, SKUs).
Text-speak ("u", "pls", "xq") is not a misspelling but a habit: a small table per
language spells it out. A language the bot reads but does not write is read with every
word the bot knows and its own ordinary words.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from bot.knowledge.folder import Knowledge
from bot.understanding.intents import NOT_BILLING, Example
from bot.understanding.language import KNOWN_LANGUAGES
from bot.understanding.slots import MONTH_WORDS

if TYPE_CHECKING:
    from symspellpy import SymSpell
    from symspellpy.suggest_item import SuggestItem

# Zipf 3: once per million words. Below it a word is rare enough to be a slip of the keys.
COMMON = 3.0
# Below Zipf RARE a word may also be read as a nearer ordinary word than any of the folder's:
# above it, a rare word of the language (a trade's term, a name) stays for the folder's words.
RARE = 2.0
# An ordinary word nearer than the folder's wins only when it is frequent (Zipf 4, once per
# 100,000 words): rarer ones are as often another slip's neighbour by chance ("lmao", "cnn").
FREQUENT = 4.0
_FREQUENT_COUNT = round(10**FREQUENT)  # counts are per billion words (Zipf is their log10)
# Edits a word of this many letters may need to reach a known word: short words have many
# neighbours one edit away, so they get one.
_LONG_WORD = 5
# Messages whose correction is kept (`Speller._recent`): enough for the turns in flight.
_RECENT = 256
# Letters only: a token with a digit, or glued to one ("0466", "A100", "NW-2026"), is a slot.
_WORD = re.compile(r"(?<![\w-])[^\W\d_]+(?:['’][^\W\d_]+)?(?![\w-]*\d)")
_TOKENS = re.compile(r"[^\W\d_]+")
_APOSTROPHE = re.compile(r"['’]")
# Words side by side: "won't" is one ("won" does not stand beside "when").
_NEIGHBOURS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

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
        "hrs": "hours",
        "mins": "minutes",
        "asap": "as soon as possible",
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
        "hrs": "horas",
    },
}


class Speller:
    """Corrects the words of a message towards `vocabulary` (language -> word counts) and
    the ordinary words of the language (wordfreq's, Zipf `COMMON` or more), reading each
    word beside its neighbours through `pairs` (language -> counts of the folder's pairs of
    neighbouring words). A language without a vocabulary is read with `elsewhere` (every
    word the bot knows in any language, names included) and its ordinary words."""

    def __init__(
        self,
        vocabulary: Mapping[str, Counter[str]],
        pairs: Mapping[str, Counter[tuple[str, str]]] | None = None,
        elsewhere: Counter[str] | None = None,
    ) -> None:
        self._vocabulary = dict(vocabulary)
        self._pairs = dict(pairs or {})
        self._elsewhere = elsewhere if elsewhere is not None else Counter()
        self._known: dict[str, set[str]] = {}
        self._lookups: dict[str, SymSpell] = {}
        self._lock = threading.Lock()
        # The last messages corrected: a turn reads its message more than once (the app
        # before cutting it into questions, `decide` on each), and correcting is the slow part.
        self._recent: dict[tuple[str, str, bool], str] = {}
        for language in vocabulary:
            self._folder(language)

    def knows(self, word: str, language: str) -> bool:
        return word.lower() in self._known.get(language, set())

    def load(self, languages: Iterable[str]) -> None:
        """Build the ordinary words' dictionaries of `languages` now (else on first use)."""
        for language in languages:
            _ordinary_words(language)

    def correct(self, text: str, language: str, *, ordinary: bool = True) -> str:
        """`text` with its misspelt and shorthand words replaced; the rest as written.
        Without `ordinary`, towards the folder's words only: what telling a slip of the keys
        from another language needs (with every word of English to reach, a Dutch sentence
        respelt word by word reads as English)."""
        if language not in self._vocabulary and (not ordinary or _ordinary_words(language) is None):
            return text
        key = (text, language, ordinary)
        corrected = self._recent.get(key)
        if corrected is None:
            self._folder(language)
            corrected = _WORD.sub(lambda match: self._in_place(match, language, ordinary), text)
            if len(self._recent) >= _RECENT:
                self._recent.clear()
            self._recent[key] = corrected
        return corrected

    def forget(self) -> None:
        """Drop the corrections kept (a benchmark's turns must each pay for theirs)."""
        self._recent.clear()

    def towards_folder(self, text: str, language: str) -> str:
        """`correct` without the ordinary words (the language detector's respelling)."""
        return self.correct(text, language, ordinary=False)

    def _folder(self, language: str) -> SymSpell:
        with self._lock:
            lookup = self._lookups.get(language)
            if lookup is None:
                words = self._vocabulary.get(language, self._elsewhere)
                self._known[language] = set(words)
                lookup = _dictionary(words.items(), prefix=7)
                self._lookups[language] = lookup
            return lookup

    def _in_place(self, match: re.Match[str], language: str, ordinary: bool) -> str:
        """The word of `match`, read beside the words either side of it."""
        text = match.string
        before = _NEIGHBOURS.findall(text, 0, match.start())
        after = _NEIGHBOURS.search(text, match.end())
        neighbours = (
            before[-1].lower() if before else "",
            after.group(0).lower() if after else "",
        )
        return self._word(match.group(0), language, neighbours, ordinary)

    def _word(self, word: str, language: str, neighbours: tuple[str, str], ordinary: bool) -> str:
        lowered = word.lower()
        spelt = SHORTHAND.get(language, {}).get(lowered)
        if spelt is not None:
            return _same_case(spelt, word)
        if lowered in self._known[language]:
            return word
        if len(lowered) == 2 and word.islower() and _zipf(lowered, language) < FREQUENT:
            # Two letters: a word of the language or a slip ("hw", "yu"). Only the words
            # either side tell, so a rare pair is read only as a word the folder writes
            # beside them ("hw much" is how much).
            return self._nearest(lowered, language, neighbours, ordinary, beside_only=True) or word
        if len(lowered) < 3 or _common(lowered, language):
            return word
        apostrophe = _APOSTROPHE.search(word)
        if apostrophe:  # "invocie's", "d'ocotbre": each side on its own ("s" and "d" stay)
            at = apostrophe.start()
            head = self._word(word[:at], language, (neighbours[0], ""), ordinary)
            tail = self._word(word[at + 1 :], language, ("", neighbours[1]), ordinary)
            return head + word[at] + tail
        found = self._nearest(lowered, language, neighbours, ordinary)
        return word if found is None else _same_case(found, word)

    def _nearest(
        self,
        word: str,
        language: str,
        neighbours: tuple[str, str],
        ordinary: bool,
        *,
        beside_only: bool = False,
    ) -> str | None:
        """The word `word` stands for. Among the words within two edits of a word of up to
        four letters (among the nearest of a longer one), one the folder writes beside one
        of its neighbours ("how lnog", "by bsnk transfer") wins: the nearest, then the one
        written most often beside them. Without one: the nearest within one edit for a
        word of up to four letters, two for a longer one, the folder's first, an ordinary
        word only when nearer and frequent (Zipf `FREQUENT`); and no ordinary word for one
        the language has at Zipf `RARE` or more ("phishing" is not "fishing")."""
        from symspellpy import Verbosity

        ours = self._lookups[language].lookup(word, Verbosity.ALL, 2)
        general = _ordinary_words(language) if ordinary else None
        theirs: list[SuggestItem] = []
        if general is not None and _zipf(word, language) < RARE:
            theirs = general.lookup(word, Verbosity.ALL, 2)
        pairs = self._pairs.get(language, Counter())
        left, right = neighbours
        # Each word within reach: its distance, how often the folder writes it beside this
        # word's neighbours (negated: most first).
        beside = [
            (s.distance, -(pairs[left, s.term] + pairs[s.term, right]), str(s.term))
            for s in [*ours, *theirs]
            if len(s.term) >= 3  # words of two letters stand beside nearly any word
        ]
        reach = 1 if len(word) < _LONG_WORD else 2
        # A short word has many neighbours within two edits, a longer one few: its nearest
        # stand, the neighbours only choosing among them.
        nearest = min((distance for distance, _, _ in beside), default=0)
        supported = [
            (distance, support, term)
            for distance, support, term in beside
            if support < 0 and (reach == 1 or distance == nearest)
        ]
        if supported:  # the nearest, then the one most often beside the neighbours
            return min(supported)[2]
        if beside_only:
            return None
        folder = [s for s in ours if s.distance <= reach]  # nearest, then most frequent
        frequent = [s for s in theirs if s.distance <= reach and s.count >= _FREQUENT_COUNT]
        if frequent and (not folder or frequent[0].distance < folder[0].distance):
            return str(frequent[0].term)
        return str(folder[0].term) if folder else None


def _dictionary(words: Iterable[tuple[str, int]], prefix: int) -> SymSpell:
    from symspellpy import SymSpell

    lookup = SymSpell(max_dictionary_edit_distance=2, prefix_length=prefix)
    for word, count in words:
        if len(word) >= 2:
            lookup.create_dictionary_entry(word, count)
    return lookup


@functools.cache
def _ordinary_words(language: str) -> SymSpell | None:
    """The language's ordinary words with their frequencies (per billion words), built once
    per process on first use; None for a language the bot does not read or wordfreq has no
    list of."""
    from wordfreq import available_languages, get_frequency_dict

    if language not in KNOWN_LANGUAGES or language not in available_languages():
        return None  # the languages the bot reads, all written in words apart
    least = 10 ** (COMMON - 9)  # Zipf is log10 of the frequency per billion words
    words = (
        (word, round(frequency * 1e9))
        for word, frequency in get_frequency_dict(language).items()
        if frequency >= least and len(word) >= 3 and word.isalpha()
    )
    # A shorter prefix: half the build time (~30,000 words in 0.4 s), lookups still under
    # a millisecond.
    return _dictionary(words, prefix=5)


def _common(word: str, language: str) -> bool:
    return _zipf(word, language) >= COMMON


def _zipf(word: str, language: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, language))


def _same_case(new: str, old: str) -> str:
    if len(old) > 1 and old.isupper():
        return new.upper()
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def count_words(texts: Iterable[str]) -> Counter[str]:
    return Counter(token.lower() for text in texts for token in _TOKENS.findall(text))


def count_pairs(texts: Iterable[str]) -> Counter[tuple[str, str]]:
    """How often each two words stand side by side in `texts`."""
    pairs: Counter[tuple[str, str]] = Counter()
    for text in texts:
        tokens = [token.lower() for token in _NEIGHBOURS.findall(text)]
        pairs.update(itertools.pairwise(tokens))
    return pairs


def folder_speller(
    knowledge: Knowledge, examples_by_language: Mapping[str, Iterable[Example]]
) -> Speller:
    """Per language: the folder's articles in it and its billing examples (not the
    not-billing ones: their words are what the bot does not handle), their pairs of
    neighbouring words, plus, in every language, the customers' (and their contacts'),
    products' and partner's names. A language the bot does not write is read with every
    word it knows."""
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
    pairs = {}
    for language, examples in examples_by_language.items():
        texts = [
            f"{p.title} {p.section} {p.text}" for p in knowledge.passages if p.language == language
        ]
        texts += [e.text for e in examples if e.intent != NOT_BILLING]
        vocabulary[language] = count_words([*texts, *names])
        pairs[language] = count_pairs(texts)
    elsewhere = sum(vocabulary.values(), count_words(names))
    return Speller(vocabulary, pairs, elsewhere)

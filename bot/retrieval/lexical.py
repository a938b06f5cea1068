"""BM25 over stemmed words (bm25s + PyStemmer), each text stemmed by the rules of its language.

English and Spanish have their own rules; a text in any other language is read with the
English ones. A query in another language than English is stemmed both ways, so a Spanish
question still matches the English product names and loanwords of English articles.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_SPANISH

ENGLISH = "en"
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_ANY_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")  # letters of any script, accents kept
STOPWORDS = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "did",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "should",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        # Contractions and chat words: carried by no article, they would count as the rarest
        # words of a question ("whats your refund policy") and sink every article's coverage.
        "what's",
        "whats",
        "where's",
        "how's",
        "who's",
        "it's",
        "that's",
        "thats",
        "there's",
        "i'm",
        "im",
        "i'd",
        "i've",
        "we're",
        "we've",
        "we'd",
        "you're",
        "ur",
        "u",
        "pls",
        "plz",
        "hi",
        "hey",
        "ok",
        "okay",
        "guys",
        # In a folder of policies, "policy" names no topic ("your refund policy").
        "policy",
        "policies",
    )
)
# British spellings and the trade's synonyms, read as the words the articles use.
_SAME_WORD = {
    "licence": "license",
    "licences": "licenses",
    "licenced": "licensed",
    "seat": "license",
    "seats": "licenses",
}


def _without_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


_SPANISH_QUESTION_WORDS = frozenset(
    (
        "cómo",
        "cuál",
        "cuáles",
        "cuándo",
        "cuánto",
        "cuánta",
        "cuántos",
        "cuántas",
        "dónde",
        "quién",
        "favor",
        "hola",
        "puedo",
        "puede",
        "pueden",
        "podemos",
        "podéis",
        "podría",
        "quiero",
        "queremos",
        "gracias",
        "política",  # in a folder of policies, "política" names no topic
        "políticas",
    )
)
# Customers often type Spanish without accents: "cuanto", "como", "cual" are stop words too.
SPANISH_STOPWORDS = frozenset(
    _without_accents(w)
    for w in (
        *STOPWORDS_SPANISH,
        *_SPANISH_QUESTION_WORDS,
    )
)


@dataclass(frozen=True, slots=True)
class _Rules:
    stemmer: str  # a PyStemmer (Snowball) algorithm
    word: re.Pattern[str]
    stopwords: frozenset[str]
    fold_accents: bool  # compare words to the stop list without accents


_RULES = {
    ENGLISH: _Rules("english", _WORD, STOPWORDS, fold_accents=False),
    "es": _Rules("spanish", _ANY_WORD, SPANISH_STOPWORDS, fold_accents=True),
}


def rules_language(language: str | None) -> str:
    """The language whose rules read `language` ("es-ES" -> "es"; unknown -> English)."""
    code = (language or ENGLISH).lower().split("-")[0]
    return code if code in _RULES else ENGLISH


class Tokenizer:
    """Lower-cased words, stop words out, Snowball-stemmed, by one language's rules
    (English by default). Safe to share between threads: a PyStemmer `Stemmer` is not, so
    each thread gets its own."""

    def __init__(self, language: str = ENGLISH) -> None:
        self.language = rules_language(language)
        self._rules = _RULES[self.language]
        self._local = threading.local()

    def words(self, text: str) -> list[str]:
        """The text's words that are not stop words, unstemmed (English: British spellings
        and synonyms as the articles' words)."""
        rules = self._rules
        found = rules.word.findall(text.lower())
        if rules.fold_accents:
            return [w for w in found if _without_accents(w) not in rules.stopwords]
        return [_SAME_WORD.get(w, w) for w in found if w not in rules.stopwords]

    def stem(self, words: list[str]) -> list[str]:
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = self._local.stemmer = Stemmer.Stemmer(self._rules.stemmer)
        return list(stemmer.stemWords(words))

    def __call__(self, text: str) -> list[str]:
        return self.stem(self.words(text))


class LexicalIndex:
    """`languages[i]` is the language of `texts[i]` (all English when not given)."""

    def __init__(
        self,
        texts: Sequence[str],
        tokenizer: Tokenizer | None = None,
        languages: Sequence[str] | None = None,
    ) -> None:
        self.tokenize = tokenizer or Tokenizer()  # English: the rules of a query in no language
        self._tokenizers = {self.tokenize.language: self.tokenize}
        self.size = len(texts)
        self._bm25 = bm25s.BM25()
        languages = languages or [ENGLISH] * len(texts)
        corpus = [
            self.tokenizer(language)(t) or ["__empty__"]
            for t, language in zip(texts, languages, strict=True)
        ]
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self.words = [frozenset(doc) for doc in corpus]  # each passage's distinct words
        self._document_frequency = Counter(w for doc in self.words for w in doc)

    def idf(self, word: str) -> float:
        """Rarity of a word in the corpus; unseen words are the rarest."""
        return math.log(1 + self.size / (1 + self._document_frequency.get(word, 0)))

    def tokenizer(self, language: str | None) -> Tokenizer:
        code = rules_language(language)
        if code not in self._tokenizers:
            self._tokenizers[code] = Tokenizer(code)
        return self._tokenizers[code]

    def query_tokens(self, query: str, language: str | None = None) -> list[str]:
        """A query's words stemmed by its language's rules; a non-English query's words are
        stemmed by the English rules too (stems already found are not repeated)."""
        own = self.tokenizer(language)
        if own.language == ENGLISH:
            return own(query)
        words = [w for w in own.words(query) if w not in STOPWORDS]
        tokens = own.stem(words)
        seen = set(tokens)
        for stem in self.tokenize.stem(words):
            if stem not in seen:
                tokens.append(stem)
                seen.add(stem)
        return tokens

    def scores(self, query: str, language: str | None = None) -> np.ndarray:
        """BM25 score of every passage (0 where no query word occurs)."""
        tokens = [t for t in self.query_tokens(query, language) if t in self._bm25.vocab_dict]
        if not tokens or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

"""BM25 over stemmed words (bm25s + PyStemmer)."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer

_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
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
    )
)


class Tokenizer:
    """Lower-cased words, stop words out, Snowball-stemmed. Safe to share between threads:
    a PyStemmer `Stemmer` is not, so each thread gets its own."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self, text: str) -> list[str]:
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = self._local.stemmer = Stemmer.Stemmer("english")
        words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
        return stemmer.stemWords(words)


class LexicalIndex:
    def __init__(self, texts: Sequence[str], tokenizer: Tokenizer | None = None) -> None:
        self.tokenize = tokenizer or Tokenizer()
        self.size = len(texts)
        self._bm25 = bm25s.BM25()
        corpus = [self.tokenize(t) or ["__empty__"] for t in texts]
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self.words = [frozenset(doc) for doc in corpus]  # each passage's distinct words
        self._document_frequency = Counter(w for doc in self.words for w in doc)

    def idf(self, word: str) -> float:
        """Rarity of a word in the corpus; unseen words are the rarest."""
        return math.log(1 + self.size / (1 + self._document_frequency.get(word, 0)))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (0 where no query word occurs)."""
        tokens = [t for t in self.tokenize(query) if t in self._bm25.vocab_dict]
        if not tokens or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

"""The search index over a knowledge folder's passages: dense, lexical, and their fusion."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from bot.retrieval.cache import EmbeddingCache, embed_cached
from bot.retrieval.embedder import Embedder, embed_queries
from bot.retrieval.lexical import LexicalIndex
from bot.retrieval.ranking import fused_top, top_k
from bot.types import Audience, Passage


class Mode(StrEnum):
    LEXICAL = "lexical"
    DENSE = "dense"
    HYBRID = "hybrid"


class Hit(NamedTuple):
    passage: Passage
    score: float  # the ranking score of the mode searched
    similarity: float  # cosine similarity to the passage or its heading, whichever is closer
    lexical: float  # BM25 score
    coverage: float  # share of the question's words (idf-weighted) found in the passage


@dataclass(frozen=True)
class IndexStats:
    passages: int
    embedded: int  # passages whose vectors were computed (not found in the cache)


def passage_text(passage: Passage) -> str:
    """What gets embedded: the heading path gives a short section its context."""
    return f"{passage.title}. {passage.section}.\n{passage.text}"


def heading_text(passage: Passage) -> str:
    """Embedded too: a short question is closest to a heading phrased like it."""
    return f"{passage.title}: {passage.section}"


class SearchIndex:
    def __init__(
        self,
        passages: Sequence[Passage],
        embedder: Embedder,
        cache: EmbeddingCache | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.passages = tuple(passages)
        self.embedder = embedder
        texts = [passage_text(p) for p in self.passages]
        headings = [heading_text(p) for p in self.passages]
        vectors, embedded = embed_cached(embedder, texts + headings, cache, progress)
        self.vectors, self.heading_vectors = vectors[: len(texts)], vectors[len(texts) :]
        self.lexical = LexicalIndex(texts, languages=[p.language for p in self.passages])
        self.stats = IndexStats(len(texts), embedded)
        self._customer_facing = np.array(
            [p.audience is not Audience.AGENT for p in self.passages], bool
        )
        self._languages = np.array([p.language for p in self.passages], dtype=object)

    def coverage(
        self, question: str, indexes: Sequence[int], language: str | None = None
    ) -> list[float]:
        """For each passage, the share of the question's words (weighted by rarity) that it
        contains, with its title and heading."""
        tokens = self.lexical.query_tokens(question, language)
        weights = {w: self.lexical.idf(w) for w in tokens}
        total = sum(weights.values())
        if not total:
            return [0.0] * len(indexes)
        return [
            sum(weight for w, weight in weights.items() if w in self.lexical.words[i]) / total
            for i in indexes
        ]

    def embed_query(self, question: str) -> np.ndarray:
        return np.asarray(embed_queries(self.embedder, [question])[0])

    def search(
        self,
        question: str,
        *,
        k: int = 5,
        mode: Mode = Mode.HYBRID,
        include_agent: bool = False,
        query_vector: np.ndarray | None = None,
        language: str | None = None,
        paths: Collection[str] | None = None,
    ) -> list[Hit]:
        """The best `k` passages for `question`. With `language` (the question's, e.g. "es"),
        the question is stemmed by that language's rules and only passages in it are ranked,
        unless the folder has none the asker may see: then every language is. Whether a
        passage in the language answers well enough is the caller's call (search again
        without `language` to fall back to the others). `paths`: only these files' passages
        (one article, for a follow-up question about it)."""
        if not self.passages:
            return []
        qvec = self.embed_query(question) if query_vector is None else query_vector
        dense = np.maximum(self.vectors @ qvec, self.heading_vectors @ qvec)
        lexical = self.lexical.scores(question, language)
        outside = self._outside_language(language, include_agent)
        eligible = None if include_agent else self._customer_facing
        if paths is not None:
            inside = np.array([p.path in paths for p in self.passages], bool)
            eligible = inside if eligible is None else eligible & inside
            dense = np.where(inside, dense, -np.inf)
            lexical = np.where(inside, lexical, 0.0)
        if outside is not None:  # before fusion: ranks count only the passages searched
            dense = np.where(outside, -np.inf, dense)
            lexical = np.where(outside, 0.0, lexical)
            eligible = ~outside if eligible is None else eligible & ~outside
        if mode is Mode.HYBRID:
            order, score = fused_top((dense, lexical), k, eligible)
        else:
            score = (dense if mode is Mode.DENSE else lexical).copy()
            if eligible is not None:
                score[~eligible] = -np.inf  # agent-only articles never reach customers
            order = top_k(score, k)
            order = order[np.isfinite(score[order])]
            score = score[order]
        indexes = [int(i) for i in order]
        coverage = self.coverage(question, indexes, language)
        return [
            Hit(self.passages[i], float(s), float(dense[i]), float(lexical[i]), covered)
            for i, s, covered in zip(indexes, score, coverage, strict=True)
        ]

    def _outside_language(self, language: str | None, include_agent: bool) -> np.ndarray | None:
        """Passages not in `language`, or None when no passage the asker may see is in it."""
        if language is None:
            return None
        outside = self._languages != language.lower().split("-")[0]
        visible = np.ones(len(self.passages), bool) if include_agent else self._customer_facing
        return outside if (visible & ~outside).any() else None

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
    """Search cost per question: one matrix-vector product over the passages and their
    distinct headings (memory-bound: the matrix is read once), BM25 over the passages that
    contain a query word, and work on a few hundred candidates; masks per language and
    audience are built once."""

    def __init__(
        self,
        passages: Sequence[Passage],
        embedder: Embedder,
        cache: EmbeddingCache | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        _one_blas_thread()
        self.passages = tuple(passages)
        self.embedder = embedder
        texts = [passage_text(p) for p in self.passages]
        # A section cut into several passages shares one heading: embedded and scored once.
        headings = [heading_text(p) for p in self.passages]
        distinct = list(dict.fromkeys(headings))
        slot = {heading: n for n, heading in enumerate(distinct)}
        self._heading_of = np.array([slot[h] for h in headings], dtype=np.intp)
        vectors, embedded = embed_cached(embedder, texts + distinct, cache, progress)
        self._matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        self.lexical = LexicalIndex(texts, languages=[p.language for p in self.passages])
        self.stats = IndexStats(len(texts), embedded)
        self._customer_facing = np.array(
            [p.audience is not Audience.AGENT for p in self.passages], bool
        )
        self._languages = np.array([p.language for p in self.passages], dtype=object)
        self._masks: dict[tuple[str | None, bool], tuple[np.ndarray | None, np.ndarray | None]]
        self._masks = {}

    @property
    def matrix_bytes(self) -> int:
        """What one question's product reads."""
        return int(self._matrix.nbytes)

    @property
    def distinct_headings(self) -> int:
        return len(self._matrix) - len(self.passages)

    @property
    def vectors(self) -> np.ndarray:
        """One row per passage."""
        return self._matrix[: len(self.passages)]

    @property
    def heading_vectors(self) -> np.ndarray:
        """One row per passage: its heading's vector (a copy; search never builds it)."""
        return self._matrix[len(self.passages) :][self._heading_of]

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Per passage, the cosine similarity of the question to it or its heading, whichever
        is closer (vectors are normalised)."""
        both = self._matrix @ np.asarray(query, dtype=np.float32)
        count = len(self.passages)
        return np.maximum(both[:count], both[count:][self._heading_of])

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
        dense = self.similarities(qvec)
        lexical = self.lexical.scores(question, language)
        outside, eligible = self._masks_for(language, include_agent)
        if paths is not None:
            inside = np.array([p.path in paths for p in self.passages], bool)
            eligible = inside if eligible is None else eligible & inside
            dense = np.where(inside, dense, -np.inf)
            lexical = np.where(inside, lexical, 0.0)
        if outside is not None:  # before fusion: ranks count only the passages searched
            dense[outside] = -np.inf
            lexical[outside] = 0.0
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

    def _masks_for(
        self, language: str | None, include_agent: bool
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(passages outside `language`, passages the asker may be shown), each None when it
        is every passage or none; built once per language and audience."""
        key = (language.lower().split("-")[0] if language else None, include_agent)
        if key not in self._masks:
            self._masks[key] = self._build_masks(*key)
        return self._masks[key]

    def _build_masks(
        self, language: str | None, include_agent: bool
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        visible = np.ones(len(self.passages), bool) if include_agent else self._customer_facing
        outside = None
        if language is not None:
            outside = self._languages != language
            # None when no passage the asker may see is in it (then every language is
            # searched), or when every passage is in it.
            if not (visible & ~outside).any() or not outside.any():
                outside = None
        eligible = visible if outside is None else visible & ~outside
        return outside, None if eligible.all() else eligible


def _one_blas_thread() -> None:
    """Keep numpy's BLAS on the calling thread. A search's product reads the matrix once
    (memory-bound); OpenBLAS's own threads only wait for cores the server's turns are using
    (measured at 20,000 passages on 2 busy cores: 11.7 ms threaded, 1.8 ms on one thread).
    Torch (the encoder) has its own threads and is not affected."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")

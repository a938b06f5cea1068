"""A search index per embedding model, so that each language's questions are embedded by the
model chosen for that language (`EMBEDDING_MODEL`, `EMBEDDING_MODEL_ES`).

Every index holds every passage: a Spanish question searches the Spanish articles first and
falls back to the English ones (`SearchIndex.search(language=...)`), which needs the English
passages' vectors in the Spanish question's model too. Languages that share a model share
one index.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.retrieval.cache import EmbeddingCache
from bot.retrieval.embedder import Embedder
from bot.retrieval.index import SearchIndex
from bot.types import Passage

DEFAULT_LANGUAGE = "en"


class IndexesByLanguage:
    def __init__(
        self,
        passages: Sequence[Passage],
        embedders: Mapping[str, Embedder],
        cache: EmbeddingCache | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """`embedders` maps a language ("en", "es") to its model; English is required."""
        if DEFAULT_LANGUAGE not in embedders:
            raise ValueError("an embedder for English is required")
        by_model: dict[str, SearchIndex] = {}
        self._by_language: dict[str, SearchIndex] = {}
        for language, embedder in embedders.items():
            if embedder.name not in by_model:
                by_model[embedder.name] = SearchIndex(passages, embedder, cache, progress)
            self._by_language[language] = by_model[embedder.name]
        self.indexes = tuple(by_model.values())

    def for_language(self, language: str | None) -> SearchIndex:
        """The index to search a question in `language` with (English's for any other)."""
        return (
            self._by_language.get(language or DEFAULT_LANGUAGE)
            or self._by_language[DEFAULT_LANGUAGE]
        )

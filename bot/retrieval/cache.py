"""Embeddings cached by content hash in a SQLite file: re-indexing re-embeds only what changed."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.retrieval.embedder import Embedder


def content_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )

    def close(self) -> None:
        self._db.close()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):  # SQLite's bound-parameter limit
            batch = keys[start : start + 500]
            marks = ",".join("?" * len(batch))
            for key, blob in self._db.execute(
                f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", batch
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings (key, vector) VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )


def embed_cached(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 256,  # large batches let the model sort by length: less padding
) -> tuple[np.ndarray, int]:
    """Vectors for `texts`, computing only the ones the cache lacks. Returns (vectors, misses)."""
    keys = [content_key(embedder.name, t) for t in texts]
    known = cache.get_many(keys) if cache else {}
    missing = [i for i, k in enumerate(keys) if k not in known]
    if progress:
        progress(len(texts) - len(missing))
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        vectors = embedder.embed([texts[i] for i in batch])
        fresh = {keys[i]: v for i, v in zip(batch, vectors, strict=True)}
        known.update(fresh)
        if cache:
            cache.put_many(fresh)
        if progress:
            progress(len(batch))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.vstack([known[k] for k in keys]), len(missing)

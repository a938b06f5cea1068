"""Top-k and fusion over the leaders give exactly what sorting every passage gives."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.retrieval.ranking import RRF_K, fused_top, top_k


def full_sort_top(scores: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-scores, kind="stable")[:k]


def full_fusion(lists: tuple[np.ndarray, ...]) -> np.ndarray:
    """Reciprocal-rank fusion over the whole ranking of every list (what search did before)."""
    fused = np.zeros(len(lists[0]))
    for scores in lists:
        ranks = np.empty(len(scores))
        ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
        part = 1.0 / (RRF_K + ranks)
        part[scores <= 0] = 0.0
        fused += part
    return fused


# Few distinct values make ties common: ties are where a partial sort can go wrong.
scores_lists = st.integers(1, 250).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(-3, 12), min_size=n, max_size=n),
        st.lists(st.integers(-2, 30), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(scores_lists, st.integers(1, 60))
def test_top_k_is_the_stable_full_sort_prefix(data, k):
    scores = np.array(data[0], dtype=np.float32) / 4
    assert top_k(scores, k).tolist() == full_sort_top(scores, k).tolist()


@settings(max_examples=60, deadline=None)
@given(scores_lists, st.integers(1, 60))
def test_fusion_over_the_leaders_equals_fusion_over_everything(data, k):
    dense = np.array(data[0], dtype=np.float32) / 10
    lexical = np.array(data[1], dtype=np.float32)
    eligible = np.array(data[2], dtype=bool)
    for allowed in (None, eligible):
        expected = full_fusion((dense, lexical))
        if allowed is not None:
            expected[~allowed] = -np.inf
        order = [int(i) for i in full_sort_top(expected, k) if np.isfinite(expected[i])]

        found, fused = fused_top((dense, lexical), k, allowed)

        assert found.tolist() == order
        assert fused.tolist() == expected[order].tolist()


def test_hybrid_search_over_the_real_corpus_ranks_as_fusing_every_passage_would():
    import json

    from bot.knowledge.folder import load_knowledge
    from bot.retrieval.embedder import HashingEmbedder
    from bot.retrieval.index import SearchIndex
    from tests.conftest import CORPUS, SHARED_DATA

    index = SearchIndex(load_knowledge(CORPUS).passages, HashingEmbedder())
    questions = [
        json.loads(line)["question"]
        for line in (SHARED_DATA / "questions-dev.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    position = {p.id: n for n, p in enumerate(index.passages)}
    for question in questions:
        query = index.embed_query(question)
        dense = np.maximum(index.vectors @ query, index.heading_vectors @ query)
        expected = full_fusion((dense, index.lexical.scores(question)))

        hits = index.search(question, k=5, query_vector=query, include_agent=True)

        assert [position[h.passage.id] for h in hits] == full_sort_top(expected, 5).tolist()
        assert [h.score for h in hits] == expected[full_sort_top(expected, 5)].tolist()

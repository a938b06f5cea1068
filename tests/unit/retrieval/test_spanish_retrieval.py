from bot.knowledge.folder import load_knowledge
from bot.retrieval.embedder import HashingEmbedder
from bot.retrieval.index import Mode, SearchIndex
from bot.retrieval.lexical import LexicalIndex, Tokenizer
from bot.types import Audience, Passage
from tests.conftest import SAMPLE_KNOWLEDGE


def test_spanish_words_are_stemmed_and_stop_words_dropped_with_or_without_accents():
    tokenize = Tokenizer("es")
    assert tokenize("¿Cuándo vence mi factura?") == ["venc", "factur"]
    assert tokenize("cuando vencen las facturas") == ["venc", "factur"]
    assert tokenize("cancelación") == tokenize("cancelacion") == ["cancel"]


def test_english_rules_read_languages_without_their_own():
    assert Tokenizer("nl").language == Tokenizer("en-GB").language == "en"
    assert Tokenizer("es-ES").language == "es"


def test_each_text_is_stemmed_by_its_own_language():
    index = LexicalIndex(
        ["Las facturas vencen a los 30 días", "Invoices are due in 30 days"],
        languages=["es", "en"],
    )
    assert index.scores("¿cuándo vence la factura?", "es")[0] > 0
    assert index.scores("when are invoices due", "en")[1] > 0
    assert not index.scores("when are invoices due", "en")[0]


def test_a_spanish_query_also_matches_english_words_in_english_texts():
    index = LexicalIndex(["Azure reservations can be exchanged", "Card payments"])
    assert index.scores("¿Se pueden cambiar las reservations de Azure?", "es")[0] > 0


def test_english_queries_are_tokenized_as_before():
    index = LexicalIndex(["the invoice is due in 30 days"])
    question = "When is my invoice due, please?"
    assert (
        index.query_tokens(question) == index.query_tokens(question, "en") == Tokenizer()(question)
    )


def _passage(i: int, text: str, language: str) -> Passage:
    return Passage(f"a.md#{i}", "a.md", "Billing", f"Section {i}", text, language=language)


def test_search_in_a_language_ranks_only_its_passages():
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    index = SearchIndex(knowledge.passages, HashingEmbedder())
    for mode in Mode:
        hits = index.search("¿Cuál es vuestra política de cancelación?", mode=mode, language="es")
        assert hits and all(h.passage.language == "es" for h in hits)
    top = index.search("¿Cuál es vuestra política de cancelación?", k=1, language="es")[0]
    assert top.passage.path == "articles/cancellation-window.es.md"
    english = index.search("What is your cancellation policy?", k=5)
    assert english[0].passage.path == "articles/cancellation-window.md"


def test_search_falls_back_to_every_language_when_none_is_in_the_asked_one():
    passages = [_passage(0, "invoices are due in 30 days", "en"), _passage(1, "card", "en")]
    index = SearchIndex(passages, HashingEmbedder())
    hits = index.search("¿Cuándo vencen las invoices?", language="es")
    assert hits[0].passage.id == "a.md#0"


def test_agent_only_passages_in_a_language_do_not_count_for_customers():
    passages = [
        Passage("a.md#0", "a.md", "T", "S", "límites de aprobación", Audience.AGENT, language="es"),
        Passage("b.md#0", "b.md", "T", "S", "approval limits for credits", language="en"),
    ]
    index = SearchIndex(passages, HashingEmbedder())
    assert [h.passage.id for h in index.search("límites de aprobación", language="es")] == [
        "b.md#0"
    ]

"""/metrics counts what the server's shared encoder did: calls, questions and CPU."""

from adapters.server import _encoder_metrics
from bot.app import build_assistant
from bot.retrieval.embedder import HashingEmbedder


def counters(text: str) -> dict[str, float]:
    return {
        name: float(value)
        for name, _, value in (line.partition(" ") for line in text.splitlines())
        if not name.startswith("#")
    }


def test_the_shared_encoders_calls_questions_and_cpu_are_counted(settings):
    assistant = build_assistant(settings, embedder=HashingEmbedder(), batch_queries=True)
    before = counters(_encoder_metrics(assistant))  # the index's passages went through it
    for question in ("when is my invoice due", "do you charge vat", "hola"):
        assistant.answerer.index.embed_query(question)

    after = counters(_encoder_metrics(assistant))

    assert after["encoder_texts_total"] - before["encoder_texts_total"] == 3
    assert after["encoder_batches_total"] - before["encoder_batches_total"] == 3  # one by one
    assert after["encoder_cpu_seconds_total"] > before["encoder_cpu_seconds_total"]


def test_without_a_shared_encoder_there_is_nothing_to_count(settings):
    assistant = build_assistant(settings, embedder=HashingEmbedder())
    assert _encoder_metrics(assistant) == ""

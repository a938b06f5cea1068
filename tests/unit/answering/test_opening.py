"""A question that names only an article's subject is answered from the article's opening
(its text before the first `##`), in either language; a question about one of its sections
is not."""

from datetime import date

import pytest

from bot.app import build_assistant
from bot.config import load_settings
from bot.retrieval.embedder import HashingEmbedder
from bot.types import ReplyKind
from tests.conftest import SAMPLE_KNOWLEDGE

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    settings = load_settings(
        knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path_factory.mktemp("state")
    )
    return build_assistant(settings, embedder=HashingEmbedder())


@pytest.mark.parametrize(
    ("customer", "text", "language"),
    [
        ("tailspin", "What is your cancellation policy?", "en"),
        ("tailspin", "Can we cancel?", "en"),
        ("coho", "¿Cuál es vuestra política de cancelación?", "es"),
        ("coho", "¿Política de cancelación?", "es"),
    ],
)
def test_a_question_about_the_subject_gets_the_opening(built, customer, text, language):
    reply = built.answerer.decide(
        text, built.knowledge.customer(customer), today=TODAY, language=language
    ).reply
    assert reply.kind is ReplyKind.ANSWER
    (citation,) = reply.citations
    assert citation.path.startswith("articles/cancellation-window")
    assert citation.section == citation.title  # the opening is cited under the title
    assert "7" in reply.text


@pytest.mark.parametrize(
    ("text", "language", "section"),
    [
        ("Can I cancel after the 7-day window?", "en", "Can I cancel after the 7-day window?"),
        ("¿Puedo cancelar pasado el plazo de 7 días?", "es", "¿Puedo cancelar pasado el plazo"),
    ],
)
def test_a_question_about_one_section_gets_that_section(built, text, language, section):
    reply = built.answerer.decide(
        text, built.knowledge.customer("coho"), today=TODAY, language=language
    ).reply
    assert reply.citations[0].section.startswith(section)


def test_an_article_without_an_opening_keeps_its_sections(built):
    # Its title names three subjects; no section stands for all of them.
    assert not any(p.opening for p in built.knowledge.passages if "late-payments" in p.path)
    reply = built.answerer.decide(
        "Reminders?", built.knowledge.customer("tailspin"), today=TODAY
    ).reply
    assert all(c.section != c.title for c in reply.citations)

"""Answers and evaluation with the real all-MiniLM-L6-v2 model (marker `model`)."""

import json
from dataclasses import replace

import pytest

from bot.app import build_assistant
from bot.config import load_settings
from bot.evaluation.questions import evaluate, load_questions
from bot.types import Message, ReplyKind, Role
from tests.conftest import CORPUS, NOW, SHARED_DATA

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def assistant(real_embedder, tmp_path_factory):
    from tests.conftest import SAMPLE_KNOWLEDGE

    settings = load_settings(
        knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path_factory.mktemp("state")
    )
    return build_assistant(settings, embedder=real_embedder, clock=lambda: NOW)


def ask(assistant, text: str, customer: str = "contoso"):
    return assistant.handle(Message(text, conversation=f"cli-{text}", customer_id=customer))


@pytest.mark.parametrize(
    "question",
    ["any news?", "what's going on with my request?", "¿cómo va lo mío?", "¿alguna novedad?"],
)
def test_how_the_ticket_goes_is_told_from_the_tickets(assistant, question):
    conversation = f"status-{question}"
    opened = assistant.handle(
        Message("I want to talk to a person", conversation=conversation, customer_id="wingtip")
    )
    assert opened.kind is ReplyKind.ESCALATE, opened
    asked = Message(question, conversation=conversation, customer_id="wingtip")
    status = assistant.handle(asked)
    assert status.kind is ReplyKind.TICKET_STATUS and opened.ticket.number in status.text
    with assistant.tickets.database.write() as session:
        assistant.tickets.claim_in(session, opened.ticket.number, "ana")
    claimed = assistant.handle(replace(asked, event_id=f"{conversation}-2"))  # a person owns it
    assert claimed.kind is ReplyKind.TICKET_STATUS and claimed.ticket.status == "claimed"


@pytest.mark.parametrize(
    ("question", "path"),
    [
        ("What is your cancellation policy?", "articles/cancellation-window.md"),
        ("What are your support hours?", "articles/contacting-billing-support.md"),
        ("Do you charge VAT?", "articles/vat-tax-and-currency.md"),
        ("When are invoices issued?", "articles/invoice-schedule.md"),
        ("Can I reduce my number of licenses?", "articles/license-changes-and-proration.md"),
    ],
)
def test_policy_questions_get_a_cited_extractive_answer(assistant, question, path):
    reply = ask(assistant, question)
    assert reply.kind is ReplyKind.ANSWER, reply
    assert [c.path for c in reply.citations] == [path]
    section = next(
        p
        for p in assistant.knowledge.passages
        if p.path == path and p.section == reply.citations[0].section
    )
    assert reply.text.rstrip(" …").split("\n")[0] in section.text  # words of the article


def test_agent_only_articles_never_reach_customers(assistant):
    question = "What is the internal approval limit for goodwill credits?"
    customer = ask(assistant, question)
    agent = assistant.handle(Message(question, channel="slack", role=Role.AGENT))
    assert all(not c.path.startswith("articles/agent-") for c in customer.citations)
    assert agent.kind is ReplyKind.ANSWER and agent.citations[0].path.startswith("articles/agent-")


def test_chit_chat_is_declined_without_a_ticket(assistant):
    reply = ask(assistant, "What's the weather like in Amsterdam today?")
    assert reply.kind is ReplyKind.OUT_OF_SCOPE and reply.ticket is None


def test_a_billing_question_the_folder_does_not_answer_is_not_bluffed(assistant):
    # near the payment-methods section (0.37), but "bitcoin" and "Lightning" are words the
    # folder never uses: no short-question relief
    reply = ask(assistant, "Do you accept payment in bitcoin through a Lightning invoice?")
    assert reply.kind in (ReplyKind.NOT_SURE, ReplyKind.ESCALATE)
    assert reply.citations == ()


@pytest.mark.parametrize(
    ("question", "category", "route"),
    [
        (
            "I want to dispute invoice NW-2026-0466, we were charged for seats we never had",
            "billing_dispute",
            "partner_billing",
        ),
        (
            "I want to dispute invoice NW-2026-0477, the GPU usage is wrong",
            "billing_dispute",
            "partner_billing",
        ),
        (
            "Please refund the unused licences from last month",
            "refund_or_credit",
            "partner_billing",
        ),
        (
            "Outlook is not connecting to Exchange Online for all our users",
            "technical_issue",
            "partner_technical",
        ),
    ],
)
def test_escalation_rules_route_to_the_right_team(assistant, question, category, route):
    reply = ask(assistant, question, customer="fabrikam")
    assert reply.kind is ReplyKind.ESCALATE
    assert (reply.ticket.category, reply.ticket.route) == (category, route)


@pytest.fixture(scope="module")
def corpus_assistant(real_embedder, tmp_path_factory):
    settings = load_settings(knowledge_dir=CORPUS, data_dir=tmp_path_factory.mktemp("corpus"))
    return build_assistant(settings, embedder=real_embedder, clock=lambda: NOW)


def test_eval_on_the_real_corpus_meets_the_targets(corpus_assistant):
    questions = load_questions(SHARED_DATA / "questions-dev.jsonl")
    report = evaluate(corpus_assistant.answerer, questions, NOW.date())
    assert report["hybrid"]["hit@1"] >= report["dense"]["hit@1"]
    assert report["hybrid"]["hit@1"] >= report["lexical"]["hit@1"]
    assert report["decisions"]["answered_precision"] >= 0.9
    assert report["decisions"]["escalation_recall"] >= 0.8


@pytest.fixture(scope="module")
def corpus_as_served(tmp_path_factory):
    """The corpus as `serve` builds it: MiniLM for English, EMBEDDING_MODEL_ES for Spanish."""
    settings = load_settings(knowledge_dir=CORPUS, data_dir=tmp_path_factory.mktemp("served"))
    return build_assistant(settings, clock=lambda: NOW)


def test_spanish_questions_on_the_english_corpus_meet_the_targets(corpus_as_served):
    """A Spanish-speaking customer of a partner whose articles are all in English."""
    questions = load_questions(SHARED_DATA / "questions-dev-es.jsonl")
    language_of = corpus_as_served.detector.language_of
    report = evaluate(corpus_as_served.answerer, questions, NOW.date(), language_of)
    assert report["languages"]["es"] >= 35  # read as Spanish, as the bot reads them
    # measured 0.71 and 0.92; the targets
    assert report["hybrid"]["hit@1"] >= 0.6
    assert report["hybrid"]["hit@5"] >= 0.8
    # measured 0.88; 0.58 when an English article needed no more than a Spanish one
    assert report["decisions"]["answered_precision"] >= 0.85


def test_technical_and_non_billing_posts_are_never_answered_from_a_policy(corpus_assistant):
    questions = load_questions(SHARED_DATA / "questions-dev.jsonl")
    outside = [q for q in questions if not q.in_scope]
    kinds = [
        corpus_assistant.answerer.decide(q.question, None, today=NOW.date()).reply.kind
        for q in outside
    ]
    assert len(outside) >= 10
    assert ReplyKind.ANSWER not in kinds


def test_clinc_out_of_scope_queries_are_declined_not_answered(assistant):
    rows = [
        json.loads(line)
        for line in (SHARED_DATA / "clinc-billing-oos-dev.jsonl").read_text().splitlines()
    ]
    queries = [r["text"] for r in rows if r["split"] == "oos_val"]
    customer = assistant.knowledge.customer("contoso")
    kinds = [assistant.answerer.decide(q, customer, today=NOW.date()).reply.kind for q in queries]
    assert ReplyKind.ANSWER not in kinds and ReplyKind.INVOICE not in kinds
    assert kinds.count(ReplyKind.OUT_OF_SCOPE) / len(kinds) >= 0.8

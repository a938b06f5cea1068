"""Answers that hold for the customer who asks, with the real model (marker `model`): the
sample folder's customers on the day fabrikam's October invoice is past its suspension date
(adatum on the Standard plan, wingtip with a disputed invoice), asking in words of our own
what a sentence of the wrong section or of another plan would answer wrongly. Whatever the
bot answers, it must not contradict the customer's own facts; "not sure" is allowed."""

from datetime import UTC, datetime

import pytest

from bot.app import build_assistant
from bot.config import load_settings
from bot.types import Message, ReplyKind
from tests.conftest import SAMPLE_KNOWLEDGE

pytestmark = pytest.mark.model

PAST_SUSPENSION = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)  # fabrikam: 37 days overdue


@pytest.fixture(scope="module")
def assistant(real_embedder, tmp_path_factory):
    settings = load_settings(
        knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path_factory.mktemp("state")
    )
    return build_assistant(settings, embedder=real_embedder, clock=lambda: PAST_SUSPENSION)


def ask(assistant, text: str, customer: str):
    return assistant.handle(
        Message(text, conversation=f"facts-{customer}-{text}", customer_id=customer)
    )


@pytest.mark.parametrize(
    "question",
    [
        "we will pay a bit late this time, is that a problem?",
        "what if our payment comes in late?",
        "does paying late lead to a suspension?",
    ],
)
def test_a_customer_past_its_suspension_date_is_not_told_paying_late_is_harmless(
    assistant, question
):
    reply = ask(assistant, question, "fabrikam")
    assert "never leads to a suspension" not in reply.text
    assert "do not suspend for amounts under an open dispute" not in reply.text


@pytest.mark.parametrize(
    "question",
    [
        "do we pay extra when your engineers fix something in our tenant?",
        "is hands-on technical help included for us?",
        "does troubleshooting cost us anything?",
    ],
)
def test_a_standard_customer_is_not_told_technical_work_costs_nothing(assistant, question):
    reply = ask(assistant, question, "adatum")
    assert "at no extra cost" not in reply.text
    assert not reply.text.startswith(("No.", "Yes."))


@pytest.mark.parametrize(
    "question",
    [
        "if we pay half of what we owe, do we get access back?",
        "will a partial payment lift the suspension?",
        "does paying part of the balance restore access?",
    ],
)
def test_a_partial_payment_is_never_said_to_lift_a_suspension(assistant, question):
    reply = ask(assistant, question, "fabrikam")
    assert not reply.text.startswith("Yes")


def test_asking_why_a_tax_is_not_charged_is_answered_not_disputed(assistant):
    reply = ask(
        assistant, "we are outside the EU, so why is there no Dutch VAT on our bill?", "wingtip"
    )
    assert reply.ticket is None
    assert reply.kind is ReplyKind.ANSWER
    assert any("vat-tax-and-currency" in c.path for c in reply.citations)

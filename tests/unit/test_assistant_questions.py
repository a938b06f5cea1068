"""The assistant on messages that ask two things, and on disputes that never say "dispute",
end to end on the sample folder with the deterministic twin embedder."""

import pytest

from bot.app import build_assistant
from bot.collections.disputes import open_disputes
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Message, Reply, ReplyKind
from tests.conftest import NOW

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"
COHO_TENANT = "5f7a55ab-5a44-4eec-bd45-a7f4294bc649"
TAILSPIN_TENANT = "39d0d5ab-7796-475a-a3ec-502259a87f8c"


@pytest.fixture
def assistant(settings):
    return build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)


def teams(text: str, tenant: str = FABRIKAM_TENANT, conversation: str = "c1", **extra) -> Message:
    return Message(
        text, channel="teams", conversation=conversation, user_id="u", tenant_id=tenant, **extra
    )


def test_both_questions_are_answered_in_one_reply_one_outbox_row(assistant):
    said = "when is our latest invoice due and can we pay it by card?"
    reply = assistant.respond(teams(said, event_id="e1")).reply
    assert reply.kind is ReplyKind.INVOICE
    assert "NW-2026-0510" in reply.text and "2 December 2026" in reply.text  # the due date
    assert "credit card" in reply.text  # and how to pay by card
    paths = [c.path for c in reply.citations]
    assert "articles/payment-methods-and-terms.md" in paths
    [row] = assistant.storage.outbox.entries()
    assert Reply.from_json(row.body["reply"]).to_json() == reply.to_json()
    assert assistant.tickets.find() == []


def test_both_questions_are_answered_in_spanish(assistant):
    reply = assistant.handle(
        teams("¿cuándo vence la última factura y puedo pagar con tarjeta?", COHO_TENANT)
    )
    assert reply.kind is ReplyKind.INVOICE
    assert "NW-2026-0525" in reply.text and "2 de diciembre de 2026" in reply.text
    assert "tarjeta" in reply.text.split("\n\n", 1)[1]  # the second answer follows the first
    assert "articles/payment-methods-and-terms.es.md" in [c.path for c in reply.citations]


def test_a_part_not_understood_is_asked_about_and_yes_opens_the_ticket(assistant):
    said = "what's our balance and can our auditors get a signed statement of account?"
    reply = assistant.handle(teams(said))
    assert reply.kind is ReplyKind.INVOICE and "EUR 3,963.96" in reply.text  # the balance
    assert "“can our auditors get a signed statement of account”" in reply.text
    assert "open a ticket" in reply.text
    accepted = assistant.handle(teams("yes please"))
    assert accepted.kind is ReplyKind.ESCALATE and accepted.ticket is not None


def test_a_charge_denied_without_the_word_dispute_opens_a_dispute_with_that_line(assistant):
    reply = assistant.handle(
        teams("you charged us for managed disks we deleted months ago", TAILSPIN_TENANT)
    )
    assert reply.kind is ReplyKind.ESCALATE
    assert reply.ticket is not None and reply.ticket.category == "billing_dispute"
    ticket = assistant.tickets.get(reply.ticket.number)
    # The line in question first, on the newest invoice that has it; only that invoice held.
    assert "NW-2026-0518 Azure plan - Managed Disks" in ticket.evidence[0]
    assert {e.split()[1] for e in ticket.evidence} == {"NW-2026-0518"}
    assert set(open_disputes(assistant.tickets.find())) == {"NW-2026-0518"}


def test_a_spanish_customer_denying_a_line_opens_the_dispute_in_spanish(assistant):
    reply = assistant.handle(
        teams("la línea de exchange de noviembre no es nuestra, nunca lo contratamos", COHO_TENANT)
    )
    assert reply.kind is ReplyKind.ESCALATE and reply.ticket.category == "billing_dispute"
    assert reply.text.startswith("He abierto el ticket")
    ticket = assistant.tickets.get(reply.ticket.number)
    assert "NW-2026-0525 Exchange Online" in ticket.evidence[0]


def test_a_dispute_and_a_question_open_the_ticket_and_answer_the_question(assistant):
    reply = assistant.handle(
        teams("please open a dispute for the power bi charge, and can we pay the rest by card?")
    )
    assert reply.kind is ReplyKind.ESCALATE and reply.ticket.category == "billing_dispute"
    opened, answer = reply.text.split("\n\n", 1)
    assert reply.ticket.number in opened
    assert "card" in answer and reply.citations  # a cited answer about paying by card
    assert len(assistant.tickets.find()) == 1

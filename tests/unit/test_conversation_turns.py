"""Turns that depend on the conversation: follow-ups, a ticket offer accepted with "yes",
hand-off while a ticket waits for an agent, and tickets that carry the conversation."""

import pytest

from bot.app import build_assistant
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Message, ReplyKind, Role
from tests.conftest import NOW

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"


@pytest.fixture
def assistant(settings):
    return build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)


def teams(text: str, conversation: str = "conv-1") -> Message:
    return Message(
        text, channel="teams", conversation=conversation, user_id="u1", tenant_id=FABRIKAM_TENANT
    )


def test_yes_accepts_the_ticket_offer_and_the_ticket_carries_the_conversation(assistant):
    offered = assistant.handle(teams("tell me a joke"))
    assert offered.kind in (ReplyKind.NOT_SURE, ReplyKind.OUT_OF_SCOPE)
    accepted = assistant.handle(teams("yes please"))
    assert accepted.kind is ReplyKind.ESCALATE and accepted.ticket is not None
    ticket = assistant.tickets.get(accepted.ticket.number)
    said = [entry.text for entry in ticket.transcript]
    assert said[0] == "tell me a joke" and said[-1] == "yes please"
    assert offered.text in said  # the bot's own words are on the ticket too
    assert "tell me a joke" in ticket.question


def test_no_declines_the_offer_politely_and_opens_nothing(assistant):
    assistant.handle(teams("tell me a joke"))
    declined = assistant.handle(teams("no thanks"))
    assert declined.kind is ReplyKind.GREETING
    assert assistant.tickets.find() == []


def test_while_no_agent_has_claimed_the_ticket_the_bot_keeps_answering(assistant):
    opened = assistant.handle(teams("I want to dispute invoice NW-2026-0466"))
    assert opened.kind is ReplyKind.ESCALATE
    answer = assistant.handle(teams("how much do we owe you"))
    assert answer.kind is ReplyKind.INVOICE and "3,963.96" in answer.text
    ticket = assistant.tickets.get(opened.ticket.number)
    assert [e.author for e in ticket.transcript][-2:] == ["customer", "bot"]
    assert ticket.transcript[-1].text == answer.text  # the agents see the exchange

    with assistant.tickets.database.write() as session:
        assistant.tickets.claim_in(session, opened.ticket.number, "ana")
    quiet = assistant.handle(teams("how much do we owe you"))
    assert quiet.kind is ReplyKind.RELAYED and quiet.text == ""


def test_a_follow_up_resolves_against_what_was_shown(assistant):
    first = assistant.handle(teams("show me invoice NW-2026-0466"))
    assert first.kind is ReplyKind.INVOICE and "NW-2026-0466" in first.text
    before = assistant.handle(teams("and the one before that?"))
    assert before.kind is ReplyKind.INVOICE
    assert "NW-2026-0421" in before.text  # fabrikam's September invoice


def test_agents_name_the_customer_and_are_never_offered_a_ticket(assistant):
    asked = assistant.handle(
        Message("how much do fabrikam owe", channel="slack", conversation="t1", role=Role.AGENT)
    )
    assert asked.kind is ReplyKind.INVOICE and "3,963.96" in asked.text
    unsure = assistant.handle(
        Message("tell me a joke", channel="slack", conversation="t2", role=Role.AGENT)
    )
    assert "ticket" not in unsure.text.lower()
    assert assistant.tickets.find() == []

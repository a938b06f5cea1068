"""The assistant end to end on the sample folder, with the deterministic twin embedder."""

import pytest

from bot.app import build_assistant
from bot.reasons import Reason
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Action, Message, ReplyKind, Role
from tests.conftest import NOW

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"
CONTOSO_TENANT = "4acb5c8a-11e8-482a-bb39-334f65bb0370"


@pytest.fixture
def assistant(settings):
    return build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)


def teams(text: str, tenant: str = FABRIKAM_TENANT, conversation: str = "conv-1", **extra):
    return Message(
        text, channel="teams", conversation=conversation, user_id="u1", tenant_id=tenant, **extra
    )


def test_the_customer_comes_from_the_tenant_not_from_the_message(assistant):
    reply = assistant.handle(teams("When is my invoice due?", customer_id="contoso"))
    assert reply.kind is ReplyKind.INVOICE
    assert "NW-2026-0466" in reply.text  # fabrikam's invoice: the tenant decides


def test_an_unknown_tenant_gets_a_polite_message_and_no_data(assistant):
    reply = assistant.handle(
        teams("When is my invoice due?", tenant="00000000-0000-0000-0000-000000000000")
    )
    assert reply.kind is ReplyKind.UNKNOWN_CUSTOMER
    assert "NW-" not in reply.text and reply.table is None
    assert "billing@northwind-cloud.example" in reply.text


def test_a_redelivered_event_has_one_effect(assistant):
    first = assistant.handle(teams("I want to dispute invoice NW-2026-0466", event_id="e1"))
    again = assistant.handle(teams("I want to dispute invoice NW-2026-0466", event_id="e1"))
    assert first.kind is ReplyKind.ESCALATE
    assert again.kind is ReplyKind.DUPLICATE and again.text == ""
    assert len(assistant.tickets.find()) == 1


def test_an_escalation_opens_a_ticket_and_once_claimed_the_bot_stays_quiet(assistant):
    opened = assistant.handle(teams("I want to dispute invoice NW-2026-0466"))
    assert opened.ticket is not None and opened.ticket.category == "billing_dispute"
    assert opened.ticket.route == "partner_billing"
    assert opened.ticket.number in opened.text
    with assistant.tickets.database.write() as session:
        assistant.tickets.claim_in(session, opened.ticket.number, "ana")

    assert assistant.handle(teams("")).text.startswith("I can only pass text")
    relayed = assistant.handle(teams("The second line is wrong too"))
    assert relayed.kind is ReplyKind.RELAYED and relayed.text == ""
    status = assistant.handle(teams("What's the status of my ticket?"))
    assert status.kind is ReplyKind.TICKET_STATUS and opened.ticket.number in status.text
    assert assistant.handle(teams("Is my ticket still open?")).kind is ReplyKind.TICKET_STATUS
    # "update" about something else is for the agent, not a status question
    assert assistant.handle(teams("Please update our billing address")).kind is ReplyKind.RELAYED

    ticket = assistant.tickets.get(opened.ticket.number)
    assert [e.text for e in ticket.transcript][-2:] == [
        "The second line is wrong too",
        "Please update our billing address",
    ]
    assert ticket.customer_id == "fabrikam"
    # The agents see the invoice the customer named, line by line, with its status.
    invoice_lines = [e for e in ticket.evidence if e.startswith("invoices.csv:")]
    assert invoice_lines and all("NW-2026-0466" in e and "(overdue)" in e for e in invoice_lines)


def test_asking_for_a_person_always_escalates(assistant):
    reply = assistant.handle(teams("Can I talk to a person about my invoice due date?"))
    assert reply.kind is ReplyKind.ESCALATE and reply.ticket.category == "human_request"


def test_the_talk_to_a_person_button_opens_one_ticket(assistant):
    press = teams("", value={"action": Action.TALK_TO_PERSON, "question": "Help with VAT"})
    first = assistant.handle(press)
    second = assistant.handle(teams("", value={"action": Action.TALK_TO_PERSON}))
    assert first.ticket is not None
    assert second.ticket.number == first.ticket.number
    assert "added" in second.text
    assert len(assistant.tickets.find()) == 1


def test_feedback_is_stored(assistant):
    reply = assistant.handle(
        teams(
            "",
            value={
                "action": Action.FEEDBACK,
                "helpful": False,
                "about": "articles/cancellation-window.md",
                "reason": "figures",
            },
        )
    )
    assert reply.kind is ReplyKind.NOT_SURE  # "not helpful": it offers a person
    [(channel, conversation, helpful, about, _at, reason)] = assistant.storage.feedback.votes()
    assert (channel, conversation, helpful) == ("teams", "conv-1", False)
    assert about == "articles/cancellation-window.md"
    assert reason is Reason.FIGURES


def test_not_solved_after_resolution_reopens_the_ticket(assistant):
    opened = assistant.handle(teams("I want to dispute invoice NW-2026-0466"))
    number = opened.ticket.number
    with assistant.tickets.database.write() as session:
        assistant.tickets.resolve_in(session, number, "agent:ana")
    not_solved = teams("", value={"action": Action.SOLVED, "ticket": number, "solved": False})
    reply = assistant.handle(not_solved)
    assert assistant.tickets.get(number).status == "reopened"
    assert number in reply.text
    again = assistant.handle(not_solved)  # a second click changes nothing and does not fail
    assert again.kind is ReplyKind.TICKET_STATUS
    assert assistant.tickets.get(number).status == "reopened"


def test_a_message_after_the_ticket_is_resolved_goes_back_to_the_bot(assistant):
    opened = assistant.handle(teams("I want to dispute invoice NW-2026-0466"))
    with assistant.tickets.database.write() as session:
        assistant.tickets.resolve_in(session, opened.ticket.number, "agent:ana")
    reply = assistant.handle(teams("When is my invoice due?"))
    assert reply.kind is ReplyKind.INVOICE


def test_another_customer_cannot_reopen_a_ticket(assistant):
    opened = assistant.handle(teams("I want to dispute invoice NW-2026-0466"))
    with assistant.tickets.database.write() as session:
        assistant.tickets.resolve_in(session, opened.ticket.number, "agent:ana")
    reply = assistant.handle(
        teams(
            "",
            tenant=CONTOSO_TENANT,
            conversation="conv-2",
            value={"action": Action.SOLVED, "ticket": opened.ticket.number, "solved": False},
        )
    )
    assert assistant.tickets.get(opened.ticket.number).status == "resolved"
    assert reply.kind is ReplyKind.NOT_SURE


def test_agents_may_ask_about_any_customer(assistant):
    reply = assistant.handle(
        Message("When is my invoice due?", channel="slack", role=Role.AGENT, customer_id="fabrikam")
    )
    assert "NW-2026-0466" in reply.text
    # In another thread, nobody has named a customer yet.
    policy = assistant.handle(
        Message("When is my invoice due?", channel="slack", conversation="t2", role=Role.AGENT)
    )
    assert "Which customer" in policy.text


def test_a_ticket_outside_support_hours_says_when_to_expect_a_reply(settings):
    from datetime import UTC, datetime

    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assistant = build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: saturday)
    reply = assistant.handle(teams("I want to dispute invoice NW-2026-0466"))
    assert "offline" in reply.ticket.expected_reply
    assert "Monday 30 November at 08:00" in reply.ticket.expected_reply


def test_the_welcome_names_hours_and_contact(assistant):
    reply = assistant.welcome(FABRIKAM_TENANT)
    assert reply.kind is ReplyKind.WELCOME
    assert "Fabrikam" in reply.text and "08:00" in reply.text
    assert "billing@northwind-cloud.example" in reply.text


def test_what_the_bot_could_not_answer_is_kept_for_the_admins(assistant):
    reply = assistant.handle(teams("What is the capital of France? Card 4111 1111 1111 1111"))
    assert reply.kind in (ReplyKind.OUT_OF_SCOPE, ReplyKind.NOT_SURE)
    [kept] = assistant.storage.feedback.unanswered()
    assert (kept.customer_id, kept.kind, kept.channel) == ("fabrikam", str(reply.kind), "teams")
    assert "4111 1111 1111 1111" not in kept.question  # masked before it is stored
    assert kept.question.startswith("What is the capital of France?")
    assistant.handle(teams("When is my invoice due?"))  # answered: not kept
    assert len(assistant.storage.feedback.unanswered()) == 1


def test_a_status_question_with_no_ticket_in_the_conversation_tells_the_latest_one(assistant):
    assert "can't find a ticket" in assistant.handle(teams("Is my ticket still open?")).text
    opened = assistant.handle(teams("I want to dispute invoice NW-2026-0466"))
    elsewhere = teams("Is my ticket still open?", conversation="conv-2")
    status = assistant.handle(elsewhere)
    assert status.kind is ReplyKind.TICKET_STATUS and opened.ticket.number in status.text
    assert "waiting for an agent" in status.text

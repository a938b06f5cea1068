"""A reminder's "Dispute this invoice" holds the invoice even when the conversation's active
ticket, which the dispute is added to (one conversation, one ticket), is of another
category."""

from datetime import date

import pytest

from bot.app import build_assistant
from bot.collections.disputes import disputed_line, held_invoices, open_disputes
from bot.collections.plan import Outcome
from bot.collections.run import Reminders
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Action, Message, ReplyKind
from tests.conftest import NOW

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"
INVOICE = "NW-2026-0466"  # fabrikam's, overdue since 2026-10-31
DAY = date(2026, 11, 24)


@pytest.fixture
def assistant(settings):
    core = build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)
    yield core
    core.tickets.close()


def teams(text: str = "", **extra) -> Message:
    return Message(
        text,
        channel="teams",
        conversation="conv-1",
        user_id="u1",
        tenant_id=FABRIKAM_TENANT,
        **extra,
    )


def dispute() -> Message:
    return teams(value={"action": Action.DISPUTE_INVOICE, "invoice": INVOICE})


def outcome(assistant) -> Outcome:
    """What the plan does with the invoice (owing: UNREACHABLE here, as these messages carry
    no Teams reference)."""
    plan = Reminders(assistant.storage, lambda: assistant.knowledge).plan(DAY)
    (entry,) = [e for e in plan.entries if e.invoice == INVOICE]
    return entry.outcome


def test_a_dispute_added_to_another_ticket_holds_the_invoice(assistant) -> None:
    asked = assistant.handle(teams("Can I talk to a person about my invoice due date?"))
    assert asked.ticket is not None and asked.ticket.category == "human_request"
    assert outcome(assistant) is Outcome.UNREACHABLE

    added = assistant.handle(dispute())

    assert added.kind is ReplyKind.ESCALATE
    assert added.text == f"I've added this to your open ticket {asked.ticket.number}."
    (ticket,) = assistant.tickets.find()
    assert ticket.category == "human_request"
    assert disputed_line(INVOICE) in ticket.evidence
    assert any(e.startswith("invoices.csv:") and INVOICE in e for e in ticket.evidence)
    assert open_disputes([ticket])[INVOICE].ticket == ticket.number
    assert outcome(assistant) is Outcome.DISPUTED

    again = assistant.handle(dispute())

    assert again.text == f"Invoice {INVOICE} is already disputed on ticket {ticket.number}."
    (same,) = assistant.tickets.find()
    assert same.evidence.count(disputed_line(INVOICE)) == 1

    with assistant.tickets.database.write() as session:
        assistant.tickets.resolve_in(session, ticket.number, "ana")
    assert outcome(assistant) is Outcome.UNREACHABLE  # the hold ends with the ticket


def test_another_ticket_naming_an_invoice_does_not_hold_it(assistant) -> None:
    asked = assistant.handle(teams(f"Can I talk to a person about invoice {INVOICE}?"))
    assert asked.ticket is not None and asked.ticket.category != "billing_dispute"

    (ticket,) = assistant.tickets.find()

    assert held_invoices(ticket) == ()
    assert outcome(assistant) is Outcome.UNREACHABLE

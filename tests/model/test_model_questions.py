"""With the real models (marker `model`): a message of two questions gets both answers, and a
customer disagreeing with a charge without saying "dispute" gets the dispute ticket with the
line in question, in English and Spanish. The sentences are written for these tests, apart
from the development conversations."""

from datetime import UTC, datetime

import pytest

from bot.collections.disputes import open_disputes
from bot.types import Message, ReplyKind

pytestmark = pytest.mark.model

TODAY = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def assistant(sample_assistant):
    return sample_assistant(TODAY)


def ask(assistant, text: str, customer: str, conversation: str | None = None):
    tenant = assistant.knowledge.customer(customer).tenant_ids[0]
    return assistant.handle(
        Message(text, channel="teams", conversation=conversation or text, tenant_id=tenant)
    )


@pytest.mark.parametrize(
    ("text", "customer", "first", "second"),
    [
        (
            "when is our latest invoice due and can we pay it by card?",
            "fabrikam",
            "2 December 2026",
            "card",
        ),
        ("what's our balance and what are your support hours?", "adatum", "1,946.78", "18:00"),
        (
            "¿cuándo vence la última factura y puedo pagar con tarjeta?",
            "coho",
            "2 de diciembre de 2026",
            "tarjeta",
        ),
    ],
)
def test_both_questions_are_answered(assistant, text, customer, first, second):
    reply = ask(assistant, text, customer)
    assert reply.kind in (ReplyKind.INVOICE, ReplyKind.ANSWER), reply
    answered, rest = reply.text.split("\n\n", 1)
    assert first in answered, reply.text
    assert second in rest, reply.text


@pytest.mark.parametrize(
    ("text", "customer", "invoice", "product"),
    [
        (
            "you charged us for managed disks we deleted months ago",
            "tailspin",
            "NW-2026-0518",
            "Managed Disks",
        ),
        (
            "the power bi charge is wrong, we never signed up for power bi",
            "fabrikam",
            "NW-2026-0510",
            "Power BI Pro",
        ),
        (
            "la línea de exchange de noviembre no es nuestra, nunca lo contratamos",
            "coho",
            "NW-2026-0525",
            "Exchange Online",
        ),
        (
            "ese cargo de copias de seguridad no nos corresponde, no tenemos backup con vosotros",
            "wingtip",
            "NW-2026-0521",
            "Azure Backup",
        ),
    ],
)
def test_a_charge_denied_without_the_word_opens_a_dispute_with_the_line(
    assistant, text, customer, invoice, product
):
    conversation = f"denied-{text}"
    reply = ask(assistant, text, customer, conversation)
    if reply.kind is ReplyKind.NOT_SURE:
        # Unsure it is a request, the bot offers the ticket (never "not billing": the
        # message names the customer's own charge); accepted, it is the dispute's.
        reply = ask(assistant, "yes", customer, conversation)
    assert reply.kind is ReplyKind.ESCALATE, reply
    assert reply.ticket is not None and reply.ticket.category == "billing_dispute"
    ticket = assistant.tickets.get(reply.ticket.number)
    assert invoice in ticket.evidence[0] and product in ticket.evidence[0]
    assert invoice in open_disputes([ticket])

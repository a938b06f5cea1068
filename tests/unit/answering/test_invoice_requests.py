"""Invoice look-ups by intent, with the invoice(s) a message or the conversation names."""

from datetime import date
from decimal import Decimal

import pytest

from bot.answering.invoice_requests import answer, unit_money
from bot.answering.invoices import InvoiceAsk
from bot.conversation.state import Shown
from bot.knowledge.folder import load_knowledge
from bot.understanding import intents as I
from bot.understanding.slots import extract_slots
from tests.conftest import SAMPLE_KNOWLEDGE

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge(SAMPLE_KNOWLEDGE)


NOTHING_SHOWN = Shown()


def lookup(knowledge, customer_id: str, intent: str, text: str, shown: Shown = NOTHING_SHOWN):
    customer = knowledge.customer(customer_id)
    ask = InvoiceAsk(
        text, customer, knowledge.invoices_of(customer_id), knowledge.partner.collections, TODAY
    )
    return answer(intent, text, extract_slots(text), ask, shown)


def test_unit_prices_keep_their_stored_precision(knowledge):
    found = lookup(knowledge, "wingtip", I.LINE, "what is the A100 line on the october invoice")
    assert "412 × GBP 2.9720 = GBP 1,224.46" in found.answer.text
    assert unit_money(Decimal("23.10"), "EUR") == "EUR 23.10"


def test_a_disputed_invoice_is_never_called_overdue(knowledge):
    found = lookup(knowledge, "wingtip", I.STATUS, "is the october invoice overdue?")
    assert "disputed" in found.answer.text and "overdue" not in found.answer.text


def test_a_named_month_and_the_one_before(knowledge):
    september = lookup(knowledge, "contoso", I.SHOW, "what was the september invoice")
    assert september.shown.invoices == ("NW-2026-0418",)
    before = lookup(knowledge, "contoso", I.SHOW, "and the one before?", september.shown)
    assert before.shown.invoices == ("NW-2026-0374",)


def test_two_named_months_are_compared(knowledge):
    found = lookup(knowledge, "contoso", I.COMPARE, "why was september so much higher than august")
    assert "7,170.74" in found.answer.text or "7.170,74" in found.answer.text


def test_a_month_with_no_invoice_is_said_plainly(knowledge):
    found = lookup(knowledge, "tailspin", I.SHOW, "how much did we pay in july")
    assert "can't find an invoice issued in July" in found.answer.text

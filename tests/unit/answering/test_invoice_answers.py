from datetime import date

import pytest

from bot.answering.invoice_questions import InvoiceQuestion, classify
from bot.answering.invoices import answer
from bot.knowledge.folder import load_knowledge
from tests.conftest import SAMPLE_KNOWLEDGE

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge(SAMPLE_KNOWLEDGE)


def ask(knowledge, customer_id: str, question: str):
    kind = classify(question)
    assert kind is not None, question
    customer = knowledge.customer(customer_id)
    return answer(
        kind,
        question,
        customer,
        knowledge.invoices_of(customer_id),
        knowledge.partner.collections,
        TODAY,
    )


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When is my invoice due?", InvoiceQuestion.DUE),
        ("Why is my bill higher than last month?", InvoiceQuestion.COMPARE),
        ("Show me invoice NW-2026-0466", InvoiceQuestion.DETAIL),
        ("How much do we owe?", InvoiceQuestion.BALANCE),
        ("Are we overdue?", InvoiceQuestion.OVERDUE),
        ("Show my recent invoices", InvoiceQuestion.RECENT),
        ("When are invoices due?", None),  # payment terms: a policy question
        ("What happens if we pay late?", None),  # hypothetical: policy
        ("I want to dispute invoice NW-2026-0466", None),  # an escalation, not a lookup
    ],
)
def test_invoice_questions_are_told_apart_from_policy_questions(question, kind):
    assert classify(question) == kind


def test_the_overdue_customer_hears_which_invoice_is_late_and_what_happens_next(knowledge):
    found = ask(knowledge, "fabrikam", "When is my invoice due?")
    assert "NW-2026-0466" in found.text and "24 days overdue" in found.text
    assert "suspended" in found.text
    assert found.table.rows[0][0] == "NW-2026-0466"
    assert all(e.startswith("invoices.csv:") for e in found.evidence)


def test_a_mid_term_licence_increase_explains_the_higher_bill(knowledge):
    found = ask(knowledge, "adatum", "Why is my bill higher than last month?")
    assert "NW-2026-0514" in found.text and "higher than invoice NW-2026-0470" in found.text
    assert "prorate" in found.text and "licences added mid-term" in found.text
    assert "EUR 635.62" in found.text


def test_one_invoice_lists_its_lines(knowledge):
    found = ask(knowledge, "fabrikam", "What is on invoice NW-2026-0466?")
    assert found.text.startswith("Invoice NW-2026-0466")
    assert found.table.columns[0] == "Product" and len(found.table.rows) >= 2


def test_another_customers_invoice_number_reveals_nothing(knowledge):
    own = ask(knowledge, "contoso", "What is on invoice NW-2026-0466?")  # fabrikam's
    missing = ask(knowledge, "contoso", "What is on invoice NW-2026-9999?")  # nobody's
    assert own.table is None and own.evidence == ()
    assert "can't find invoice" in own.text
    assert own.text.replace("0466", "9999") == missing.text


def test_a_customer_with_nothing_overdue_is_told_so(knowledge):
    found = ask(knowledge, "contoso", "Are we overdue?")
    assert "no overdue invoices" in found.text

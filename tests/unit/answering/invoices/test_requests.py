"""Invoice look-ups by intent, with the invoice(s) a message or the conversation names."""

from datetime import date
from decimal import Decimal

import pytest

from bot.answering.invoices.render import unit_money
from bot.answering.invoices.requests import answer
from bot.answering.invoices.term import term
from bot.answering.invoices.values import InvoiceAsk
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


def test_the_overdue_customer_hears_which_invoice_is_late_and_what_happens_next(knowledge):
    found = lookup(knowledge, "fabrikam", I.DUE, "When is my invoice due?").answer
    assert "NW-2026-0466" in found.text and "24 days overdue" in found.text
    assert "suspended" in found.text
    assert found.table.rows[0][0] == "NW-2026-0466"
    assert all(e.startswith("invoices.csv:") for e in found.evidence)


def test_a_mid_term_licence_increase_explains_the_higher_bill(knowledge):
    found = lookup(knowledge, "adatum", I.COMPARE, "Why is my bill higher than last month?")
    text = found.answer.text
    assert "NW-2026-0514" in text and "higher than invoice NW-2026-0470" in text
    assert "prorate" in text and "licences added mid-term" in text
    assert "EUR 635.62" in text


def test_one_invoice_lists_its_lines(knowledge):
    found = lookup(knowledge, "fabrikam", I.SHOW, "What is on invoice NW-2026-0466?").answer
    assert found.text.startswith("Invoice NW-2026-0466")
    assert found.table.columns[0] == "Product" and len(found.table.rows) >= 2


def test_another_customers_invoice_number_reveals_nothing(knowledge):
    own = lookup(knowledge, "contoso", I.SHOW, "What is on invoice NW-2026-0466?").answer
    missing = lookup(knowledge, "contoso", I.SHOW, "What is on invoice NW-2026-9999?").answer
    assert "can't find invoice NW-2026-0466" in own.text and own.evidence == ()
    assert own.text.replace("0466", "9999") == missing.text
    assert own.table == missing.table  # the asker's own recent invoices, nothing of fabrikam's
    assert "fabrikam" not in str(own).lower()


def test_a_customer_with_nothing_overdue_is_told_so(knowledge):
    found = lookup(knowledge, "contoso", I.STATUS, "Are we overdue?").answer
    assert "no overdue invoices" in found.text


def test_a_prorated_unit_price_is_explained_from_the_regular_price(knowledge):
    found = lookup(knowledge, "adatum", I.LINE, "how did you get 11.92 per seat??").answer
    assert "15 × EUR 11.92 = EUR 178.80" in found.text
    assert "EUR 23.10 × 16 / 31 days = EUR 11.92" in found.text


def test_a_purchase_and_its_cancellation_are_netted(knowledge):
    found = lookup(knowledge, "tailspin", I.LINE, "the teams phone lines on the october invoice")
    assert "USD 76.70" in found.answer.text and "66.70" in found.answer.text
    assert "Net for Microsoft Teams Phone Standard on invoice NW-2026-0474: USD 10.00" in (
        found.answer.text
    )


def test_a_line_billed_on_a_later_invoice_is_still_found(knowledge):
    # cancelled in September, credited on the invoice issued in October
    found = lookup(knowledge, "tailspin", I.LINE, "the teams phone licences cancelled in september")
    assert "66.70" in found.answer.text and "couldn't tell" not in found.answer.text


def test_which_invoice_has_a_purchase(knowledge):
    found = lookup(knowledge, "contoso", I.SHOW, "which invoice has the copilot purchase")
    assert "NW-2026-0418" in found.answer.text and "EUR 7,200.00" in found.answer.text


def test_a_term_billed_up_front_says_when_it_renews(knowledge):
    found = lookup(knowledge, "contoso", I.TERM, "when does copilot renew")
    assert "1 September 2026 to 31 August 2027" in found.answer.text
    assert "renews on 1 September 2027" in found.answer.text
    assert found.shown.product == "Microsoft 365 Copilot"


def test_monthly_lines_say_no_term_end(knowledge):
    customer = knowledge.customer("fabrikam")
    ask = InvoiceAsk(
        "", customer, knowledge.invoices_of("fabrikam"), knowledge.partner.collections, TODAY
    )
    assert term("when does our subscription end", ask) is None  # the articles answer it


def test_a_line_reads_the_same_in_its_invoice_and_on_its_own(knowledge):
    alone = lookup(knowledge, "wingtip", I.LINE, "what is the A100 line on the october invoice")
    whole = lookup(knowledge, "wingtip", I.SHOW, "show me the october invoice")
    assert alone.answer.table is not None and whole.answer.table is not None
    assert alone.answer.table.columns == whole.answer.table.columns
    assert alone.answer.table.rows[0] in whole.answer.table.rows
    assert "GBP 2.9720" in alone.answer.table.rows[0]


@pytest.mark.parametrize("follow_up", ["and was it paid?", "¿y esa ya está pagada?"])
def test_is_it_paid_after_an_invoice_asks_about_that_invoice(knowledge, follow_up):
    september = lookup(knowledge, "contoso", I.SHOW, "what was the september invoice")
    found = lookup(knowledge, "contoso", I.STATUS, follow_up, september.shown)
    assert found.shown.invoices == ("NW-2026-0418",)
    # nothing shown before: the account's status, as when asked first
    assert lookup(knowledge, "contoso", I.STATUS, follow_up).shown.invoices != ("NW-2026-0418",)


def test_this_months_invoice_before_one_is_issued_is_the_one_due_this_month(knowledge):
    customer = knowledge.customer("contoso")
    invoices = knowledge.invoices_of("contoso")
    ask = InvoiceAsk("", customer, invoices, knowledge.partner.collections, date(2026, 12, 7))
    text = "and the one for this month?"
    october = Shown(I.SHOW, ("NW-2026-0463",))
    # nothing issued in December yet: November's invoice falls due in it
    found = answer(I.SHOW, text, extract_slots(text), ask, october)
    assert found.shown.invoices == ("NW-2026-0507",)


def test_than_the_one_before_compares_the_subject_with_the_one_before_it(knowledge):
    latest = lookup(
        knowledge, "contoso", I.COMPARE, "why is the last bill more than the one before?"
    )
    assert latest.shown.invoices == ("NW-2026-0463", "NW-2026-0507")
    october = Shown(I.SHOW, ("NW-2026-0463",))
    it = lookup(knowledge, "contoso", I.COMPARE, "why is it more than the one before?", october)
    assert it.shown.invoices == ("NW-2026-0418", "NW-2026-0463")


@pytest.mark.parametrize(
    ("language", "said_to_agent", "said_to_customer"),
    [
        (
            "en",
            "Fabrikam Nederland B.V. has an outstanding balance of",
            "Your outstanding balance is",
        ),
        ("es", "Fabrikam Nederland B.V. tiene un saldo pendiente de", "Su saldo pendiente es"),
    ],
)
def test_an_agent_hears_the_customer_named_a_customer_hears_you(
    knowledge, language, said_to_agent, said_to_customer
):
    fabrikam = knowledge.customer("fabrikam")
    invoices = knowledge.invoices_of("fabrikam")
    collections = knowledge.partner.collections
    for agent, said in ((True, said_to_agent), (False, said_to_customer)):
        ask = InvoiceAsk("", fabrikam, invoices, collections, TODAY, language, agent)
        text = "how much is owed?"
        owed = answer(I.BALANCE, text, extract_slots(text), ask, NOTHING_SHOWN).answer.text
        assert owed.startswith(said), owed

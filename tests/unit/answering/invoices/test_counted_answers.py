"""Invoice answers that count (open invoices, overdue invoices, days overdue) say one
invoice, one day and many in the form each count takes, in English and in Spanish."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.answering.invoices.requests import answer
from bot.answering.invoices.values import InvoiceAsk
from bot.conversation.state import Shown
from bot.knowledge.customers import Customer
from bot.knowledge.invoices import Invoice, InvoiceLine
from bot.knowledge.partner import Collections
from bot.understanding import intents as I
from bot.understanding.slots import extract_slots

DUE = date(2026, 12, 2)
ACME = Customer("acme", "Acme", (), (), "standard", "active", "EUR")


def invoice(number: str, due: date = DUE, status: str = "unpaid") -> Invoice:
    line = InvoiceLine(
        number, "acme", due - timedelta(days=30), due, due - timedelta(days=30), due, "Seats",
        "SKU", "renewal", Decimal(1), Decimal(100), Decimal(100), Decimal(0), "EUR", status,
        None, "invoices.csv:2",
    )  # fmt: skip
    return Invoice(number, "acme", line.issue_date, due, "EUR", status, None, (line,))


def ask(intent: str, invoices: list[Invoice], today: date, language: str) -> str:
    question = "how much do we owe" if language == "en" else "cuánto debemos"
    found = answer(
        intent,
        question,
        extract_slots(question),
        InvoiceAsk(question, ACME, invoices, Collections(), today, language),
        Shown(),
    )
    table = found.answer.table
    return (
        found.answer.text + " | " + " ".join(" ".join(row) for row in (table.rows if table else ()))
    )


ONE = [invoice("NW-1")]
TWO = [invoice("NW-1"), invoice("NW-2", DUE + timedelta(days=1))]


@pytest.mark.parametrize(
    ("language", "invoices", "today", "said"),
    [
        ("en", ONE, DUE + timedelta(days=1), "across 1 open invoice, of which 1 overdue."),
        ("en", TWO, DUE + timedelta(days=3), "across 2 open invoices, of which 2 overdue."),
        ("en", TWO, DUE, "across 2 open invoices."),
        ("es", ONE, DUE + timedelta(days=1), "en 1 factura abierta, de las que 1 está vencida."),
        (
            "es",
            TWO,
            DUE + timedelta(days=3),
            "en 2 facturas abiertas, de las que 2 están vencidas.",
        ),
        ("es", TWO, DUE, "en 2 facturas abiertas."),
    ],
)
def test_the_balance_counts_open_and_overdue_invoices(language, invoices, today, said):
    text = ask(I.BALANCE, invoices, today, language)
    assert said in text
    assert "(s)" not in text


@pytest.mark.parametrize(
    ("language", "days", "said", "cell"),
    [
        ("en", 1, "is 1 day overdue", "overdue 1 day"),
        ("en", 9, "is 9 days overdue", "overdue 9 days"),
        ("es", 1, "lleva 1 día vencida", "vencida hace 1 día"),
        ("es", 9, "lleva 9 días vencida", "vencida hace 9 días"),
    ],
)
def test_days_overdue_are_one_day_or_many(language, days, said, cell):
    text = ask(I.STATUS, ONE, DUE + timedelta(days=days), language)
    assert said in text and cell in text


@pytest.mark.parametrize(
    ("language", "invoices", "said"),
    [
        ("en", ONE, "1 invoice is overdue"),
        ("en", TWO, "2 invoices are overdue"),
        ("es", ONE, "1 factura está vencida"),
        ("es", TWO, "2 facturas están vencidas"),
    ],
)
def test_overdue_invoices_are_counted(language, invoices, said):
    assert said in ask(I.STATUS, invoices, DUE + timedelta(days=5), language)


@pytest.mark.parametrize(
    ("language", "days", "said"),
    [
        ("en", 1, "was due 2 December 2026 (1 day overdue)"),
        ("en", 3, "(3 days overdue)"),
        ("es", 1, "(1 día vencida)"),
        ("es", 3, "(3 días vencida)"),
    ],
)
def test_when_it_was_due_counts_the_days(language, days, said):
    assert said in ask(I.DUE, ONE, DUE + timedelta(days=days), language)


@pytest.mark.parametrize(
    ("language", "invoices", "said"),
    [
        ("en", ONE, "The most recent invoice for Acme:"),
        ("en", TWO, "The 2 most recent invoices for Acme:"),
        ("es", ONE, "La factura más reciente de Acme:"),
        ("es", TWO, "Las 2 facturas más recientes de Acme:"),
    ],
)
def test_the_recent_invoices_are_one_or_many(language, invoices, said):
    assert said in ask(I.RECENT, invoices, DUE, language)


def test_no_open_invoice_is_said_without_a_count():
    paid = [invoice("NW-1", status="paid")]
    assert "0 open" not in ask(I.BALANCE, paid, DUE, "en")

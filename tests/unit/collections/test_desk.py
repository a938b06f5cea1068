"""The agents' collections answers count customers, invoices and days in the form each
count takes (one, many; English and Spanish), never as "customer(s)"."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from bot.collections.desk import due_between, overdue
from bot.collections.plan import Dispute, Facts, plan
from bot.knowledge.customers import Customer
from bot.knowledge.invoices import Invoice, InvoiceLine
from bot.knowledge.partner import Collections, SupportHours

WEEK = {d: (time(8), time(18)) for d in ("mon", "tue", "wed", "thu", "fri")}
HOURS = SupportHours("Europe/Amsterdam", WEEK, frozenset())
DUE = date(2026, 12, 2)  # a Wednesday
DAY = DUE + timedelta(days=1)


def customer(cid: str) -> Customer:
    return Customer(cid, cid.title(), (), (), "standard", "active", "EUR")


def invoice(number: str, cid: str = "acme", due: date = DUE) -> Invoice:
    line = InvoiceLine(
        number, cid, due - timedelta(days=30), due, due - timedelta(days=30), due, "Seats", "SKU",
        "renewal", Decimal(1), Decimal(100), Decimal(100), Decimal(0), "EUR", "unpaid", None,
        "invoices.csv:2",
    )  # fmt: skip
    return Invoice(number, cid, line.issue_date, due, "EUR", "unpaid", None, (line,))


CUSTOMERS = [customer("acme"), customer("globex")]


def planned(invoices: list[Invoice], facts: Facts | None = None):
    return plan(invoices, CUSTOMERS, Collections(), HOURS, DAY, facts or Facts())


@pytest.mark.parametrize(
    ("language", "invoices", "said", "cell"),
    [
        ("en", [invoice("A-1")], "1 customer has overdue invoices on", "overdue 1 day"),
        (
            "en",
            [invoice("A-1"), invoice("G-1", "globex", DUE - timedelta(days=2))],
            "2 customers have overdue invoices on",
            "overdue 3 days",
        ),
        ("es", [invoice("A-1")], "1 cliente tiene facturas vencidas a", "vencida hace 1 día"),
        (
            "es",
            [invoice("A-1"), invoice("G-1", "globex", DUE - timedelta(days=2))],
            "2 clientes tienen facturas vencidas a",
            "vencida hace 3 días",
        ),
    ],
)
def test_overdue_customers_are_counted(language, invoices, said, cell):
    found = overdue(planned(invoices), CUSTOMERS, language)
    assert found.text.startswith(said)
    due = due_between(planned(invoices), CUSTOMERS, DUE - timedelta(days=7), DUE, language)
    assert due.table is not None and cell in [row[4] for row in due.table.rows]


@pytest.mark.parametrize(
    ("language", "disputed", "said"),
    [
        ("en", 1, "Left out: 1 disputed invoice, on which"),
        ("en", 2, "Left out: 2 disputed invoices, on which"),
        ("es", 1, "No se incluye 1 factura en disputa"),
        ("es", 2, "No se incluyen 2 facturas en disputa"),
    ],
)
def test_disputed_invoices_left_out_are_counted(language, disputed, said):
    numbers = [f"A-{n}" for n in range(disputed)]
    facts = Facts(disputes={n: Dispute(n, f"T-{n}", None, "acme") for n in numbers})
    found = overdue(planned([invoice(n) for n in numbers], facts), CUSTOMERS, language)
    assert said in found.text


@pytest.mark.parametrize(
    ("language", "invoices", "said"),
    [
        ("en", [invoice("A-1")], "1 open invoice of 1 customer due from "),
        (
            "en",
            [invoice("A-1"), invoice("A-2"), invoice("G-1", "globex")],
            "3 open invoices of 2 customers due from ",
        ),
        ("en", [invoice("A-1"), invoice("A-2")], "2 open invoices of 1 customer due from "),
        ("es", [invoice("A-1")], "1 factura pendiente de 1 cliente, con vencimiento entre el "),
        (
            "es",
            [invoice("A-1"), invoice("A-2"), invoice("G-1", "globex")],
            "3 facturas pendientes de 2 clientes, con vencimiento entre el ",
        ),
    ],
)
def test_invoices_due_and_their_customers_are_each_counted(language, invoices, said):
    found = due_between(planned(invoices), CUSTOMERS, DUE, DUE + timedelta(days=6), language)
    assert found.text.startswith(said)
    assert "(s)" not in found.text


def test_nothing_due_is_said_without_a_count():
    found = due_between(planned([]), CUSTOMERS, DUE, DUE + timedelta(days=6), "en")
    assert found.text.startswith("No open invoice is due from")

"""Invoice answers for a Spanish-speaking customer: Spanish sentences from the catalog, amounts,
quantities and dates the Spanish way, in the text and in the table."""

from datetime import date

import pytest

from bot.answering.invoices.requests import answer
from bot.answering.invoices.values import InvoiceAsk
from bot.answering.withheld import qualify
from bot.conversation.state import Shown
from bot.knowledge.folder import load_knowledge
from bot.understanding import intents as I
from bot.understanding.slots import extract_slots
from tests.conftest import SAMPLE_KNOWLEDGE

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge(SAMPLE_KNOWLEDGE)


def lookup(knowledge, customer_id: str, intent: str, text: str, language: str = "es"):
    customer = knowledge.customer(customer_id)
    invoices = knowledge.invoices_of(customer_id)
    ask = InvoiceAsk(text, customer, invoices, knowledge.partner.collections, TODAY, language)
    return answer(intent, text, extract_slots(text), ask, Shown()).answer


def test_one_invoice_in_spanish(knowledge):
    found = lookup(knowledge, "coho", I.SHOW, "¿qué hay en la factura NW-2026-0525?")
    assert found.text == (
        "Factura NW-2026-0525, emitida el 2 de noviembre de 2026, con vencimiento el "
        "2 de diciembre de 2026: 779,70\xa0€ + impuestos 0,00\xa0€ = 779,70\xa0€ (pendiente)."
    )
    assert found.table is not None
    assert found.table.columns == ("Producto", "Cargo", "Cant.", "Precio unitario", "Importe")
    assert ("Microsoft 365 Business Premium", "prorrateo", "5", "8,94\xa0€", "44,70\xa0€") in (
        found.table.rows
    )


def test_why_a_bill_changed_in_spanish(knowledge):
    found = lookup(knowledge, "coho", I.COMPARE, "¿por qué ha subido la factura de noviembre?")
    assert found.text.startswith(
        "La factura NW-2026-0525 (779,70\xa0€) es 160,20\xa0€ más alta que la factura "
        "NW-2026-0481 (619,50\xa0€), impuestos incluidos. La diferencia, antes de impuestos, "
        "por concepto:\n- Microsoft 365 Business Premium (renovación) (25 → 30): +115,50\xa0€"
    )
    assert found.table is not None and found.table.columns[0] == "Concepto"


def test_one_line_in_spanish_keeps_a_unit_prices_precision(knowledge):
    found = lookup(knowledge, "coho", I.LINE, "¿qué es la línea de prorrateo de Business Premium?")
    assert "del 20 de octubre de 2026 al 31 de octubre de 2026: 5 × 8,94\xa0€ = 44,70\xa0€" in (
        found.text
    )
    azure = lookup(knowledge, "tailspin", I.SHOW, "la factura NW-2026-0474")
    assert azure.table is not None
    assert ("consumo", "1.440", "0,1920\xa0US$") in {row[1:4] for row in azure.table.rows}


def test_recent_invoices_table_dates_in_spanish_and_iso_in_english(knowledge):
    spanish = lookup(knowledge, "coho", I.RECENT, "mis facturas")
    assert spanish.text == "Las 3 facturas más recientes de Bodegas Coho S.L.:"
    assert spanish.table is not None
    assert spanish.table.rows[1] == (
        "NW-2026-0481",
        "1 oct 2026",
        "31 oct 2026",
        "619,50\xa0€",
        "pagada el 28 oct 2026",
    )
    english = lookup(knowledge, "coho", I.RECENT, "my invoices", "en")
    assert english.table is not None
    assert english.table.rows[1][1:] == (
        "2026-10-01",
        "2026-10-31",
        "EUR 619.50",
        "paid 2026-10-28",
    )


def test_a_month_without_an_invoice_in_spanish(knowledge):
    found = lookup(knowledge, "coho", I.SHOW, "la factura de julio")
    assert found.text.startswith("No encuentro una factura emitida en julio en la cuenta de")


def test_a_withheld_invoice_is_named_in_spanish(knowledge):
    from bot.knowledge.invoices import WithheldInvoice

    withheld = [WithheldInvoice("NW-2026-0999", frozenset({"coho"}), ())]
    found = qualify(
        "mis facturas",
        withheld,
        lambda: lookup(knowledge, "coho", I.RECENT, "mis facturas"),
        "es",
    )
    assert found.text.startswith(
        "No puedo mostrar la factura NW-2026-0999 en este momento; ya hemos avisado a nuestro "
        "equipo de facturación. Sin contar esa factura, esto es lo que puedo decirle: Las 3"
    )

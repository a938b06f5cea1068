"""How invoices are written: money, days, charge names, an invoice's status, and the two
tables every invoice answer shows (invoices, and invoice lines)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from bot.knowledge.customers import Customer
from bot.knowledge.invoices import STATUS_WORDS, Invoice, InvoiceLine, InvoiceStatus
from bot.locale import N_, SOURCE_LANGUAGE, formats, plural_translator, translator
from bot.types import Table

# What a charge type is called on an invoice line (`charge_type` in invoices.csv).
CHARGE_NAMES = {
    "new": N_("new"),
    "renewal": N_("renewal"),
    "prorate": N_("prorate"),
    "cancel": N_("cancel"),
    "usage": N_("usage"),
    "credit": N_("credit"),
}


def charge_name(charge_type: str, language: str = SOURCE_LANGUAGE) -> str:
    name = CHARGE_NAMES.get(charge_type)
    return translator(language)(name) if name else charge_type


def money(amount: Decimal, currency: str, language: str = SOURCE_LANGUAGE) -> str:
    return formats.money(amount, currency, language)


def unit_money(amount: Decimal, currency: str, language: str = SOURCE_LANGUAGE) -> str:
    """A unit price with the precision it is stored with (Azure meters: 4+ decimals)."""
    return formats.unit_money(amount, currency, language)


def day(value: date, language: str = SOURCE_LANGUAGE) -> str:
    return formats.day(value, language)


def status_word(invoice: Invoice, today: date, language: str = SOURCE_LANGUAGE) -> str:
    """An invoice's status as a table cell: paid (when), disputed, overdue (days), unpaid."""
    _, ngettext = translator(language), plural_translator(language)
    late = invoice.days_overdue(today)
    if invoice.status == InvoiceStatus.PAID:
        if invoice.paid_date:
            return _("paid {date}").format(date=formats.short_day(invoice.paid_date, language))
        return _(STATUS_WORDS[InvoiceStatus.PAID])
    if invoice.status == InvoiceStatus.DISPUTED:
        return _(STATUS_WORDS[InvoiceStatus.DISPUTED])
    if late:
        return ngettext("overdue {days} day", "overdue {days} days", late).format(days=late)
    return _(STATUS_WORDS[InvoiceStatus.UNPAID])


def invoice_table(
    invoices: Sequence[Invoice], today: date, language: str = SOURCE_LANGUAGE
) -> Table:
    _ = translator(language)
    rows = tuple(
        (
            inv.number,
            formats.short_day(inv.issue_date, language),
            formats.short_day(inv.due_date, language),
            money(inv.total, inv.currency, language),
            status_word(inv, today, language),
        )
        for inv in invoices
    )
    return Table((_("Invoice"), _("Issued"), _("Due"), _("Total"), _("Status")), rows)


def line_columns(language: str = SOURCE_LANGUAGE) -> tuple[str, ...]:
    """The columns of a table of invoice lines."""
    _ = translator(language)
    return (_("Product"), _("Charge"), _("Qty"), _("Unit price"), _("Amount"))


def line_table(lines: Iterable[InvoiceLine], language: str = SOURCE_LANGUAGE) -> Table:
    """Invoice lines as a table, unit prices at the precision they are stored with."""
    rows = tuple(
        (
            line.product,
            charge_name(line.charge_type, language),
            formats.quantity(line.quantity, language),
            unit_money(line.unit_price, line.currency, language),
            money(line.amount, line.currency, language),
        )
        for line in lines
    )
    return Table(line_columns(language), rows)


def no_invoices(customer: Customer, language: str = SOURCE_LANGUAGE) -> str:
    _ = translator(language)
    return _("I have no invoices on record for {customer}.").format(customer=customer.name)

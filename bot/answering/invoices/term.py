"""When a subscription's term ends (renews), read from the lines billed for a whole term."""

from __future__ import annotations

from datetime import timedelta

from bot.answering.invoices.evidence import evidence
from bot.answering.invoices.render import day
from bot.answering.invoices.values import InvoiceAnswer, InvoiceAsk, Lookup
from bot.conversation.state import Shown
from bot.knowledge.invoices import Invoice, InvoiceLine
from bot.locale import translator
from bot.understanding import intents as I
from bot.understanding.slots import matching_products

# A line whose period is longer than this is a term billed up front (annual, triennial).
_TERM_DAYS = 45


def term(question: str, ask: InvoiceAsk, product_hint: str | None = None) -> Lookup | None:
    """When the terms of the products the question names (else the one the conversation is
    about, else every product) end, from the lines billed for a whole term; None when no
    such line says it (monthly lines show the month, not the term)."""
    names = {line.product for inv in ask.invoices for line in inv.lines}
    products = matching_products(question, names)[:1] or ([product_hint] if product_hint else [])
    latest: dict[str, tuple[Invoice, InvoiceLine]] = {}
    for inv in sorted(ask.invoices, key=lambda i: i.issue_date):
        for line in inv.lines:
            long = (line.period_end - line.period_start).days > _TERM_DAYS
            wanted = not products or line.product in products
            if wanted and long and line.charge_type in ("new", "renewal") and line.amount > 0:
                latest[line.product] = (inv, line)
    if not latest:
        return None
    _ = translator(ask.language)
    parts = [
        _(
            "{product} is on a term from {start} to {end} (invoice {number}); it renews on "
            "{renewal} unless you ask us to change it."
        ).format(
            product=line.product,
            start=day(line.period_start, ask.language),
            end=day(line.period_end, ask.language),
            number=inv.number,
            renewal=day(line.period_end + timedelta(days=1), ask.language),
        )
        for inv, line in latest.values()
    ]
    chosen = list(latest.values())
    shown = Shown(I.TERM, tuple(dict.fromkeys(i.number for i, _ in chosen)), chosen[0][1].product)
    return Lookup(InvoiceAnswer(" ".join(parts), None, evidence([chosen[0][0]])), shown)

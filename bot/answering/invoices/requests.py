"""Invoice look-ups by intent: which answer an invoice intent asks for, about which invoices.

The classifier gives the intent (balance, due, status, show, line, compare, recent, copy,
term); the slots and the conversation state say which invoice(s) (`selection`): a number,
a month, "last month", "the one before", or what the bot showed last.
"""

from __future__ import annotations

from bot.answering.invoices.compare import compare_asked
from bot.answering.invoices.detail import one_invoice, status_of
from bot.answering.invoices.lines import answer_line
from bot.answering.invoices.render import no_invoices
from bot.answering.invoices.selection import names_product, select, shown_invoices
from bot.answering.invoices.summaries import account_summary, not_on_account
from bot.answering.invoices.term import term
from bot.answering.invoices.values import InvoiceAnswer, InvoiceAsk, Lookup
from bot.conversation.state import Shown
from bot.understanding import intents as I
from bot.understanding.intents import Intent
from bot.understanding.slots import Slots


def answer(
    intent: Intent,
    question: str,
    slots: Slots,
    ask: InvoiceAsk,
    shown: Shown,
    *,
    product_hint: str | None = None,
) -> Lookup:
    invoices = sorted(ask.invoices, key=lambda inv: inv.issue_date)
    if not invoices:
        text = no_invoices(ask.customer, ask.language)
        return Lookup(InvoiceAnswer(text, None, ()), Shown(intent))
    ask = ask.about(question, invoices)
    selection = select(slots, invoices, shown, ask.today, ask.language)
    named = list(selection.invoices)
    if selection.missing and not named:
        return not_on_account(intent, selection.missing, ask)
    if intent == I.TERM:
        found_term = term(question, ask, product_hint)
        if found_term is not None:
            return found_term
        intent = I.SHOW
    context = named or shown_invoices(shown, invoices)
    if intent == I.SHOW and not named and names_product(question, invoices):
        intent = I.LINE  # "which invoice has the copilot purchase": the invoice of that line
    if intent == I.LINE:
        return answer_line(question, slots, named or context, invoices, ask, product_hint)
    if intent == I.COMPARE:
        return compare_asked(slots, named, shown, invoices, ask)
    if intent in (I.STATUS, I.DUE) and (named or (slots.refers and context)):
        return status_of(named or context, ask)  # "is it paid?": the one(s) shown
    if intent in (I.SHOW, I.COPY) or (named and intent not in (I.BALANCE, I.RECENT)):
        return one_invoice(intent, (named or context or [invoices[-1]])[0], ask)
    return account_summary(intent, ask)

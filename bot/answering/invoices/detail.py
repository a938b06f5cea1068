"""One invoice: in detail with its lines (or a copy of it), or its status."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.invoices.evidence import evidence
from bot.answering.invoices.outlook import collections_outlook
from bot.answering.invoices.render import day, invoice_table, line_table, money, status_word
from bot.answering.invoices.values import InvoiceAnswer, InvoiceAsk, Lookup
from bot.conversation.state import Shown
from bot.knowledge.invoices import Invoice, InvoiceStatus
from bot.locale import plural_translator, translator
from bot.understanding import intents as I
from bot.understanding.intents import Intent
from bot.understanding.slots import INVOICE_NUMBER


def detail(ask: InvoiceAsk) -> InvoiceAnswer:
    """The invoice the question names by number, with its lines; the same words whether a
    number it names exists for someone else or not at all."""
    _, lang = translator(ask.language), ask.language
    wanted = {m.upper() for m in INVOICE_NUMBER.findall(ask.question)}
    found = [inv for inv in ask.invoices if inv.number.upper() in wanted]
    if not found:
        numbers = ", ".join(sorted(wanted))
        return InvoiceAnswer(
            _(
                "I can't find invoice {numbers} on the {customer} account. Please check the "
                "number on the PDF, or ask me for your recent invoices."
            ).format(numbers=numbers, customer=ask.customer.name),
            None,
            (),
        )
    inv = found[0]
    text = _(
        "Invoice {number}, issued {issued}, due {due}: {subtotal} + tax {tax} = {total} ({status})."
    ).format(
        number=inv.number,
        issued=day(inv.issue_date, lang),
        due=day(inv.due_date, lang),
        subtotal=money(inv.subtotal, inv.currency, lang),
        tax=money(inv.tax, inv.currency, lang),
        total=money(inv.total, inv.currency, lang),
        status=status_word(inv, ask.today, lang),
    )
    return InvoiceAnswer(text, line_table(inv.lines, lang), evidence([inv]))


def one_invoice(intent: Intent, inv: Invoice, ask: InvoiceAsk) -> Lookup:
    """One invoice in detail, with its dispute and, for a copy, how it was sent."""
    _, lang = translator(ask.language), ask.language
    found = detail(ask.about(inv.number, [inv]))
    text = found.text
    if inv.status == InvoiceStatus.DISPUTED:
        text += " " + _("It is under dispute: collections are paused on the disputed amount.")
    if intent == I.COPY:
        text += " " + _(
            "The PDF and a CSV of every line were emailed to your billing contacts on "
            "{date}; to have it sent again, reply 'yes' to a ticket offer or email us."
        ).format(date=day(inv.issue_date, lang))
    return Lookup(InvoiceAnswer(text, found.table, found.evidence), Shown(intent, (inv.number,)))


def status_of(named: Sequence[Invoice], ask: InvoiceAsk) -> Lookup:
    """Whether each named invoice is paid (on time or late), disputed, overdue or unpaid."""
    parts = [_status_sentence(inv, ask) for inv in named]
    table = invoice_table(named, ask.today, ask.language)
    return Lookup(
        InvoiceAnswer(" ".join(parts), table, evidence(named)),
        Shown(I.STATUS, tuple(inv.number for inv in named)),
    )


def _status_sentence(inv: Invoice, ask: InvoiceAsk) -> str:
    _, lang = translator(ask.language), ask.language
    ngettext = plural_translator(lang)
    late = inv.days_overdue(ask.today)
    head = _("Invoice {number} ({amount}, issued {date})").format(
        number=inv.number,
        amount=money(inv.total, inv.currency, lang),
        date=day(inv.issue_date, lang),
    )
    due = day(inv.due_date, lang)
    if inv.status == InvoiceStatus.PAID:
        if inv.paid_date is None:
            paid = _("{head} was paid; it was due {due}.")
        elif inv.paid_date <= inv.due_date:
            paid = _("{head} was paid on {date} (on time); it was due {due}.")
        else:
            paid = _("{head} was paid on {date} (after its due date); it was due {due}.")
        date = day(inv.paid_date, lang) if inv.paid_date else ""
        return paid.format(head=head, date=date, due=due)
    if inv.status == InvoiceStatus.DISPUTED:
        return _(
            "{head} is disputed: collections are paused on the disputed amount while "
            "our billing team investigates. It was due {due}."
        ).format(head=head, due=due)
    if late:
        return (
            ngettext(
                "{head} was due {due} and is {days} day overdue.",
                "{head} was due {due} and is {days} days overdue.",
                late,
            ).format(head=head, due=due, days=late)
            + " "
            + collections_outlook(inv, ask.collections, ask.today, lang)
        )
    return _("{head} is unpaid and due {due}.").format(head=head, due=due)

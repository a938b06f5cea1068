"""Account-wide invoice answers: the balance, what is due, what is overdue, the recent
invoices; each names the disputed invoices it concerns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal

from bot.answering.invoices.evidence import evidence
from bot.answering.invoices.outlook import collections_outlook
from bot.answering.invoices.render import day, invoice_table, money
from bot.answering.invoices.values import InvoiceAnswer, InvoiceAsk, Lookup
from bot.conversation.state import Shown
from bot.knowledge.customers import AccountStatus
from bot.knowledge.invoices import Invoice, InvoiceStatus
from bot.locale import plural_translator, translator
from bot.understanding import intents as I
from bot.understanding.intents import Intent


def _open(invoices: Sequence[Invoice]) -> list[Invoice]:
    return [inv for inv in invoices if inv.is_open]


def overdue(ask: InvoiceAsk) -> InvoiceAnswer:
    _, lang = translator(ask.language), ask.language
    ngettext = plural_translator(lang)
    late = [inv for inv in _open(ask.invoices) if inv.days_overdue(ask.today) > 0]
    if not late:
        text = _("{customer} has no overdue invoices.").format(customer=ask.customer.name)
        unpaid = _open(ask.invoices)
        if unpaid:
            nxt = min(unpaid, key=lambda inv: inv.due_date)
            text += " " + _("The next payment is invoice {number}, {amount}, due {date}.").format(
                number=nxt.number,
                amount=money(nxt.total, nxt.currency, lang),
                date=day(nxt.due_date, lang),
            )
        return InvoiceAnswer(text, None, evidence(unpaid))
    worst = max(late, key=lambda inv: inv.days_overdue(ask.today))
    total = sum((inv.total for inv in late), Decimal(0))
    count = ngettext(
        "{count} invoice is overdue", "{count} invoices are overdue", len(late)
    ).format(count=len(late))
    days = worst.days_overdue(ask.today)
    text = (
        ngettext(
            "{count}, {total} in total. The oldest, {number} ({amount}), was due {date} and "
            "is {days} day overdue.",
            "{count}, {total} in total. The oldest, {number} ({amount}), was due {date} and "
            "is {days} days overdue.",
            days,
        ).format(
            count=count,
            total=money(total, worst.currency, lang),
            number=worst.number,
            amount=money(worst.total, worst.currency, lang),
            date=day(worst.due_date, lang),
            days=days,
        )
        + " "
        + collections_outlook(worst, ask.collections, ask.today, lang)
    )
    if ask.customer.account_status == AccountStatus.SUSPENDED:
        suspended = (
            _("The {customer} account is currently suspended.")
            if ask.agent
            else _("Your account is currently suspended.")
        )
        text += " " + suspended.format(customer=ask.customer.name) + " "
        text += ask.collections.reinstatement_in(lang)
    return InvoiceAnswer(text, invoice_table(late, ask.today, lang), evidence(late))


def balance(ask: InvoiceAsk) -> InvoiceAnswer:
    _, lang = translator(ask.language), ask.language
    ngettext = plural_translator(lang)
    unpaid = _open(ask.invoices)
    if not unpaid:
        return InvoiceAnswer(
            _("{customer} has nothing outstanding: every invoice is paid.").format(
                customer=ask.customer.name
            ),
            None,
            (),
        )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for inv in unpaid:
        totals[inv.currency] += inv.total
    owed = _(" and ").join(money(amount, cur, lang) for cur, amount in totals.items())
    late = [inv for inv in unpaid if inv.days_overdue(ask.today)]
    owes = (
        ngettext(
            "{customer} has an outstanding balance of {owed} across {count} open invoice",
            "{customer} has an outstanding balance of {owed} across {count} open invoices",
            len(unpaid),
        )
        if ask.agent
        else ngettext(
            "Your outstanding balance is {owed} across {count} open invoice",
            "Your outstanding balance is {owed} across {count} open invoices",
            len(unpaid),
        )
    )
    text = owes.format(customer=ask.customer.name, owed=owed, count=len(unpaid))
    if late:
        of_which = ngettext(", of which {count} overdue.", ", of which {count} overdue.", len(late))
        text += of_which.format(count=len(late))
    else:
        text += "."
    return InvoiceAnswer(text, invoice_table(unpaid, ask.today, lang), evidence(unpaid))


def due(ask: InvoiceAsk) -> InvoiceAnswer:
    _, lang = translator(ask.language), ask.language
    ngettext = plural_translator(lang)
    unpaid = sorted(_open(ask.invoices), key=lambda inv: inv.due_date)
    if not unpaid:
        last = ask.invoices[-1]
        paid = day(last.paid_date, lang) if last.paid_date else ""
        return InvoiceAnswer(
            (
                _("Nothing is due: every invoice is paid. The latest, {number}, was paid {date}.")
                if ask.agent
                else _(
                    "Nothing is due: every invoice is paid. Your latest, {number}, was paid {date}."
                )
            )
            .format(number=last.number, date=paid)
            .replace(" .", "."),
            None,
            (),
        )
    parts = []
    for inv in unpaid:
        late = inv.days_overdue(ask.today)
        when = day(inv.due_date, lang)
        state = (
            ngettext(
                "was due {date} ({days} day overdue)", "was due {date} ({days} days overdue)", late
            ).format(date=when, days=late)
            if late
            else _("is due {date}").format(date=when)
        )
        if inv.status == InvoiceStatus.DISPUTED:
            state += _(" — disputed, collections paused on it")
        parts.append(
            _("Invoice {number} ({amount}) {state}.").format(
                number=inv.number, amount=money(inv.total, inv.currency, lang), state=state
            )
        )
    text = " ".join(parts)
    if any(inv.days_overdue(ask.today) for inv in unpaid):
        oldest = next(inv for inv in unpaid if inv.days_overdue(ask.today))
        text += " " + collections_outlook(oldest, ask.collections, ask.today, lang)
    return InvoiceAnswer(text, invoice_table(unpaid, ask.today, lang), evidence(unpaid))


def recent(ask: InvoiceAsk) -> InvoiceAnswer:
    ngettext = plural_translator(ask.language)
    latest = list(ask.invoices[-6:])[::-1]
    text = ngettext(
        "The most recent invoice for {customer}:",
        "The {count} most recent invoices for {customer}:",
        len(latest),
    ).format(count=len(latest), customer=ask.customer.name)
    return InvoiceAnswer(text, invoice_table(latest, ask.today, ask.language), ())


_SUMMARIES: dict[Intent, Callable[[InvoiceAsk], InvoiceAnswer]] = {
    I.BALANCE: balance,
    I.DUE: due,
    I.STATUS: overdue,
    I.RECENT: recent,
}


def account_summary(intent: Intent, ask: InvoiceAsk) -> Lookup:
    """The account-wide answer `intent` asks for (else the balance), naming the disputed
    invoices; `ask.invoices` oldest first."""
    _, lang = translator(ask.language), ask.language
    found = _SUMMARIES.get(intent, balance)(ask)
    text = found.text
    disputed = [inv for inv in ask.invoices if inv.status == InvoiceStatus.DISPUTED]
    if disputed and intent in (I.BALANCE, I.STATUS, I.DUE) and "disput" not in text:
        text += " " + " ".join(
            _(
                "Invoice {number} ({amount}) is disputed: collections are paused on it while our "
                "billing team investigates."
            ).format(number=inv.number, amount=money(inv.total, inv.currency, lang))
            for inv in disputed
        )
    open_numbers = tuple(inv.number for inv in ask.invoices if inv.is_open)
    return Lookup(InvoiceAnswer(text, found.table, found.evidence), Shown(intent, open_numbers))


def not_on_account(intent: Intent, missing: Sequence[str], ask: InvoiceAsk) -> Lookup:
    """Nothing named exists: say so and list the recent invoices instead."""
    _ = translator(ask.language)
    text = _(
        "I can't find {missing} on the {customer} account. Ask me for your recent invoices "
        "to see them all."
    ).format(missing=_(" or ").join(missing), customer=ask.customer.name)
    return Lookup(InvoiceAnswer(text, recent(ask).table, ()), Shown(intent))

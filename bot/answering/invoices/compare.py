"""Two invoices compared: which two a message means, and how the later differs, by line item."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from bot.answering.invoices.evidence import evidence
from bot.answering.invoices.render import charge_name, money
from bot.answering.invoices.selection import previous_of, shown_invoices
from bot.answering.invoices.values import InvoiceAnswer, InvoiceAsk, Lookup
from bot.conversation.state import Shown
from bot.knowledge.invoices import Invoice
from bot.locale import N_, formats, translator
from bot.types import Table
from bot.understanding import intents as I
from bot.understanding.slots import Slots


def compare_asked(
    slots: Slots,
    named: Sequence[Invoice],
    shown: Shown,
    invoices: Sequence[Invoice],
    ask: InvoiceAsk,
) -> Lookup:
    """The comparison a message asks for, with the invoices it names (`named`)."""
    # "higher than last month": last month's bill is the baseline, the latest the subject
    baseline = slots.last_month and not (slots.months or slots.invoice_numbers)
    if slots.before and not (slots.months or slots.invoice_numbers or slots.short_numbers):
        # "higher than the one before": the one before is what the subject (the latest, or
        # the one shown) is compared with, not the subject
        named = [invoices[-1]] if slots.latest else []
    return compare(named, shown, invoices, ask, baseline=baseline)


def compare(
    named: Sequence[Invoice],
    shown: Shown,
    invoices: Sequence[Invoice],
    ask: InvoiceAsk,
    *,
    baseline: bool = False,
) -> Lookup:
    """Two invoices compared: the two named, or the one named and the one before it (after
    it, when the one named is the `baseline`: "than last month"), or what was shown."""
    pair: list[Invoice]
    if len(named) >= 2:
        pair = sorted(named[:2], key=lambda inv: inv.issue_date)
    elif len(named) == 1 and baseline and named[0] is not invoices[-1]:
        later = [inv for inv in invoices if inv.issue_date > named[0].issue_date]
        pair = [named[0], later[-1]]
    elif len(named) == 1:
        previous = previous_of(invoices, named[0])
        pair = [previous, named[0]] if previous else [named[0]]
    else:
        seen = shown_invoices(Shown(None, shown.invoices + shown.earlier), invoices)
        pair = sorted(seen[:2], key=lambda inv: inv.issue_date) if len(seen) >= 2 else []
        if len(seen) == 1:
            previous = previous_of(invoices, seen[0])
            pair = [previous, seen[0]] if previous else []
        pair = pair or list(invoices[-2:])
    found = difference(ask.about("", pair))
    return Lookup(found, Shown(I.COMPARE, tuple(inv.number for inv in pair)))


def difference(ask: InvoiceAsk) -> InvoiceAnswer:
    """How the latest of `ask.invoices` differs from the one before, by line item."""
    _, lang = translator(ask.language), ask.language
    if len(ask.invoices) < 2:
        return InvoiceAnswer(
            _("You have only one invoice so far, so there is nothing to compare it with."),
            None,
            evidence(ask.invoices),
        )
    latest, previous = ask.invoices[-1], ask.invoices[-2]
    change = latest.total - previous.total
    per_item: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    quantities: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for index, inv in enumerate((previous, latest)):
        for line in inv.lines:
            per_item[(line.product, line.charge_type)][index] += line.amount
            quantities[(line.product, line.charge_type)][index] += line.quantity
    diffs = sorted(
        (
            (item, amounts[1] - amounts[0], amounts)
            for item, amounts in per_item.items()
            if amounts[1] != amounts[0]
        ),
        key=lambda entry: -abs(entry[1]),
    )
    if change > 0:
        sentence = _(
            "Invoice {latest} ({latest_total}) is {change} higher than invoice {previous} "
            "({previous_total}), tax included."
        )
    elif change < 0:
        sentence = _(
            "Invoice {latest} ({latest_total}) is {change} lower than invoice {previous} "
            "({previous_total}), tax included."
        )
    else:
        sentence = _(
            "Invoice {latest} ({latest_total}) is the same as invoice {previous} "
            "({previous_total}), tax included."
        )
    text = sentence.format(
        latest=latest.number,
        latest_total=money(latest.total, latest.currency, lang),
        change=money(abs(change), latest.currency, lang),
        previous=previous.number,
        previous_total=money(previous.total, previous.currency, lang),
    )
    reasons = []
    for (product, charge), delta, _amounts in diffs[:4]:
        sign = "+" if delta > 0 else "−"
        why = _(
            {
                "prorate": N_("licences added mid-term, charged pro rata to the term end"),
                "new": N_("a new subscription"),
                "usage": N_("usage changed"),
                "credit": N_("a credit"),
                "cancel": N_("a cancellation"),
                "renewal": N_("the recurring charge changed"),
            }[charge]
        )
        before, after = quantities[(product, charge)]
        count = (
            f" ({formats.quantity(before, lang)} → {formats.quantity(after, lang)})"
            if charge != "usage" and before != after
            else ""
        )
        reasons.append(
            f"- {product} ({charge_name(charge, lang)}){count}: "
            f"{sign}{money(abs(delta), latest.currency, lang)}, {why}"
        )
    if reasons:
        text += " " + _("The difference, before tax, by line item:") + "\n" + "\n".join(reasons)
    rows = tuple(
        (
            f"{product} ({charge_name(charge, lang)})",
            money(amounts[0], latest.currency, lang),
            money(amounts[1], latest.currency, lang),
            money(delta, latest.currency, lang),
        )
        for (product, charge), delta, amounts in diffs
    )
    columns = (_("Item"), previous.number, latest.number, _("Change"))
    table = Table(columns, rows) if rows else None
    return InvoiceAnswer(text, table, evidence([previous, latest]))

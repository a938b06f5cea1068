"""Which of the asker's invoices a message means: by number (whole or its last digits), by
month ("in March", "last month", "this month"), "the one before" what was shown, or "the
latest"; and what it named that is not on the account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.conversation.state import Shown
from bot.knowledge.invoices import Invoice
from bot.locale import SOURCE_LANGUAGE, formats, translator
from bot.understanding.slots import Slots, matching_products


def _month_name(number: int, language: str = SOURCE_LANGUAGE) -> str:
    return formats.month_name(number, language)


def _by_month(invoices: Sequence[Invoice], month: int, today: date) -> Invoice | None:
    """The invoice issued in `month`, in the most recent year not after today."""
    issued = [inv for inv in invoices if inv.issue_date.month == month and inv.issue_date <= today]
    return max(issued, key=lambda inv: inv.issue_date) if issued else None


def previous_of(invoices: Sequence[Invoice], invoice: Invoice) -> Invoice | None:
    earlier = [inv for inv in invoices if inv.issue_date < invoice.issue_date]
    return max(earlier, key=lambda inv: inv.issue_date) if earlier else None


@dataclass(frozen=True, slots=True)
class Selection:
    invoices: tuple[Invoice, ...]
    missing: tuple[str, ...]  # what was named but does not exist on this account


def select(
    slots: Slots,
    invoices: Sequence[Invoice],
    shown: Shown,
    today: date,
    language: str = SOURCE_LANGUAGE,
) -> Selection:
    _ = translator(language)
    ordered = sorted(invoices, key=lambda inv: inv.issue_date)
    by_number = {inv.number.upper(): inv for inv in ordered}
    chosen: list[Invoice] = []
    missing: list[str] = []
    for number in slots.invoice_numbers:
        if number in by_number:
            chosen.append(by_number[number])
        else:
            missing.append(_("invoice {number}").format(number=number))
    for short in slots.short_numbers:
        found = [inv for inv in ordered if inv.number.endswith(f"-{short}")]
        chosen += found
    by_month, missing_months = _month_picks(slots, ordered, today, language)
    chosen += by_month
    missing += missing_months
    if slots.before and not chosen:
        previous, missing_previous = _before_pick(ordered, by_number, shown, language)
        chosen += previous
        missing += missing_previous
    if slots.latest and not chosen and ordered:
        chosen.append(ordered[-1])
    return Selection(tuple(dict.fromkeys(chosen)), tuple(missing))


def _month_picks(
    slots: Slots, ordered: Sequence[Invoice], today: date, language: str
) -> tuple[list[Invoice], list[str]]:
    """The invoices a message names by month: named months, last month, this month."""
    _ = translator(language)
    chosen: list[Invoice] = []
    missing: list[str] = []
    for month in slots.months:
        inv = _by_month(ordered, month, today)
        if inv:
            chosen.append(inv)
        else:
            missing.append(
                _("an invoice issued in {month}").format(month=_month_name(month, language))
            )
    if slots.last_month:
        month = 12 if today.month == 1 else today.month - 1
        inv = _by_month(ordered, month, today)
        chosen += [inv] if inv else []
    if slots.this_month:
        # None issued yet this month: "the one this month" is the one that falls due in it.
        inv = _by_month(ordered, today.month, today) or next(
            (
                i
                for i in ordered
                if (i.due_date.year, i.due_date.month) == (today.year, today.month)
            ),
            None,
        )
        chosen += [inv] if inv else []
    return chosen, missing


def _before_pick(
    ordered: Sequence[Invoice], by_number: dict[str, Invoice], shown: Shown, language: str
) -> tuple[list[Invoice], list[str]]:
    """The invoice before the one shown (or the latest), or why there is none."""
    _ = translator(language)
    anchor = next((by_number[n] for n in shown.invoices if n in by_number), None)
    anchor = anchor or (ordered[-1] if ordered else None)
    previous = previous_of(ordered, anchor) if anchor else None
    if anchor and not previous:
        return [], [_("an invoice before {number}").format(number=anchor.number)]
    return [previous] if previous else [], []


def names_product(question: str, invoices: Sequence[Invoice]) -> bool:
    return bool(matching_products(question, {line.product for i in invoices for line in i.lines}))


def shown_invoices(shown: Shown, invoices: Sequence[Invoice]) -> list[Invoice]:
    by_number = {inv.number: inv for inv in invoices}
    return [by_number[n] for n in shown.invoices if n in by_number]

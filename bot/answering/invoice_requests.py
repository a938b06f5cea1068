"""Invoice look-ups by intent: which invoice(s) a message means, then the computed answer.

The classifier gives the intent (balance, due, status, show, line, compare, recent, copy);
the slots and the conversation state say which invoice(s): a number, a month, "last month",
"the one before", or what the bot showed last. Everything is computed from the asker's own
invoices, never retrieved.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from bot.answering import invoices as base
from bot.answering.invoices import InvoiceAnswer, InvoiceAsk, charge_name, line_columns, money
from bot.conversation.state import Shown
from bot.knowledge.invoices import Invoice, InvoiceLine, InvoiceStatus
from bot.locale import N_, SOURCE_LANGUAGE, formats, plural_translator, translator
from bot.types import Table
from bot.understanding import intents as I
from bot.understanding.slots import Slots, matching_products

CHARGE_MEANING = {
    "new": N_("the first charge for a subscription just bought"),
    "renewal": N_("the regular charge for an existing subscription"),
    "prorate": N_("licences added mid-term, charged pro rata from the change to the period end"),
    "cancel": N_("a refund for licences cancelled within the 7-day window"),
    "usage": N_("consumption (Azure) for the period shown"),
    "credit": N_("a correction or goodwill credit agreed with the billing team"),
}
# The start of a line look-up that found no line: the invoice's lines follow.
LINE_NOT_FOUND = N_("I couldn't tell which line you mean; here are the lines of {invoice}")
_CHARGE_WORDS = {
    "new": ("purchas", "bought", "buy", "compra", "compr"),
    "prorate": ("prorat", "pro rata", "pro-rata", "prorrat"),
    "credit": ("credit", "crédit", "abono", "credited"),
    "cancel": ("cancel",),
    "usage": ("usage", "consumption", "consumo"),
}
_NEGATIVE_WORDS = ("negative", "minus", "negativ", "refund", "credit", "abono")


@dataclass(frozen=True, slots=True)
class Lookup:
    answer: InvoiceAnswer
    shown: Shown


def unit_money(amount: Decimal, currency: str, language: str = SOURCE_LANGUAGE) -> str:
    """A unit price with the precision it is stored with (Azure meters: 4+ decimals)."""
    return formats.unit_money(amount, currency, language)


def _month_name(number: int, language: str = SOURCE_LANGUAGE) -> str:
    return formats.month_name(number, language)


def _by_month(invoices: Sequence[Invoice], month: int, today: date) -> Invoice | None:
    """The invoice issued in `month`, in the most recent year not after today."""
    issued = [inv for inv in invoices if inv.issue_date.month == month and inv.issue_date <= today]
    return max(issued, key=lambda inv: inv.issue_date) if issued else None


def _previous(invoices: Sequence[Invoice], invoice: Invoice) -> Invoice | None:
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
        inv = _by_month(ordered, today.month, today)
        chosen += [inv] if inv else []
    return chosen, missing


def _before_pick(
    ordered: Sequence[Invoice], by_number: dict[str, Invoice], shown: Shown, language: str
) -> tuple[list[Invoice], list[str]]:
    """The invoice before the one shown (or the latest), or why there is none."""
    _ = translator(language)
    anchor = next((by_number[n] for n in shown.invoices if n in by_number), None)
    anchor = anchor or (ordered[-1] if ordered else None)
    previous = _previous(ordered, anchor) if anchor else None
    if anchor and not previous:
        return [], [_("an invoice before {number}").format(number=anchor.number)]
    return [previous] if previous else [], []


def _names_product(question: str, invoices: Sequence[Invoice]) -> bool:
    return bool(matching_products(question, {line.product for i in invoices for line in i.lines}))


def _shown_invoices(shown: Shown, invoices: Sequence[Invoice]) -> list[Invoice]:
    by_number = {inv.number: inv for inv in invoices}
    return [by_number[n] for n in shown.invoices if n in by_number]


def answer(
    intent: str,
    question: str,
    slots: Slots,
    ask: InvoiceAsk,
    shown: Shown,
    *,
    product_hint: str | None = None,
) -> Lookup:
    _, lang = translator(ask.language), ask.language
    invoices = sorted(ask.invoices, key=lambda inv: inv.issue_date)
    if not invoices:
        text = base.no_invoices(ask.customer, lang)
        return Lookup(InvoiceAnswer(text, None, ()), Shown(intent))
    selection = select(slots, invoices, shown, ask.today, lang)
    named = list(selection.invoices)
    if selection.missing and not named:
        return _not_on_account(intent, question, selection.missing, invoices, ask)
    if intent == I.TERM:
        found_term = term(question, ask, product_hint)
        if found_term is not None:
            return found_term
        intent = I.SHOW
    context = named or _shown_invoices(shown, invoices)
    if intent == I.SHOW and not named and _names_product(question, invoices):
        intent = I.LINE  # "which invoice has the copilot purchase": the invoice of that line
    if intent == I.LINE:
        return _line(question, slots, named or context, invoices, ask, product_hint)
    if intent == I.COMPARE:
        # "higher than last month": last month's bill is the baseline, the latest the subject
        baseline = slots.last_month and not (slots.months or slots.invoice_numbers)
        return _compare(named, shown, invoices, ask, baseline=baseline)
    if intent in (I.STATUS, I.DUE) and named:
        return _status_of(named, ask)
    if intent in (I.SHOW, I.COPY) or (named and intent not in (I.BALANCE, I.RECENT)):
        return _one_invoice(intent, (named or context or [invoices[-1]])[0], ask)
    return _account_summary(intent, question, invoices, ask)


def _not_on_account(
    intent: str,
    question: str,
    missing: Sequence[str],
    invoices: Sequence[Invoice],
    ask: InvoiceAsk,
) -> Lookup:
    """Nothing named exists: say so and list the recent invoices instead."""
    _ = translator(ask.language)
    text = _(
        "I can't find {missing} on the {customer} account. Ask me for your recent invoices "
        "to see them all."
    ).format(missing=_(" or ").join(missing), customer=ask.customer.name)
    recent = base._recent(
        InvoiceAsk(question, ask.customer, invoices, ask.collections, ask.today, ask.language)
    )
    return Lookup(InvoiceAnswer(text, recent.table, ()), Shown(intent))


def _one_invoice(intent: str, inv: Invoice, ask: InvoiceAsk) -> Lookup:
    """One invoice in detail, with its dispute and, for a copy, how it was sent."""
    _, lang = translator(ask.language), ask.language
    found = base._detail(
        InvoiceAsk(inv.number, ask.customer, [inv], ask.collections, ask.today, ask.language)
    )
    text = found.text
    if inv.status == InvoiceStatus.DISPUTED:
        text += " " + _("It is under dispute: collections are paused on the disputed amount.")
    if intent == I.COPY:
        text += " " + _(
            "The PDF and a CSV of every line were emailed to your billing contacts on "
            "{date}; to have it sent again, reply 'yes' to a ticket offer or email us."
        ).format(date=base._day(inv.issue_date, lang))
    table = _precise_lines(inv, lang) if found.table else None
    return Lookup(InvoiceAnswer(text, table, found.evidence), Shown(intent, (inv.number,)))


def _account_summary(
    intent: str, question: str, invoices: Sequence[Invoice], ask: InvoiceAsk
) -> Lookup:
    """The account-wide answers (balance, due, overdue, recent), naming disputed invoices."""
    _, lang = translator(ask.language), ask.language
    handler = {
        I.BALANCE: base._balance,
        I.DUE: base._due,
        I.STATUS: base._overdue,
        I.RECENT: base._recent,
    }.get(intent, base._balance)
    found = handler(
        InvoiceAsk(question, ask.customer, invoices, ask.collections, ask.today, ask.language)
    )
    text = found.text
    disputed = [inv for inv in invoices if inv.status == InvoiceStatus.DISPUTED]
    if disputed and intent in (I.BALANCE, I.STATUS, I.DUE) and "disput" not in text:
        text += " " + " ".join(
            _(
                "Invoice {number} ({amount}) is disputed: collections are paused on it while our "
                "billing team investigates."
            ).format(number=inv.number, amount=money(inv.total, inv.currency, lang))
            for inv in disputed
        )
    open_numbers = tuple(inv.number for inv in invoices if inv.is_open)
    return Lookup(InvoiceAnswer(text, found.table, found.evidence), Shown(intent, open_numbers))


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
            start=base._day(line.period_start, ask.language),
            end=base._day(line.period_end, ask.language),
            number=inv.number,
            renewal=base._day(line.period_end + timedelta(days=1), ask.language),
        )
        for inv, line in latest.values()
    ]
    chosen = list(latest.values())
    shown = Shown(I.TERM, tuple(dict.fromkeys(i.number for i, _ in chosen)), chosen[0][1].product)
    return Lookup(InvoiceAnswer(" ".join(parts), None, base._evidence([chosen[0][0]])), shown)


def _precise_lines(inv: Invoice, language: str = SOURCE_LANGUAGE) -> Table:

    rows = tuple(
        (
            line.product,
            charge_name(line.charge_type, language),
            formats.quantity(line.quantity, language),
            unit_money(line.unit_price, inv.currency, language),
            money(line.amount, inv.currency, language),
        )
        for line in inv.lines
    )
    return Table(line_columns(language), rows)


def _status_of(named: Sequence[Invoice], ask: InvoiceAsk) -> Lookup:
    _, lang = translator(ask.language), ask.language
    ngettext = plural_translator(lang)
    parts = []
    for inv in named:
        late = inv.days_overdue(ask.today)
        head = _("Invoice {number} ({amount}, issued {date})").format(
            number=inv.number,
            amount=money(inv.total, inv.currency, lang),
            date=base._day(inv.issue_date, lang),
        )
        due = base._day(inv.due_date, lang)
        if inv.status == InvoiceStatus.PAID:
            if inv.paid_date is None:
                paid = _("{head} was paid; it was due {due}.")
            elif inv.paid_date <= inv.due_date:
                paid = _("{head} was paid on {date} (on time); it was due {due}.")
            else:
                paid = _("{head} was paid on {date} (after its due date); it was due {due}.")
            date = base._day(inv.paid_date, lang) if inv.paid_date else ""
            parts.append(paid.format(head=head, date=date, due=due))
        elif inv.status == InvoiceStatus.DISPUTED:
            parts.append(
                _(
                    "{head} is disputed: collections are paused on the disputed amount while "
                    "our billing team investigates. It was due {due}."
                ).format(head=head, due=due)
            )
        elif late:
            parts.append(
                ngettext(
                    "{head} was due {due} and is {days} day overdue.",
                    "{head} was due {due} and is {days} days overdue.",
                    late,
                ).format(head=head, due=due, days=late)
                + " "
                + base.collections_outlook(inv, ask.collections, ask.today, lang)
            )
        else:
            parts.append(_("{head} is unpaid and due {due}.").format(head=head, due=due))
    table = base._invoice_table(named, ask.today, lang)
    return Lookup(
        InvoiceAnswer(" ".join(parts), table, base._evidence(named)),
        Shown(I.STATUS, tuple(inv.number for inv in named)),
    )


def _compare(
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
        previous = _previous(invoices, named[0])
        pair = [previous, named[0]] if previous else [named[0]]
    else:
        seen = _shown_invoices(Shown(None, shown.invoices + shown.earlier), invoices)
        pair = sorted(seen[:2], key=lambda inv: inv.issue_date) if len(seen) >= 2 else []
        if len(seen) == 1:
            previous = _previous(invoices, seen[0])
            pair = [previous, seen[0]] if previous else []
        pair = pair or list(invoices[-2:])
    found = base._compare(
        InvoiceAsk("", ask.customer, pair, ask.collections, ask.today, ask.language)
    )
    return Lookup(found, Shown(I.COMPARE, tuple(inv.number for inv in pair)))


def _nets(chosen: Sequence[tuple[Invoice, InvoiceLine]], language: str) -> list[str]:
    """What one product came to on one invoice when several of its lines are shown (a
    purchase and its cancellation): what the customer "ended up paying" for it."""
    _ = translator(language)
    groups: dict[tuple[str, str], list[InvoiceLine]] = {}
    for inv, line in chosen:
        groups.setdefault((inv.number, line.product), []).append(line)
    return [
        _("Net for {product} on invoice {number}: {amount} before tax.").format(
            product=product,
            number=number,
            amount=money(sum((line.amount for line in lines), Decimal(0)), lines[0].currency),
        )
        for (number, product), lines in groups.items()
        if len(lines) > 1
    ]


def _proration(line: InvoiceLine, invoices: Sequence[Invoice], language: str) -> str | None:
    """How a prorated unit price was computed: the regular price of the same product times
    the days charged, over the days of the month. Only said when it gives the invoice's
    figure to the cent (never a formula that does not add up)."""
    regular = [
        other
        for inv in invoices
        for other in inv.lines
        if other.sku == line.sku
        and other.currency == line.currency
        and other.charge_type in ("renewal", "new")
    ]
    if not regular:
        return None
    nearest = min(regular, key=lambda other: abs((other.period_start - line.period_start).days))
    days = (line.period_end - line.period_start).days + 1
    month = calendar.monthrange(line.period_start.year, line.period_start.month)[1]
    computed = (nearest.unit_price * days / month).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if computed != line.unit_price or days >= month:
        return None
    _ = translator(language)
    return _(
        "The prorated price is the regular price {price} × {days} / {month} days = {unit} per "
        "licence: the licences were charged for {days} of the {month} days of that month."
    ).format(
        price=unit_money(nearest.unit_price, line.currency),
        days=days,
        month=month,
        unit=unit_money(line.unit_price, line.currency),
    )


def _line_matches(line: InvoiceLine, question: str, slots: Slots, products: Sequence[str]) -> float:
    lowered = question.lower()
    score = 0.0
    if products and line.product in products[:1]:
        score += 3
    elif products and (line.product in products or line.sku in products):
        score += 1.5
    if line.sku.lower() in lowered:
        score += 4
    for amount in slots.amounts:
        if abs(amount) in (abs(line.amount), abs(line.unit_price)):
            score += 4
    for charge, words in _CHARGE_WORDS.items():
        if line.charge_type == charge and any(w in lowered for w in words):
            score += 2
    if line.amount < 0 and any(w in lowered for w in _NEGATIVE_WORDS):
        score += 1.5
    return score


def lines_in_question(
    question: str, slots: Slots, invoices: Sequence[Invoice], shown: Shown, today: date
) -> tuple[tuple[Invoice, InvoiceLine], ...]:
    """The invoice lines a message names (by product, SKU, amount or kind of charge), best
    first: on the invoices it names (number, month, "the latest"), else on any invoice, newest
    first; none when it names no line ("this invoice is wrong"). A line named on no invoice
    in particular is the newest invoice's."""
    ordered = sorted(invoices, key=lambda inv: inv.issue_date)
    scope = select(slots, ordered, shown, today).invoices
    names = {line.product for inv in ordered for line in inv.lines}
    names |= {line.sku for inv in ordered for line in inv.lines}
    products = matching_products(question, names)
    for candidates in (scope, tuple(reversed(ordered))):
        newest_only = candidates is not scope
        scored = [
            (_line_matches(line, question, slots, products) - 0.01 * rank, inv, line)
            for rank, inv in enumerate(candidates)
            for line in inv.lines
        ]
        # A kind of charge alone ("licences we never bought") names no line.
        scored = [e for e in scored if e[0] > 0 and _names_line(e[2], question, slots, products)]
        if scored:
            top = max(score for score, _inv, _line in scored)
            best = sorted((e for e in scored if e[0] >= top - 0.5), key=lambda e: -e[0])
            if newest_only:
                best = [e for e in best if e[1] is best[0][1]]
            return tuple((inv, line) for _score, inv, line in best[:4])
    return ()


def _names_line(line: InvoiceLine, question: str, slots: Slots, products: Sequence[str]) -> bool:
    """Whether a message names this line itself: its product, SKU or amount."""
    if line.product in products or line.sku in products or line.sku.lower() in question.lower():
        return True
    return any(abs(a) in (abs(line.amount), abs(line.unit_price)) for a in slots.amounts)


def _scored_lines(
    ranked: Sequence[Invoice], question: str, slots: Slots, products: Sequence[str]
) -> list[tuple[float, Invoice, InvoiceLine]]:
    """Every line the message names, scored; earlier invoices in `ranked` score a little more."""
    best: list[tuple[float, Invoice, InvoiceLine]] = []
    for rank, inv in enumerate(ranked):
        for line in inv.lines:
            score = _line_matches(line, question, slots, products)
            if score > 0:
                best.append((score - 0.01 * rank, inv, line))
    return best


def _line_sentence(inv: Invoice, line: InvoiceLine, lang: str) -> str:
    _ = translator(lang)
    meaning = CHARGE_MEANING.get(line.charge_type)
    return _(
        "On invoice {number} (issued {issued}), {product} ({charge}: {meaning}), {start} "
        "to {end}: {quantity} × {unit_price} = {amount} before tax."
    ).format(
        number=inv.number,
        issued=base._day(inv.issue_date, lang),
        product=line.product,
        charge=charge_name(line.charge_type, lang),
        meaning=_(meaning) if meaning else line.charge_type,
        start=base._day(line.period_start, lang),
        end=base._day(line.period_end, lang),
        quantity=formats.quantity(line.quantity, lang),
        unit_price=unit_money(line.unit_price, line.currency, lang),
        amount=money(line.amount, line.currency, lang),
    )


def _line(
    question: str,
    slots: Slots,
    scope: Sequence[Invoice],
    invoices: Sequence[Invoice],
    ask: InvoiceAsk,
    product_hint: str | None,
) -> Lookup:
    candidates = list(scope) or list(reversed(invoices))
    names = {line.product for inv in invoices for line in inv.lines}
    names |= {line.sku for inv in invoices for line in inv.lines}
    products = matching_products(question, names)
    if not products and product_hint:
        products = [product_hint]
    best = _scored_lines(candidates, question, slots, products)
    if not best:
        # nothing named on the invoices in question ("the teams phone licences we cancelled
        # in september" are billed on October's): look in every invoice, newest first
        best = _scored_lines(list(reversed(invoices)), question, slots, products)
    _, lang = translator(ask.language), ask.language
    if not best:
        inv = candidates[0]
        found = base._detail(
            InvoiceAsk(inv.number, ask.customer, [inv], ask.collections, ask.today, ask.language)
        )
        text = _(LINE_NOT_FOUND).format(invoice=found.text)
        return Lookup(
            InvoiceAnswer(text, _precise_lines(inv, lang), found.evidence),
            Shown(I.LINE, (inv.number,)),
        )
    best.sort(key=lambda entry: -entry[0])
    top = best[0][0]
    chosen = [(inv, line) for score, inv, line in best if score >= top - 0.5][:4]
    parts = [_line_sentence(inv, line, lang) for inv, line in chosen]
    parts += _nets(chosen, ask.language)
    parts += [
        how
        for _inv, line in chosen
        if line.charge_type == "prorate"
        and (how := _proration(line, invoices, ask.language)) is not None
    ]
    inv = chosen[0][0]
    rows = tuple(
        (
            line.product,
            charge_name(line.charge_type, lang),
            formats.quantity(line.quantity, lang),
            unit_money(line.unit_price, line.currency, lang),
            money(line.amount, line.currency, lang),
        )
        for _inv, line in chosen
    )
    table = Table(line_columns(lang), rows)
    shown = Shown(
        I.LINE, tuple(dict.fromkeys(i.number for i, _line in chosen)), chosen[0][1].product
    )
    return Lookup(InvoiceAnswer(" ".join(parts), table, base._evidence([inv])), shown)

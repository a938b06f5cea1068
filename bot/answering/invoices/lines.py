"""One charge: which invoice lines a message names (by product, SKU, amount or kind of
charge), what each is and how it was computed (a proration, a purchase netted with its
cancellation)."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from bot.answering.invoices.detail import detail
from bot.answering.invoices.evidence import evidence
from bot.answering.invoices.render import charge_name, day, line_table, money, unit_money
from bot.answering.invoices.selection import select
from bot.answering.invoices.values import InvoiceAnswer, InvoiceAsk, Lookup
from bot.conversation.state import Shown
from bot.knowledge.invoices import Invoice, InvoiceLine
from bot.locale import N_, formats, translator
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
        issued=day(inv.issue_date, lang),
        product=line.product,
        charge=charge_name(line.charge_type, lang),
        meaning=_(meaning) if meaning else line.charge_type,
        start=day(line.period_start, lang),
        end=day(line.period_end, lang),
        quantity=formats.quantity(line.quantity, lang),
        unit_price=unit_money(line.unit_price, line.currency, lang),
        amount=money(line.amount, line.currency, lang),
    )


def answer_line(
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
        found = detail(ask.about(inv.number, [inv]))
        text = _(LINE_NOT_FOUND).format(invoice=found.text)
        return Lookup(
            InvoiceAnswer(text, line_table(inv.lines, lang), found.evidence),
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
    table = line_table((line for _inv, line in chosen), lang)
    shown = Shown(
        I.LINE, tuple(dict.fromkeys(i.number for i, _line in chosen)), chosen[0][1].product
    )
    return Lookup(InvoiceAnswer(" ".join(parts), table, evidence([inv])), shown)

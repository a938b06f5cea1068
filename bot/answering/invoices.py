"""Invoice answers, computed from the customer's own invoice records (never retrieved).

Each answer is one small function over `Invoice` values (bot/answering/invoice_requests.py
picks one by intent); the caller has already restricted the invoices to the asking
customer, so nothing here can leak another's data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.knowledge.customers import AccountStatus, Customer
from bot.knowledge.invoices import STATUS_WORDS, Invoice, InvoiceLine, InvoiceStatus
from bot.knowledge.partner import Collections, StepKind
from bot.locale import N_, SOURCE_LANGUAGE, formats, plural_translator, translator
from bot.types import Table
from bot.understanding.slots import INVOICE_NUMBER


@dataclass(frozen=True, slots=True)
class InvoiceAsk:
    """One invoice question, with everything its answer may use: the asker's invoices only."""

    question: str
    customer: Customer
    invoices: Sequence[Invoice]
    collections: Collections
    today: date
    language: str = SOURCE_LANGUAGE  # the reply's


@dataclass(frozen=True, slots=True)
class InvoiceAnswer:
    text: str
    table: Table | None
    evidence: tuple[str, ...]  # invoice lines considered, as "path:line: ..."


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


def _day(value: date, language: str = SOURCE_LANGUAGE) -> str:
    return formats.day(value, language)


def _invoice_table(
    invoices: Sequence[Invoice], today: date, language: str = SOURCE_LANGUAGE
) -> Table:
    _ = translator(language)
    rows = tuple(
        (
            inv.number,
            formats.short_day(inv.issue_date, language),
            formats.short_day(inv.due_date, language),
            money(inv.total, inv.currency, language),
            _status(inv, today, language),
        )
        for inv in invoices
    )
    return Table((_("Invoice"), _("Issued"), _("Due"), _("Total"), _("Status")), rows)


def _status(invoice: Invoice, today: date, language: str = SOURCE_LANGUAGE) -> str:
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


def _evidence(invoices: Sequence[Invoice]) -> tuple[str, ...]:
    return tuple(_evidence_line(inv, line) for inv in invoices for line in inv.lines)


def _evidence_line(inv: Invoice, line: InvoiceLine) -> str:
    return (
        f"{line.source}: {inv.number} {line.product} {line.charge_type} "
        f"{line.quantity} × {line.unit_price} = {money(line.amount, line.currency)} ({inv.status})"
    )


def escalation_evidence(
    question: str,
    invoices: Sequence[Invoice],
    in_question: Sequence[tuple[Invoice, InvoiceLine]] = (),
) -> tuple[str, ...]:
    """The invoice lines an agent needs beside an escalation: the invoices the message names,
    else those of the lines it names (`in_question`: "that SQL charge isn't ours"), else the
    customer's open ones (with their paid / overdue / disputed status). The lines in
    question come first."""
    named = {m.upper() for m in INVOICE_NUMBER.findall(question)}
    chosen = [inv for inv in invoices if inv.number.upper() in named]
    if not chosen:
        numbers = {inv.number for inv, _line in in_question}
        chosen = [inv for inv in invoices if inv.number in numbers]
    first = [(inv, line) for inv, line in in_question if inv in chosen]
    rest = [(inv, line) for inv in chosen for line in inv.lines if (inv, line) not in first]
    if not chosen:
        rest = [(inv, line) for inv in invoices if inv.is_open for line in inv.lines]
    return tuple(_evidence_line(inv, line) for inv, line in first + rest)


def no_invoices(customer: Customer, language: str = SOURCE_LANGUAGE) -> str:
    _ = translator(language)
    return _("I have no invoices on record for {customer}.").format(customer=customer.name)


def _open(invoices: Sequence[Invoice]) -> list[Invoice]:
    return [inv for inv in invoices if inv.is_open]


def _detail(ask: InvoiceAsk) -> InvoiceAnswer:
    _, lang = translator(ask.language), ask.language
    wanted = {m.upper() for m in INVOICE_NUMBER.findall(ask.question)}
    found = [inv for inv in ask.invoices if inv.number.upper() in wanted]
    if not found:
        # The same words whether the number exists for someone else or not at all.
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
    rows = tuple(
        (
            line.product,
            charge_name(line.charge_type, lang),
            formats.quantity(line.quantity, lang),
            money(line.unit_price, inv.currency, lang),
            money(line.amount, inv.currency, lang),
        )
        for line in inv.lines
    )
    text = _(
        "Invoice {number}, issued {issued}, due {due}: {subtotal} + tax {tax} = {total} ({status})."
    ).format(
        number=inv.number,
        issued=_day(inv.issue_date, lang),
        due=_day(inv.due_date, lang),
        subtotal=money(inv.subtotal, inv.currency, lang),
        tax=money(inv.tax, inv.currency, lang),
        total=money(inv.total, inv.currency, lang),
        status=_status(inv, ask.today, lang),
    )
    return InvoiceAnswer(text, Table(line_columns(lang), rows), _evidence([inv]))


def line_columns(language: str = SOURCE_LANGUAGE) -> tuple[str, ...]:
    """The columns of a table of invoice lines."""
    _ = translator(language)
    return (_("Product"), _("Charge"), _("Qty"), _("Unit price"), _("Amount"))


def _compare(ask: InvoiceAsk) -> InvoiceAnswer:
    _, lang = translator(ask.language), ask.language
    if len(ask.invoices) < 2:
        return InvoiceAnswer(
            _("You have only one invoice so far, so there is nothing to compare it with."),
            None,
            _evidence(ask.invoices),
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
    return InvoiceAnswer(text, table, _evidence([previous, latest]))


def collections_outlook(
    invoice: Invoice, collections: Collections, today: date, language: str = SOURCE_LANGUAGE
) -> str:
    """What the collections policy does next for one open invoice."""
    _, ngettext = translator(language), plural_translator(language)
    late = invoice.days_overdue(today)
    timeline = collections.timeline(invoice.due_date)  # the days collections acts on
    notice = next(day for step, day in timeline if step.kind is StepKind.SUSPENSION_NOTICE)
    suspension = next(day for step, day in timeline if step.kind is StepKind.SUSPENSION)
    if late >= collections.suspension_days:
        return (
            ngettext(
                "It is past the {days}-day limit, so access to your services can be suspended now.",
                "It is past the {days}-day limit, so access to your services can be suspended now.",
                collections.suspension_days,
            ).format(days=collections.suspension_days)
            + f" {collections.reinstatement_in(language)}"
        ).strip()
    if late >= collections.suspension_notice_days:
        return _(
            "A suspension notice has been sent; if it is still unpaid on {date}, access to "
            "your services will be suspended."
        ).format(date=_day(suspension, language))
    steps = [
        _("a suspension notice on {date}").format(date=_day(notice, language)),
        _("suspension of access on {date}").format(date=_day(suspension, language)),
    ]
    reminders = [
        day for step, day in timeline if step.kind is StepKind.REMINDER and step.offset > late
    ]
    if reminders:
        steps.insert(0, _("a reminder on {date}").format(date=_day(reminders[0], language)))
    return _("If it stays unpaid, the collections policy sends {steps}.").format(
        steps=_(", then ").join(steps)
    )


def _overdue(ask: InvoiceAsk) -> InvoiceAnswer:
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
                date=_day(nxt.due_date, lang),
            )
        return InvoiceAnswer(text, None, _evidence(unpaid))
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
            date=_day(worst.due_date, lang),
            days=days,
        )
        + " "
        + collections_outlook(worst, ask.collections, ask.today, lang)
    )
    if ask.customer.account_status == AccountStatus.SUSPENDED:
        text += " " + _("Your account is currently suspended.") + " "
        text += ask.collections.reinstatement_in(lang)
    return InvoiceAnswer(text, _invoice_table(late, ask.today, lang), _evidence(late))


def _balance(ask: InvoiceAsk) -> InvoiceAnswer:
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
    text = ngettext(
        "Your outstanding balance is {owed} across {count} open invoice",
        "Your outstanding balance is {owed} across {count} open invoices",
        len(unpaid),
    ).format(owed=owed, count=len(unpaid))
    if late:
        overdue = ngettext(", of which {count} overdue.", ", of which {count} overdue.", len(late))
        text += overdue.format(count=len(late))
    else:
        text += "."
    return InvoiceAnswer(text, _invoice_table(unpaid, ask.today, lang), _evidence(unpaid))


def _due(ask: InvoiceAsk) -> InvoiceAnswer:
    _, lang = translator(ask.language), ask.language
    ngettext = plural_translator(lang)
    unpaid = sorted(_open(ask.invoices), key=lambda inv: inv.due_date)
    if not unpaid:
        last = ask.invoices[-1]
        paid = _day(last.paid_date, lang) if last.paid_date else ""
        return InvoiceAnswer(
            _("Nothing is due: every invoice is paid. Your latest, {number}, was paid {date}.")
            .format(number=last.number, date=paid)
            .replace(" .", "."),
            None,
            (),
        )
    parts = []
    for inv in unpaid:
        late = inv.days_overdue(ask.today)
        due = _day(inv.due_date, lang)
        state = (
            ngettext(
                "was due {date} ({days} day overdue)", "was due {date} ({days} days overdue)", late
            ).format(date=due, days=late)
            if late
            else _("is due {date}").format(date=due)
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
    return InvoiceAnswer(text, _invoice_table(unpaid, ask.today, lang), _evidence(unpaid))


def _recent(ask: InvoiceAsk) -> InvoiceAnswer:
    ngettext = plural_translator(ask.language)
    recent = list(ask.invoices[-6:])[::-1]
    text = ngettext(
        "The most recent invoice for {customer}:",
        "The {count} most recent invoices for {customer}:",
        len(recent),
    ).format(count=len(recent), customer=ask.customer.name)
    return InvoiceAnswer(text, _invoice_table(recent, ask.today, ask.language), ())

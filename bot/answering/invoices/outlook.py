"""What the collections policy does next for one open invoice."""

from __future__ import annotations

from datetime import date

from bot.answering.invoices.render import day
from bot.knowledge.invoices import Invoice
from bot.knowledge.partner import Collections, StepKind
from bot.locale import SOURCE_LANGUAGE, plural_translator, translator


def collections_outlook(
    invoice: Invoice, collections: Collections, today: date, language: str = SOURCE_LANGUAGE
) -> str:
    """What the collections policy does next for one open invoice."""
    _, ngettext = translator(language), plural_translator(language)
    late = invoice.days_overdue(today)
    timeline = collections.timeline(invoice.due_date)  # the days collections acts on
    notice = next(when for step, when in timeline if step.kind is StepKind.SUSPENSION_NOTICE)
    suspension = next(when for step, when in timeline if step.kind is StepKind.SUSPENSION)
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
        ).format(date=day(suspension, language))
    steps = [
        _("a suspension notice on {date}").format(date=day(notice, language)),
        _("suspension of access on {date}").format(date=day(suspension, language)),
    ]
    reminders = [
        when for step, when in timeline if step.kind is StepKind.REMINDER and step.offset > late
    ]
    if reminders:
        steps.insert(0, _("a reminder on {date}").format(date=day(reminders[0], language)))
    return _("If it stays unpaid, the collections policy sends {steps}.").format(
        steps=_(", then ").join(steps)
    )

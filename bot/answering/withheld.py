"""What a customer is told about an invoice that is withheld (one of its lines was rejected
by `billing-bot check`): never the part that loaded, as if it were the whole.

All the words for customers live here. `qualify` wraps any invoice answer: a question about
a withheld invoice gets "I can't show invoice X right now"; an answer that adds up or lists
invoices (balance, due, overdue, recent, compare) says first which invoice it leaves out; a
customer with no complete invoice, or any customer while an invoice file is refused
(`refused`), hears "I can't show your invoices right now", never "no invoices".
The agents see why, in the answer's evidence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bot.answering.invoices.values import InvoiceAnswer
from bot.knowledge.invoices import WithheldInvoice
from bot.knowledge.problems import Problem
from bot.locale import SOURCE_LANGUAGE, translator
from bot.understanding.slots import INVOICE_NUMBER

log = logging.getLogger(__name__)


def cannot_show(numbers: Sequence[str], language: str = SOURCE_LANGUAGE) -> str:
    _ = translator(language)
    if len(numbers) == 1:
        sentence = _("I can't show invoice {number} right now; our billing team has been told.")
        return sentence.format(number=numbers[0])
    return _("I can't show invoices {numbers} right now; our billing team has been told.").format(
        numbers=_list(numbers, language)
    )


def cannot_show_any(language: str = SOURCE_LANGUAGE) -> str:
    _ = translator(language)
    return _("I can't show your invoices right now; our billing team has been told.")


def refused(problems: Sequence[Problem], language: str = SOURCE_LANGUAGE) -> InvoiceAnswer:
    """The answer to any invoice question while an invoice file is refused (`problems`):
    what loaded may lack any invoice, so nothing of it is told as fact."""
    log.warning("invoice answer withheld: %s", "; ".join(str(p) for p in problems))
    return InvoiceAnswer(cannot_show_any(language), None, tuple(str(p) for p in problems))


def qualify(
    question: str,
    withheld: Sequence[WithheldInvoice],
    compute: Callable[[], InvoiceAnswer],
    language: str = SOURCE_LANGUAGE,
    *,
    complete: bool = True,
) -> InvoiceAnswer:
    """The answer `compute` gives, unless `withheld` (the asker's withheld invoices) makes
    it incomplete: then the customer hears which invoice is missing from it, or, with no
    `complete` invoice to tell of, that their invoices can't be shown."""
    if not withheld:
        return compute()
    named = {m.upper() for m in INVOICE_NUMBER.findall(question)}
    asked = [w for w in withheld if w.number.upper() in named]
    for invoice in withheld:
        log.warning(
            "invoice %s withheld from %s (%s)",
            invoice.number,
            ", ".join(sorted(invoice.customer_ids)),
            "; ".join(str(reason) for reason in invoice.reasons),
        )
    if asked:
        return InvoiceAnswer(
            cannot_show([w.number for w in asked], language), None, agent_evidence(asked)
        )
    if not complete:  # every invoice withheld: "no invoices on record" would be false
        return InvoiceAnswer(cannot_show_any(language), None, agent_evidence(withheld))
    _ = translator(language)
    found = compute()
    numbers = [w.number for w in withheld]
    rest = (
        _("Leaving it out, here is what I can tell you: {answer}")
        if len(numbers) == 1
        else _("Leaving them out, here is what I can tell you: {answer}")
    )
    return InvoiceAnswer(
        f"{cannot_show(numbers, language)} {rest.format(answer=found.text)}",
        found.table,
        found.evidence + agent_evidence(withheld),
    )


def agent_evidence(withheld: Sequence[WithheldInvoice]) -> tuple[str, ...]:
    """For the agents: each withheld invoice and the rejected line that withholds it."""
    return tuple(
        f"{reason.path}:{reason.line}: {invoice.number} withheld from the customer: "
        f"{reason.message}"
        for invoice in withheld
        for reason in invoice.reasons
    )


def _list(items: Sequence[str], language: str = SOURCE_LANGUAGE) -> str:
    _ = translator(language)
    return ", ".join(items[:-1]) + _(" and ") + items[-1]

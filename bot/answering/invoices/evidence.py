"""What agents see beside an invoice answer or an escalation: the invoice lines considered,
each as "path:line: number product charge quantity × unit price = amount (status)"."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.invoices.render import money
from bot.knowledge.invoices import Invoice, InvoiceLine
from bot.understanding.slots import INVOICE_NUMBER


def evidence(invoices: Sequence[Invoice]) -> tuple[str, ...]:
    """Every line of `invoices`."""
    return tuple(evidence_line(inv, line) for inv in invoices for line in inv.lines)


def evidence_line(inv: Invoice, line: InvoiceLine) -> str:
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
    return tuple(evidence_line(inv, line) for inv, line in first + rest)

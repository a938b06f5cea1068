"""Open dispute tickets as the plan's `Dispute`s.

A dispute ticket (escalation category `billing_dispute`) names its invoices in what the
customer wrote (the question, the customer's lines of the conversation) and in its evidence:
the bot attaches the invoice lines the message names, else the customer's open invoices, each
starting "path:line: <invoice number> ...". Every invoice number found there is held while
the ticket is not resolved; only the ticket's own customer's invoices are (see `plan`).

A reminder's "Dispute this invoice" clicked while the conversation has an active ticket of
another category (one conversation, one ticket) adds to that ticket instead: it then carries
the evidence line `disputed_line(number)`, and the invoices named on such lines are held
while it is open, whatever its category.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.collections.plan import Dispute
from bot.tickets.status import Status
from bot.tickets.values import Ticket
from bot.understanding.slots import INVOICE_NUMBER

DISPUTE_CATEGORY = "billing_dispute"
DISPUTED = "disputed:"  # an evidence line "disputed: NW-2026-0466" (any category)


def disputed_line(number: str) -> str:
    """The evidence line that holds `number` on a ticket of any category."""
    return f"{DISPUTED} {number}"


def named_invoices(ticket: Ticket) -> tuple[str, ...]:
    """The invoice numbers a ticket names (upper case, first mention first)."""
    texts = [ticket.question, *ticket.evidence]
    texts += [entry.text for entry in ticket.transcript if entry.author == "customer"]
    found = (m.upper() for text in texts for m in INVOICE_NUMBER.findall(text))
    return tuple(dict.fromkeys(found))


def held_invoices(ticket: Ticket, category: str = DISPUTE_CATEGORY) -> tuple[str, ...]:
    """The invoice numbers a ticket disputes: all it names for a dispute ticket, else those
    on its `disputed:` evidence lines."""
    if ticket.category == category:
        return named_invoices(ticket)
    lines = (e.removeprefix(DISPUTED) for e in ticket.evidence if e.startswith(DISPUTED))
    found = (m.upper() for line in lines for m in INVOICE_NUMBER.findall(line))
    return tuple(dict.fromkeys(found))


def open_disputes(
    tickets: Iterable[Ticket], category: str = DISPUTE_CATEGORY
) -> dict[str, Dispute]:
    """Invoice number -> its open dispute, from tickets not yet resolved: of `category`, or
    any other carrying `disputed:` lines (the oldest ticket naming an invoice is shown)."""
    found: dict[str, Dispute] = {}
    for ticket in tickets:
        if ticket.status == Status.RESOLVED:
            continue
        for number in held_invoices(ticket, category):
            found.setdefault(number, Dispute(number, ticket.number, None, ticket.customer_id))
    return found

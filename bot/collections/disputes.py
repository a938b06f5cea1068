"""Open dispute tickets as the plan's `Dispute`s.

A dispute ticket (escalation category `billing_dispute`) names its invoices in what the
customer wrote (the question, the customer's lines of the conversation) and in its evidence:
the bot attaches the invoice lines the message names, else the customer's open invoices, each
starting "path:line: <invoice number> ...". Every invoice number found there is held while
the ticket is not resolved; only the ticket's own customer's invoices are (see `plan`).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.collections.plan import Dispute
from bot.tickets.status import Status
from bot.tickets.values import Ticket
from bot.understanding.slots import INVOICE_NUMBER

DISPUTE_CATEGORY = "billing_dispute"


def named_invoices(ticket: Ticket) -> tuple[str, ...]:
    """The invoice numbers a ticket names (upper case, first mention first)."""
    texts = [ticket.question, *ticket.evidence]
    texts += [entry.text for entry in ticket.transcript if entry.author == "customer"]
    found = (m.upper() for text in texts for m in INVOICE_NUMBER.findall(text))
    return tuple(dict.fromkeys(found))


def open_disputes(
    tickets: Iterable[Ticket], category: str = DISPUTE_CATEGORY
) -> dict[str, Dispute]:
    """Invoice number -> its open dispute, from tickets of `category` not yet resolved (the
    oldest ticket naming an invoice is the one shown)."""
    found: dict[str, Dispute] = {}
    for ticket in tickets:
        if ticket.category != category or ticket.status == Status.RESOLVED:
            continue
        for number in named_invoices(ticket):
            found.setdefault(number, Dispute(number, ticket.number, None, ticket.customer_id))
    return found

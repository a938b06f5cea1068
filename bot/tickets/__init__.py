"""Tickets for questions outside baseline support, and the machinery that makes sure nothing
between a customer and an agent is lost: SQLAlchemy models with Alembic migrations, the
state machine, a durable outbox written in the same transaction as each change, and the
dispatcher that delivers it (see docs/escalation.md).
"""

from bot.tickets.dispatcher import Dispatcher
from bot.tickets.outbox import Outbox, OutboxStatus
from bot.tickets.status import Status
from bot.tickets.store import TicketStore
from bot.tickets.values import OutboxEntry, Ticket, TicketEvent, TranscriptEntry

__all__ = [
    "Dispatcher",
    "Outbox",
    "OutboxEntry",
    "OutboxStatus",
    "Status",
    "Ticket",
    "TicketEvent",
    "TicketStore",
    "TranscriptEntry",
]

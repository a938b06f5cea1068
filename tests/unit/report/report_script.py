"""The report suite's twins: `Script`, customer turns written through the real stores (turns,
tickets, feedback) as the assistant writes them, and `report_of`, the report as of a pinned
clock."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tickets"))

from ticket_twins import StepClock

from bot.conversation.turns import TurnNote
from bot.knowledge.partner import SupportHours, _window
from bot.reasons import Reason
from bot.report.figures import Report, gather
from bot.retrieval.embedder import HashingEmbedder
from bot.storage.stores import Storage
from bot.tickets.values import Ticket
from bot.types import Citation, Reply, ReplyKind

# Monday 2026-11-02, 10:00 in Amsterdam: inside support hours.
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOURS = SupportHours(
    timezone="Europe/Amsterdam",
    hours={day: _window("08:00-18:00") for day in ("mon", "tue", "wed", "thu", "fri")},
)
ARTICLES = ("articles/invoice-schedule.md", "articles/refunds-and-credits.md")


@dataclass
class Script:
    """One customer's conversation, written turn by turn at the clock's time."""

    storage: Storage
    clock: StepClock
    customer: str = "fabrikam"
    conversation: str = "conv-1"
    channel: str = "teams"
    ticket: Ticket | None = field(default=None, init=False)

    def wait(self, hours: float) -> Script:
        self.clock.advance(hours * 3600)
        return self

    def turn(
        self,
        kind: ReplyKind,
        *,
        intent: str | None = None,
        topic: str | None = None,
        language: str = "en",
        offered: bool = False,
        cites: str | None = None,
    ) -> Script:
        self.wait(1 / 60)
        citations = (Citation("A title", "A section", cites),) if cites else ()
        ticket = self.ticket.info() if self.ticket and kind in _TICKETED else None
        reply = Reply("…", kind, 0.9, citations, ticket=ticket, language=language)
        with self.storage.db.transaction() as conn:
            self.storage.turns.record_in(
                conn,
                channel=self.channel,
                conversation=self.conversation,
                note=TurnNote(self.customer, intent, topic),
                reply=reply,
                offered=offered,
            )
        return self

    # What the assistant's replies record, by kind.
    def answered(self, article: str = ARTICLES[0], language: str = "en") -> Script:
        return self.turn(ReplyKind.ANSWER, intent="policy", cites=article, language=language)

    def looked_up(self, intent: str = "invoice.due") -> Script:
        return self.turn(ReplyKind.INVOICE, intent=intent, topic=intent)

    def solved(self) -> Script:
        return self.turn(ReplyKind.GREETING, intent="solved")

    def thanks(self) -> Script:
        return self.turn(ReplyKind.GREETING, intent="greeting")

    def thumbs(self, up: bool, about: str = ARTICLES[0], reason: Reason | None = None) -> Script:
        self.turn(ReplyKind.FEEDBACK, intent="feedback.helpful" if up else "feedback.unhelpful")
        with self.storage.db.write() as session:
            self.storage.feedback.vote_in(
                session, self.channel, self.conversation, up, about, reason
            )
        return self

    def not_sure(self) -> Script:
        return self.turn(ReplyKind.NOT_SURE, intent="policy", offered=True)

    def out_of_scope(self) -> Script:
        return self.turn(ReplyKind.OUT_OF_SCOPE, intent="not_billing")

    def no_thanks(self) -> Script:
        return self.turn(ReplyKind.GREETING, intent="offer.no")

    def escalated(
        self, category: str = "billing_dispute", route: str = "partner_billing"
    ) -> Script:
        self.wait(1 / 60)
        with self.storage.tickets.database.write() as session:
            self.ticket = self.storage.tickets.open_in(
                session,
                customer_id=self.customer,
                category=category,
                route=route,
                question="…",
                transcript=(),
                evidence=(),
                channel=self.channel,
                conversation=self.conversation,
            )
        return self.turn(ReplyKind.ESCALATE, intent=f"escalate.{category}")

    def agent_replies(self, after_hours: float) -> Script:
        assert self.ticket is not None
        self.wait(after_hours)
        with self.storage.tickets.database.write() as session:
            self.storage.tickets.add_agent_reply_in(
                session, self.ticket.number, "agent-ana", "On it."
            )
        return self

    def resolved(self, after_hours: float) -> Script:
        assert self.ticket is not None
        self.wait(after_hours)
        with self.storage.tickets.database.write() as session:
            self.storage.tickets.resolve_in(session, self.ticket.number, "agent-ana")
        return self


_TICKETED = (ReplyKind.ESCALATE, ReplyKind.RELAYED)


def report_of(storage: Storage, *, days: int = 60, now: datetime | None = None) -> Report:
    """The report of the episodes started since START, as of `now` (default: the clock
    moved 30 days on, so every follow-up window has passed)."""
    clock = storage.db.now
    assert isinstance(clock, StepClock)
    clock.now = now or clock.now + timedelta(days=30)
    return gather(
        storage.db,
        since=START - timedelta(days=1),
        until=START + timedelta(days=days),
        hours=HOURS,
        articles=ARTICLES,
        embedder=HashingEmbedder(),
    )

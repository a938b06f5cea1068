"""The core's vocabulary: plain frozen values that cross every boundary.

Adapters translate platform payloads into `Message` and render `Reply`; nothing in here
knows about Teams, Slack or HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.tickets.status import Status, parse_status


class Role(StrEnum):
    """Who is asking: a customer sees only its own data, an agent sees everything."""

    CUSTOMER = "customer"
    AGENT = "agent"


class Audience(StrEnum):
    """Who an article is written for; `agent` articles never reach customers."""

    CUSTOMER = "customer"
    AGENT = "agent"


class ReplyKind(StrEnum):
    ANSWER = "answer"  # a policy answer with citations
    INVOICE = "invoice"  # computed from the customer's own invoice records
    NOT_SURE = "not_sure"  # confidence too low: the bot offers a ticket instead of bluffing
    ESCALATE = "escalate"  # a ticket was opened (or added to) for a human
    OUT_OF_SCOPE = "out_of_scope"  # not a billing question
    UNKNOWN_CUSTOMER = "unknown_customer"  # the tenant maps to no customer: no data given
    RELAYED = "relayed"  # a human owns the conversation; the message went to the agents
    TICKET_STATUS = "ticket_status"  # the status of the conversation's ticket
    WELCOME = "welcome"  # greeting on install
    GREETING = "greeting"  # a reply to hello / thanks / goodbye
    FEEDBACK = "feedback"  # thanks for a "was this helpful?" vote
    DUPLICATE = "duplicate"  # a platform redelivered an event: nothing to send (text is empty)


@dataclass(frozen=True, slots=True)
class Message:
    """One inbound message, channel-neutral.

    `conversation` identifies where a reply goes (the adapter's stable id for the chat);
    `tenant_id` resolves the customer; `customer_id` is set only by trusted callers (the
    CLI, an agent's lookup) and is ignored for customers coming from a channel.
    `event_id` is the platform's delivery id, used to drop duplicate deliveries.
    `value` carries a card action's payload (Action.Submit / Action.Execute).
    """

    text: str
    channel: str = "cli"
    conversation: str = "cli"
    user_id: str = ""
    user_name: str = ""
    tenant_id: str | None = None
    role: Role = Role.CUSTOMER
    customer_id: str | None = None
    locale: str = "en-US"
    event_id: str | None = None
    value: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    title: str
    section: str
    path: str


@dataclass(frozen=True, slots=True)
class Passage:
    """One heading section of one knowledge article: the unit of retrieval and citation."""

    id: str  # "<path>#<index>", stable while the file's structure is
    path: str  # relative to the knowledge folder, "/" separators
    title: str
    section: str
    text: str
    audience: Audience = Audience.CUSTOMER
    line: int = 1
    tags: tuple[str, ...] = ()
    language: str = "en"  # ISO 639-1 code of the text: "en", "es", ...

    @property
    def citation(self) -> Citation:
        return Citation(self.title, self.section, self.path)

    @property
    def opening(self) -> bool:
        """The article's opening (its text before the first `##`), which states its subject
        as a whole: it is cited under the article's title."""
        return self.section == self.title


@dataclass(frozen=True, slots=True)
class Table:
    """A small table for invoice answers; adapters render it natively."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class TicketInfo:
    """What a customer or the CLI sees of a ticket."""

    number: str
    category: str
    route: str
    status: Status
    expected_reply: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "category": self.category,
            "route": self.route,
            "status": self.status,
            "expected_reply": self.expected_reply,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TicketInfo:
        return cls(
            number=str(data["number"]),
            category=str(data["category"]),
            route=str(data["route"]),
            status=parse_status(str(data["status"])),
            expected_reply=data.get("expected_reply"),
        )


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    kind: ReplyKind
    confidence: float = 0.0
    citations: tuple[Citation, ...] = ()
    table: Table | None = None
    ticket: TicketInfo | None = None
    # Passages and invoice lines the bot considered: shown to agents on escalation.
    evidence: tuple[str, ...] = field(default=(), compare=False)
    # The language the text is in: adapters write their own words (buttons, labels) in it.
    language: str = field(default="en", compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "language": self.language,
            "kind": str(self.kind),
            "confidence": round(self.confidence, 4),
            "citations": [
                {"title": c.title, "section": c.section, "path": c.path} for c in self.citations
            ],
            "table": None
            if self.table is None
            else {"columns": list(self.table.columns), "rows": [list(r) for r in self.table.rows]},
            "ticket": None if self.ticket is None else self.ticket.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reply:
        """The inverse of `to_json` (evidence is not kept)."""
        table = data.get("table")
        ticket = data.get("ticket")
        return cls(
            text=str(data["text"]),
            kind=ReplyKind(data["kind"]),
            confidence=float(data.get("confidence") or 0.0),
            citations=tuple(
                Citation(str(c["title"]), str(c["section"]), str(c["path"]))
                for c in data.get("citations") or ()
            ),
            table=None
            if table is None
            else Table(tuple(table["columns"]), tuple(tuple(r) for r in table["rows"])),
            ticket=None if ticket is None else TicketInfo.from_json(ticket),
            language=str(data.get("language") or "en"),
        )


class Action(StrEnum):
    """Button payloads that adapters put on cards/blocks and hand back in `Message.value`.

    {"action": "feedback", "helpful": true|false, "about": "<the answer's first citation or text>",
     "reason": "<a 👎's bot.reasons.Reason, optional>"}
    {"action": "talk_to_person"}  -> escalate the conversation to a human
    {"action": "solved", "ticket": "BILL-1001", "solved": true|false}  -> after a resolution;
        not solved reopens the ticket
    """

    FEEDBACK = "feedback"
    TALK_TO_PERSON = "talk_to_person"
    SOLVED = "solved"
    INVOICE_PAID = "invoice_paid"  # {"invoice": "NW-2026-0510"}: a reminder's "I've paid"
    DISPUTE_INVOICE = "dispute_invoice"  # {"invoice": ...}: a reminder's "Dispute this invoice"

"""The state of one conversation between turns: what the bot last showed, the offer it is
waiting on, the customer's language. Follow-ups ("and the one before?", "when is it due",
"yes") resolve against it.

A frozen value, serialised as JSON with the conversation; a turn reads it at the start and
writes the next one with its reply.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.understanding.intents import Intent, parse_intent

OFFER_LIFETIME = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class PendingOffer:
    """The bot offered to open a ticket; "yes" before `expires_at` accepts it."""

    category: str  # escalation.yaml category id the ticket would get
    question: str  # the message the offer answered
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class Shown:
    """What the last reply was about."""

    intent: Intent | None = None
    invoices: tuple[str, ...] = ()  # invoice numbers, in the order shown
    product: str | None = None
    article: str | None = None  # path of the cited article
    earlier: tuple[str, ...] = ()  # invoices the reply before showed: "why the difference"

    def then(self, following: Shown) -> Shown:
        """The next reply's `Shown`, remembering what this one showed."""
        return following if not self.invoices else _with_earlier(following, self.invoices)


def _with_earlier(shown: Shown, earlier: tuple[str, ...]) -> Shown:
    return replace(shown, earlier=earlier)


@dataclass(frozen=True, slots=True)
class ConversationState:
    language: str = "en"
    shown: Shown = field(default_factory=Shown)
    pending_offer: PendingOffer | None = None
    # The conversation so far, (speaker, text): a ticket opened later carries it.
    transcript: tuple[tuple[str, str], ...] = ()
    customer: str | None = None  # for agents: the customer the conversation is about

    def offer(self, now: datetime) -> PendingOffer | None:
        """The pending offer, if it has not expired."""
        return self.pending_offer if self.pending_offer and self.pending_offer.live(now) else None

    def said(self, speaker: str, text: str, keep: int = 20) -> ConversationState:
        if not text:
            return self
        return replace(self, transcript=(*self.transcript, (speaker, text))[-keep:])

    def to_json(self) -> dict[str, Any]:
        offer = self.pending_offer
        return {
            "language": self.language,
            "shown": {
                "intent": self.shown.intent,
                "invoices": list(self.shown.invoices),
                "product": self.shown.product,
                "article": self.shown.article,
                "earlier": list(self.shown.earlier),
            },
            "pending_offer": None
            if offer is None
            else {
                "category": offer.category,
                "question": offer.question,
                "expires_at": offer.expires_at.isoformat(),
            },
            "transcript": [list(pair) for pair in self.transcript],
            "customer": self.customer,
        }

    @classmethod
    def from_json(cls, stored: Mapping[str, Any] | str | None) -> ConversationState:
        """The state as stored (a JSON object, or its text); an empty or unreadable value, or
        one an older version wrote, is a fresh state."""
        if not stored:
            return cls()
        try:
            data = json.loads(stored) if isinstance(stored, str) else stored
            shown = data.get("shown") or {}
            offer = data.get("pending_offer")
            return cls(
                language=str(data.get("language") or "en"),
                shown=Shown(
                    parse_intent(str(shown["intent"])) if shown.get("intent") else None,
                    tuple(shown.get("invoices") or ()),
                    shown.get("product"),
                    shown.get("article"),
                    tuple(shown.get("earlier") or ()),
                ),
                pending_offer=None
                if not offer
                else PendingOffer(
                    str(offer["category"]),
                    str(offer["question"]),
                    datetime.fromisoformat(offer["expires_at"]),
                ),
                transcript=tuple(
                    (str(who), str(said)) for who, said in data.get("transcript") or () if said
                ),
                customer=data.get("customer"),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls()

"""`ConversationState`: what the bot remembers about one conversation between turns.

Loaded at the start of a turn and written in the turn's one commit. Plain JSON-able values
only, so it survives a restart and any replica can take the next turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ConversationState:
    """`language`: the customer's language once known; `last_shown`: what the last answer
    showed (e.g. an invoice number, the cited section), for follow-ups; `pending_offer`:
    an offer a later "yes" accepts (e.g. a ticket), or None."""

    language: str | None = None
    last_shown: Mapping[str, Any] = field(default_factory=dict)
    pending_offer: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "last_shown": dict(self.last_shown),
            "pending_offer": None if self.pending_offer is None else dict(self.pending_offer),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ConversationState:
        """Tolerant of what an older version stored: unknown keys are ignored, wrong types
        fall back to the defaults."""
        if not isinstance(data, Mapping):
            return cls()
        language = data.get("language")
        last_shown = data.get("last_shown")
        offer = data.get("pending_offer")
        return cls(
            language=language if isinstance(language, str) else None,
            last_shown=dict(last_shown) if isinstance(last_shown, Mapping) else {},
            pending_offer=dict(offer) if isinstance(offer, Mapping) else None,
        )

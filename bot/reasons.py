"""Why an answer was not helpful: the fixed reasons a 👎 offers, and their names.

A closed list, so the report can count them; "other" catches the rest. A vote's `reason` is
one of these values or absent (a 👍, or a 👎 from a card that did not ask).
"""

from __future__ import annotations

from enum import StrEnum

from bot.locale import N_


class Reason(StrEnum):
    WRONG = "wrong"
    MISUNDERSTOOD = "misunderstood"
    INCOMPLETE = "incomplete"
    FIGURES = "figures"
    OTHER = "other"


VALUES = frozenset(r.value for r in Reason)

# What the customer's button and the report's row say (translate with `bot.locale`).
NAMES: dict[Reason, str] = {
    Reason.WRONG: N_("Wrong answer"),
    Reason.MISUNDERSTOOD: N_("Not my question"),
    Reason.INCOMPLETE: N_("Incomplete"),
    Reason.FIGURES: N_("Outdated or wrong figures"),
    Reason.OTHER: N_("Something else"),
}


def known_reason(value: object) -> Reason | None:
    """The reason `value` names, or None (absent or unknown: the edge refuses the unknown,
    the core never fails a vote over it)."""
    return Reason(value) if isinstance(value, str) and value in VALUES else None

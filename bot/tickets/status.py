"""The ticket state machine: which status may follow which, and nothing else.

    open ──claim──▶ claimed ──wait_on_customer──▶ waiting_on_customer
      ▲  ◀─unclaim──   │  ▲                              │
      │                │  └──── customer answered ───────┘
      └──── resolve ───┴──────────▶ resolved ◀───────────┘
                                      │  ▲
                               reopen ▼  │ resolve
                                    reopened ──claim──▶ claimed

`reopened` behaves like `open`; it only records that the customer came back.
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import InvalidTransition
from bot.locale import N_


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    REOPENED = "reopened"


ALLOWED: frozenset[tuple[Status, Status]] = frozenset(
    {
        (Status.OPEN, Status.CLAIMED),
        (Status.OPEN, Status.RESOLVED),
        (Status.CLAIMED, Status.OPEN),  # unclaim
        (Status.CLAIMED, Status.WAITING_ON_CUSTOMER),
        (Status.CLAIMED, Status.RESOLVED),
        (Status.WAITING_ON_CUSTOMER, Status.CLAIMED),  # the customer answered
        (Status.WAITING_ON_CUSTOMER, Status.RESOLVED),
        (Status.RESOLVED, Status.REOPENED),
        (Status.REOPENED, Status.CLAIMED),
        (Status.REOPENED, Status.RESOLVED),
    }
)

# Each status as agents read it (translate with `_()`); a channel may word some differently.
WORDS: dict[Status, str] = {
    Status.OPEN: N_("open"),
    Status.CLAIMED: N_("claimed"),
    Status.WAITING_ON_CUSTOMER: N_("waiting on customer"),
    Status.RESOLVED: N_("resolved"),
    Status.REOPENED: N_("reopened"),
}

# A ticket in one of these statuses still owns its customer's conversation.
ACTIVE: frozenset[Status] = frozenset(Status) - {Status.RESOLVED}
# Nobody has picked these up yet.
UNCLAIMED: frozenset[Status] = frozenset({Status.OPEN, Status.REOPENED})


def parse_status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise InvalidTransition(f"unknown ticket status {value!r} (known: {known})") from None


def check_transition(number: str, current: str, target: Status, detail: str = "") -> None:
    """Raise `InvalidTransition` naming the ticket, both statuses and why, if refused."""
    if (Status(current), target) in ALLOWED:
        return
    reason = f" ({detail})" if detail else ""
    raise InvalidTransition(f"{number}: cannot go from {current} to {target.value}{reason}")

"""The agents' daily collections digest: what the day's plan means for the desk. Pure: a
`Plan`, the customers and what the store knows (open "I've paid" claims, agents' pauses, who
can be reached) in; a JSON-able body out, which the Slack adapter lays out in the desk's
language (the body holds values, never sentences).

    overdue              customers owing past a due date: invoices, amounts per currency, the
                         furthest step reached (paid, credited, disputed, paused and claimed
                         invoices are not in it)
    suspension_notices   notices going out from today to the end of the window
    suspensions          suspension days from today to the end of the window, and those past
                         (`since`): suspension is never automatic, an agent acts on it
    claims               "I've paid" clicks awaiting an agent's confirmation
    unreachable          overdue customers the bot has no Teams conversation with
    paused               customers an agent paused, until when, by whom

The digest is queued once a day (`digest_key`): a restart or a second replica queues nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bot.collections.plan import Entry, Outcome, Pause, Plan
from bot.collections.store import Claim
from bot.knowledge.customers import Customer
from bot.knowledge.partner import StepKind

WINDOW = 7  # days: "this week" from the digest's day
# Owing, but not the agents' to chase: the customer says it is paid, or reminders are paused.
SET_ASIDE = frozenset({Outcome.PAUSED, Outcome.CLAIMED_PAID})


def digest_key(day: date) -> str:
    return f"collections_digest:{day.isoformat()}"


def digest(
    plan: Plan,
    customers: Sequence[Customer],
    claims: Sequence[Claim],
    pauses: Mapping[str, Pause],
    reachable: Collection[str] | None,
) -> dict[str, Any]:
    """The digest of `plan.day`. `reachable`: customers with a Teams conversation (None: not
    known, nobody is listed as unreachable)."""
    names = {c.id: c.name for c in customers}
    day, until = plan.day, plan.day + timedelta(days=WINDOW - 1)
    chased = [e for e in plan.entries if e.owing and e.outcome not in SET_ASIDE]

    def who(customer_id: str) -> dict[str, str]:
        return {"customer": customer_id, "name": names.get(customer_id, customer_id)}

    late = _late_by_customer(chased)
    overdue = _overdue(late, who)

    def due(kind: StepKind) -> list[dict[str, Any]]:
        found = []
        for entry in chased:
            for scheduled in (entry.step, entry.next):
                if scheduled is None or scheduled.step.kind is not kind:
                    continue
                past = scheduled.send_on < day
                if scheduled.send_on <= until and (not past or kind is StepKind.SUSPENSION):
                    found.append(
                        {
                            **who(entry.customer_id),
                            "invoice": entry.invoice,
                            "on": scheduled.send_on.isoformat(),
                            "since": past,
                        }
                    )
        return sorted(found, key=lambda f: (f["on"], f["customer"], f["invoice"]))

    unreachable = [] if reachable is None else [who(c) for c in sorted(late) if c not in reachable]
    paused = [
        {**who(p.customer_id), "until": p.until.isoformat() if p.until else None, "by": p.by}
        for p in sorted(pauses.values(), key=lambda p: p.customer_id)
        if p.holds(day)
    ]
    return {
        "day": day.isoformat(),
        "until": until.isoformat(),
        "overdue": overdue,
        "suspension_notices": due(StepKind.SUSPENSION_NOTICE),
        "suspensions": due(StepKind.SUSPENSION),
        "claims": [
            {**who(c.customer_id), "invoice": c.invoice, "by": c.by, "at": c.at.isoformat()}
            for c in claims
        ],
        "unreachable": unreachable,
        "paused": paused,
    }


def _late_by_customer(chased: Sequence[Entry]) -> dict[str, list[Entry]]:
    late: dict[str, list[Entry]] = defaultdict(list)
    for entry in chased:
        if entry.days_overdue > 0:
            late[entry.customer_id].append(entry)
    return late


def _overdue(
    late: Mapping[str, list[Entry]], who: Callable[[str], dict[str, str]]
) -> list[dict[str, Any]]:
    """One row per late customer, the longest overdue first."""
    overdue = []
    for customer_id, entries in sorted(
        late.items(), key=lambda item: (-max(e.days_overdue for e in item[1]), item[0])
    ):
        amounts: dict[str, Decimal] = defaultdict(Decimal)
        for entry in entries:
            amounts[entry.currency] += entry.amount
        reached = [e.step.step for e in entries if e.step is not None]
        overdue.append(
            {
                **who(customer_id),
                "invoices": [e.invoice for e in entries],
                "amounts": {currency: str(amounts[currency]) for currency in sorted(amounts)},
                "days": max(e.days_overdue for e in entries),
                "step": str(max(reached).kind) if reached else None,
            }
        )
    return overdue


def overdue_of(body: Mapping[str, Any]) -> Any:
    """A digest body's overdue customers (read here: the field is named like the invoice
    status, and only this module spells it)."""
    return body["overdue"]

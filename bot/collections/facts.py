"""The plan's `Facts` read from storage: open dispute tickets, which customers have a stored
Teams conversation (a reminder can reach them), the steps already sent, agents' pauses and
"I've paid" claims (`bot.collections.store`). Payments received have no store yet (the
invoice import's `paid` status is what counts)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.collections.disputes import open_disputes
from bot.collections.plan import Facts
from bot.knowledge.customers import Customer
from bot.storage.stores import Storage

TEAMS = "teams"  # the channel name the Teams adapter stores references under


def reachable_customers(storage: Storage, customers: Sequence[Customer]) -> frozenset[str]:
    """Customers with a stored Teams conversation reference (by customer id, else by the
    tenant the reference names)."""
    by_tenant = {tenant: c.id for c in customers for tenant in c.tenant_ids}
    found: set[str] = set()
    for customer_id, tenant in storage.conversations.reachable(TEAMS):
        if customer_id:
            found.add(customer_id)
        elif tenant and tenant in by_tenant:
            found.add(by_tenant[tenant])
    return frozenset(found)


def read_facts(storage: Storage, customers: Sequence[Customer]) -> Facts:
    return Facts(
        disputes=open_disputes(storage.tickets.find()),
        reachable=reachable_customers(storage, customers),
        sent=storage.collections.sent(),
        pauses=storage.collections.pauses(),
        claimed=storage.collections.claimed(),
    )

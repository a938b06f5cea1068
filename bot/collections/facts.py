"""The plan's `Facts` read from storage: open dispute tickets, and which customers have a
stored Teams conversation (a reminder can reach them). Pauses set by agents, payments
received and the history of steps sent have no store yet: they stay empty here."""

from __future__ import annotations

from collections.abc import Sequence

from bot.collections.disputes import open_disputes
from bot.collections.plan import Facts
from bot.knowledge.customers import Customer
from bot.storage import Storage

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
    )

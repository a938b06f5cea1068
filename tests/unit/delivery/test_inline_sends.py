"""The inline-send protocol any channel uses (heartbeat, settle, release), on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.channel import OutboxEvent
from bot.delivery.inline import InlineSends
from bot.delivery.outbox import Claimed, OutboxStatus
from bot.storage.stores import Storage
from tests.unit.tickets.ticket_twins import StepClock

LEASE = timedelta(seconds=0.3)  # real seconds between heartbeats: a third of it


async def run_core(fn: Any, *args: Any) -> Any:
    return await asyncio.to_thread(fn, *args)


def claimed_reply(storage: Storage, clock: StepClock, key: str = "reply-1") -> Claimed:
    with storage.db.write() as session:
        return storage.outbox.enqueue_claimed_in(
            session,
            key=key,
            channel="teams",
            conversation="a:conv-1",
            event=OutboxEvent.REPLY,
            body={"text": "Your invoice is paid."},
            now=clock.now,
            lease=LEASE,
        )


def status_of(storage: Storage, key: str) -> tuple[str, str | None]:
    [entry] = [e for e in storage.outbox.entries(*OutboxStatus) if e.key == key]
    return entry.status, entry.last_error


async def test_a_sent_reply_is_settled_as_delivered(storage: Storage, clock: StepClock) -> None:
    sends = InlineSends(storage.outbox, run_core, lease=LEASE, now=clock)
    delivery = claimed_reply(storage, clock)

    async def send() -> str | None:
        return "activity-7"

    assert await sends.send(delivery, send) is True
    await sends.drain()
    assert status_of(storage, "reply-1") == (OutboxStatus.DELIVERED, None)
    clock.advance(60)  # settled: nobody may claim it again, lease or not
    assert storage.outbox.claim_key("reply-1", now=clock.now, lease=LEASE) is None


async def test_a_failed_send_releases_the_row_to_the_dispatcher(
    storage: Storage, clock: StepClock
) -> None:
    sends = InlineSends(storage.outbox, run_core, lease=LEASE, now=clock)
    delivery = claimed_reply(storage, clock)

    async def send() -> str | None:
        raise ConnectionError("connector unreachable")

    assert await sends.send(delivery, send) is False
    await sends.drain()
    status, error = status_of(storage, "reply-1")
    assert status == OutboxStatus.PENDING
    assert error is not None and "connector unreachable" in error
    # Released, not left to its lease: claimable at once, at the same instant.
    assert storage.outbox.claim_key("reply-1", now=clock.now, lease=LEASE) is not None


async def test_a_slow_send_keeps_its_claim_and_settles_when_it_ends(
    storage: Storage, clock: StepClock
) -> None:
    sends = InlineSends(storage.outbox, run_core, timeout=0.05, lease=LEASE, now=clock)
    delivery = claimed_reply(storage, clock)
    accepted = asyncio.Event()

    async def send() -> str | None:
        await accepted.wait()
        return "activity-8"

    assert await sends.send(delivery, send) is False  # not delivered yet: the caller says so
    clock.advance(10)  # the claim taken at commit has run out by now ...
    await asyncio.sleep(LEASE.total_seconds())  # ... but the heartbeat renewed it
    assert storage.outbox.claim_key("reply-1", now=clock.now, lease=LEASE) is None
    accepted.set()
    await sends.drain()
    assert status_of(storage, "reply-1") == (OutboxStatus.DELIVERED, None)


async def test_a_reply_delivered_another_way_is_settled(storage: Storage, clock: StepClock) -> None:
    sends = InlineSends(storage.outbox, run_core, lease=LEASE, now=clock)
    delivery = claimed_reply(storage, clock)
    await sends.settle(delivery, None)
    await sends.drain()
    assert status_of(storage, "reply-1") == (OutboxStatus.DELIVERED, None)

"""The dispatcher on SQLite and PostgreSQL: at-least-once delivery, order, backoff,
Retry-After, dead rows and leases, with small real channels and a clock that moves on cue."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.channel import Delivered, Outgoing, RecordingChannel
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outbox import Backlog, Outbox, OutboxStatus
from bot.storage.stores import Storage
from bot.tickets.store import TicketStore
from bot.tickets.values import OutboxEntry
from tests.unit.tickets.ticket_twins import (
    DownChannel,
    FlakyChannel,
    RateLimitedChannel,
    RefusingChannel,
    StepClock,
    open_refund_ticket,
)


def entry(store: TicketStore, event: str) -> OutboxEntry:
    [found] = [e for e in store.outbox.entries() if e.event == event]
    return found


async def drain(dispatcher: Dispatcher) -> int:
    total = 0
    while delivered := await dispatcher.run_once():
        total += delivered
    return total


async def test_the_post_creates_the_thread_that_later_messages_go_to(
    store: TicketStore, clock: StepClock
) -> None:
    slack, teams = RecordingChannel("slack"), RecordingChannel("teams")
    dispatcher = Dispatcher(store.outbox, {"slack": slack, "teams": teams}, clock=clock)
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_customer_message_in(session, number, "Any news?")
    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Yes: approved.")

    assert await drain(dispatcher) == 4  # post, message, one (coalesced) update, reply

    assert [(m.event, m.conversation) for m in slack.delivered] == [
        ("ticket_opened", ""),
        ("customer_message", "slack-1"),
        ("ticket_updated", "slack-1"),
    ]
    assert store.get(number).thread == "slack-1"
    assert store.ticket_for_thread("slack-1").number == number  # an agent's reply finds it
    assert store.ticket_for_thread("slack-2") is None
    assert [(m.event, m.conversation, m.body["text"]) for m in teams.delivered] == [
        ("agent_reply", "a:conv-1", "Yes: approved.")
    ]
    assert store.outbox.counts()["pending"] == 0


async def test_nothing_reaches_the_thread_before_the_post_that_creates_it(
    store: TicketStore, clock: StepClock
) -> None:
    slack = FlakyChannel("slack", failures=1)
    dispatcher = Dispatcher(store.outbox, {"slack": slack}, clock=clock, base_delay=10)
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_customer_message_in(session, number, "Hello?")

    assert await dispatcher.run_once() == 0  # the post failed; the message must wait
    assert slack.attempts == 1 and slack.delivered == []
    clock.advance(10)
    await drain(dispatcher)

    assert [(m.event, m.conversation) for m in slack.delivered][:2] == [
        ("ticket_opened", ""),
        ("customer_message", "slack-1"),
    ]


async def test_a_ticket_keeps_its_message_order_through_failures(
    store: TicketStore, clock: StepClock
) -> None:
    teams = FlakyChannel("teams", failures=2)
    dispatcher = Dispatcher(store.outbox, {"teams": teams}, clock=clock, base_delay=1)
    number = open_refund_ticket(store).number
    for text in ("one", "two", "three"):
        with store.database.write() as session:
            store.add_agent_reply_in(session, number, "ana", text)

    for _ in range(10):
        await dispatcher.run_once()
        clock.advance(5)

    assert [m.body["text"] for m in teams.delivered] == ["one", "two", "three"]


async def test_rows_for_a_channel_nobody_delivers_stay_pending(
    store: TicketStore, clock: StepClock
) -> None:
    slack = RecordingChannel("slack")
    dispatcher = Dispatcher(store.outbox, {"slack": slack}, clock=clock)  # no Teams configured
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Approved.")

    await drain(dispatcher)
    clock.advance(3600)
    await drain(dispatcher)

    reply = entry(store, "agent_reply")
    assert (reply.status, reply.attempts, reply.last_error) == ("pending", 0, None)
    teams = RecordingChannel("teams")
    assert await Dispatcher(store.outbox, {"teams": teams}, clock=clock).run_once() == 1
    assert [m.body["text"] for m in teams.delivered] == ["Approved."]


async def test_failures_back_off_exponentially_with_jitter(
    store: TicketStore, clock: StepClock
) -> None:
    slack = FlakyChannel("slack", failures=3)
    dispatcher = Dispatcher(
        store.outbox, {"slack": slack}, clock=clock, base_delay=10, rng=random.Random(7)
    )
    open_refund_ticket(store)

    waits = []
    for attempt in (1, 2, 3):
        failed_at = clock.now
        assert await dispatcher.run_once() == 0
        post = entry(store, "ticket_opened")
        assert post.attempts == attempt
        assert post.last_error == f"DeliveryError: slack is down (attempt {attempt})"
        wait = (post.next_attempt_at - failed_at).total_seconds()
        waits.append(wait)
        full = 10 * 2 ** (attempt - 1)
        assert full / 2 <= wait <= full  # jitter scales the step by 0.5..1.0
        clock.advance(wait - 0.5)
        assert await dispatcher.run_once() == 0  # not due yet: no attempt
        assert slack.attempts == attempt
        clock.advance(0.5)

    assert await dispatcher.run_once() == 1
    assert entry(store, "ticket_opened").status == "delivered"
    assert waits[0] < waits[1] < waits[2]


async def test_retry_after_from_the_platform_is_honoured(
    store: TicketStore, clock: StepClock
) -> None:
    slack = RateLimitedChannel("slack", retry_after=30)
    dispatcher = Dispatcher(store.outbox, {"slack": slack}, clock=clock, base_delay=1)
    open_refund_ticket(store)

    assert await dispatcher.run_once() == 0
    post = entry(store, "ticket_opened")
    assert post.next_attempt_at == clock.now + timedelta(seconds=30)
    assert post.last_error is not None and "429" in post.last_error
    clock.advance(29)
    assert await dispatcher.run_once() == 0
    clock.advance(1)
    assert await dispatcher.run_once() == 1
    assert len(slack.delivered) == 1


async def test_a_row_the_platform_refuses_for_good_is_parked_not_lost_and_can_be_requeued(
    store: TicketStore, clock: StepClock
) -> None:
    teams = RefusingChannel("teams", refusals=1)
    dispatcher = Dispatcher(store.outbox, {"teams": teams}, clock=clock, base_delay=1)
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Approved.")

    for _ in range(6):
        await dispatcher.run_once()
        clock.advance(60)

    [dead] = store.outbox.entries(OutboxStatus.DEAD)
    assert (dead.event, dead.attempts) == ("agent_reply", 1)
    assert dead.last_error == "DeliveryRefused: teams answered 404: conversation not found"
    assert teams.attempts == 1  # parked: no second try

    store.outbox.requeue(dead.id, now=clock.now)
    assert await dispatcher.run_once() == 1
    assert [m.body["text"] for m in teams.delivered] == ["Approved."]
    assert store.outbox.entries(OutboxStatus.DEAD) == []


async def test_a_dead_post_holds_its_thread_messages_back_until_requeued(
    store: TicketStore, clock: StepClock
) -> None:
    slack = RefusingChannel("slack", refusals=1)
    dispatcher = Dispatcher(store.outbox, {"slack": slack}, clock=clock, base_delay=1)
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_customer_message_in(session, number, "Hello?")

    for _ in range(5):
        await dispatcher.run_once()
        clock.advance(60)

    message = entry(store, "customer_message")
    assert (message.status, message.attempts) == ("pending", 0)
    assert entry(store, "ticket_opened").status == "dead"

    store.outbox.requeue(entry(store, "ticket_opened").id, now=clock.now)
    await drain(dispatcher)
    assert [(m.event, m.conversation) for m in slack.delivered] == [
        ("ticket_opened", ""),
        ("customer_message", "slack-1"),
        ("ticket_updated", "slack-1"),
    ]


async def test_only_the_newest_refresh_of_a_post_is_sent(
    store: TicketStore, clock: StepClock
) -> None:
    slack = RecordingChannel("slack")
    dispatcher = Dispatcher(store.outbox, {"slack": slack}, clock=clock)
    number = open_refund_ticket(store).number
    await drain(dispatcher)
    with store.database.write() as session:
        store.claim_in(session, number, "ana")
    with store.database.write() as session:
        store.change_category_in(session, number, "credit", "microsoft", "ana")
    with store.database.write() as session:
        store.wait_on_customer_in(session, number, "ana")

    assert await drain(dispatcher) == 1

    [update] = slack.delivered[1:]
    assert update.event == "ticket_updated"
    assert update.body["ticket"]["status"] == "waiting_on_customer"
    assert store.outbox.counts()["superseded"] == 2


async def test_a_crashed_dispatchers_claim_expires_and_another_delivers(
    store: TicketStore, clock: StepClock
) -> None:
    open_refund_ticket(store)
    # A dispatcher claims the post and dies before settling it.
    [lost] = store.outbox.claim(
        ["slack"],
        now=clock.now,
        lease=timedelta(seconds=120),
        limit=10,
        defer=timedelta(seconds=1),
    )
    slack = RecordingChannel("slack")
    survivor = Dispatcher(store.outbox, {"slack": slack}, clock=clock, lease=120)

    assert await survivor.run_once() == 0  # still leased
    clock.advance(121)
    assert await survivor.run_once() == 1
    assert [m.key for m in slack.delivered] == [lost.outgoing.key]
    assert entry(store, "ticket_opened").attempts == 2


async def test_a_channel_that_crashes_does_not_stop_the_others(
    store: TicketStore, clock: StepClock
) -> None:
    class BrokenRenderer:
        name = "slack"

        async def deliver(self, message: Outgoing) -> Delivered:
            raise KeyError("blocks")

    teams = RecordingChannel("teams")
    dispatcher = Dispatcher(store.outbox, {"slack": BrokenRenderer(), "teams": teams}, clock=clock)
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Approved.")

    assert await dispatcher.run_once() == 1
    assert [m.event for m in teams.delivered] == ["agent_reply"]
    assert entry(store, "ticket_opened").last_error == "KeyError: 'blocks'"


async def test_run_forever_delivers_until_stopped_and_wakes_on_request(
    store: TicketStore,
) -> None:
    slack = RecordingChannel("slack")
    dispatcher = Dispatcher(store.outbox, {"slack": slack}, poll_interval=30)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run_forever(stop))
    await asyncio.sleep(0.05)  # an empty outbox: it is now idling for 30 s

    def handle_a_message() -> None:  # what the app does, in a worker thread
        open_refund_ticket(store)
        dispatcher.wake()

    await asyncio.to_thread(handle_a_message)
    await wait_for(lambda: bool(slack.delivered))
    stop.set()
    await asyncio.wait_for(task, 5)

    assert [m.event for m in slack.delivered] == ["ticket_opened"]


async def test_wakes_after_every_core_call_make_at_most_one_empty_round_per_gap(
    store: TicketStore,
) -> None:
    """A busy server wakes the dispatcher after each call into the core; each empty round is
    a write transaction, so they are spaced out, while work still goes out within the gap."""
    rounds = {"claims": 0}

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM outbox" in statement:
            rounds["claims"] += 1

    event.listen(store.engine, "before_cursor_execute", count)
    slack = RecordingChannel("slack")
    dispatcher = Dispatcher(store.outbox, {"slack": slack}, poll_interval=30, wake_gap=0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run_forever(stop))
    await asyncio.sleep(0.05)
    started = asyncio.get_running_loop().time()
    while asyncio.get_running_loop().time() - started < 0.5:  # 100 wakes a second
        dispatcher.wake()
        await asyncio.sleep(0.01)
    woken = rounds["claims"]
    open_refund_ticket(store)
    dispatcher.wake()
    await wait_for(lambda: bool(slack.delivered), seconds=1.0)
    stop.set()
    await asyncio.wait_for(task, 5)
    event.remove(store.engine, "before_cursor_execute", count)

    assert 2 <= woken <= 8  # not 50: about one round per 0.1 s
    assert [m.event for m in slack.delivered] == ["ticket_opened"]


async def test_run_forever_outlives_a_database_outage(store: TicketStore) -> None:
    outage = {"rounds": 2}

    def database_down(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM outbox" in statement and outage["rounds"] > 0:
            outage["rounds"] -= 1
            raise ConnectionError("server closed the connection unexpectedly")

    open_refund_ticket(store)
    event.listen(store.engine, "before_cursor_execute", database_down)
    slack = RecordingChannel("slack")
    dispatcher = Dispatcher(store.outbox, {"slack": slack}, poll_interval=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run_forever(stop))

    await wait_for(lambda: bool(slack.delivered))
    stop.set()
    await asyncio.wait_for(task, 5)
    event.remove(store.engine, "before_cursor_execute", database_down)

    assert outage["rounds"] == 0
    assert [m.event for m in slack.delivered] == ["ticket_opened"]


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the dispatcher did not deliver in time")


async def test_a_platform_that_never_answers_is_a_failed_attempt(
    store: TicketStore, clock: StepClock
) -> None:
    class Silent:
        name = "slack"

        async def deliver(self, message: Outgoing) -> Delivered:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    teams = RecordingChannel("teams")
    dispatcher = Dispatcher(
        store.outbox, {"slack": Silent(), "teams": teams}, clock=clock, delivery_timeout=0.05
    )
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Approved.")

    assert await dispatcher.run_once() == 1
    assert [m.event for m in teams.delivered] == ["agent_reply"]
    post = entry(store, "ticket_opened")
    assert (post.status, post.attempts) == ("pending", 1)
    assert post.last_error == "TimeoutError: no answer within 0.05 s"


def test_the_dispatcher_refuses_nonsense_settings(store: TicketStore) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        Dispatcher(store.outbox, {}, window=0)
    with pytest.raises(ValueError, match="must be positive"):
        Dispatcher(store.outbox, {}, lease=0)


async def test_a_live_dispatcher_keeps_its_claim_past_the_lease_by_heartbeat(
    store: TicketStore,
) -> None:
    class Slow:
        name = "slack"

        def __init__(self) -> None:
            self.sent: list[str] = []

        async def deliver(self, message: Outgoing) -> Delivered:
            await asyncio.sleep(0.9)  # three leases long
            self.sent.append(message.key)
            return Delivered("ts-1")

    open_refund_ticket(store)
    slow = Slow()
    busy = Dispatcher(store.outbox, {"slack": slow}, lease=0.3)
    other = RecordingChannel("slack")
    rival = Dispatcher(store.outbox, {"slack": other}, lease=0.3)

    working = asyncio.create_task(busy.run_once())
    await asyncio.sleep(0.6)  # the first lease ran out long ago; the heartbeat renewed it
    assert await rival.run_once() == 0
    assert await working == 1

    assert slow.sent == ["BILL-1001:1"] and other.delivered == []
    assert entry(store, "ticket_opened").status == "delivered"


def test_a_dispatcher_can_be_built_from_an_engine(store: TicketStore) -> None:
    channels: dict[str, Any] = {"slack": RecordingChannel("slack")}
    open_refund_ticket(store)
    dispatcher = Dispatcher(Outbox(store.engine), channels)
    assert asyncio.run(dispatcher.run_once()) == 1


# -- a platform that is down: nothing is lost, however long -------------------------------
async def deliver_through(dispatcher: Dispatcher, store: TicketStore, clock: StepClock) -> None:
    """Run the dispatcher as time passes: each round at the next moment a row is due (a row
    waiting behind another one of its ticket: a second on), until nothing is pending any
    more, or a day and a half has gone by."""
    give_up = clock.now + timedelta(hours=36)
    while clock.now < give_up:
        await drain(dispatcher)
        waiting = store.outbox.entries(OutboxStatus.PENDING)
        if not waiting:
            return
        later = [e.next_attempt_at for e in waiting if e.next_attempt_at > clock.now]
        clock.now = min(later, default=clock.now + timedelta(seconds=1))


@pytest.mark.parametrize(
    "down_for",
    [20, 90, 300, 1800],
    ids=["20s", "90s", "5min", "30min"],
)
async def test_an_outage_costs_no_message_however_long_it_lasts(
    store: TicketStore, clock: StepClock, down_for: int
) -> None:
    teams = DownChannel("teams", clock, clock.now, clock.now + timedelta(seconds=down_for))
    slack = DownChannel("slack", clock, clock.now, clock.now + timedelta(seconds=down_for))
    dispatcher = Dispatcher(
        store.outbox, {"teams": teams, "slack": slack}, clock=clock, rng=random.Random(3)
    )
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Approved.")

    await deliver_through(dispatcher, store, clock)

    assert [m.body["text"] for m in teams.delivered] == ["Approved."]
    assert [m.event for m in slack.delivered][:1] == ["ticket_opened"]
    assert store.outbox.entries(OutboxStatus.DEAD, OutboxStatus.HELD) == []
    # Back within one capped backoff of the platform's return, not hours later.
    delivered = entry(store, "agent_reply").delivered_at
    assert delivered is not None
    assert delivered - teams.down_until <= timedelta(seconds=dispatcher.max_delay)


async def test_the_backoff_grows_to_its_cap_and_stays_there(
    store: TicketStore, clock: StepClock
) -> None:
    slack = DownChannel("slack", clock, clock.now, clock.now + timedelta(days=2))
    dispatcher = Dispatcher(
        store.outbox,
        {"slack": slack},
        clock=clock,
        base_delay=2,
        max_delay=300,
        rng=random.Random(5),
    )
    open_refund_ticket(store)

    waits = []
    for _ in range(40):
        await dispatcher.run_once()
        due = entry(store, "ticket_opened").next_attempt_at
        waits.append((due - clock.now).total_seconds())
        clock.now = due

    assert waits[0] < waits[3] < waits[6]  # exponential at first
    assert all(150 <= w <= 300 for w in waits[10:])  # then capped, jitter kept
    assert entry(store, "ticket_opened").status == "pending"  # an agents' post: never given up


async def test_a_customer_message_past_its_window_is_held_then_sent_late(
    storage: Storage, clock: StepClock
) -> None:
    store = storage.tickets
    teams = DownChannel("teams", clock, clock.now, clock.now + timedelta(hours=3))
    channels = {"teams": teams, "slack": RecordingChannel("slack")}
    dispatcher = Dispatcher(store.outbox, channels, clock=clock, window=2 * 3600)
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Approved.")
    queued = clock.now

    await deliver_through(dispatcher, store, clock)

    [held] = store.outbox.entries(OutboxStatus.HELD)
    assert held.event == "agent_reply" and teams.delivered == []
    assert clock.now - queued >= timedelta(hours=2)
    tried = teams.attempts
    clock.advance(3600)  # the connector is back, but the customer has not written
    await drain(dispatcher)
    assert teams.attempts == tried  # held rows are not retried

    with storage.db.write() as session:  # the customer writes again (what a turn does)
        assert storage.outbox.release_held_in(session, "teams", "a:conv-1", now=clock.now) == 1
    await drain(dispatcher)

    [late] = teams.delivered
    assert late.body["text"] == "Approved."
    assert late.body["late"] == queued.isoformat()  # for "sorry for the delay"
    assert entry(store, "agent_reply").status == "delivered"
    assert store.outbox.entries(OutboxStatus.HELD) == []


async def test_a_platform_redelivery_never_costs_the_reply_an_attempt(
    store: TicketStore, clock: StepClock
) -> None:
    teams = DownChannel("teams", clock, clock.now, clock.now + timedelta(minutes=5))
    dispatcher = Dispatcher(store.outbox, {"teams": teams}, clock=clock, rng=random.Random(1))
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Approved.")
    await dispatcher.run_once()
    before = entry(store, "agent_reply")

    for _ in range(20):  # the platform redelivers; each asks for the row and fails to send it
        again = store.outbox.claim_key(before.key, now=clock.now, lease=timedelta(seconds=8))
        assert again is not None
        store.outbox.release(again, "inline send: HTTP 503")

    after = entry(store, "agent_reply")
    assert (after.attempts, after.next_attempt_at) == (before.attempts, before.next_attempt_at)


async def test_the_backlog_counts_what_waits_and_the_oldest_age(
    store: TicketStore, clock: StepClock
) -> None:
    assert store.outbox.backlog(clock.now) == Backlog(pending=0, held=0, oldest_seconds=None)
    open_refund_ticket(store)
    clock.advance(90)

    backlog = store.outbox.backlog(clock.now)

    assert (backlog.pending, backlog.held, backlog.oldest_seconds) == (1, 0, 90.0)


async def test_twelve_failures_in_a_row_cost_nothing(store: TicketStore, clock: StepClock) -> None:
    # Eight attempts used to be all a message had: the ninth failure parked it dead.
    teams = FlakyChannel("teams", failures=12)
    dispatcher = Dispatcher(
        store.outbox, {"teams": teams, "slack": RecordingChannel("slack")}, clock=clock
    )
    number = open_refund_ticket(store).number
    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Approved.")

    await deliver_through(dispatcher, store, clock)

    assert [m.body["text"] for m in teams.delivered] == ["Approved."]
    assert (teams.attempts, entry(store, "agent_reply").attempts) == (13, 13)

"""`Reminders.run(day)` on SQLite and PostgreSQL over the sample knowledge folder: one outbox
row per (invoice, step), never twice (a second run, two runs at once), nothing to a paid,
disputed, paused or claimed invoice, and the unreachable listed for agents; one digest a day
for the agents; agents' pauses, resumes and confirmations once each, with who and when."""

from __future__ import annotations

import asyncio
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.channel import OutboxEvent
from bot.collections.daily import run_daily
from bot.collections.facts import read_facts
from bot.collections.models import CollectionStepRow
from bot.collections.plan import Outcome
from bot.collections.run import Reminders, RunResult
from bot.knowledge.folder import Knowledge, load_knowledge
from bot.storage.models import OutboxRow
from bot.storage.stores import Storage

KNOWLEDGE = Path(__file__).resolve().parents[3] / "knowledge"
DAY = date(2026, 12, 9)  # fabrikam's NW-2026-0510 is 7 days overdue
REACHABLE = ("contoso", "fabrikam", "wingtip", "tailspin", "coho")  # adatum: never talked


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge(KNOWLEDGE)


def chat_with(storage: Storage, customer: str) -> None:
    storage.conversations.remember(
        "teams",
        f"conv-{customer}",
        {"serviceUrl": "https://connector.example/", "conversation": {"id": f"conv-{customer}"}},
        customer,
    )


@pytest.fixture
def reminders(storage: Storage, knowledge: Knowledge) -> Reminders:
    for customer in REACHABLE:
        chat_with(storage, customer)
    return Reminders(storage, lambda: knowledge, by="test")


def reminder_rows(storage: Storage) -> list[OutboxRow]:
    with storage.db.read() as session:
        rows = list(
            session.scalars(
                select(OutboxRow).where(OutboxRow.event == OutboxEvent.PAYMENT_REMINDER.value)
            )
        )
        session.expunge_all()
        return rows


def sent(result: RunResult) -> set[tuple[str, str]]:
    return {(q.entry.invoice, q.entry.step.step.key) for q in result.queued if q.entry.step}


def test_one_outbox_row_per_step_in_the_customers_conversation(
    reminders: Reminders, storage: Storage
) -> None:
    result = reminders.run(DAY)
    rows = reminder_rows(storage)
    assert ("NW-2026-0510", "reminder+7") in sent(result)
    assert len(rows) == len(result.queued) == len(sent(result))
    keys = {row.key for row in rows}
    assert "collections:NW-2026-0510:reminder+7" in keys
    by_key = {row.key: row for row in rows}
    row = by_key["collections:NW-2026-0510:reminder+7"]
    assert row.channel == "teams" and row.conversation == "conv-fabrikam"
    assert row.body["days_overdue"] == 7 and row.body["currency"] == "EUR"
    assert row.body["pay"]["path"].endswith("payment-methods-and-terms.md")
    assert "reminder" in row.body["outlook"] or "suspension" in row.body["outlook"]
    # The history is the plan's fact now: the preview no longer offers these steps.
    again = reminders.plan(DAY)
    assert not again.to_send
    assert {e.invoice for e in again.entries if e.outcome is Outcome.ALREADY_SENT} >= {
        "NW-2026-0510"
    }


def digest_rows(storage: Storage) -> list[OutboxRow]:
    with storage.db.read() as session:
        rows = list(
            session.scalars(
                select(OutboxRow).where(OutboxRow.event == OutboxEvent.COLLECTIONS_DIGEST.value)
            )
        )
        session.expunge_all()
        return rows


def test_a_second_run_the_same_day_adds_nothing(reminders: Reminders, storage: Storage) -> None:
    first = reminders.run(DAY)
    second = reminders.run(DAY)
    assert first.queued and not second.queued
    assert len(reminder_rows(storage)) == len(first.queued)
    assert (first.digest, second.digest) == (True, False)
    (row,) = digest_rows(storage)
    assert (row.key, row.channel) == ("collections_digest:2026-12-09", "slack")
    overdue = {c["customer"]: c for c in row.body["overdue"]}
    assert "NW-2026-0510" in overdue["fabrikam"]["invoices"]
    assert "wingtip" not in overdue or "NW-2026-0477" not in overdue["wingtip"]["invoices"]
    assert row.body["unreachable"] == [{"customer": "adatum", "name": overdue["adatum"]["name"]}]


def test_the_daily_run_on_two_replicas_at_the_same_moment_posts_one_digest(
    storage: Storage, knowledge: Knowledge, database_url: str
) -> None:
    for customer in REACHABLE:
        chat_with(storage, customer)
    now = datetime(2026, 12, 9, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    barrier = threading.Barrier(2)
    results: list[RunResult] = []

    async def replica(name: str, stop: asyncio.Event) -> None:
        with Storage.from_url(database_url) as own:
            reminders = Reminders(own, lambda: knowledge, by=name)

            async def run(fn, day: date) -> RunResult:  # type: ignore[no-untyped-def]
                def at_once() -> RunResult:
                    barrier.wait()
                    return fn(day)

                result = await asyncio.to_thread(at_once)
                results.append(result)
                if len(results) == 2:
                    stop.set()
                return result

            await run_daily(reminders, time(9, 30), lambda: now, run, stop)

    async def both() -> None:
        stop = asyncio.Event()
        await asyncio.wait_for(
            asyncio.gather(replica("replica-1", stop), replica("replica-2", stop)), 30
        )

    asyncio.run(both())
    assert sorted(r.digest for r in results) == [False, True]
    assert [r.key for r in digest_rows(storage)] == ["collections_digest:2026-12-09"]
    assert len(reminder_rows(storage)) == sum(len(r.queued) for r in results)


def test_agents_pause_resume_and_confirm_once_each_with_who_and_when(
    storage: Storage,
) -> None:
    store = storage.collections
    today = storage.db.now().date()  # the store's (pinned) clock
    until, longer = today + timedelta(days=7), today + timedelta(days=14)
    assert store.pause("contoso", until, "Maeve", today) is True
    assert store.pause("contoso", until, "Maeve", today) is False  # the same click again
    assert store.pause("contoso", longer, "Tomas", today) is True
    assert store.resume("contoso", today, "Tomas") is True
    assert store.resume("contoso", today, "Tomas") is False  # not paused any more
    with storage.db.write() as session:
        store.claim_in(
            session,
            invoice="NW-2026-0518",
            customer_id="tailspin",
            by="Kai",
            channel="teams",
            conversation="conv-tailspin",
        )
    assert [c.invoice for c in store.open_claims()] == ["NW-2026-0518"]
    assert store.confirm("NW-2026-0518", "Maeve") is True
    assert store.confirm("NW-2026-0518", "Maeve") is False
    assert store.open_claims() == []
    history = store.history()
    kinds = sorted((h.kind, h.customer_id, h.by) for h in history)  # (a pinned clock)
    assert kinds == [
        ("claimed_paid", "tailspin", "Kai"),
        ("confirmed_paid", "tailspin", "Maeve"),
        ("paused", "contoso", "Maeve"),
        ("paused", "contoso", "Tomas"),
        ("resumed", "contoso", "Tomas"),
    ]
    paused = [h for h in history if h.kind == "paused"]
    assert {h.detail for h in paused} == {until.isoformat(), longer.isoformat()}


def test_two_runs_at_once_queue_each_step_once(
    storage: Storage, knowledge: Knowledge, database_url: str
) -> None:
    for customer in REACHABLE:
        chat_with(storage, customer)
    results: list[RunResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(name: str) -> None:
        try:
            with Storage.from_url(database_url) as own:
                barrier.wait()
                results.append(Reminders(own, lambda: knowledge, by=name).run(DAY))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"replica-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.digest for r in results) == [False, True]
    assert len(digest_rows(storage)) == 1
    rows = reminder_rows(storage)
    steps = sent(results[0]) | sent(results[1])
    assert len(rows) == len(steps) == len(results[0].queued) + len(results[1].queued)
    with storage.db.read() as session:
        assert session.scalar(select(func.count()).select_from(CollectionStepRow)) == len(steps)


def test_paid_disputed_paused_and_claimed_get_nothing(
    reminders: Reminders, storage: Storage
) -> None:
    storage.collections.pause("contoso", date(2026, 12, 20), "ana", DAY)
    with storage.db.write() as session:
        assert storage.collections.claim_in(
            session,
            invoice="NW-2026-0518",
            customer_id="tailspin",
            by="customer",
            channel="teams",
            conversation="conv-tailspin",
        )
    result = reminders.run(DAY)
    invoices = {q.entry.invoice for q in result.queued}
    customers = {q.entry.customer_id for q in result.queued}
    assert "NW-2026-0477" not in invoices  # wingtip's disputed invoice
    assert "contoso" not in customers  # paused by an agent
    assert "NW-2026-0518" not in invoices  # "I've paid"
    outcomes = {e.invoice: e.outcome for e in result.plan.entries}
    assert outcomes["NW-2026-0477"] is Outcome.DISPUTED
    assert outcomes["NW-2026-0518"] is Outcome.CLAIMED_PAID
    assert outcomes["NW-2026-0507"] is Outcome.PAUSED
    paid = [e for e in result.plan.entries if e.outcome is Outcome.PAID]
    assert not {e.invoice for e in paid} & invoices
    # Resumed: the paused customer's step goes out at the next run.
    storage.collections.resume("contoso", DAY, "ana")
    assert {q.entry.customer_id for q in reminders.run(DAY).queued} == {"contoso"}


def test_the_unreachable_are_listed_not_sent(reminders: Reminders, storage: Storage) -> None:
    result = reminders.run(DAY)
    assert [e.customer_id for e in result.unreachable] == ["adatum"]
    assert all(row.conversation != "conv-adatum" for row in reminder_rows(storage))
    history = storage.collections.history("fabrikam")
    assert {h.invoice for h in history if h.kind == "sent"} >= {"NW-2026-0510"}


def test_the_plan_over_the_database_reads_only_unpaid_invoices_and_is_the_same(
    storage: Storage,
) -> None:
    from bot.collections.plan import plan
    from bot.invoices.folder import load_served

    served = load_served(KNOWLEDGE, storage.db)
    every = list(served.invoices)
    unpaid = list(served.invoices.unpaid())
    assert {i.number for i in unpaid} == {i.number for i in every if i.status != "paid"}
    assert len(unpaid) < len(every)
    partner = served.partner
    whole = plan(every, served.customers, partner.collections, partner.support, DAY)
    assert Reminders(storage, lambda: served).plan(DAY).entries == plan(
        every, served.customers, partner.collections, partner.support, DAY,
        read_facts(storage, served.customers),
    ).entries  # fmt: skip
    assert whole.entries  # the sample folder has open invoices on DAY

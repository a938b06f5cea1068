"""`Reminders.run(day)` on SQLite and PostgreSQL over the sample knowledge folder: one outbox
row per (invoice, step), never twice (a second run, two runs at once), nothing to a paid,
disputed, paused or claimed invoice, and the unreachable listed for agents."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.channel import OutboxEvent
from bot.collections.models import CollectionStepRow
from bot.collections.plan import Outcome
from bot.collections.run import Reminders, RunResult
from bot.knowledge.folder import Knowledge, load_knowledge
from bot.storage import Storage
from bot.tickets.models import OutboxRow

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


def test_a_second_run_the_same_day_adds_nothing(reminders: Reminders, storage: Storage) -> None:
    first = reminders.run(DAY)
    second = reminders.run(DAY)
    assert first.queued and not second.queued
    assert len(reminder_rows(storage)) == len(first.queued)


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
    rows = reminder_rows(storage)
    steps = sent(results[0]) | sent(results[1])
    assert len(rows) == len(steps) == len(results[0].queued) + len(results[1].queued)
    with storage.db.read() as session:
        assert session.scalar(select(func.count()).select_from(CollectionStepRow)) == len(steps)


def test_paid_disputed_paused_and_claimed_get_nothing(
    reminders: Reminders, storage: Storage
) -> None:
    storage.collections.pause("contoso", date(2026, 12, 20), "ana")
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

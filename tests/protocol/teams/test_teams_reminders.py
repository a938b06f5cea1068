"""Payment reminders end to end: `Reminders.run(day)` queues the card, the server's dispatcher
delivers it through the real SDK to the fake Bot Connector, and the customer's buttons, posted
as Teams posts an Action.Submit (twice: a double click, a redelivery), each have one effect,
on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fakes.cards import buttons, texts
from fakes.harness import BotServer, eventually
from fakes.teams import TeamsUser
from sqlalchemy import select

from bot.app import Assistant, build_assistant
from bot.channel import OutboxEvent
from bot.collections.plan import Outcome
from bot.collections.run import Reminders, RunResult
from bot.config import Settings
from bot.retrieval.embedder import HashingEmbedder
from bot.storage.models import OutboxRow

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"  # knowledge/customers.yaml
INVOICE = "NW-2026-0466"  # fabrikam, due 2026-10-31, 1,638.00 + 343.98 VAT
# Monday 2 November 2026, 10:00 in Amsterdam: reminder+1 of NW-2026-0466 (its day, Sunday
# 1 November, support closed, moves here); NW-2026-0510 is not yet due.
DAY = date(2026, 11, 2)
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
NEXT_REMINDER_DAY = date(2026, 11, 9)  # reminder+7 (Saturday 7 November) moves to Monday


@pytest.fixture
def settings(on_both_databases: Settings) -> Settings:
    return on_both_databases


@pytest.fixture
def assistant(settings: Settings) -> AsyncIterator[Assistant]:
    """The real core on the pinned day (its clock decides "today" in its answers)."""
    core = build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)
    yield core
    core.tickets.close()


def fabrikam(bot: BotServer) -> TeamsUser:
    return bot.user(
        tenant=FABRIKAM_TENANT,
        conversation="a:1fabrikam-sanne-personal-chat",
        user_id="29:1sanne-teams-id",
        aad_object_id="0d2f6c1a-3b4e-4f5a-8b9c-1d2e3f4a5b6c",
        name="Sanne de Vries",
    )


async def run(bot: BotServer, day: date) -> RunResult:
    reminders = Reminders(bot.assistant.storage, lambda: bot.assistant.knowledge, by="test")
    return await asyncio.to_thread(reminders.run, day)


def outbox(bot: BotServer, event: OutboxEvent) -> list[dict[str, Any]]:
    """The outbox rows of `event`: channel, conversation, status, body."""
    query = select(OutboxRow).where(OutboxRow.event == str(event)).order_by(OutboxRow.id)
    with bot.assistant.storage.db.read() as session:
        return [
            {"channel": r.channel, "conversation": r.conversation, "status": r.status, **r.body}
            for r in session.scalars(query)
        ]


async def reminded(bot: BotServer, user: TeamsUser) -> dict[str, Any]:
    """The customer writes once (the conversation is stored), the day's run queues the
    reminder, the dispatcher delivers it: its card."""
    await bot.post(user.message("When is my invoice due?"))
    await eventually(lambda: bot.cloud.sent(user.conversation))

    result = await run(bot, DAY)

    assert [(q.entry.invoice, q.entry.step and q.entry.step.step.key) for q in result.queued] == [
        (INVOICE, "reminder+1")
    ]
    assert result.unreachable == ()

    def cards() -> list[dict[str, Any]]:
        return [
            c.card
            for c in bot.cloud.sent(user.conversation)
            if c.card and texts(c.card)[0] == f"Payment reminder: invoice {INVOICE}"
        ]

    (card,) = await eventually(cards)
    (row,) = outbox(bot, OutboxEvent.PAYMENT_REMINDER)
    await eventually(lambda: outbox(bot, OutboxEvent.PAYMENT_REMINDER)[0]["status"] == "delivered")
    assert len(cards()) == 1
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Invoice"] == INVOICE
    assert facts["Amount"] == "EUR 1,981.98"
    assert facts["Due date"] == "31 October 2026"
    assert facts["Days overdue"] == "2"
    assert set(buttons(card)) == {"I've paid", "Dispute this invoice", "Talk to a person"}
    assert (row["conversation"], row["invoice"]) == (user.conversation, INVOICE)
    return card


def replies_after(bot: BotServer, user: TeamsUser, seen: int) -> Callable[[], list[str]]:
    return lambda: [
        texts(c.card)[0] for c in bot.cloud.sent(user.conversation)[seen:] if c.card is not None
    ]


async def click_twice(bot: BotServer, user: TeamsUser, button: dict[str, Any]) -> list[str]:
    """Click a card's button twice, as Teams posts an Action.Submit: the first line of each
    reply."""
    assert button["type"] == "Action.Submit"
    seen = len(bot.cloud.sent(user.conversation))
    for expected in (1, 2):
        answer = await bot.post(user.submit(button["data"]))
        assert answer.status in (200, 201)
        await eventually(lambda n=expected: len(replies_after(bot, user, seen)()) >= n)
    return replies_after(bot, user, seen)()


async def test_ive_paid_is_recorded_once_and_stops_the_reminders(bot: BotServer) -> None:
    user = fabrikam(bot)
    card = await reminded(bot, user)

    first, second = await click_twice(bot, user, buttons(card)["I've paid"])

    assert first.startswith(f"Thank you. I've noted that invoice {INVOICE} is paid")
    assert second.startswith(f"You've already told us invoice {INVOICE} is paid")
    assert bot.assistant.storage.collections.claimed() == {INVOICE}
    history = bot.assistant.storage.collections.history("fabrikam")
    assert [(h.kind, h.invoice) for h in history] == [("sent", INVOICE), ("claimed_paid", INVOICE)]
    (told,) = outbox(bot, OutboxEvent.PAYMENT_CLAIMED)
    assert (told["channel"], told["invoice"], told["customer"]) == (
        "slack",
        INVOICE,
        "fabrikam",
    )
    later = await run(bot, NEXT_REMINDER_DAY)
    assert [q.entry.invoice for q in later.queued] == []
    (entry,) = [e for e in later.plan.entries if e.invoice == INVOICE]
    assert entry.outcome is Outcome.CLAIMED_PAID
    assert len(outbox(bot, OutboxEvent.PAYMENT_REMINDER)) == 1


async def test_dispute_opens_one_ticket_and_holds_the_invoice(bot: BotServer) -> None:
    user = fabrikam(bot)
    card = await reminded(bot, user)

    first, second = await click_twice(bot, user, buttons(card)["Dispute this invoice"])

    (ticket,) = bot.assistant.tickets.find(customer_id="fabrikam")
    assert ticket.category == "billing_dispute"
    assert INVOICE in ticket.question
    assert f"I've opened ticket {ticket.number}" in first
    assert second == f"Invoice {INVOICE} is already disputed on ticket {ticket.number}."
    again = await run(bot, DAY)
    assert again.queued == () and again.already == ()
    (entry,) = [e for e in again.plan.entries if e.invoice == INVOICE]
    assert (entry.outcome, entry.detail) == (Outcome.DISPUTED, f"ticket {ticket.number}")
    assert len(outbox(bot, OutboxEvent.PAYMENT_REMINDER)) == 1

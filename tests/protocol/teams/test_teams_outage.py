"""The Bot Connector down for longer than its redeliveries, or than a message's window: the
answer waits for it and reaches the customer once, late with an apology past its window;
on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fakes.cards import texts
from fakes.harness import BotServer, eventually

from bot.config import Settings
from bot.delivery.outbox import OutboxStatus

QUESTION = "When is my invoice due?"
ANSWER = "NW-2026-0507"  # Contoso's invoice, in the answer's first line


@pytest.fixture
def settings(on_both_databases: Settings) -> Settings:
    return on_both_databases


def answers(bot: BotServer, conversation: str) -> list[Any]:
    """The answer cards that reached the customer."""
    return [c for c in bot.cloud.sent(conversation) if ANSWER in str(c.card)]


@pytest.fixture(params=[60.0])
async def patient_bot(
    start_server: Callable[..., Any], request: pytest.FixtureRequest
) -> AsyncIterator[BotServer]:
    """The server with its dispatcher, retrying at least every second (the production cap
    is five minutes) and holding a customer's message after `request.param` seconds (24 h
    by default)."""
    options = {
        "poll_interval": 0.05,
        "base_delay": 0.05,
        "max_delay": 1.0,
        "window": request.param,
    }
    async with start_server(dispatcher_options=options) as server:
        yield server


async def test_an_answer_outlives_a_connector_down_longer_than_its_redeliveries(
    patient_bot: BotServer,
) -> None:
    # Each redelivery used to cost the reply two of its eight attempts: parked dead ~6.5 s
    # into an outage. Now the redeliveries cost nothing and the outbox waits the outage out.
    bot, user = patient_bot, patient_bot.user()
    activity = user.message(QUESTION)
    bot.cloud.outage(6.0, 503, Retry_After="1")  # longer than a loaded turn

    statuses = [(await bot.post(activity)).status]
    for _ in range(8):  # the Bot Connector redelivers what was not delivered
        await asyncio.sleep(0.25)
        statuses.append((await bot.post(activity)).status)

    assert statuses[0] == 503
    [answer] = await eventually(lambda: answers(bot, user.conversation), timeout=30)
    assert ANSWER in texts(answer.card)[0]
    # The card reaches the connector before the dispatcher records it as delivered.
    outbox = bot.assistant.storage.outbox
    await eventually(lambda: outbox.entries(OutboxStatus.DELIVERED), timeout=10)
    assert [row.status for row in outbox.entries()] == ["delivered"]
    await asyncio.sleep(1.5)  # nothing more arrives later
    assert len(answers(bot, user.conversation)) == 1


@pytest.mark.parametrize("patient_bot", [4.0], indirect=True)  # a 4 s window
async def test_an_answer_past_its_window_reaches_the_customer_late_with_an_apology(
    patient_bot: BotServer,
) -> None:
    bot, user = patient_bot, patient_bot.user()
    # Down until the answer is held, however long a loaded machine takes over the turn.
    bot.cloud.outage(120.0, 500)
    assert (await bot.post(user.message(QUESTION))).status == 503
    outbox = bot.assistant.storage.outbox
    [held] = await eventually(lambda: outbox.entries(OutboxStatus.HELD), timeout=60)
    bot.cloud.outage(0.0)  # the connector is back
    await asyncio.sleep(3.0)  # a held answer waits for the customer
    assert answers(bot, user.conversation) == []

    await bot.post(user.message("hello?"))  # the customer writes again

    [late] = await eventually(lambda: answers(bot, user.conversation), timeout=30)
    first_line = texts(late.card)[0]
    assert first_line.startswith("Sorry for the delay")
    assert ANSWER in texts(late.card)[1]
    # The card reaches the connector before the dispatcher records it as delivered.
    await eventually(lambda: not outbox.entries(OutboxStatus.HELD, OutboxStatus.PENDING))
    assert late.delivery_key == held.key

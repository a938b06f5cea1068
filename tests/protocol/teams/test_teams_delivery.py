"""A turn that cannot be lost: whatever the Bot Connector does to the answer (500, 429, a
refused connection, an answer slower than the endpoint waits) and whatever goes wrong inside
the turn, the customer gets exactly one answer, sent inline when it can be and by the outbox
when it cannot, and a redelivered activity never doubles it. The welcome on install too."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fakes.cards import texts
from fakes.harness import BotServer, eventually

from bot.app import Assistant, build_assistant
from bot.config import Settings
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outbox import OutboxStatus
from bot.storage.turn import INLINE_LEASE
from tests.conftest import FlakyEmbedder

QUESTION = "When is my invoice due?"
ANSWER = "NW-2026-0507"  # Contoso's invoice, in the answer's first line


@pytest.fixture
def assistant(settings: Settings, flaky_embedder: FlakyEmbedder) -> AsyncIterator[Assistant]:
    core = build_assistant(settings, embedder=flaky_embedder)
    yield core
    core.storage.close()


@pytest.fixture
async def quiet_bot(start_server: Callable[..., Any]) -> AsyncIterator[BotServer]:
    """The server without its dispatcher: only inline sends and redeliveries deliver."""
    async with start_server(dispatch=False) as server:
        yield server


def answers(bot: BotServer, conversation: str) -> list[Any]:
    """The answer cards that reached the customer."""
    return [c for c in bot.cloud.sent(conversation) if ANSWER in str(c.card)]


@pytest.mark.parametrize("failure", [{"status": 500}, {"status": 429, "Retry_After": "0"}])
async def test_a_failed_answer_is_sent_once_by_the_redelivery(
    quiet_bot: BotServer, failure: dict[str, Any]
) -> None:
    bot, user = quiet_bot, quiet_bot.user()
    activity = user.message(QUESTION)
    bot.cloud.fail_next(**failure, times=2)  # the typing indicator and the answer

    first = await bot.post(activity)
    again = await bot.post(activity)  # the Bot Connector retries
    third = await bot.post(activity)

    assert (first.status, again.status, third.status) == (503, 201, 201)
    [answer] = answers(bot, user.conversation)
    assert ANSWER in texts(answer.card)[0]
    [row] = bot.assistant.storage.outbox.entries()
    assert (row.event, row.status) == ("reply", "delivered")


async def test_a_failed_answer_is_delivered_by_the_outbox_and_not_again_on_redelivery(
    bot: BotServer,
) -> None:
    user = bot.user()
    activity = user.message(QUESTION)
    bot.cloud.fail_next(500, times=2)

    assert (await bot.post(activity)).status == 503
    await eventually(lambda: answers(bot, user.conversation))
    assert (await bot.post(activity)).status == 201

    assert len(answers(bot, user.conversation)) == 1


async def test_a_refused_connection_then_a_redelivery_gives_one_answer(
    quiet_bot: BotServer,
) -> None:
    bot, user = quiet_bot, quiet_bot.user()
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}/connector/"
    activity = user.message(QUESTION)
    unreachable = {**activity, "serviceUrl": dead}

    first = await bot.post(unreachable, authorization=bot.cloud.authorization(serviceurl=dead))
    again = await bot.post(activity)  # redelivered through a connector that answers

    assert (first.status, again.status) == (503, 201)
    assert len(answers(bot, user.conversation)) == 1


async def test_a_transient_error_inside_the_turn_then_a_redelivery_gives_one_answer(
    bot: BotServer, flaky_embedder: FlakyEmbedder
) -> None:
    user = bot.user()
    activity = user.message("What is your cancellation policy?")
    flaky_embedder.fail_next()

    failed = await bot.post(activity)
    retried = await bot.post(activity)

    assert (failed.status, retried.status) == (503, 201)
    sorry, answer = bot.cloud.sent(user.conversation)
    assert sorry.body["text"].startswith("Sorry, something went wrong")  # try again later
    assert "cancel" in texts(answer.card)[0].lower()  # then one full answer


async def test_a_ticket_opened_by_a_failed_turn_is_told_by_the_redelivery(
    quiet_bot: BotServer,
) -> None:
    bot, user = quiet_bot, quiet_bot.user()
    activity = user.submit({"action": "talk_to_person", "question": "Why did my bill go up?"})
    bot.cloud.fail_next(500, times=2)

    assert (await bot.post(activity)).status == 503
    assert (await bot.post(activity)).status == 201

    [ticket] = bot.assistant.tickets.find()
    told = [c for c in bot.cloud.sent(user.conversation) if ticket.number in str(c.card)]
    assert len(told) == 1


async def test_a_redelivered_card_click_gets_the_same_card_and_changes_nothing(
    bot: BotServer,
) -> None:
    user = bot.user()
    click = user.execute({"action": "feedback", "helpful": False, "about": "articles/x.md#y"})

    first = await bot.post(click)
    again = await bot.post(click)

    assert (first.status, again.status) == (200, 200)
    assert again.body == first.body
    assert len(bot.assistant.storage.feedback.votes()) == 1
    assert not bot.cloud.sent(user.conversation)  # answered in the HTTP body, both times
    [row] = bot.assistant.storage.outbox.entries()
    assert row.status == "delivered"


async def test_an_activity_without_an_id_is_still_answered(bot: BotServer) -> None:
    user = bot.user()
    activity = user.message(QUESTION)
    del activity["id"]  # nothing to deduplicate on: answered, not queued

    assert (await bot.post(activity)).status == 201

    assert len(answers(bot, user.conversation)) == 1
    assert bot.assistant.storage.outbox.entries() == []


async def test_an_answer_slower_than_the_endpoint_waits_is_sent_once(bot: BotServer) -> None:
    # The connector takes the answer only after the endpoint has stopped waiting, and after
    # the row's first claim would have run out: the send holds (and renews) its claim, so
    # neither the redelivery nor the dispatcher sends the answer again meanwhile.
    user = bot.user()
    activity = user.message(QUESTION)
    bot.cloud.slow_next(INLINE_LEASE.total_seconds() + 1)  # and INLINE_TIMEOUT is shorter

    first = await bot.post(activity)
    again = await bot.post(activity)  # the Bot Connector retries the "not delivered yet"

    assert (first.status, again.status) == (503, 201)
    outbox = bot.assistant.storage.outbox
    [row] = await eventually(lambda: outbox.entries(OutboxStatus.DELIVERED), timeout=30)
    assert row.attempts == 1  # sent by the inline send alone
    assert len(answers(bot, user.conversation)) == 1


async def test_every_attempt_at_a_reply_carries_its_delivery_key(quiet_bot: BotServer) -> None:
    # The key is what lets the receiver drop the one resend nobody can rule out (a process
    # killed after the connector took the reply, before it was marked delivered).
    bot, user = quiet_bot, quiet_bot.user()
    bot.cloud.fail_next(500, times=2)  # the typing indicator and the inline answer
    assert (await bot.post(user.message(QUESTION))).status == 503

    dispatcher = Dispatcher(bot.assistant.tickets.outbox, bot.channels)
    assert await dispatcher.run_once() == 1  # proactively, through the stored reference

    inline, proactive = [c for c in bot.cloud.calls(user.conversation) if c.type == "message"]
    assert (inline.status, proactive.status) == (500, 200)
    [row] = bot.assistant.storage.outbox.entries()
    assert inline.delivery_key == proactive.delivery_key == row.key


async def test_a_welcome_the_connector_refuses_is_delivered_by_the_outbox_once(
    bot: BotServer,
) -> None:
    user = bot.user()
    bot.cloud.fail_next(500)

    installed = await bot.post(user.installed())
    added = await bot.post(user.bot_added())  # the same install: no second welcome

    assert (installed.status, added.status) == (503, 201)
    [welcome] = await eventually(lambda: bot.cloud.sent(user.conversation))
    assert "billing assistant" in texts(welcome.card)[0]
    [row] = bot.assistant.storage.outbox.entries()
    assert (row.event, row.status) == ("reply", "delivered")

"""Proactive messages: ticket events reach the customer's Teams chat through the outbox.

The server's own background dispatcher delivers them through the Teams channel to the fake
Bot Connector; a few tests call the channel directly to pin down its error mapping.
"""

from __future__ import annotations

import pytest
from fakes.cards import buttons, texts
from fakes.harness import BotServer, eventually

from bot.channel import OutboxEvent, Outgoing
from bot.errors import DeliveryError, RetryLater


async def open_ticket(bot: BotServer, user) -> str:
    await bot.post(user.submit({"action": "talk_to_person", "question": "Why did my bill go up?"}))
    card = bot.cloud.sent(user.conversation)[-1].card
    return next(f["value"] for e in card["body"] if e["type"] == "FactSet" for f in e["facts"])


async def test_an_agents_reply_reaches_the_customer(bot: BotServer) -> None:
    user = bot.user()
    number = await open_ticket(bot, user)

    with bot.assistant.tickets.database.write() as session:
        bot.assistant.tickets.add_agent_reply_in(
            session, number, "Dana", "Your licence count went from 100 to 120."
        )

    def relayed():
        return [c for c in bot.cloud.sent(user.conversation) if "Dana" in str(c.card)]

    (call,) = await eventually(relayed)
    assert call.authorized  # with the bot's token, asked for the connector's scope
    assert texts(call.card) == [
        f"Dana replied on {number}",
        "Your licence count went from 100 to 120.",
    ]
    assert call.body["recipient"]["id"] == user.user_id
    assert call.body["from"]["id"] == f"28:{bot.cloud.app_id}"


async def test_a_resolution_asks_whether_it_solved_the_problem(bot: BotServer) -> None:
    user = bot.user()
    number = await open_ticket(bot, user)
    with bot.assistant.tickets.database.write() as session:
        bot.assistant.tickets.claim_in(session, number, "Dana")
    with bot.assistant.tickets.database.write() as session:
        bot.assistant.tickets.resolve_in(session, number, "Dana")

    def resolved():
        return [c for c in bot.cloud.sent(user.conversation) if "resolved" in str(c.card)]

    (call,) = await eventually(resolved)
    card = call.card
    assert texts(card) == [f"{number} was resolved", "Did this solve your problem?"]
    no = buttons(card)["No, reopen it"]
    assert no["type"] == "Action.Execute"
    assert no["data"] == {"action": "solved", "ticket": number, "solved": False}
    assert no["fallback"]["type"] == "Action.Submit"  # for hosts without Universal Actions

    answer = await bot.post(user.execute(no["data"], verb=no["verb"]))

    assert answer.status == 200
    assert f"reopened ticket {number}" in texts(answer.body["value"])[0]
    assert bot.assistant.tickets.get(number).status == "reopened"


async def test_a_throttled_delivery_is_retried_by_the_dispatcher(bot: BotServer) -> None:
    user = bot.user()
    number = await open_ticket(bot, user)
    bot.cloud.fail_next(429, Retry_After="0")

    with bot.assistant.tickets.database.write() as session:
        bot.assistant.tickets.add_agent_reply_in(
            session, number, "Dana", "Checking with Microsoft now."
        )

    await eventually(
        lambda: [c for c in bot.cloud.sent(user.conversation) if "Dana" in str(c.card)]
    )
    attempts = [c.status for c in bot.cloud.calls(user.conversation) if "Dana" in str(c.card)]
    assert attempts == [429, 200]


def agent_reply(conversation: str, key: str = "BILL-1001:7") -> Outgoing:
    body = {"number": "BILL-1001", "agent": "Dana", "text": "Done."}
    return Outgoing(key, "teams", conversation, OutboxEvent.AGENT_REPLY, body)


async def test_429_becomes_retry_later_with_the_connectors_delay(bot: BotServer) -> None:
    user = bot.user()
    await bot.post(user.message("hello"))  # the conversation reference is stored
    bot.cloud.fail_next(429, Retry_After="7")

    with pytest.raises(RetryLater) as raised:
        await bot.channels["teams"].deliver(agent_reply(user.conversation))

    assert raised.value.retry_after == 7.0


async def test_other_connector_failures_become_delivery_errors(bot: BotServer) -> None:
    user = bot.user()
    await bot.post(user.message("hello"))
    bot.cloud.fail_next(503)

    with pytest.raises(DeliveryError) as raised:
        await bot.channels["teams"].deliver(agent_reply(user.conversation))

    assert not isinstance(raised.value, RetryLater)
    assert "503" in str(raised.value)


async def test_a_conversation_the_bot_never_saw_is_a_delivery_error(bot: BotServer) -> None:
    with pytest.raises(DeliveryError, match="a:1never-seen"):
        await bot.channels["teams"].deliver(agent_reply("a:1never-seen"))
    assert not bot.cloud.calls()

"""A failed look-up is a retryable failure, never a verdict: when Slack does not say who an
agent is (`users.info` fails), their thread reply is not dropped as an outsider's; it is
relayed exactly once, by our own retry of the look-up or by Slack's retry of the event
(the first delivery is answered 503, which is what makes Slack retry)."""

from __future__ import annotations

import asyncio

from slack_desk import eventually

from adapters.slack.app import LOOKUP_RETRIES

CONVERSATION = "a:1contoso-aoife-personal-chat"


def relayed(desk, text: str) -> list:
    return [c for c in desk.bot.cloud.sent(CONVERSATION) if text in str(c.body)]


async def test_a_look_up_that_fails_once_is_retried_and_the_reply_relayed_once(desk):
    ticket = await desk.posted(await desk.open_ticket())
    desk.slack.fail_next("users.info", 500)

    await desk.thread_reply(ticket, "Refund approved.", event_id="EvLOOKUP01")

    await eventually(lambda: relayed(desk, "Refund approved."))
    assert len(desk.slack.called("users.info")) == 2
    assert desk.store.get(ticket.number).transcript[-1].author == "agent:Maeve"


async def test_when_slack_keeps_failing_its_retry_of_the_event_relays_the_reply_once(desk):
    ticket = await desk.posted(await desk.open_ticket())
    attempts = len(LOOKUP_RETRIES) + 1
    for _ in range(attempts):
        desk.slack.fail_next("users.info", 500)
    event = {
        "type": "message",
        "channel": "CESCALATE1",
        "user": "UAGENT01",
        "text": "Your credit is on its way.",
        "ts": "1800000000.900001",
        "thread_ts": ticket.thread,
    }

    first = await desk.event(event, event_id="EvLOOKUP02")  # answered after the work
    assert len(desk.slack.called("users.info")) == attempts
    assert relayed(desk, "credit is on its way") == []  # not relayed, and not marked either
    retried = await desk.event(event, event_id="EvLOOKUP02", retry=1)
    await eventually(lambda: relayed(desk, "credit is on its way"))
    again = await desk.event(event, event_id="EvLOOKUP02", retry=2)
    await asyncio.sleep(0.3)

    # 503: Slack retries the event; 200 once the reply is committed, then for its retries.
    assert (first.status, retried.status, again.status) == (503, 200, 200)
    assert len(relayed(desk, "credit is on its way")) == 1
    lines = [e.text for e in desk.store.get(ticket.number).transcript]
    assert lines.count("Your credit is on its way.") == 1


async def test_a_failed_look_up_on_a_button_asks_the_agent_to_try_again(desk):
    from adapters.slack.blocks import CLAIM

    ticket = await desk.posted(await desk.open_ticket())
    for _ in range(len(LOOKUP_RETRIES) + 1):
        desk.slack.fail_next("users.info", 500)

    await desk.click({"action_id": CLAIM, "type": "button", "value": ticket.number}, ticket)

    [note] = await eventually(lambda: desk.slack.called("chat.postEphemeral"), timeout=10)
    assert "try again" in note["text"] and "Only members" not in note["text"]
    assert desk.store.get(ticket.number).assignee is None

"""A failed look-up is a retryable failure, never a verdict: when Slack does not say who an
agent is (`users.info` fails), their thread reply is not dropped as an outsider's; it is
relayed exactly once, by our own retry of the look-up or by Slack's retry of the event
(the first delivery is answered 503, which is what makes Slack retry)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from slack_desk import eventually

from adapters.slack.app import LOOKUP_RETRIES
from bot.channel import OutboxEvent
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.outbox import OutboxStatus

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


async def test_a_reply_under_a_ticket_post_never_recorded_is_relayed_once(quiet_desk):
    desk = quiet_desk
    ticket = await desk.open_ticket()
    now = desk.store.now()
    claimed = desk.bot.assistant.storage.outbox.claim(
        ["slack"], now=now, lease=timedelta(seconds=6), limit=5, defer=timedelta(0)
    )
    [opening] = [c for c in claimed if c.outgoing.event == OutboxEvent.TICKET_OPENED]
    # A dispatcher posts the ticket, then dies before it records the post's `ts`.
    posted = await desk.bot.channels["slack"].deliver(opening.outgoing)
    assert desk.store.get(ticket.number).thread is None

    answer = await desk.thread_reply(
        dataclasses.replace(ticket, thread=posted.reference), "Refund approved."
    )

    assert answer.status == 200
    kept = desk.store.get(ticket.number)
    assert kept.thread == posted.reference  # the post named its ticket (Slack metadata)
    assert kept.transcript[-1].text == "Refund approved."
    # Another dispatcher, once the dead one's claim has run out: the post is adopted, not
    # made twice, and the reply reaches the customer once.
    later = Dispatcher(
        desk.store.outbox, desk.bot.channels, clock=lambda: now + timedelta(minutes=1)
    )
    while await later.run_once():
        pass
    assert len(desk.slack.called("chat.postMessage")) == 1
    assert len(relayed(desk, "Refund approved.")) == 1
    left = desk.bot.assistant.storage.outbox.entries(OutboxStatus.PENDING, OutboxStatus.DEAD)
    assert left == []

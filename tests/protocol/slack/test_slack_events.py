"""POST /slack/events: Slack's signature and replay checks, url_verification, thread replies."""

from __future__ import annotations

import asyncio
import json

import pytest
from slack_desk import AGENT, CHANNEL, eventually

from adapters.slack.desk import split_internal


async def test_url_verification_answers_the_challenge(desk):
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3g"})
    answer = await desk.send(body.encode(), "application/json")
    assert answer.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3g" in answer.text


async def test_a_request_signed_with_another_secret_is_refused(desk):
    body = json.dumps({"type": "url_verification", "challenge": "abc"})
    answer = await desk.send(body.encode(), "application/json", secret="not-the-secret")
    assert answer.status == 401


async def test_a_request_older_than_five_minutes_is_refused(desk):
    body = json.dumps({"type": "url_verification", "challenge": "abc"})
    answer = await desk.send(body.encode(), "application/json", age=6 * 60)
    assert answer.status == 401


async def test_an_agents_thread_reply_reaches_the_ticket_and_the_customer(desk):
    ticket = await desk.posted(await desk.open_ticket())
    answer = await desk.thread_reply(ticket, "I've credited the duplicate line; see NW-2026-0481.")
    assert answer.status == 200
    replied = await eventually(lambda: (t := desk.store.get(ticket.number)).assignee and t)
    assert replied.assignee == "Maeve"  # answering an open ticket claims it
    assert replied.status == "claimed"
    assert replied.transcript[-1].author == "agent:Maeve"
    assert not replied.transcript[-1].internal
    sent = await eventually(lambda: desk.bot.cloud.sent("a:1contoso-aoife-personal-chat"))
    assert "credited the duplicate line" in json.dumps(sent[-1].body)


async def test_an_internal_note_stays_with_the_agents(desk):
    ticket = await desk.posted(await desk.open_ticket())
    await desk.thread_reply(ticket, "!note customer called twice about this")
    noted = await eventually(
        lambda: len((t := desk.store.get(ticket.number)).transcript) == 2 and t
    )
    assert noted.transcript[-1].internal
    assert noted.transcript[-1].text == "customer called twice about this"
    assert noted.status == "open"
    await asyncio.sleep(0.3)  # give the dispatcher rounds in which it could relay it
    assert desk.bot.cloud.sent("a:1contoso-aoife-personal-chat") == []


async def test_a_retried_event_has_one_effect(desk):
    ticket = await desk.posted(await desk.open_ticket())
    first = await desk.thread_reply(ticket, "Looking into it now.", event_id="EvRETRY001")
    # Committed before Slack heard 200: had the process died first, Slack would have had no
    # answer and delivered the event again.
    assert desk.store.get(ticket.number).transcript[-1].text == "Looking into it now."
    again = await desk.thread_reply(ticket, "Looking into it now.", event_id="EvRETRY001", retry=1)
    assert (first.status, again.status) == (200, 200)
    await eventually(lambda: len(desk.store.get(ticket.number).transcript) == 2)
    await asyncio.sleep(0.3)
    lines = [e.text for e in desk.store.get(ticket.number).transcript]
    assert lines.count("Looking into it now.") == 1


async def test_bot_messages_edits_and_top_level_posts_are_ignored(desk):
    ticket = await desk.posted(await desk.open_ticket())
    await desk.event(
        {
            "type": "message",
            "channel": CHANNEL,
            "bot_id": "BBOT0001",
            "text": "x",
            "ts": "1.1",
            "thread_ts": ticket.thread,
        }
    )
    await desk.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": CHANNEL,
            "ts": "1.2",
            "thread_ts": ticket.thread,
        }
    )
    await desk.event(
        {"type": "message", "channel": CHANNEL, "user": AGENT, "text": "hi all", "ts": "1.3"}
    )
    await asyncio.sleep(0.3)
    assert len(desk.store.get(ticket.number).transcript) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!note called the customer", ("called the customer", True)),
        ("(internal) waiting on finance", ("waiting on finance", True)),
        ("  !NOTE  shouting", ("shouting", True)),
        ("!notebook is not a note", ("!notebook is not a note", False)),
        ("Your credit note is attached", ("Your credit note is attached", False)),
    ],
)
def test_internal_markers(text, expected):
    assert split_internal(text) == expected

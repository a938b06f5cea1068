"""The collections desk over real HTTP, on SQLite and PostgreSQL: the day's digest posted
once to the escalations channel (two runs, one post), its buttons (Pause, Resume, Confirm
payment) each clicked twice with one effect and who and when kept, and `/billing overdue` /
`/billing due`."""

from __future__ import annotations

import asyncio
import itertools
import json
import urllib.parse
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_desk import AGENT, CHANNEL, DeskServer, eventually

from adapters.slack.channel import DIGEST_POST
from adapters.slack.collections import CONFIRM, RESUME, pause_action
from bot.app import Assistant, build_assistant
from bot.collections.run import Reminders, RunResult
from bot.config import Settings
from bot.retrieval.embedder import HashingEmbedder

DAY = date(2026, 12, 9)  # fabrikam's NW-2026-0510 is 7 days overdue
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
CLAIMED = "NW-2026-0518"  # tailspin's
_ids = itertools.count(1)


@pytest.fixture
def settings(on_both_databases: Settings) -> Settings:
    return on_both_databases


@pytest.fixture
def assistant(settings: Settings) -> AsyncIterator[Assistant]:
    core = build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)
    yield core
    core.tickets.close()


async def run(desk: DeskServer) -> RunResult:
    assistant = desk.bot.assistant
    reminders = Reminders(assistant.storage, lambda: assistant.knowledge, by="test")
    return await asyncio.to_thread(reminders.run, DAY)


def digests(desk: DeskServer) -> list[dict[str, Any]]:
    return [
        call
        for call in desk.slack.called("chat.postMessage")
        if (call.get("metadata") or {}).get("event_type") == DIGEST_POST
    ]


def claim(desk: DeskServer) -> None:
    storage = desk.bot.assistant.storage
    with storage.db.write() as session:
        storage.collections.claim_in(
            session,
            invoice=CLAIMED,
            customer_id="tailspin",
            by="Kai",
            channel="teams",
            conversation="conv-tailspin",
        )


async def click(
    desk: DeskServer, action_id: str, value: str, *, trigger_id: str | None = None
) -> None:
    """One click on a digest's button, as Slack posts it."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": AGENT, "name": AGENT.lower()},
        "api_app_id": "A0001",
        "trigger_id": trigger_id or f"{next(_ids)}.1700000000.digest",
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "message_ts": "1800000000.000001"},
        "message": {"ts": "1800000000.000001", "type": "message"},
        "response_url": desk.slack.response_url("action"),
        "actions": [{"action_id": action_id, "type": "button", "value": value, "action_ts": "1.0"}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    answer = await desk.send(body, "application/x-www-form-urlencoded")
    assert answer.status == 200, answer


def told(desk: DeskServer) -> list[str]:
    return [str(call["text"]) for call in desk.slack.called("chat.postEphemeral")]


def buttons(post: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(action_id, value) -> button, from the post's actions blocks and accessories."""
    found = {}
    for block in post["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                found[(element["action_id"], element["value"])] = element
    return found


async def test_the_digest_is_posted_once_with_its_lists_and_buttons(desk: DeskServer) -> None:
    claim(desk)
    first, second = await run(desk), await run(desk)
    assert (first.digest, second.digest) == (True, False)

    (post,) = await eventually(lambda: digests(desk))
    await asyncio.sleep(0.3)  # a second post would have gone out by now
    assert len(digests(desk)) == 1
    assert post["channel"] == CHANNEL
    text = json.dumps(post["blocks"])
    assert "Collections digest" in text
    assert "NW-2026-0510" in text and "fabrikam" in text
    assert "NW-2026-0477" not in text  # wingtip's disputed invoice
    assert "Suspension due" in text
    found = buttons(post)
    assert {pause_action(days) for days in (7, 14, 30)} <= {
        action for action, value in found if value == "fabrikam"
    }
    assert (CONFIRM, CLAIMED) in found
    assert len(post["blocks"]) <= 50


async def test_each_button_clicked_twice_has_one_effect(desk: DeskServer) -> None:
    store = desk.bot.assistant.storage.collections
    claim(desk)

    await click(desk, pause_action(7), "fabrikam")
    await click(desk, pause_action(7), "fabrikam")  # a second click on the same button
    await eventually(lambda: len(told(desk)) == 2)
    assert "paused until" in told(desk)[0] and "already paused" in told(desk)[1]
    pauses = [h for h in store.history("fabrikam") if h.kind == "paused"]
    assert [(h.by, h.detail) for h in pauses] == [("Maeve", (DAY + timedelta(days=7)).isoformat())]

    await click(desk, RESUME, "fabrikam", trigger_id="77.1700000000.resume")
    await click(desk, RESUME, "fabrikam", trigger_id="77.1700000000.resume")  # redelivered
    await eventually(lambda: len(told(desk)) == 3)
    assert "resumed" in told(desk)[2]
    assert [h.by for h in store.history("fabrikam") if h.kind == "resumed"] == ["Maeve"]

    await click(desk, CONFIRM, CLAIMED)
    await click(desk, CONFIRM, CLAIMED)
    await eventually(lambda: len(told(desk)) == 5)
    assert "confirmed" in told(desk)[3] and "already confirmed" in told(desk)[4]
    confirmed = [h for h in store.history("tailspin") if h.kind == "confirmed_paid"]
    assert [(h.invoice, h.by) for h in confirmed] == [(CLAIMED, "Maeve")]
    assert store.open_claims() == []
    await asyncio.sleep(0.3)
    assert len(told(desk)) == 5  # the redelivered click said nothing more


async def test_billing_overdue_and_due_answer_with_the_desk_tables(desk: DeskServer) -> None:
    await desk.command("overdue", name="overdue")
    await desk.command("due this month", name="due")
    replies = dict(
        await eventually(lambda: len(desk.slack.responses) == 2 and desk.slack.responses)
    )
    overdue = json.dumps(replies["overdue"]["blocks"])
    assert "overdue invoices on" in overdue and "fabrikam" in overdue
    assert "Days overdue" in overdue
    due = json.dumps(replies["due"]["blocks"])
    assert "due from 1 December 2026 to 31 December 2026" in due
    assert "NW-2026-0510" in due and "NW-2026-0521" in due

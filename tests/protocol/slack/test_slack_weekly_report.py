"""The weekly post end to end (REPORT_WEEKLY=true): a server started on Monday after
REPORT_AT queues last week's figures, its dispatcher posts them through the real Slack SDK
to the fake Slack Web API, confirmed and assumed side by side; a restarted server posts
nothing more. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fake_slack import FakeSlack
from fakes.harness import eventually
from slack_desk import CHANNEL
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.channel import SlackChannel
from adapters.slack.mount import slack_mount
from bot.app import Assistant, build_assistant
from bot.channel import OutboxEvent, Outgoing
from bot.config import Settings
from bot.conversation.turns import TurnNote
from bot.reasons import Reason
from bot.retrieval.embedder import HashingEmbedder
from bot.storage.database import Database
from bot.storage.stores import Storage
from bot.types import Citation, Reply, ReplyKind

AMS = ZoneInfo("Europe/Amsterdam")
TUESDAY = datetime(2026, 11, 3, 10, 0, tzinfo=AMS)  # in the week of Monday 2 November
MONDAY = datetime(2026, 11, 9, 9, 30, tzinfo=AMS)  # the next Monday, after REPORT_AT 09:00


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def settings(on_both_databases: Settings) -> Settings:
    return on_both_databases.model_copy(update={"report_weekly": True, "report_at": time(9)})


@pytest.fixture
def clock() -> Clock:
    return Clock(TUESDAY.astimezone(UTC))


@pytest.fixture
def assistant(settings: Settings, clock: Clock) -> AsyncIterator[Assistant]:
    storage = Storage(Database.from_url(settings.database, clock=clock))
    core = build_assistant(settings, embedder=HashingEmbedder(), storage=storage, clock=clock)
    yield core
    core.tickets.close()


def chat(assistant: Assistant, clock: Clock, conversation: str, *replies: tuple[ReplyKind, str]):
    """A customer's turns as the assistant records them, a minute apart."""
    storage = assistant.storage
    for kind, intent in replies:
        clock.now += timedelta(minutes=1)
        cites = (Citation("Invoices", "When", "articles/invoice-schedule.md"),)
        reply = Reply("…", kind, 0.9, cites if kind is ReplyKind.ANSWER else ())
        with storage.db.transaction() as conn:
            storage.turns.record_in(
                conn,
                channel="teams",
                conversation=conversation,
                note=TurnNote("fabrikam", intent, None),
                reply=reply,
                offered=False,
            )


def weekly_posts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [p for p in slack.called("chat.postMessage") if "week of 2026-11-02" in p["text"]]


async def test_mondays_post_reaches_slack_once(
    start_server: Callable[..., Any],
    teams: Any,
    fake_slack: FakeSlack,
    slack_settings: Settings,
    assistant: Assistant,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
):
    chat(assistant, clock, "conv-1", (ReplyKind.ANSWER, "policy"), (ReplyKind.GREETING, "solved"))
    clock.now += timedelta(hours=30)
    chat(assistant, clock, "conv-2", (ReplyKind.ANSWER, "policy"))
    with assistant.storage.db.write() as session:  # the vote a 👎 with a reason stores
        assistant.storage.feedback.vote_in(
            session, "teams", "conv-2", False, "articles/invoice-schedule.md", Reason.WRONG
        )
    clock.now = MONDAY.astimezone(UTC)
    mounts = [teams, slack_mount(fake_slack.api_url)]

    async with start_server(mounts=mounts, settings=slack_settings):
        await eventually(lambda: len(weekly_posts(fake_slack)) == 1)
    (post,) = weekly_posts(fake_slack)
    assert post["channel"] == CHANNEL
    assert "confirmed resolved 50%" in post["text"] and "assumed resolved 50%" in post["text"]
    fields = [
        f["text"] for b in post["blocks"] if b["type"] == "section" for f in b.get("fields", [])
    ]
    assert fields == ["*Confirmed resolved*: 50% (1)", "*Assumed resolved*: 50% (1)"]
    texts = [b["text"]["text"] for b in post["blocks"] if b["type"] == "section" and "text" in b]
    assert "*Thumbs-down on answers, by reason*\nWrong answer: 1" in texts

    caplog.set_level(logging.INFO, logger="bot.report.weekly")
    async with start_server(mounts=mounts, settings=slack_settings):  # a restart
        await eventually(lambda: "2026-11-02: already queued" in caplog.text)
        await asyncio.sleep(0.3)  # a few dispatcher rounds (poll interval 0.05 s)
    assert len(weekly_posts(fake_slack)) == 1


async def test_a_retried_weekly_post_adopts_the_post_an_earlier_attempt_made(fake_slack):
    client = AsyncWebClient(token="xoxb-test", base_url=fake_slack.api_url)
    channel = SlackChannel(client, CHANNEL, [])
    total = {"episodes": 0, "provisional": 0, "counts": {}, "rates": {}}
    total["counts"] = dict.fromkeys(
        ("confirmed", "assumed", "ambiguous", "escalated", "not_served"), 0
    )
    total["rates"] = dict.fromkeys(total["counts"])
    body = {
        "week": "2026-11-02",
        "timezone": "Europe/Amsterdam",
        "follow_up_days": 7,
        "total": total,
        "escalated": [],
        "not_served": {},
        "votes": {"helpful": 0, "unhelpful": 0},
    }
    message = Outgoing("weekly_report:2026-11-02", "slack", "", OutboxEvent.WEEKLY_REPORT, body)
    first = await channel.deliver(message)  # reached Slack; its process died before recording
    again = await channel.deliver(dataclasses.replace(message, attempt=2))
    assert again.reference == first.reference
    assert len(weekly_posts(fake_slack)) == 1

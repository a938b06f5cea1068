"""The weekly post (bot/report/weekly.py): when it goes out (Monday at REPORT_AT, partner's
time, inside support hours), what week it covers (Monday to Monday in the partner's
timezone), and that a week is queued once however often it is asked, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from report_script import HOURS, Script
from sqlalchemy import select

from adapters.slack.report import report_blocks
from bot.channel import OutboxEvent
from bot.config import load_settings
from bot.errors import ConfigError
from bot.knowledge.partner import SupportHours
from bot.reasons import Reason
from bot.report.weekly import monday_of, next_post, post_at, queue_week, run_weekly, week_bounds
from bot.storage.models import OutboxRow
from bot.storage.stores import Storage

AMS = ZoneInfo("Europe/Amsterdam")
WEEK = date(2026, 11, 2)  # START's week
NEXT_MONDAY = datetime(2026, 11, 9, 9, 30, tzinfo=AMS)  # after its 09:00 post time


def weekly_rows(storage: Storage) -> list[OutboxRow]:
    with storage.db.write() as session:  # (rows kept loaded after the commit)
        return list(
            session.scalars(
                select(OutboxRow).where(OutboxRow.event == OutboxEvent.WEEKLY_REPORT.value)
            )
        )


def test_a_week_is_monday_to_monday_in_the_partners_timezone() -> None:
    # Sunday 23:30 UTC is already Monday in Amsterdam: next week's.
    assert monday_of(datetime(2026, 11, 8, 23, 30, tzinfo=UTC), "Europe/Amsterdam") == date(
        2026, 11, 9
    )
    assert monday_of(datetime(2026, 11, 8, 22, 30, tzinfo=UTC), "Europe/Amsterdam") == WEEK
    since, until = week_bounds(WEEK, "Europe/Amsterdam")
    assert since == datetime(2026, 11, 1, 23, 0, tzinfo=UTC)
    assert until == datetime(2026, 11, 8, 23, 0, tzinfo=UTC)
    # The week daylight saving time ends in is an hour longer.
    since, until = week_bounds(date(2026, 10, 19), "Europe/Amsterdam")
    assert until - since == timedelta(days=7, hours=1)


def test_the_post_goes_out_on_monday_or_the_weeks_first_open_day() -> None:
    assert post_at(date(2026, 11, 9), time(9), HOURS) == datetime(2026, 11, 9, 9, tzinfo=AMS)
    assert post_at(date(2026, 11, 9), time(7), HOURS) == datetime(2026, 11, 9, 8, tzinfo=AMS)
    closed_monday = SupportHours(HOURS.timezone, HOURS.hours, frozenset({date(2026, 11, 9)}))
    assert post_at(date(2026, 11, 9), time(9), closed_monday) == datetime(
        2026, 11, 10, 9, tzinfo=AMS
    )
    thursday = datetime(2026, 11, 5, 12, tzinfo=UTC)
    assert next_post(thursday, time(9), HOURS) == datetime(2026, 11, 9, 9, tzinfo=AMS)


def test_the_weekly_post_is_off_unless_enabled(monkeypatch) -> None:
    assert load_settings().report_weekly is False
    monkeypatch.setenv("REPORT_WEEKLY", "true")
    monkeypatch.setenv("REPORT_AT", "08:30")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_ESCALATION_CHANNEL", "C0BILLING")
    settings = load_settings()
    assert settings.report_weekly is True and settings.report_at == time(8, 30)


def test_the_weekly_post_without_slack_is_refused_at_start(monkeypatch) -> None:
    monkeypatch.setenv("REPORT_WEEKLY", "true")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="REPORT_WEEKLY=true needs Slack: set SLACK_BOT_TOKEN"):
        load_settings()


def test_the_weeks_figures_keep_confirmed_and_assumed_apart(storage: Storage, script: Script):
    script.answered().solved()  # confirmed
    script.conversation = "conv-2"
    script.wait(30).looked_up()  # assumed: answered, then silence
    script.customer, script.conversation = "contoso", "conv-3"  # another customer's ticket
    script.wait(30).escalated()
    script.clock.now = NEXT_MONDAY.astimezone(UTC) + timedelta(days=14)
    assert queue_week(storage, WEEK, HOURS.timezone, {"partner_billing": "Partner billing"})
    (row,) = weekly_rows(storage)
    total = row.body["total"]
    assert total["episodes"] == 3
    assert total["counts"]["confirmed"] == 1 and total["counts"]["assumed"] == 1
    assert total["rates"]["confirmed"] == round(1 / 3, 4)
    assert row.body["escalated"] == [
        {"route": "partner_billing", "episodes": 1, "name": "Partner billing"}
    ]
    assert row.channel == "slack" and row.key == "weekly_report:2026-11-02"


def test_the_weeks_thumbs_down_are_posted_by_reason_in_the_agents_language(
    storage: Storage, script: Script
):
    script.answered().thumbs(up=False, reason=Reason.WRONG)
    script.conversation = "conv-2"
    script.wait(30).answered().thumbs(up=False, reason=Reason.WRONG)
    script.conversation = "conv-3"
    script.wait(30).looked_up().thumbs(up=False)  # no reason given
    script.clock.now = NEXT_MONDAY.astimezone(UTC) + timedelta(days=14)
    assert queue_week(storage, WEEK, HOURS.timezone)
    (row,) = weekly_rows(storage)
    assert row.body["unhelpful_reasons"] == {
        "wrong": 2,
        "misunderstood": 0,
        "incomplete": 0,
        "figures": 0,
        "other": 0,
        "unstated": 1,
    }
    (section,) = [b for b in report_blocks(row.body, "es") if "motivo" in repr(b)]
    assert section["text"]["text"] == (
        "*Pulgares abajo en respuestas, por motivo*\nRespuesta incorrecta: 2\n"
        "Sin motivo indicado: 1"
    )


def test_a_week_outside_the_episodes_has_none(storage: Storage, script: Script):
    script.answered().solved()
    assert queue_week(storage, WEEK - timedelta(weeks=1), HOURS.timezone)
    (row,) = weekly_rows(storage)
    assert row.body["total"]["episodes"] == 0 and row.body["week"] == "2026-10-26"


def test_the_weeks_post_is_queued_once(storage: Storage, script: Script):
    script.answered().solved()
    assert queue_week(storage, WEEK, HOURS.timezone) is True
    assert queue_week(storage, WEEK, HOURS.timezone) is False  # a restart, a second replica
    assert len(weekly_rows(storage)) == 1


def test_two_servers_started_after_mondays_time_queue_last_week_once(
    storage: Storage, script: Script
):
    script.answered().solved()
    script.clock.now = NEXT_MONDAY.astimezone(UTC)
    asked: list[date] = []

    async def server() -> None:
        stop = asyncio.Event()

        async def run(queue, monday: date) -> bool:
            asked.append(monday)
            queued = queue(monday)
            stop.set()  # what a shutdown does: the loop ends after this week's post
            return bool(queued)

        def queue(monday: date) -> bool:
            return queue_week(storage, monday, HOURS.timezone)

        await run_weekly(queue, time(9), lambda: HOURS, script.clock, run, stop)

    async def both() -> None:
        await server()
        await server()

    asyncio.run(both())
    assert asked == [WEEK, WEEK]
    (row,) = weekly_rows(storage)
    assert row.body["week"] == WEEK.isoformat()


def test_a_server_started_before_mondays_time_waits_for_it(storage: Storage, script: Script):
    script.clock.now = datetime(2026, 11, 9, 7, 0, tzinfo=AMS).astimezone(UTC)
    asked: list[date] = []

    async def server() -> None:
        stop = asyncio.Event()

        async def run(queue, monday: date) -> bool:
            asked.append(monday)
            return True

        task = asyncio.create_task(
            run_weekly(lambda m: True, time(9), lambda: HOURS, script.clock, run, stop)
        )
        await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(server())
    assert asked == []  # 07:00: nothing yet (09:00 is its time)

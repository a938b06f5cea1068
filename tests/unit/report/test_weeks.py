"""Weeks are the partner's (`support.timezone`, Amsterdam here), daylight saving changes
included, on SQLite and PostgreSQL; each week's figures by language and by topic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from report_script import ARTICLES, HOURS, Script

from bot.report.figures import Report, gather
from bot.report.outcomes import Outcome
from bot.retrieval.embedder import HashingEmbedder
from bot.storage.stores import Storage


def report(storage: Storage, since: datetime, until: datetime) -> Report:
    return gather(
        storage.db,
        since=since,
        until=until,
        hours=HOURS,
        articles=ARTICLES,
        embedder=HashingEmbedder(),
    )


def weeks(found: Report) -> dict[str, int]:
    return {week: tally.total for week, tally in found.weeks}


def at(script: Script, moment: datetime, conversation: str) -> Script:
    script.clock.now = moment
    script.conversation = conversation
    return script


def test_sunday_night_in_utc_is_already_monday_in_the_partners_week(storage, script):
    at(script, datetime(2026, 11, 8, 22, 30, tzinfo=UTC), "sunday").answered()  # 23:31 local
    at(script, datetime(2026, 11, 8, 23, 30, tzinfo=UTC), "monday").answered()  # 00:31 Monday
    script.clock.now += timedelta(days=30)
    found = report(storage, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
    assert weeks(found) == {"2026-11-02": 1, "2026-11-09": 1}
    assert found.to_json()["timezone"] == "Europe/Amsterdam"


def test_a_week_with_a_daylight_saving_change_keeps_its_edges(storage, script):
    # Summer time ends Sunday 25 October 2026 at 01:00 UTC (UTC+2, then UTC+1).
    at(script, datetime(2026, 10, 18, 22, 30, tzinfo=UTC), "c1").answered()  # Mon 00:31 +2
    at(script, datetime(2026, 10, 25, 22, 30, tzinfo=UTC), "c2").answered()  # Sun 23:31 +1
    at(script, datetime(2026, 10, 25, 23, 30, tzinfo=UTC), "c3").answered()  # Mon 00:31 +1
    script.clock.now += timedelta(days=30)
    found = report(storage, datetime(2026, 10, 12, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC))
    assert weeks(found) == {"2026-10-19": 2, "2026-10-26": 1}


def test_each_weeks_figures_by_language_and_by_topic(storage, script):
    at(script, datetime(2026, 11, 3, 9, tzinfo=UTC), "en-1").answered().solved()
    at(script, datetime(2026, 11, 4, 9, tzinfo=UTC), "es-1").answered(language="es")
    at(script, datetime(2026, 11, 10, 9, tzinfo=UTC), "en-2").looked_up()
    script.clock.now += timedelta(days=30)
    found = report(storage, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))
    by_language = {(w, k): t for w, k, t in found.weeks_by_language}
    assert sorted(by_language) == [("2026-11-02", "en"), ("2026-11-02", "es"), ("2026-11-09", "en")]
    assert by_language["2026-11-02", "en"].count(Outcome.CONFIRMED) == 1
    assert by_language["2026-11-02", "es"].count(Outcome.ASSUMED) == 1
    topics = {(w, k) for w, k, _ in found.weeks_by_topic}
    assert ("2026-11-09", "invoice.due") in topics
    data = found.to_json()
    assert {"week": "2026-11-09", "language": "en"}.items() <= data["weeks_by_language"][-1].items()

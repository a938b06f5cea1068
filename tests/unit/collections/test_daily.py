"""When the daily collections run happens: COLLECTIONS_AT, local time, open days, in hours."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.collections.daily import next_run, run_at
from bot.config import load_settings
from bot.knowledge.partner import SupportHours

AMS = ZoneInfo("Europe/Amsterdam")
WEEK = {d: (time(8), time(18)) for d in ("mon", "tue", "wed", "thu", "fri")}
HOURS = SupportHours("Europe/Amsterdam", WEEK, frozenset({date(2026, 12, 25)}))


def test_runs_at_the_local_time_on_open_days_only() -> None:
    assert run_at(date(2026, 12, 9), time(9, 30), HOURS) == datetime(2026, 12, 9, 9, 30, tzinfo=AMS)
    assert run_at(date(2026, 12, 12), time(9, 30), HOURS) is None  # Saturday
    assert run_at(date(2026, 12, 25), time(9, 30), HOURS) is None  # holiday
    assert run_at(date(2026, 12, 9), time(7), HOURS) == datetime(2026, 12, 9, 8, tzinfo=AMS)
    assert run_at(date(2026, 12, 9), time(19), HOURS) is None  # after closing


def test_the_next_run_skips_the_weekend_and_the_holiday() -> None:
    friday_noon = datetime(2026, 12, 11, 11, 0, tzinfo=UTC)
    assert next_run(friday_noon, time(9, 30), HOURS) == datetime(2026, 12, 14, 9, 30, tzinfo=AMS)
    christmas_eve = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)
    assert next_run(christmas_eve, time(9, 30), HOURS) == datetime(2026, 12, 28, 9, 30, tzinfo=AMS)


def test_collections_are_off_unless_enabled(monkeypatch) -> None:
    assert load_settings().collections is False
    monkeypatch.setenv("COLLECTIONS", "true")
    monkeypatch.setenv("COLLECTIONS_AT", "10:15")
    settings = load_settings()
    assert settings.collections is True and settings.collections_at == time(10, 15)

"""Business hours between two instants, per partner.yaml's support hours and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from report_script import HOURS

from bot.knowledge.partner import SupportHours
from bot.report.hours import business_seconds, percentile, spread


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)  # Amsterdam is UTC+1 in November


def test_within_one_open_day():
    assert business_seconds(HOURS, at(2, 9), at(2, 11)) == 2 * 3600  # Monday 10:00-12:00


def test_the_night_and_the_weekend_do_not_count():
    # Friday 16:00 local to Monday 09:00 local: Friday 16-18 and Monday 08-09.
    assert business_seconds(HOURS, at(6, 15), at(9, 8)) == 3 * 3600


def test_a_holiday_does_not_count():
    holiday = SupportHours(HOURS.timezone, HOURS.hours, frozenset({date(2026, 11, 3)}))
    # Monday 17:00 local to Wednesday 09:00 local: Monday 17-18, Wednesday 08-09.
    assert business_seconds(holiday, at(2, 16), at(4, 8)) == 2 * 3600


def test_no_published_hours_counts_every_hour():
    assert business_seconds(SupportHours(), at(7, 0), at(8, 0)) == 24 * 3600


def test_an_end_before_the_start_is_zero():
    assert business_seconds(HOURS, at(3, 10), at(2, 10)) == 0


def test_median_and_p90():
    assert percentile([1.0, 2.0, 3.0], 0.5) == 2.0
    assert percentile([0.0, 10.0], 0.9) == pytest.approx(9.0)
    measured = spread([3600.0 * h for h in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)])
    assert measured.measured == 10
    assert measured.median == pytest.approx(5.5) and measured.p90 == pytest.approx(9.1)
    assert spread([]).median is None

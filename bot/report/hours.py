"""Agents' reply times in business hours: the time support was open (`partner.yaml`
`support`: weekday hours in the partner's timezone, holidays closed) between two instants,
and the median and 90th percentile of such times."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.knowledge.partner import WEEKDAYS, SupportHours

_DAY = (time(0, 0), None)  # a partner that publishes no hours: open all day


def business_seconds(hours: SupportHours, start: datetime, end: datetime) -> float:
    """Seconds support was open from `start` to `end` (0 when `end` is not later)."""
    if end <= start:
        return 0.0
    zone = ZoneInfo(hours.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    total = 0.0
    day = local_start.date()
    while day <= local_end.date():
        window = hours.hours.get(WEEKDAYS[day.weekday()]) if hours.hours else _DAY
        if window is not None and day not in hours.holidays:
            opens = datetime.combine(day, window[0], tzinfo=zone)
            closes = (
                datetime.combine(day, window[1], tzinfo=zone)
                if window[1] is not None
                else datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
            )
            overlap = min(closes, local_end) - max(opens, local_start)
            total += max(overlap.total_seconds(), 0.0)
        day += timedelta(days=1)
    return total


class Spread(NamedTuple):
    """How many times were measured, their median and 90th percentile (hours; None when
    nothing was measured)."""

    measured: int
    median: float | None
    p90: float | None

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "measured": self.measured,
            "median_hours": None if self.median is None else round(self.median, 2),
            "p90_hours": None if self.p90 is None else round(self.p90, 2),
        }


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """The `share` quantile of ascending `sorted_values`, interpolated between neighbours."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = (len(sorted_values) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    weight = position - low
    return sorted_values[low] * (1 - weight) + sorted_values[high] * weight


def spread(seconds: Sequence[float]) -> Spread:
    values = sorted(s / 3600 for s in seconds)
    if not values:
        return Spread(0, None, None)
    return Spread(len(values), percentile(values, 0.5), percentile(values, 0.9))

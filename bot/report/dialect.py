"""The few SQL expressions SQLite and PostgreSQL spell differently, for the report's queries:
time differences, "within N days after", the week and the day of an instant.

SQLite keeps instants as naive UTC text (`bot.storage.models.UTCDateTime`) and computes
with `julianday`; PostgreSQL keeps `timestamptz` and computes with intervals. A week is the
partner's (`support.timezone`): PostgreSQL converts with `AT TIME ZONE`; SQLite, which knows
no time zones, shifts each instant by the zone's UTC offset, chosen among the few offsets
the period has (a daylight saving change starts the next one). Days are UTC's. Both come out
as `YYYY-MM-DD` text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import BotError

STEP = timedelta(minutes=15)  # offsets change on a quarter hour in every zone
MARGIN = timedelta(days=8)  # a week's start before the period's, and its end after


class UnsupportedDatabase(BotError):
    """The report runs on SQLite and PostgreSQL only."""


def offsets(timezone: str, since: datetime, until: datetime) -> tuple[tuple[datetime, int], ...]:
    """`timezone`'s UTC offsets (seconds) over [since, until) and a margin, each with the
    instant it starts (the first: the margin's start)."""
    zone = ZoneInfo(timezone)
    moment = since.astimezone(UTC) - MARGIN
    end = until.astimezone(UTC) + MARGIN
    found = [(moment, _offset(moment, zone))]
    while moment < end:
        moment += STEP
        if (offset := _offset(moment, zone)) != found[-1][1]:
            found.append((moment, offset))
    return tuple(found)


def _offset(moment: datetime, zone: ZoneInfo) -> int:
    delta = moment.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str  # "sqlite" or "postgresql"
    timezone: str = "UTC"  # of the weeks
    shifts: tuple[tuple[datetime, int], ...] = ((datetime.min.replace(tzinfo=UTC), 0),)

    @classmethod
    def of(
        cls,
        name: str,
        timezone: str = "UTC",
        period: tuple[datetime, datetime] | None = None,
    ) -> Dialect:
        """`name`'s dialect, with weeks in `timezone` for instants in `period` (and a week
        either side)."""
        if name not in ("sqlite", "postgresql"):
            raise UnsupportedDatabase(
                f"the report needs SQLite or PostgreSQL, not {name!r} (DATABASE_URL)"
            )
        if timezone == "UTC" or period is None:
            return cls(name)
        ZoneInfo(timezone)  # a name the zone database knows (it is written into the SQL)
        if "'" in timezone:
            raise ValueError(f"time zone {timezone!r} is not a zone name")
        return cls(name, timezone, offsets(timezone, *period))

    @property
    def sqlite(self) -> bool:
        return self.name == "sqlite"

    @property
    def timestamp(self) -> str:
        """The column type of an instant in a temporary table."""
        return "TEXT" if self.sqlite else "TIMESTAMP WITH TIME ZONE"

    def seconds(self, earlier: str, later: str) -> str:
        """Seconds from `earlier` to `later`."""
        if self.sqlite:
            return f"((julianday({later}) - julianday({earlier})) * 86400.0)"
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"

    def within_days(self, moment: str, after: str, days: int) -> str:
        """`moment` is later than `after`, by `days` days at most."""
        if self.sqlite:
            # Compared as the stored text, so an index on `moment` serves the range (the
            # bound has milliseconds: a sub-millisecond boundary case is off by one, no more).
            bound = f"strftime('%Y-%m-%d %H:%M:%f', {after}, '+{int(days)} days')"
            return f"({moment} > {after} AND {moment} <= {bound})"
        return f"({moment} > {after} AND {moment} <= {after} + INTERVAL '{int(days)} days')"

    def indexed(self, index: str) -> str:
        """SQLite: read the table through `index` (its order spares a grouping its sort);
        PostgreSQL plans that itself."""
        return f"INDEXED BY {index}" if self.sqlite else ""

    def week(self, moment: str) -> str:
        """The Monday of `moment`'s week, in the partner's time zone."""
        if not self.sqlite:
            zone = self.timezone
            return f"to_char(date_trunc('week', {moment} AT TIME ZONE '{zone}'), 'YYYY-MM-DD')"

        def monday(offset: int) -> str:
            return f"date({moment}, '{offset:+d} seconds', 'weekday 0', '-6 days')"

        (_, first), *later = self.shifts
        if not later:
            return monday(first)
        branches = []
        offset = first
        for start, next_offset in later:
            bound = start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            branches.append(f"WHEN {moment} < '{bound}' THEN {monday(offset)}")
            offset = next_offset
        return f"(CASE {' '.join(branches)} ELSE {monday(offset)} END)"

    def day(self, moment: str) -> str:
        """`moment`'s date (UTC), comparable with a `Date` column."""
        if self.sqlite:
            return f"date({moment})"
        return f"CAST(({moment} AT TIME ZONE 'UTC') AS DATE)"

    def day_plus(self, day: str, days: int) -> str:
        if self.sqlite:
            return f"date({day}, '+{int(days)} days')"
        return f"({day} + {int(days)})"

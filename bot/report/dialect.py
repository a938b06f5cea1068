"""The few SQL expressions SQLite and PostgreSQL spell differently, for the report's queries:
time differences, "within N days after", the week and the day of an instant.

SQLite keeps instants as naive UTC text (`bot.tickets.models.UTCDateTime`) and computes
with `julianday`; PostgreSQL keeps `timestamptz` and computes with intervals. Every week
and day here is UTC's, and comes out as `YYYY-MM-DD` text on both.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import BotError


class UnsupportedDatabase(BotError):
    """The report runs on SQLite and PostgreSQL only."""


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str  # "sqlite" or "postgresql"

    @classmethod
    def of(cls, name: str) -> Dialect:
        if name not in ("sqlite", "postgresql"):
            raise UnsupportedDatabase(
                f"the report needs SQLite or PostgreSQL, not {name!r} (DATABASE_URL)"
            )
        return cls(name)

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

    def minus_hours(self, moment: str, hours: int) -> str:
        """`moment` less `hours`, comparable with a stored instant (SQLite: as text, so an
        index on the compared column serves the range)."""
        if self.sqlite:
            return f"strftime('%Y-%m-%d %H:%M:%f', {moment}, '-{int(hours)} hours')"
        return f"({moment} - INTERVAL '{int(hours)} hours')"

    def indexed(self, index: str) -> str:
        """SQLite: read the table through `index` (its order spares a window its sort);
        PostgreSQL plans that itself."""
        return f"INDEXED BY {index}" if self.sqlite else ""

    def week(self, moment: str) -> str:
        """The Monday (UTC) of `moment`'s week."""
        if self.sqlite:
            return f"date({moment}, 'weekday 0', '-6 days')"
        return f"to_char(date_trunc('week', {moment} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"

    def day(self, moment: str) -> str:
        """`moment`'s date (UTC), comparable with a `Date` column."""
        if self.sqlite:
            return f"date({moment})"
        return f"CAST(({moment} AT TIME ZONE 'UTC') AS DATE)"

    def day_plus(self, day: str, days: int) -> str:
        if self.sqlite:
            return f"date({day}, '+{int(days)} days')"
        return f"({day} + {int(days)})"

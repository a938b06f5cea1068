"""`partner.yaml`: the partner's name, support hours and contacts, and collections policy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.knowledge.problems import Problem
from bot.knowledge.yaml_lines import line_of

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True, slots=True)
class SupportHours:
    timezone: str = "UTC"
    hours: dict[str, tuple[time, time]] = field(default_factory=dict)  # weekday -> open, close
    holidays: frozenset[date] = frozenset()

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.timezone))
        window = self.hours.get(WEEKDAYS[local.weekday()])
        if window is None or local.date() in self.holidays:
            return False
        return window[0] <= local.time() < window[1]

    def next_opening(self, moment: datetime) -> datetime | None:
        """When support next opens after `moment` (itself, if open now)."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(ZoneInfo(self.timezone))
        for offset in range(0, 30):
            day = local.date() + timedelta(days=offset)
            window = self.hours.get(WEEKDAYS[day.weekday()])
            if window is None or day in self.holidays:
                continue
            opening = datetime.combine(day, window[0], tzinfo=local.tzinfo)
            if opening > local:
                return opening
        return None

    def describe(self) -> str:
        if not self.hours:
            return "Support hours are not published."
        groups: list[tuple[list[str], tuple[time, time]]] = []
        for day in WEEKDAYS:
            window = self.hours.get(day)
            if window is None:
                continue
            if (
                groups
                and groups[-1][1] == window
                and WEEKDAYS.index(groups[-1][0][-1]) + 1 == WEEKDAYS.index(day)
            ):
                groups[-1][0].append(day)
            else:
                groups.append(([day], window))
        parts = [
            f"{days[0].capitalize()}{'–' + days[-1].capitalize() if len(days) > 1 else ''} "
            f"{w[0]:%H:%M}–{w[1]:%H:%M}"
            for days, w in groups
        ]
        return f"{', '.join(parts)} ({self.timezone}), except public holidays"


@dataclass(frozen=True, slots=True)
class Collections:
    reminder_days: tuple[int, ...] = (1, 7, 14)
    suspension_notice_days: int = 23
    suspension_days: int = 30
    reinstatement: str = ""


@dataclass(frozen=True, slots=True)
class Partner:
    name: str = "Your CSP partner"
    support: SupportHours = field(default_factory=SupportHours)
    first_response: str = "one business day"
    contact: dict[str, str] = field(default_factory=dict)
    price: str = ""
    microsoft_support_plan: str = ""
    collections: Collections = field(default_factory=Collections)


def parse_partner(path: str, data: Any) -> tuple[Partner, list[Problem]]:
    if not isinstance(data, dict):
        return Partner(), [Problem(path, 1, "expected a mapping with 'name' and 'support'")]
    problems: list[Problem] = []
    support = data.get("support") or {}
    line = line_of(support, line_of(data))
    timezone = str(support.get("timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem(path, line, f"unknown timezone {timezone!r}"))
        timezone = "UTC"
    hours: dict[str, tuple[time, time]] = {}
    for day, value in (support.get("hours") or {}).items():
        if day == "__line__":
            continue
        match = _HOURS.match(str(value))
        if day not in WEEKDAYS or not match:
            problems.append(
                Problem(path, line, f"hours: {day}: {value!r} is not '<mon..sun>: \"HH:MM-HH:MM\"'")
            )
            continue
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        hours[day] = (time(h1, m1), time(h2, m2))
    holidays: set[date] = set()
    for value in support.get("holidays") or ():
        try:
            holidays.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            problems.append(Problem(path, line, f"holiday {value!r} is not a date (YYYY-MM-DD)"))
    raw_collections = data.get("collections") or {}
    try:
        collections = Collections(
            reminder_days=tuple(int(d) for d in raw_collections.get("reminder_days", (1, 7, 14))),
            suspension_notice_days=int(raw_collections.get("suspension_notice_days", 23)),
            suspension_days=int(raw_collections.get("suspension_days", 30)),
            reinstatement=str(raw_collections.get("reinstatement", "")),
        )
    except (TypeError, ValueError):
        problems.append(
            Problem(
                path, line_of(raw_collections, 1), "collections: day counts must be whole numbers"
            )
        )
        collections = Collections()
    contact = {k: str(v) for k, v in (support.get("contact") or {}).items() if k != "__line__"}
    return (
        Partner(
            name=str(data.get("name") or "Your CSP partner"),
            support=SupportHours(timezone, hours, frozenset(holidays)),
            first_response=str(support.get("first_response", "one business day")),
            contact=contact,
            price=str(support.get("price", "")),
            microsoft_support_plan=str(data.get("microsoft_support_plan", "")),
            collections=collections,
        ),
        problems,
    )

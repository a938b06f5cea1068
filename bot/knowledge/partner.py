"""`partner.yaml`: the partner's name, support hours and contacts, collections policy, and
the names of its support plans per language (bot/knowledge/plans.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.knowledge.plans import PlanNames, parse_plan_names
from bot.knowledge.problems import FileRejected, Problem
from bot.knowledge.translations import Translations, pick, translations_of
from bot.knowledge.yaml_lines import LINE, line_of
from bot.locale import SOURCE_LANGUAGE, formats, translator

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

    def is_open_day(self, day: date) -> bool:
        """Whether support opens at all on `day` (a local date): a weekday with hours, not a
        holiday. A partner that publishes no hours is open every day but its holidays."""
        if day in self.holidays:
            return False
        return not self.hours or WEEKDAYS[day.weekday()] in self.hours

    def next_open_day(self, day: date) -> date:
        """`day` itself when support opens on it, else the next day it does (`day` when no
        day opens within a month: a folder with every weekday closed)."""
        for offset in range(0, 31):
            candidate = day + timedelta(days=offset)
            if self.is_open_day(candidate):
                return candidate
        return day

    def describe(self, language: str = SOURCE_LANGUAGE) -> str:
        """ "Mon–Fri 08:00–18:00 (Europe/Amsterdam), except public holidays", in `language`."""
        _ = translator(language)
        if not self.hours:
            return _("Support hours are not published.")
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
            f"{self._day(days[0], language)}"
            f"{'–' + self._day(days[-1], language) if len(days) > 1 else ''} "
            f"{w[0]:%H:%M}–{w[1]:%H:%M}"
            for days, w in groups
        ]
        return _("{days} ({timezone}), except public holidays").format(
            days=", ".join(parts), timezone=self.timezone
        )

    @staticmethod
    def _day(day: str, language: str) -> str:
        return formats.weekday(WEEKDAYS.index(day), language)


class StepKind(StrEnum):
    """The kinds of step on the collections timeline, in the order they come."""

    COURTESY = "courtesy"  # `before_due_days` before the due date
    REMINDER = "reminder"  # each of `reminder_days` after it
    SUSPENSION_NOTICE = "suspension_notice"
    SUSPENSION = "suspension"


@dataclass(frozen=True, slots=True, order=True)
class Step:
    """One step of the timeline: its kind and its day relative to the due date (negative:
    before it). `key` names it in the outbox and the history ("reminder+7")."""

    offset: int
    kind: StepKind

    @property
    def key(self) -> str:
        return f"{self.kind}{self.offset:+d}"


@dataclass(frozen=True, slots=True)
class Collections:
    reminder_days: tuple[int, ...] = (1, 7, 14)
    suspension_notice_days: int = 23
    suspension_days: int = 30
    reinstatement: str = ""
    reinstatements: Translations = ()  # `reinstatement_es: ...`
    before_due_days: int | None = None  # a courtesy notice this many days before the due date

    def reinstatement_in(self, language: str | None) -> str:
        return pick(self.reinstatement, self.reinstatements, language)

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step of the policy, by day (the one place the timeline is computed: what
        the bot says will happen and what collections sends agree)."""
        found = {Step(days, StepKind.REMINDER) for days in self.reminder_days}
        found.add(Step(self.suspension_notice_days, StepKind.SUSPENSION_NOTICE))
        found.add(Step(self.suspension_days, StepKind.SUSPENSION))
        if self.before_due_days:
            found.add(Step(-self.before_due_days, StepKind.COURTESY))
        return tuple(sorted(found))

    def timeline(self, due: date) -> tuple[tuple[Step, date], ...]:
        """Each step with its calendar day for an invoice due on `due`."""
        return tuple((step, due + timedelta(days=step.offset)) for step in self.steps)

    def day_of(self, kind: StepKind, due: date) -> date | None:
        """The day of the first step of `kind` for an invoice due on `due`."""
        return next((day for step, day in self.timeline(due) if step.kind is kind), None)


@dataclass(frozen=True, slots=True)
class Partner:
    name: str = "Your CSP partner"
    support: SupportHours = field(default_factory=SupportHours)
    first_response: str = "one business day"
    contact: dict[str, str] = field(default_factory=dict)
    price: str = ""
    microsoft_support_plan: str = ""
    collections: Collections = field(default_factory=Collections)
    first_responses: Translations = ()  # `first_response_es: ...`
    plan_names: PlanNames = field(default_factory=PlanNames)  # `support_plans:` in it

    def first_response_in(self, language: str | None) -> str:
        return pick(self.first_response, self.first_responses, language)


MAX_DAYS = 3650  # a collections step ten years after the due date is a typo


def parse_partner(path: str, data: Any) -> tuple[Partner, list[Problem]]:
    if not isinstance(data, dict):
        raise FileRejected(1, "expected a mapping with 'name' and 'support'")
    if not any(key != LINE for key in data):
        raise FileRejected(line_of(data), "no settings in it")
    problems: list[Problem] = []
    support = _mapping(data, "support", path, problems)
    line = line_of(support, line_of(data))
    timezone = _timezone(str(support.get("timezone", "UTC")), path, line, problems)
    hours = _hours(support, path, line, problems)
    holidays = _holidays(support, path, line, problems)
    collections = _collections(data, path, problems)
    contact = {
        str(k): str(v) for k, v in _mapping(support, "contact", path, problems).items() if k != LINE
    }
    return (
        Partner(
            name=str(data.get("name") or "Your CSP partner"),
            support=SupportHours(timezone, hours, frozenset(holidays)),
            first_response=str(support.get("first_response", "one business day")),
            contact=contact,
            price=str(support.get("price", "")),
            microsoft_support_plan=str(data.get("microsoft_support_plan", "")),
            collections=collections,
            first_responses=translations_of(support, "first_response", path, problems),
            plan_names=parse_plan_names(data, path, problems),
        ),
        problems,
    )


def _timezone(timezone: str, path: str, line: int, problems: list[Problem]) -> str:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.append(Problem(path, line, f"unknown timezone {timezone!r}"))
        return "UTC"
    return timezone


def _hours(
    support: dict[str, Any], path: str, line: int, problems: list[Problem]
) -> dict[str, tuple[time, time]]:
    hours: dict[str, tuple[time, time]] = {}
    for day, value in _mapping(support, "hours", path, problems).items():
        if day == LINE:
            continue
        try:
            hours[_weekday(day)] = _window(value)
        except ValueError as exc:
            problems.append(Problem(path, line, f"hours: {day}: {exc}"))
    return hours


def _holidays(support: dict[str, Any], path: str, line: int, problems: list[Problem]) -> set[date]:
    holidays: set[date] = set()
    for value in _list(support, "holidays", path, problems):
        try:
            holidays.add(_date(value))
        except ValueError:
            problems.append(Problem(path, line, f"holiday {value!r} is not a date (YYYY-MM-DD)"))
    return holidays


def _collections(data: dict[str, Any], path: str, problems: list[Problem]) -> Collections:
    """The collections settings; the defaults (with a problem) when one is unusable."""
    raw = _mapping(data, "collections", path, problems)
    try:
        reminders = raw.get("reminder_days", [1, 7, 14])
        if not isinstance(reminders, list):
            raise ValueError(f"reminder_days must be a list of days, not {reminders!r}")
        return Collections(
            reminder_days=tuple(_days(d, "reminder_days") for d in reminders),
            suspension_notice_days=_days(
                raw.get("suspension_notice_days", 23), "suspension_notice_days"
            ),
            suspension_days=_days(raw.get("suspension_days", 30), "suspension_days"),
            reinstatement=str(raw.get("reinstatement", "")),
            reinstatements=translations_of(raw, "reinstatement", path, problems),
            before_due_days=_before_due(raw.get("before_due_days")),
        )
    except ValueError as exc:
        problems.append(Problem(path, line_of(raw, line_of(data)), f"collections: {exc}"))
        return Collections()


def _mapping(
    parent: dict[str, Any], key: str, path: str, problems: list[Problem]
) -> dict[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(Problem(path, line_of(parent), f"{key}: must be a mapping, not {value!r}"))
        return {}
    return value


def _list(parent: dict[str, Any], key: str, path: str, problems: list[Problem]) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(Problem(path, line_of(parent), f"{key}: must be a list, not {value!r}"))
        return []
    return value


def _weekday(day: Any) -> str:
    if day not in WEEKDAYS:
        raise ValueError(f"{day!r} is not a weekday (mon..sun)")
    return str(day)


def _window(value: Any) -> tuple[time, time]:
    """ "08:00-18:00" -> (08:00, 18:00); an impossible time (25:99) or an empty window is an
    error, not a crash."""
    match = _HOURS.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not '<mon..sun>: \"HH:MM-HH:MM\"'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
        raise ValueError(f"{value!r} is not a time of day (00:00 to 23:59)")
    opens, closes = time(h1, m1), time(h2, m2)
    if opens >= closes:
        raise ValueError(f"{value!r} closes before it opens")
    return opens, closes


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _before_due(value: Any) -> int | None:
    """`before_due_days`: absent or empty for no courtesy notice, else 1 or more days."""
    if value is None:
        return None
    days = _days(value, "before_due_days")
    if days == 0:
        raise ValueError("before_due_days: 0 is the due date itself; leave it out for none")
    return days


def _days(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name}: {value!r} is not a whole number of days")
    try:
        days = int(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a whole number of days") from None
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"{name}: {value!r} is not between 0 and {MAX_DAYS} days")
    return days

"""When the collections plan runs: once a day at `COLLECTIONS_AT` (local time of the
partner's `support.timezone`), on days support is open, inside its hours (an earlier setting
waits for the opening; a later one than closing skips the day). `run_daily` is the server's
background task; its clock and its waiting are injectable, so tests need no real time.

A process that starts after today's time runs today's plan at once: a restart, or a second
replica, sends nothing twice (`Reminders.run` queues each (invoice, step) once)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.collections.run import Reminders, RunResult
from bot.knowledge.partner import SupportHours

log = logging.getLogger(__name__)
RECHECK = 3600.0  # seconds: look at the clock (and the reloaded hours) at least this often
RETRY = 60.0  # seconds before a failed run is tried again


def run_at(day: date, at: time, hours: SupportHours) -> datetime | None:
    """When the plan runs on `day` (a local date), or None: support is closed that day."""
    zone = ZoneInfo(hours.timezone)
    if not hours.is_open_day(day):
        return None
    moment = datetime.combine(day, at, tzinfo=zone)
    if not hours.hours or hours.is_open(moment):
        return moment
    opening = hours.next_opening(moment)
    if opening is None or opening.astimezone(zone).date() != day:
        return None  # after closing time: not that day
    return opening


def next_run(now: datetime, at: time, hours: SupportHours) -> datetime | None:
    """The first run strictly after `now` (None: no open day within a month)."""
    today = now.astimezone(ZoneInfo(hours.timezone)).date()
    for offset in range(0, 32):
        moment = run_at(today + timedelta(days=offset), at, hours)
        if moment is not None and moment > now:
            return moment
    return None


async def run_daily(
    reminders: Reminders,
    at: time,
    clock: Callable[[], datetime],
    run: Callable[[Callable[[date], RunResult], date], Awaitable[RunResult]],
    stop: asyncio.Event,
) -> None:
    """Run the plan at each day's time until `stop` is set. `run(fn, day)` runs the blocking
    `Reminders.run` off the event loop (the server's core pool)."""

    def hours() -> SupportHours:
        return reminders.knowledge().partner.support

    async def once(moment: datetime) -> None:
        day = moment.astimezone(ZoneInfo(hours().timezone)).date()
        while not stop.is_set():
            try:
                result = await run(reminders.run, day)
            except Exception:
                log.exception("collections run for %s failed; retrying in %.0fs", day, RETRY)
                if await wait_or_stop(stop, RETRY):
                    return
                continue
            log.info(
                "collections %s: %d reminder(s) queued, %d already queued, %d unreachable",
                day,
                len(result.queued),
                len(result.already),
                len(result.unreachable),
            )
            return

    now = clock()
    today = run_at(now.astimezone(ZoneInfo(hours().timezone)).date(), at, hours())
    if today is not None and today <= now:
        await once(now)  # started after today's time: today's plan now (sends nothing twice)
    while not stop.is_set():
        due = next_run(clock(), at, hours())
        delay = RECHECK if due is None else (due - clock()).total_seconds()
        if await wait_or_stop(stop, min(max(delay, 0.0), RECHECK)):
            return
        if due is not None and clock() >= due:
            await once(due)


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds` or until `stop`; True when stopped."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True

"""The weekly post (REPORT_WEEKLY=true): on Monday at REPORT_AT, the partner's local time
(`support.timezone`; the first open day of the week if Monday is closed, inside support
hours), the server queues last week's figures for the agents' channel through the outbox.

A week is Monday 00:00 to Monday 00:00 in the partner's timezone. The outbox key names the
week (`weekly_report:<Monday>`), so a restart or a second replica queues it once; a server
started after this week's time queues it at once. `run_weekly` is the server's background
task; its clock and waiting are injectable, as `bot.collections.daily`'s are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bot.channel import OutboxEvent
from bot.collections.daily import RECHECK, RETRY, run_at, wait_or_stop
from bot.delivery.outbox import enqueue
from bot.knowledge.partner import SupportHours
from bot.report.dialect import Dialect
from bot.report.episodes import TABLE, build_episodes
from bot.report.figures import Tally, tallies, unhelpful_reasons, votes_by_week
from bot.report.outcomes import FOLLOW_UP_DAYS, NotServed, Outcome
from bot.storage.models import OutboxRow
from bot.storage.stores import Storage

log = logging.getLogger(__name__)
KEY = "weekly_report:{monday}"
SLACK = "slack"


def monday_of(moment: datetime, timezone: str) -> date:
    """The Monday (a local date in `timezone`) of the week `moment` falls in."""
    day = moment.astimezone(ZoneInfo(timezone)).date()
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date, timezone: str) -> tuple[datetime, datetime]:
    """The instants the local week starting `monday` begins and ends (ends excluded)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(monday, time(0), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def post_at(monday: date, at: time, hours: SupportHours) -> datetime | None:
    """When the post of the week before `monday` goes out: `at` on the first open day of the
    week starting `monday` (None: support is closed all week)."""
    for offset in range(7):
        moment = run_at(monday + timedelta(days=offset), at, hours)
        if moment is not None:
            return moment
    return None


def next_post(now: datetime, at: time, hours: SupportHours) -> datetime | None:
    """The first post strictly after `now` (None: no open day within five weeks)."""
    monday = monday_of(now, hours.timezone)
    for weeks in range(6):
        moment = post_at(monday + timedelta(weeks=weeks), at, hours)
        if moment is not None and moment > now:
            return moment
    return None


def week_figures(storage: Storage, monday: date, timezone: str) -> dict[str, Any]:
    """The post's body: the episodes that started in the local week from `monday`, by
    outcome (confirmed and assumed apart), escalated by route, the votes on answers and the
    thumbs-down by reason (every reason, then `figures.UNSTATED`: none given)."""
    db = storage.db
    since, until = week_bounds(monday, timezone)
    d = Dialect.of(db.engine.dialect.name, timezone, (since, until))
    with db.engine.connect() as conn:
        build_episodes(conn, d, since, until, db.now())
        everything = tallies(conn, None)
        routes = [
            {"route": str(r.route), "episodes": int(r.n)}
            for r in conn.execute(
                text(
                    f"SELECT k.route, COUNT(*) AS n FROM {TABLE} e "
                    "JOIN tickets k ON k.id = e.ticket_id "
                    f"WHERE e.outcome = '{Outcome.ESCALATED}' "
                    "GROUP BY k.route ORDER BY n DESC, k.route"
                )
            )
        ]
        not_served = dict.fromkeys((r.value for r in NotServed), 0)
        for row in conn.execute(
            text(
                f"SELECT reason, COUNT(*) AS n FROM {TABLE} "
                "WHERE reason IS NOT NULL GROUP BY reason"
            )
        ):
            not_served[str(row.reason)] = int(row.n)
        conn.execute(text(f"DROP TABLE {TABLE}"))
        period = {"since": since, "until": until}
        votes = votes_by_week(conn, d, period)
        reasons = unhelpful_reasons(conn, period)
        conn.rollback()  # read only
    total = everything[0][1] if everything else Tally({})
    return {
        "week": monday.isoformat(),
        "timezone": timezone,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "follow_up_days": FOLLOW_UP_DAYS,
        "total": total.to_json(),
        "escalated": routes,
        "not_served": not_served,
        "votes": {"helpful": sum(v[1] for v in votes), "unhelpful": sum(v[2] for v in votes)},
        "unhelpful_reasons": reasons,
    }


def queue_week(
    storage: Storage, monday: date, timezone: str, names: dict[str, str] | None = None
) -> bool:
    """Queue the post of the local week starting `monday`; False (nothing written) when it
    was queued before, by this process or another. `names`: route id -> its name."""
    key = KEY.format(monday=monday.isoformat())
    db = storage.db
    with db.read() as session:
        if session.scalar(select(OutboxRow.id).where(OutboxRow.key == key)) is not None:
            return False
    body = week_figures(storage, monday, timezone)
    for row in body["escalated"]:
        row["name"] = (names or {}).get(row["route"], row["route"])
    try:
        with db.write() as session:
            enqueue(
                session,
                key=key,
                channel=SLACK,
                event=OutboxEvent.WEEKLY_REPORT,
                body=body,
                now=db.now(),
            )
    except IntegrityError:
        return False  # another replica queued it in the meantime
    return True


async def run_weekly(
    queue: Callable[[date], bool],
    at: time,
    hours: Callable[[], SupportHours],
    clock: Callable[[], datetime],
    run: Callable[[Callable[[date], bool], date], Awaitable[bool]],
    stop: asyncio.Event,
) -> None:
    """Queue each week's post at its time until `stop` is set: `queue(monday)` queues the
    post of the week starting `monday` (the week before the post's), run off the event loop
    by `run(queue, monday)` (the server's core pool)."""

    async def once(now: datetime) -> None:
        last_week = monday_of(now, hours().timezone) - timedelta(weeks=1)
        while not stop.is_set():
            try:
                queued = await run(queue, last_week)
            except Exception:
                log.exception("weekly report of %s failed; retrying in %.0fs", last_week, RETRY)
                if await wait_or_stop(stop, RETRY):
                    return
                continue
            log.info(
                "weekly report of the week of %s: %s",
                last_week,
                "queued" if queued else "already queued",
            )
            return

    now = clock()
    this_week = post_at(monday_of(now, hours().timezone), at, hours())
    if this_week is not None and this_week <= now:
        await once(now)  # started after this week's time: queued now (once per week)
    while not stop.is_set():
        due = next_post(clock(), at, hours())
        delay = RECHECK if due is None else (due - clock()).total_seconds()
        if await wait_or_stop(stop, min(max(delay, 0.0), RECHECK)):
            return
        if due is not None and clock() >= due:
            await once(due)

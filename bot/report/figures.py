"""The report's figures: grouped by the database from `report_episodes` (see
`bot.report.episodes`) and the stored votes, tickets, citations and collections steps, into
one `Report` value that the terminal, JSON and HTML outputs all print.

Only aggregates come back from the database; the exceptions are one row per ticket (its
reply times are measured in business hours here, in Python) and the few hundred distinct
unanswered questions (grouped by meaning).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, column, text
from sqlalchemy.engine import Connection

from bot.conversation.turns import FEEDBACK_HELPFUL, FEEDBACK_UNHELPFUL
from bot.knowledge.partner import SupportHours
from bot.reasons import Reason
from bot.report.dialect import Dialect
from bot.report.episodes import TABLE, build_episodes
from bot.report.hours import Spread, business_seconds, spread
from bot.report.outcomes import FOLLOW_UP_DAYS, NotServed, Outcome
from bot.report.unanswered import QuestionGroup, unanswered_groups
from bot.retrieval.embedder import Embedder
from bot.storage.database import Database
from bot.storage.models import UTCDateTime

TOPICS_SHOWN = 20
UNSTATED = "unstated"  # a 👎 without a reason, in `Report.reasons`
ARTICLES_SHOWN = 15


@dataclass(frozen=True, slots=True)
class Tally:
    """Episodes by outcome; `provisional`: how many of them are less than 7 days old."""

    counts: Mapping[Outcome, int]
    provisional: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, outcome: Outcome) -> int:
        return self.counts.get(outcome, 0)

    def rate(self, outcome: Outcome) -> float | None:
        """The share of the episodes with `outcome` (None: no episode)."""
        return self.count(outcome) / self.total if self.total else None

    def to_json(self) -> dict[str, Any]:
        return {
            "episodes": self.total,
            "provisional": self.provisional,
            "counts": {o.value: self.count(o) for o in Outcome},
            "rates": {
                o.value: None if self.rate(o) is None else round(self.rate(o) or 0.0, 4)
                for o in Outcome
            },
        }


@dataclass(frozen=True, slots=True)
class RouteTimes:
    route: str
    tickets: int
    first_reply: Spread
    resolve: Spread

    def to_json(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "tickets": self.tickets,
            "first_reply": self.first_reply.to_json(),
            "resolve": self.resolve.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Reminders:
    week: str
    sent: int
    paid_within_7_days: int
    claimed_paid_within_7_days: int

    def to_json(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "sent": self.sent,
            "paid_within_7_days": self.paid_within_7_days,
            "claimed_paid_within_7_days": self.claimed_paid_within_7_days,
        }


@dataclass(frozen=True, slots=True)
class Report:
    since: datetime
    until: datetime
    now: datetime
    total: Tally
    weeks: Sequence[tuple[str, Tally]]
    by_language: Sequence[tuple[str, Tally]]
    by_topic: Sequence[tuple[str, Tally]]
    not_served: Mapping[NotServed, int]
    escalated: Sequence[tuple[str, str, int]]  # (route, category, episodes)
    votes: Sequence[tuple[str, int, int]]  # (week, 👍, 👎)
    unhelpful: Sequence[tuple[str, int]]  # what the 👎 answers were about, how often
    unanswered_total: int
    unanswered: Sequence[QuestionGroup]
    cited: Sequence[tuple[str, int]]
    never_cited: Sequence[str]
    agents: Sequence[RouteTimes]
    agents_weekly: Sequence[tuple[str, RouteTimes]]
    reminders: Sequence[Reminders]
    names: Mapping[str, str] = field(default_factory=dict)  # route / category id -> name
    timezone: str = "UTC"  # of the weeks (the partner's)
    weeks_by_language: Sequence[tuple[str, str, Tally]] = ()  # (week, language, tally)
    weeks_by_topic: Sequence[tuple[str, str, Tally]] = ()  # the topics of `by_topic` only
    # 👎 by the reason the customer gave (every `Reason`, then UNSTATED: a vote without one)
    reasons: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def tallies(rows: Sequence[tuple[str, Tally]], key: str) -> list[dict[str, Any]]:
            return [{key: name, **tally.to_json()} for name, tally in rows]

        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),  # excluded: episodes started before it
            "generated": self.now.isoformat(),
            "timezone": self.timezone,
            "follow_up_days": FOLLOW_UP_DAYS,
            "headline": {
                "confirmed_rate": self.total.rate(Outcome.CONFIRMED),
                "assumed_rate": self.total.rate(Outcome.ASSUMED),
            },
            "total": self.total.to_json(),
            "weeks": tallies(self.weeks, "week"),
            "by_language": tallies(self.by_language, "language"),
            "by_topic": tallies(self.by_topic, "topic"),
            "weeks_by_language": [
                {"week": w, "language": k, **t.to_json()} for w, k, t in self.weeks_by_language
            ],
            "weeks_by_topic": [
                {"week": w, "topic": k, **t.to_json()} for w, k, t in self.weeks_by_topic
            ],
            "not_served": {r.value: self.not_served.get(r, 0) for r in NotServed},
            "escalated": [{"route": r, "category": c, "episodes": n} for r, c, n in self.escalated],
            "votes": [{"week": w, "helpful": u, "unhelpful": d} for w, u, d in self.votes],
            "unhelpful": [{"about": a, "votes": n} for a, n in self.unhelpful],
            "unhelpful_reasons": dict(self.reasons),
            "unanswered": {
                "questions": self.unanswered_total,
                "groups": [g.to_json() for g in self.unanswered],
            },
            "articles": {
                "cited": [{"article": a, "answers": n} for a, n in self.cited],
                "never_cited": list(self.never_cited),
            },
            "agents": [t.to_json() for t in self.agents],
            "agents_weekly": [{"week": w, **t.to_json()} for w, t in self.agents_weekly],
            "reminders": [r.to_json() for r in self.reminders],
        }


def _instants(*names: str) -> list[Any]:
    instant = UTCDateTime()
    return [bindparam(name, type_=instant) for name in names]


def tallies(conn: Connection, by: str | None) -> list[tuple[str, Tally]]:
    """Episodes by outcome for each value of the expression `by` (None: all together)."""
    key, group = (f"{by} AS k", f"{by}, outcome") if by else ("'' AS k", "outcome")
    rows = conn.execute(
        text(
            f"SELECT {key}, outcome, COUNT(*) AS n, SUM(provisional) AS p "
            f"FROM {TABLE} GROUP BY {group}"
        )
    ).all()
    counts: dict[str, dict[Outcome, int]] = defaultdict(dict)
    provisional: dict[str, int] = defaultdict(int)
    for row in rows:
        key = "" if row.k is None else str(row.k)
        counts[key][Outcome(row.outcome)] = int(row.n)
        provisional[key] += int(row.p or 0)
    return [(key, Tally(counts[key], provisional[key])) for key in counts]


def _fold(rows: Sequence[Any], key: Callable[[Any], Any]) -> list[tuple[Any, Tally]]:
    """The grouped rows' counts summed by `key(row)` (a None part becomes "")."""
    counts: dict[Any, dict[Outcome, int]] = defaultdict(lambda: defaultdict(int))
    provisional: dict[Any, int] = defaultdict(int)
    for row in rows:
        found = key(row)
        k = (
            tuple("" if v is None else str(v) for v in found)
            if isinstance(found, tuple)
            else ("" if found is None else str(found))
        )
        counts[k][Outcome(row.outcome)] += int(row.n)
        provisional[k] += int(row.p or 0)
    return [(k, Tally(dict(counts[k]), provisional[k])) for k in sorted(counts)]


def _split(rows: list[tuple[Any, Tally]]) -> list[tuple[str, str, Tally]]:
    return [(week, key, tally) for (week, key), tally in rows]


def _by_size(rows: list[tuple[str, Tally]]) -> list[tuple[str, Tally]]:
    return sorted(rows, key=lambda kv: (-kv[1].total, kv[0]))


def gather(
    db: Database,
    *,
    since: datetime,
    until: datetime,
    hours: SupportHours,
    articles: Sequence[str],
    embedder: Embedder,
    names: Mapping[str, str] | None = None,
) -> Report:
    """The report of the episodes that started in [since, until), as of the database's
    clock. `articles`: the folder's article paths (for "never cited"); `hours`: support
    hours, for the agents' times; `embedder`: groups unanswered questions by meaning."""
    d = Dialect.of(db.engine.dialect.name, hours.timezone, (since, until))
    now = db.now()
    period = {"since": since, "until": until}
    with db.engine.connect() as conn:
        build_episodes(conn, d, since, until, now)
        # One grouping (week, language, topic, outcome) of the episodes, folded here into
        # every breakdown: a few thousand rows, one pass over the episodes.
        grouped = conn.execute(
            text(
                "SELECT week, language, topic, outcome, COUNT(*) AS n, "
                f"SUM(provisional) AS p FROM {TABLE} GROUP BY week, language, topic, outcome"
            )
        ).all()
        weekly = _fold(grouped, lambda r: r.week)
        everything = _fold(grouped, lambda r: "")
        total = everything[0][1] if everything else Tally({})
        by_language = _by_size(_fold(grouped, lambda r: r.language))
        by_topic = _by_size(_fold(grouped, lambda r: r.topic))[:TOPICS_SHOWN]
        shown = {topic for topic, _ in by_topic}
        weeks_by_language = _split(_fold(grouped, lambda r: (r.week, r.language)))
        weeks_by_topic = [
            row for row in _split(_fold(grouped, lambda r: (r.week, r.topic))) if row[1] in shown
        ]
        not_served = {
            NotServed(r.reason): int(r.n)
            for r in conn.execute(
                text(
                    f"SELECT reason, COUNT(*) AS n FROM {TABLE} "
                    "WHERE reason IS NOT NULL GROUP BY reason"
                )
            )
        }
        escalated = [
            (str(r.route), str(r.category), int(r.n))
            for r in conn.execute(
                text(
                    f"SELECT k.route, k.category, COUNT(*) AS n FROM {TABLE} e "
                    "JOIN tickets k ON k.id = e.ticket_id "
                    f"WHERE e.outcome = '{Outcome.ESCALATED}' "
                    "GROUP BY k.route, k.category ORDER BY n DESC, k.route, k.category"
                )
            )
        ]
        conn.execute(text(f"DROP TABLE {TABLE}"))
        votes = votes_by_week(conn, d, period)
        unhelpful = [
            (str(r.about), int(r.n))
            for r in conn.execute(
                text(
                    "SELECT about, COUNT(*) AS n FROM feedback WHERE helpful = :no "
                    "AND at >= :since AND at < :until GROUP BY about "
                    "ORDER BY n DESC, about LIMIT 10"
                ).bindparams(*_instants("since", "until")),
                {**period, "no": False},
            )
        ]
        reasons = unhelpful_reasons(conn, period)
        unanswered_total, unanswered = unanswered_groups(conn, embedder, since, until)
        cited_all = [
            (str(r.topic), int(r.n))
            for r in conn.execute(
                text(
                    "SELECT topic, COUNT(*) AS n FROM turns WHERE kind = 'answer' "
                    "AND topic IS NOT NULL AND at >= :since AND at < :until "
                    "GROUP BY topic ORDER BY n DESC, topic"
                ).bindparams(*_instants("since", "until")),
                period,
            )
        ]
        agents, agents_weekly = _agents(conn, d, period, hours)
        reminders = _reminders(conn, d, period)
        conn.rollback()  # read only: the temporary table goes with the connection
    cited_paths = {a for a, _ in cited_all}
    return Report(
        since=since,
        until=until,
        now=now,
        total=total,
        weeks=sorted(weekly),
        by_language=by_language,
        by_topic=by_topic,
        not_served=not_served,
        escalated=escalated,
        votes=votes,
        unhelpful=unhelpful,
        unanswered_total=unanswered_total,
        unanswered=unanswered,
        cited=cited_all[:ARTICLES_SHOWN],
        never_cited=sorted(a for a in articles if a not in cited_paths),
        agents=agents,
        agents_weekly=agents_weekly,
        reminders=reminders,
        names=dict(names or {}),
        timezone=hours.timezone,
        weeks_by_language=weeks_by_language,
        weeks_by_topic=weeks_by_topic,
        reasons=reasons,
    )


def unhelpful_reasons(conn: Connection, period: dict[str, datetime]) -> dict[str, int]:
    """The 👎 of the period by reason, every reason shown (0 too), those without one last."""
    counted = {
        r.reason: int(r.n)
        for r in conn.execute(
            text(
                "SELECT reason, COUNT(*) AS n FROM feedback WHERE helpful = :no "
                "AND at >= :since AND at < :until GROUP BY reason"
            ).bindparams(*_instants("since", "until")),
            {**period, "no": False},
        )
    }
    shown = {r.value: counted.pop(r.value, 0) for r in Reason}
    # A reason no longer offered (or none) is counted as unstated rather than dropped.
    shown[UNSTATED] = sum(counted.values())
    return shown


def votes_by_week(
    conn: Connection, d: Dialect, period: dict[str, datetime]
) -> list[tuple[str, int, int]]:
    rows = conn.execute(
        text(
            f"SELECT {d.week('at')} AS week, "
            f"SUM(CASE WHEN intent = '{FEEDBACK_HELPFUL}' THEN 1 ELSE 0 END) AS up, "
            f"SUM(CASE WHEN intent = '{FEEDBACK_UNHELPFUL}' THEN 1 ELSE 0 END) AS down "
            f"FROM turns WHERE intent IN ('{FEEDBACK_HELPFUL}', '{FEEDBACK_UNHELPFUL}') "
            "AND at >= :since AND at < :until GROUP BY week ORDER BY week"
        ).bindparams(*_instants("since", "until")),
        period,
    )
    return [(str(r.week), int(r.up), int(r.down)) for r in rows]


def _agents(
    conn: Connection, d: Dialect, period: dict[str, datetime], hours: SupportHours
) -> tuple[list[RouteTimes], list[tuple[str, RouteTimes]]]:
    """Per route (and per week and route): tickets opened in the period, the business hours
    to the first agent's reply and to resolution. One row per ticket is streamed."""
    statement = (
        text(
            f"SELECT k.route, {d.week('k.created_at')} AS week, k.created_at, "
            "MIN(CASE WHEN ev.kind = 'agent_reply' THEN ev.at END) AS first_reply, "
            "MIN(CASE WHEN ev.kind = 'status' AND ev.to_status = 'resolved' THEN ev.at END) "
            "AS resolved_at "
            "FROM tickets k LEFT JOIN ticket_events ev ON ev.ticket_id = k.id "
            "WHERE k.created_at >= :since AND k.created_at < :until "
            "GROUP BY k.id, k.route, k.created_at"
        )
        .bindparams(*_instants("since", "until"))
        .columns(
            column("route"),
            column("week"),
            column("created_at", UTCDateTime()),
            column("first_reply", UTCDateTime()),
            column("resolved_at", UTCDateTime()),
        )
    )
    Key = tuple[str, str]
    counts: dict[Key, int] = defaultdict(int)
    replies: dict[Key, list[float]] = defaultdict(list)
    resolves: dict[Key, list[float]] = defaultdict(list)
    result = conn.execution_options(stream_results=True, yield_per=2000).execute(statement, period)
    for row in result:
        for key in ((str(row.route), ""), (str(row.route), str(row.week))):
            counts[key] += 1
            if row.first_reply is not None:
                replies[key].append(business_seconds(hours, row.created_at, row.first_reply))
            if row.resolved_at is not None:
                resolves[key].append(business_seconds(hours, row.created_at, row.resolved_at))

    def times(key: Key) -> RouteTimes:
        return RouteTimes(key[0], counts[key], spread(replies[key]), spread(resolves[key]))

    overall = [times(k) for k in sorted(counts) if k[1] == ""]
    weekly = [(k[1], times(k)) for k in sorted(counts, key=lambda k: (k[1], k[0])) if k[1]]
    return overall, weekly


def _reminders(conn: Connection, d: Dialect, period: dict[str, datetime]) -> list[Reminders]:
    """Collections steps sent per week, and of them how many invoices were paid (the
    invoice export's paid date) or claimed paid ("I've paid") within 7 days."""
    day = d.day("s.at")
    rows = conn.execute(
        text(
            f"SELECT {d.week('s.at')} AS week, COUNT(*) AS sent, "
            "SUM(CASE WHEN EXISTS (SELECT 1 FROM invoice_lines l "
            f"WHERE l.invoice_number = s.invoice AND l.paid_date >= {day} "
            f"AND l.paid_date <= {d.day_plus(day, FOLLOW_UP_DAYS)}) THEN 1 ELSE 0 END) AS paid, "
            "SUM(CASE WHEN EXISTS (SELECT 1 FROM payment_claims c WHERE c.invoice = s.invoice "
            f"AND {d.within_days('c.at', 's.at', FOLLOW_UP_DAYS)}) THEN 1 ELSE 0 END) AS claimed "
            "FROM collection_steps s WHERE s.at >= :since AND s.at < :until "
            "GROUP BY week ORDER BY week"
        ).bindparams(*_instants("since", "until")),
        period,
    )
    return [Reminders(str(r.week), int(r.sent), int(r.paid), int(r.claimed)) for r in rows]

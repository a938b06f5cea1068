"""Episodes and their outcomes, computed by the database: one temporary table,
`report_episodes`, filled by one statement over `turns`, `tickets` and `ticket_events`, that
the figures then group (`bot.report.figures`). Nothing here loads a message into Python.

How: the customer turns of the period, with each ticket resolution of their conversations
as a marker row between them, are numbered per conversation; a turn after 24 h of silence
or after a marker starts the next episode (a running sum over a window). Each episode is
then one row: its start and end, language, topic (of its first question), what was said in
it, and whether a ticket, or a question on the same topic, followed within 7 days (an
index look-up per episode, by customer). Its outcome follows the order in
`bot.report.outcomes`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from bot.conversation.turns import FEEDBACK_HELPFUL, FEEDBACK_UNHELPFUL
from bot.report.dialect import Dialect
from bot.report.outcomes import EPISODE_GAP, FOLLOW_UP_DAYS, NotServed, Outcome
from bot.storage.models import UTCDateTime
from bot.understanding.intents import NO, SOLVED

TABLE = "report_episodes"
# A turn that asks something (and so makes an episode count): each reply kind but greetings,
# feedback thanks and ticket status.
ASKING = ("answer", "invoice", "not_sure", "out_of_scope", "escalate", "relayed")
ANSWERED = ("answer", "invoice")
TICKETED = ("escalate", "relayed")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _create(d: Dialect) -> str:
    ts = d.timestamp
    temporary = "TEMP TABLE" if d.sqlite else "TEMPORARY TABLE"
    return f"""
CREATE {temporary} {TABLE} (
    channel VARCHAR(50), conversation VARCHAR(500), customer_id VARCHAR(200),
    language VARCHAR(16), topic VARCHAR(300), started {ts}, ended {ts},
    ticket_id INTEGER, outcome VARCHAR(16), reason VARCHAR(16), provisional INTEGER,
    week VARCHAR(10)
)"""


def _numbered(d: Dialect) -> str:
    """The CTE `numbered`: each turn (and, on PostgreSQL, each resolution as a marker row,
    `marker` = 1) with `episode`, the id of the turn that opened its episode: the running
    maximum of the openers' ids (turn ids follow time within a conversation)."""
    gap = int(EPISODE_GAP.total_seconds())
    if d.sqlite:
        # A turn continues an episode when an earlier turn of its conversation came less than
        # 24 h before it and after the last resolution of the conversation's tickets (each an
        # index range look-up); an episode is known by the id of the turn that opened it (turn
        # ids follow time within a conversation), the running maximum of the openers' ids.
        resolved = (
            "SELECT MAX(ev.at) FROM tickets k JOIN ticket_events ev ON ev.ticket_id = k.id "
            "WHERE k.channel = t.channel AND k.conversation = t.conversation "
            "AND ev.kind = 'status' AND ev.to_status = 'resolved' AND ev.at <= t.at"
        )
        earlier = (
            "SELECT 1 FROM turns p "
            "WHERE p.channel = t.channel AND p.conversation = t.conversation "
            f"AND p.at > {d.minus_hours('t.at', gap // 3600)} "
            "AND (p.at < t.at OR (p.at = t.at AND p.id < t.id)) "
            f"AND NOT EXISTS ({resolved} HAVING MAX(ev.at) >= p.at)"
        )
        return f"""numbered AS (
    SELECT t.id, t.at, 0 AS marker, t.kind, t.intent, t.ticket_id,
        MAX(CASE WHEN EXISTS ({earlier}) THEN NULL ELSE t.id END)
            OVER (PARTITION BY t.channel, t.conversation ORDER BY t.at, t.id
                  ROWS UNBOUNDED PRECEDING) AS episode
    FROM turns t {d.indexed("ix_turns_conversation")}
    WHERE t.at >= :lo AND t.at < :hi
)"""
    # PostgreSQL: the resolutions are rows between the turns; a turn opens an episode when
    # it is the first, comes after a resolution or after 24 h (one sort, two windows).
    # Bytes order ("C"): the locale's collation would sort the ids several times slower.
    order = "ORDER BY at, marker, id"
    conversation = 'channel COLLATE "C", conversation COLLATE "C"'
    return f"""marks AS (
    SELECT t.id, t.at, 0 AS marker, t.channel, t.conversation, t.kind, t.intent, t.ticket_id
    FROM turns t WHERE t.at >= :lo AND t.at < :hi
    UNION ALL
    SELECT ev.id, ev.at, 1, k.channel, k.conversation, NULL, NULL, NULL
    FROM ticket_events ev JOIN tickets k ON k.id = ev.ticket_id
    WHERE ev.kind = 'status' AND ev.to_status = 'resolved' AND ev.at >= :lo AND ev.at < :hi
),
flagged AS (
    SELECT m.*,
        CASE WHEN marker = 0 AND (LAG(at) OVER w IS NULL OR LAG(marker) OVER w = 1
                  OR {d.seconds("LAG(at) OVER w", "at")} >= {gap}) THEN id END AS opens
    FROM marks m WINDOW w AS (PARTITION BY {conversation} {order})
),
numbered AS (
    SELECT id, at, marker, kind, intent, ticket_id,
        MAX(opens) OVER (PARTITION BY {conversation} {order}
                         ROWS UNBOUNDED PRECEDING) AS episode
    FROM flagged
)"""


def _fill(d: Dialect) -> str:
    asking, answered, ticketed = _quoted(ASKING), _quoted(ANSWERED), _quoted(TICKETED)
    ticket_after = (
        "EXISTS (SELECT 1 FROM tickets k WHERE k.customer_id = e.customer_id AND "
        f"{d.within_days('k.created_at', 'e.ended', FOLLOW_UP_DAYS)})"
    )
    repeat_after = (
        "EXISTS (SELECT 1 FROM turns r WHERE r.customer_id = e.customer_id AND "
        f"{d.within_days('r.at', 'e.ended', FOLLOW_UP_DAYS)} "
        f"AND r.topic = e.topic AND r.kind IN ({asking}))"
    )
    confirmed = "(e.last_thanks IS NOT NULL AND e.last_thanks > e.first_answer)"
    return f"""
WITH {_numbered(d)},
grouped AS (
    SELECT MIN(at) AS started, MAX(at) AS ended, MIN(id) AS first_turn,
        MIN(CASE WHEN kind IN ({asking}) THEN id END) AS first_ask,
        MAX(CASE WHEN kind IN ({asking}) THEN id END) AS last_ask,
        MIN(CASE WHEN kind IN ({answered}) THEN id END) AS first_answer,
        MAX(CASE WHEN intent IN ('{SOLVED}', '{FEEDBACK_HELPFUL}') THEN id END)
            AS last_thanks,
        MAX(CASE WHEN intent = '{FEEDBACK_UNHELPFUL}' THEN 1 ELSE 0 END) AS unhelpful,
        MAX(CASE WHEN kind = 'not_sure' THEN 1 ELSE 0 END) AS not_sure,
        MAX(CASE WHEN kind = 'out_of_scope' THEN 1 ELSE 0 END) AS out_of_scope,
        MAX(CASE WHEN intent = '{NO}' THEN 1 ELSE 0 END) AS said_no,
        MIN(CASE WHEN kind IN ({ticketed}) THEN ticket_id END) AS ticket_id
    FROM numbered
    WHERE marker = 0
    GROUP BY episode
    HAVING MIN(CASE WHEN kind IN ({asking}) THEN id END) IS NOT NULL
       AND MIN(at) >= :since AND MIN(at) < :until
),
-- The conversation, customer and language of the first turn, the first question's topic and
-- the last question's kind: looked up by primary key (kept out of the grouping's sort).
e AS (
    SELECT g.*, f.channel, f.conversation, f.customer_id, f.language, a.topic,
        l.kind AS last_asked
    FROM grouped g
    JOIN turns f ON f.id = g.first_turn
    JOIN turns a ON a.id = g.first_ask
    JOIN turns l ON l.id = g.last_ask
),
judged AS (
    SELECT e.*,
        CASE
            WHEN e.ticket_id IS NOT NULL THEN '{Outcome.ESCALATED}'
            WHEN e.first_answer IS NULL AND (e.not_sure = 1 OR e.out_of_scope = 1)
                THEN '{Outcome.NOT_SERVED}'
            WHEN e.first_answer IS NULL THEN '{Outcome.AMBIGUOUS}'
            WHEN {confirmed} AND NOT {ticket_after} THEN '{Outcome.CONFIRMED}'
            WHEN NOT {confirmed} AND e.last_asked IN ({answered}) AND e.unhelpful = 0
                 AND NOT {ticket_after} AND NOT {repeat_after} THEN '{Outcome.ASSUMED}'
            ELSE '{Outcome.AMBIGUOUS}'
        END AS outcome
    FROM e
)
INSERT INTO {TABLE}
SELECT channel, conversation, customer_id, language, topic, started, ended, ticket_id,
    outcome,
    -- Not served's reason, from the columns its outcome reads (naming `outcome` here would
    -- make the database judge each episode twice: the CTE is inlined).
    CASE WHEN ticket_id IS NOT NULL OR first_answer IS NOT NULL
              OR (not_sure = 0 AND out_of_scope = 0) THEN NULL
         WHEN said_no = 1 THEN '{NotServed.DECLINED}'
         WHEN not_sure = 1 THEN '{NotServed.NOT_SURE}'
         ELSE '{NotServed.OUT_OF_SCOPE}' END,
    CASE WHEN ended > :settled THEN 1 ELSE 0 END,
    {d.week("started")}
FROM judged"""


def build_episodes(
    conn: Connection, dialect: Dialect, since: datetime, until: datetime, now: datetime
) -> None:
    """Fill `report_episodes` (a temporary table of `conn`'s session) with the episodes that
    start in [since, until), judged with what the database holds up to `now`."""
    if not dialect.sqlite:
        # One statement over a year of turns: PostgreSQL's JIT compiles it for longer than it
        # runs, and the grouping's sort spills to disk at the default work_mem.
        conn.execute(text("SET LOCAL jit = off"))
        conn.execute(text("SET LOCAL work_mem = '64MB'"))
    conn.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
    conn.execute(text(_create(dialect)))
    instant = UTCDateTime()
    statement = text(_fill(dialect)).bindparams(
        *(bindparam(name, type_=instant) for name in ("lo", "hi", "since", "until", "settled"))
    )
    conn.execute(
        statement,
        {
            # A day before: an episode under way at `since` is seen from its start (and left
            # out); after: the turns that may follow the last episode's end.
            "lo": since - EPISODE_GAP,
            "hi": until + timedelta(days=FOLLOW_UP_DAYS) + EPISODE_GAP,
            "since": since,
            "until": until,
            "settled": now - timedelta(days=FOLLOW_UP_DAYS),
        },
    )

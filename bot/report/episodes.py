"""Episodes and their outcomes, computed by the database: one temporary table,
`report_episodes`, filled by one statement over `turns`, `tickets` and `ticket_events`, that
the figures then group (`bot.report.figures`). Nothing here loads a message into Python.

How: each turn was stored with its episode (the id of the turn that opened it: a turn after
24 h of silence or after a resolution of one of its conversation's tickets opens the next
one; `bot.conversation.turns`, and migration 0012 for the turns stored before). The turns of
the period and the day before it are grouped by it, each with what it says as small
integers (an episode under way when the period starts has a turn in that day: its turns are
less than 24 h apart; so it is left out by its first turn's time). Each episode is then one
row: its start and end, language, topic (of its first question), what was said in it, and
whether a ticket, or a question on the same topic, followed within 7 days (index look-ups
per episode, by customer; the ticket's asked once). Its outcome follows the order in
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


def _flags() -> str:
    """What each turn says, as small integers computed once per turn (the grouping then
    reads numbers, not the kind and intent texts)."""
    asking, answered, ticketed = _quoted(ASKING), _quoted(ANSWERED), _quoted(TICKETED)
    return f"""CASE WHEN t.kind IN ({asking}) THEN 1 ELSE 0 END AS asks,
        CASE WHEN t.kind IN ({answered}) THEN 1 ELSE 0 END AS answers,
        CASE WHEN t.intent IN ('{SOLVED}', '{FEEDBACK_HELPFUL}') THEN 1 ELSE 0 END AS thanks,
        CASE WHEN t.intent = '{FEEDBACK_UNHELPFUL}' THEN 1 ELSE 0 END AS unhelpful,
        CASE WHEN t.kind = 'not_sure' THEN 1 ELSE 0 END AS not_sure,
        CASE WHEN t.kind = 'out_of_scope' THEN 1 ELSE 0 END AS out_of_scope,
        CASE WHEN t.intent = '{NO}' THEN 1 ELSE 0 END AS said_no,
        CASE WHEN t.kind IN ({ticketed}) THEN t.ticket_id END AS ticket_id"""


def _flagged(d: Dialect) -> str:
    """The CTE `flagged`: each turn of the period with its flags and its stored episode (the
    id of the turn that opened it: `bot.conversation.turns`), read in episode order off
    `ix_turns_episode` (SQLite: told to; PostgreSQL: told not to hash, in `build_episodes`),
    so the grouping streams instead of sorting or hashing every turn."""
    return f"""flagged AS (
    SELECT t.id, t.at, t.episode, {_flags()}
    FROM turns t {d.indexed("ix_turns_episode")}
    WHERE t.at >= :lo AND t.at < :hi
)"""


def _fill(d: Dialect) -> str:
    asking = _quoted(ASKING)
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
WITH {_flagged(d)},
grouped AS (
    SELECT MIN(s.at) AS started, MAX(s.at) AS ended, s.episode AS first_turn,
        MIN(CASE WHEN s.asks = 1 THEN s.id END) AS first_ask,
        -- The last question's id, and whether it was answered in its lowest bit.
        MAX(CASE WHEN s.asks = 1 THEN 2 * s.id + s.answers END) AS last_ask,
        MIN(CASE WHEN s.answers = 1 THEN s.id END) AS first_answer,
        MAX(CASE WHEN s.thanks = 1 THEN s.id END) AS last_thanks,
        MAX(s.unhelpful) AS unhelpful, MAX(s.not_sure) AS not_sure,
        MAX(s.out_of_scope) AS out_of_scope, MAX(s.said_no) AS said_no,
        MIN(s.ticket_id) AS ticket_id
    FROM flagged s
    GROUP BY s.episode
    HAVING MAX(s.asks) = 1 AND MIN(s.at) >= :since AND MIN(s.at) < :until
),
-- The conversation, customer and language of the first turn and the first question's topic:
-- looked up by primary key, once per episode (kept out of the grouping's sort).
e AS (
    SELECT g.*, f.channel, f.conversation, f.customer_id, f.language, a.topic
    FROM grouped g
    JOIN turns f ON f.id = g.first_turn
    JOIN turns a ON a.id = g.first_ask
),
judged AS (
    SELECT e.*,
        CASE
            WHEN e.ticket_id IS NOT NULL THEN '{Outcome.ESCALATED}'
            WHEN e.first_answer IS NULL AND (e.not_sure = 1 OR e.out_of_scope = 1)
                THEN '{Outcome.NOT_SERVED}'
            WHEN e.first_answer IS NULL THEN '{Outcome.AMBIGUOUS}'
            -- A ticket within 7 days undoes both kinds of resolution: asked once.
            WHEN {ticket_after} THEN '{Outcome.AMBIGUOUS}'
            WHEN {confirmed} THEN '{Outcome.CONFIRMED}'
            WHEN e.last_ask % 2 = 1 AND e.unhelpful = 0 AND NOT {repeat_after}
                THEN '{Outcome.ASSUMED}'
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
        # Group the turns as `ix_turns_episode` reads them (no memory, no sort), so the
        # episodes come out in id order and their look-ups of the first turn follow the
        # table's order: hashed, they came out at random and read the table twice as long.
        conn.execute(text("SET LOCAL enable_hashagg = off"))
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
    if not dialect.sqlite:
        conn.execute(text("RESET enable_hashagg"))  # the figures' groupings hash again

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
from bot.tickets.models import UTCDateTime
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
    ticket_id INTEGER, outcome VARCHAR(16), reason VARCHAR(16), provisional INTEGER
)"""


def _fill(d: Dialect) -> str:
    asking, answered, ticketed = _quoted(ASKING), _quoted(ANSWERED), _quoted(TICKETED)
    order = "ORDER BY at, marker, id"
    gap = int(EPISODE_GAP.total_seconds())
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
WITH marks AS (
    SELECT t.id, t.at, 0 AS marker, t.channel, t.conversation, t.customer_id, t.language,
           t.kind, t.intent, t.topic, t.ticket_id
    FROM turns t WHERE t.at >= :lo AND t.at < :hi
    UNION ALL
    SELECT ev.id, ev.at, 1, k.channel, k.conversation, NULL, NULL, NULL, NULL, NULL, NULL
    FROM ticket_events ev JOIN tickets k ON k.id = ev.ticket_id
    WHERE ev.kind = 'status' AND ev.to_status = 'resolved' AND ev.at >= :lo AND ev.at < :hi
),
flagged AS (
    SELECT m.*, LAG(at) OVER w AS prev_at, LAG(marker) OVER w AS prev_marker
    FROM marks m WINDOW w AS (PARTITION BY channel, conversation {order})
),
numbered AS (
    SELECT f.*, SUM(CASE WHEN prev_at IS NULL OR prev_marker = 1
                          OR {d.seconds("prev_at", "at")} >= {gap} THEN 1 ELSE 0 END)
        OVER (PARTITION BY channel, conversation {order} ROWS UNBOUNDED PRECEDING) AS episode
    FROM flagged f
),
said AS (
    SELECT n.*, CASE WHEN kind IN ({asking}) THEN 1 ELSE 0 END AS asks,
           ROW_NUMBER() OVER (PARTITION BY channel, conversation, episode ORDER BY at, id)
               AS seq
    FROM numbered n WHERE marker = 0
),
ranked AS (
    SELECT s.*,
        FIRST_VALUE(language) OVER (PARTITION BY channel, conversation, episode
                                    ORDER BY seq) AS first_language,
        FIRST_VALUE(topic) OVER (PARTITION BY channel, conversation, episode
                                 ORDER BY asks DESC, seq) AS first_topic,
        FIRST_VALUE(kind) OVER (PARTITION BY channel, conversation, episode
                                ORDER BY asks DESC, seq DESC) AS last_asked
    FROM said s
),
e AS (
    SELECT channel, conversation, MIN(customer_id) AS customer_id,
        MIN(first_language) AS language, MIN(first_topic) AS topic,
        MIN(last_asked) AS last_asked, MIN(at) AS started, MAX(at) AS ended,
        MIN(CASE WHEN kind IN ({answered}) THEN seq END) AS first_answer,
        MAX(CASE WHEN intent IN ('{SOLVED}', '{FEEDBACK_HELPFUL}') THEN seq END)
            AS last_thanks,
        MAX(CASE WHEN intent = '{FEEDBACK_UNHELPFUL}' THEN 1 ELSE 0 END) AS unhelpful,
        MAX(CASE WHEN kind = 'not_sure' THEN 1 ELSE 0 END) AS not_sure,
        MAX(CASE WHEN kind = 'out_of_scope' THEN 1 ELSE 0 END) AS out_of_scope,
        MAX(CASE WHEN intent = '{NO}' THEN 1 ELSE 0 END) AS said_no,
        MIN(CASE WHEN kind IN ({ticketed}) THEN ticket_id END) AS ticket_id
    FROM ranked
    GROUP BY channel, conversation, episode
    HAVING SUM(asks) > 0 AND MIN(at) >= :since AND MIN(at) < :until
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
    CASE WHEN outcome <> '{Outcome.NOT_SERVED}' THEN NULL
         WHEN said_no = 1 THEN '{NotServed.DECLINED}'
         WHEN not_sure = 1 THEN '{NotServed.NOT_SURE}'
         ELSE '{NotServed.OUT_OF_SCOPE}' END,
    CASE WHEN ended > :settled THEN 1 ELSE 0 END
FROM judged"""


def build_episodes(
    conn: Connection, dialect: Dialect, since: datetime, until: datetime, now: datetime
) -> None:
    """Fill `report_episodes` (a temporary table of `conn`'s session) with the episodes that
    start in [since, until), judged with what the database holds up to `now`."""
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

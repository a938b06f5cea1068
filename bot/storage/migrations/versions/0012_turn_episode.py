"""Turn episode: each turn records the id of the turn that opened its episode (its own, for
an opener), decided when the turn is stored (`bot.conversation.turns`), so the resolution
report groups turns by it (`ix_turns_episode`) instead of working episodes out with window
functions over every turn of its period.

The turns stored before are filled by one statement, with the rule the writes follow: a
turn continues its conversation's episode unless it is the conversation's first, comes 24 h
or more after the turn before it, or one of the conversation's tickets was resolved in
between. It reads every turn once in (conversation, time) order (`ix_turns_episodes`) and
rewrites every row: about 6 s per million turns on SQLite and 45 s on PostgreSQL (the
table is locked for writes meanwhile; see the README's upgrade notes).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ORDER = "PARTITION BY t.channel, t.conversation ORDER BY t.at, t.id"


def backfill(dialect: str) -> str:
    """The statement that fills `turns.episode` for every turn: the previous turn's time (a
    window), then each turn's episode, the running maximum of its conversation's openers'
    ids (turn ids follow time within a conversation)."""
    if dialect == "sqlite":
        # As stored: naive UTC text, compared as text (a sub-millisecond boundary aside).
        day_before = "strftime('%Y-%m-%d %H:%M:%f', t.at, '-24 hours')"
    else:
        day_before = "(t.at - INTERVAL '24 hours')"
    resolved = (
        "SELECT 1 FROM tickets k JOIN ticket_events ev ON ev.ticket_id = k.id "
        "WHERE k.channel = t.channel AND k.conversation = t.conversation "
        "AND ev.kind = 'status' AND ev.to_status = 'resolved' "
        "AND ev.at >= t.previous AND ev.at < t.at"
    )
    opens = f"t.previous IS NULL OR t.previous <= {day_before} OR EXISTS ({resolved})"
    return f"""
WITH steps AS (
    SELECT t.id, t.at, t.channel, t.conversation, LAG(t.at) OVER ({ORDER}) AS previous
    FROM turns t
),
numbered AS (
    SELECT t.id,
        MAX(CASE WHEN {opens} THEN t.id END) OVER ({ORDER} ROWS UNBOUNDED PRECEDING) AS episode
    FROM steps t
)
UPDATE turns SET episode = numbered.episode FROM numbered WHERE turns.id = numbered.id"""


def upgrade() -> None:
    op.add_column("turns", sa.Column("episode", sa.Integer, nullable=True))
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # One statement over every turn: JIT would compile it for longer than it runs, and
        # the windows' sort would spill to disk at the default work_mem.
        op.execute("SET LOCAL jit = off")
        op.execute("SET LOCAL work_mem = '64MB'")
    op.execute(backfill(dialect))
    op.create_index("ix_turns_episode", "turns", ["episode", "at"])


def downgrade() -> None:
    op.drop_index("ix_turns_episode", table_name="turns")
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("episode")

"""One active ticket per conversation (a partial unique index), the conversation's state, and
the result of each inbound event (so a redelivery is answered from it).

Conversations that already have several active tickets (the race this index closes) keep
the newest one active; the older ones are resolved with a history line that says why, so
nothing of their transcript is lost.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ACTIVE_WHERE = "status <> 'resolved'"

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _resolve_older_duplicates()
    op.create_index(
        "uq_tickets_active_conversation",
        "tickets",
        ["channel", "conversation"],
        unique=True,
        postgresql_where=sa.text(ACTIVE_WHERE),
        sqlite_where=sa.text(ACTIVE_WHERE),
    )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("state", JSONDoc, nullable=True))
    with op.batch_alter_table("inbound_events") as batch:
        batch.add_column(sa.Column("result", JSONDoc, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch:
        batch.drop_column("result")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("state")
    op.drop_index("uq_tickets_active_conversation", table_name="tickets")


def _resolve_older_duplicates() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            f"SELECT id, channel, conversation, status FROM tickets WHERE {ACTIVE_WHERE} "
            "ORDER BY channel, conversation, id DESC"
        )
    ).all()
    newest: dict[tuple[str, str], int] = {}
    now = datetime.now(UTC)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    for ticket_id, channel, conversation, status in rows:
        keep = newest.setdefault((channel, conversation), ticket_id)
        if keep == ticket_id:
            continue
        conn.execute(
            sa.text("UPDATE tickets SET status = 'resolved', updated_at = :now WHERE id = :id"),
            {"now": now, "id": ticket_id},
        )
        conn.execute(
            sa.text(
                "INSERT INTO ticket_events (ticket_id, at, actor, kind, text, from_status, "
                "to_status) VALUES (:id, :now, 'migration 0003', 'status', :text, :before, "
                "'resolved')"
            ),
            {
                "id": ticket_id,
                "now": now,
                "before": status,
                "text": f"one active ticket per conversation: continued in BILL-{keep}",
            },
        )

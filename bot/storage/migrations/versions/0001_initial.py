"""Tickets, their events, the outbox, inbound idempotency, conversations and feedback.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of the column types and constants of this revision: a migration must not
# change meaning when the models move on.
FIRST_TICKET = 1001
UTCDateTime = sa.DateTime(timezone=True)
JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, sa.Identity(start=FIRST_TICKET), primary_key=True),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("route", sa.String(100), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("transcript", JSONDoc, nullable=False),
        sa.Column("evidence", JSONDoc, nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("conversation", sa.String(500), nullable=False),
        sa.Column("thread", sa.String(200), nullable=True),
        sa.Column("assignee", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tickets_customer_id", "tickets", ["customer_id"])
    op.create_index("ix_tickets_status", "tickets", ["status"])
    op.create_index("ix_tickets_assignee", "tickets", ["assignee"])
    op.create_index("ix_tickets_thread", "tickets", ["thread"])
    op.create_index("ix_tickets_customer_conversation", "tickets", ["channel", "conversation"])
    if op.get_bind().dialect.name == "sqlite":
        # AUTOINCREMENT continues from sqlite_sequence: make the first ticket BILL-1001.
        op.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('tickets', :seq)").bindparams(
                seq=FIRST_TICKET - 1
            )
        )

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=True),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("conversation", sa.String(500), nullable=False),
        sa.Column("thread_mode", sa.String(10), nullable=False),
        sa.Column("event", sa.String(50), nullable=False),
        sa.Column("body", JSONDoc, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("claim_token", sa.String(36), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
    )
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_outbox_order", "outbox", ["ticket_id", "channel", "id"])
    op.create_index("ix_outbox_status", "outbox", ["status"])

    op.create_table(
        "inbound_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("source", "event_id", name="uq_inbound_events_source"),
    )
    op.create_index("ix_inbound_events_received_at", "inbound_events", ["received_at"])

    op.create_table(
        "conversations",
        sa.Column("channel", sa.String(50), primary_key=True),
        sa.Column("conversation", sa.String(500), primary_key=True),
        sa.Column("reference", JSONDoc, nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("conversation", sa.String(500), nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("about", sa.Text, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_feedback_at", "feedback", ["at"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("conversations")
    op.drop_table("inbound_events")
    op.drop_table("outbox")
    op.drop_table("ticket_events")
    op.drop_table("tickets")

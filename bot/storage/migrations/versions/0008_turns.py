"""Turns: one row per customer event the bot handled (kind of reply, intent, topic), what the
resolution report (bot/report) reads to tell episodes' outcomes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("conversation", sa.String(500), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("intent", sa.String(100), nullable=True),
        sa.Column("topic", sa.String(300), nullable=True),
        sa.Column("ticket_id", sa.Integer, nullable=True),
        sa.Column("offered", sa.Boolean, nullable=False),
    )
    op.create_index("ix_turns_at", "turns", ["at"])
    op.create_index("ix_turns_conversation", "turns", ["channel", "conversation", "at"])
    op.create_index("ix_turns_customer", "turns", ["customer_id", "at"])


def downgrade() -> None:
    op.drop_table("turns")

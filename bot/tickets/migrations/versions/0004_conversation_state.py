"""The state of each conversation (what was shown, a pending offer, the language), as JSON.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-26

Numbered 0004 so that it does not collide with the turn-transaction branch's 0003; when both
land, this revision revises 0003 (or the state moves into that branch's conversation row).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_state",
        sa.Column("channel", sa.String(50), primary_key=True),
        sa.Column("conversation", sa.String(500), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("conversation_state")

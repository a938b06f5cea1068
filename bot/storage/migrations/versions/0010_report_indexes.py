"""Report indexes: the turns in (conversation, time, id) order, so the resolution report's
windows read them without sorting them all (`ix_turns_episodes`, in place of the same
index without the id), and the tickets by customer and creation time, so "a ticket within
7 days" is one index range (`ix_tickets_customer_created`, in place of the customer-only
index, whose look-ups it serves as well). And two the report's counts read alone, instead of
every turn of the period: the answers' citations (`ix_turns_kind`: kind, time, topic) and
the feedback votes (`ix_turns_intent`: intent, time); and "a question on the same topic
within 7 days" answered by the index alone (`ix_turns_follow_up`: customer, topic, time,
kind, in place of the customer-and-time index).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_turns_episodes", "turns", ["channel", "conversation", "at", "id"])
    op.drop_index("ix_turns_conversation", table_name="turns")
    op.create_index("ix_turns_kind", "turns", ["kind", "at", "topic"])
    op.create_index("ix_turns_intent", "turns", ["intent", "at"])
    op.create_index("ix_turns_follow_up", "turns", ["customer_id", "topic", "at", "kind"])
    op.drop_index("ix_turns_customer", table_name="turns")
    op.create_index("ix_tickets_customer_created", "tickets", ["customer_id", "created_at"])
    op.drop_index("ix_tickets_customer_id", table_name="tickets")


def downgrade() -> None:
    op.create_index("ix_tickets_customer_id", "tickets", ["customer_id"])
    op.drop_index("ix_tickets_customer_created", table_name="tickets")
    op.create_index("ix_turns_customer", "turns", ["customer_id", "at"])
    op.drop_index("ix_turns_follow_up", table_name="turns")
    op.drop_index("ix_turns_intent", table_name="turns")
    op.drop_index("ix_turns_kind", table_name="turns")
    op.create_index("ix_turns_conversation", "turns", ["channel", "conversation", "at"])
    op.drop_index("ix_turns_episodes", table_name="turns")

"""Collections: the steps sent (one row per invoice and step), agents' pauses and "I've
paid" claims (bot/collections/models.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = 200
UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "collection_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("invoice", sa.String(ID), nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.String(ID), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("sent_to", sa.String(20), nullable=False),
        sa.Column("outbox_key", sa.String(200), nullable=True),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("invoice", "step", name="uq_collection_steps_invoice_step"),
    )
    op.create_index("ix_collection_steps_customer_id", "collection_steps", ["customer_id"])
    op.create_table(
        "collection_pauses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(ID), nullable=False),
        sa.Column("until", sa.Date, nullable=True),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_collection_pauses_customer_id", "collection_pauses", ["customer_id"])
    op.create_table(
        "payment_claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("invoice", sa.String(ID), nullable=False),
        sa.Column("customer_id", sa.String(ID), nullable=False),
        sa.Column("after_import", sa.Integer, nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(50), nullable=False),
        sa.Column("conversation", sa.String(500), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("confirmed_by", sa.String(200), nullable=True),
        sa.Column("confirmed_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("invoice", "after_import", name="uq_payment_claims_invoice_import"),
    )
    op.create_index("ix_payment_claims_customer_id", "payment_claims", ["customer_id"])


def downgrade() -> None:
    op.drop_table("payment_claims")
    op.drop_table("collection_pauses")
    op.drop_table("collection_steps")

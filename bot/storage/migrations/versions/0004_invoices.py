"""Invoices in the database: the sources imported (knowledge folder files and partners'
exports), their lines and rejected rows, and the invoices grouped from them as served
(complete ones; withheld ones with the customers they name and why). See
`bot.invoices.models`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = 200  # bot.knowledge.invoices.MAX_ID
LIVE = "state = 'live'"


def upgrade() -> None:
    op.create_table(
        "invoice_sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("name", sa.String(1000), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "uq_invoice_sources_live",
        "invoice_sources",
        ["origin", "name"],
        unique=True,
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )
    op.create_index("ix_invoice_sources_state", "invoice_sources", ["state"])
    op.create_table(
        "invoice_lines",
        sa.Column("source_id", sa.Integer, sa.ForeignKey("invoice_sources.id"), primary_key=True),
        sa.Column("line", sa.Integer, primary_key=True),
        sa.Column("invoice_number", sa.String(ID), nullable=False),
        sa.Column("customer_id", sa.String(ID), nullable=False),
        sa.Column("issue_date", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("product", sa.Text, nullable=False),
        sa.Column("sku", sa.Text, nullable=False),
        sa.Column("charge_type", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Text, nullable=False),
        sa.Column("unit_price", sa.Text, nullable=False),
        sa.Column("amount", sa.Text, nullable=False),
        sa.Column("tax", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paid_date", sa.Date, nullable=True),
    )
    op.create_index("ix_invoice_lines_number", "invoice_lines", ["invoice_number"])
    op.create_table(
        "invoice_rejections",
        sa.Column("source_id", sa.Integer, sa.ForeignKey("invoice_sources.id"), primary_key=True),
        sa.Column("line", sa.Integer, primary_key=True),
        sa.Column("invoice_number", sa.String(ID), nullable=False),
        sa.Column("customer_id", sa.String(ID), nullable=False),
        sa.Column("column_no", sa.Integer, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
    )
    op.create_index("ix_invoice_rejections_number", "invoice_rejections", ["invoice_number"])
    op.create_table(
        "invoices",
        sa.Column("number", sa.String(ID), primary_key=True),
        sa.Column("customer_id", sa.String(ID), nullable=False),
        sa.Column("issue_date", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paid_date", sa.Date, nullable=True),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("first_source_id", sa.Integer, nullable=False),
        sa.Column("first_line", sa.Integer, nullable=False),
    )
    op.create_index("ix_invoices_customer", "invoices", ["customer_id", "issue_date", "number"])
    op.create_table(
        "invoice_holds",
        sa.Column("number", sa.String(ID), primary_key=True),
        sa.Column("customer_id", sa.String(ID), primary_key=True),
    )
    op.create_index("ix_invoice_holds_customer", "invoice_holds", ["customer_id"])
    op.create_table(
        "invoice_reasons",
        sa.Column("number", sa.String(ID), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("column_no", sa.Integer, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("first_source_id", sa.Integer, nullable=True),
        sa.Column("first_line", sa.Integer, nullable=True),
    )


def downgrade() -> None:
    for table in (
        "invoice_reasons",
        "invoice_holds",
        "invoices",
        "invoice_rejections",
        "invoice_lines",
        "invoice_sources",
    ):
        op.drop_table(table)

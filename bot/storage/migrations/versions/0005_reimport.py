"""Re-import: invoice lines keyed by (source, invoice number, line key) with a hash of their
content, so a new export of a source rewrites only the lines that changed; `voided_at` on a
line (an invoice missing from a `--full` export: kept, never served); and `invoice_imports`,
one row per import (file hash, rows, counts, who ran it, when).

`line_key` is a line's place among its invoice's lines (1, 2, ...) in file order; existing
rows get it from their line numbers, and an empty `row_hash` (rewritten at the next import).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = 200  # bot.knowledge.invoices.MAX_ID
COMMON = (
    "source_id, line, invoice_number, customer_id, issue_date, due_date, period_start, "
    "period_end, product, sku, charge_type, quantity, unit_price, amount, tax, currency, "
    "status, paid_date"
)


def _lines_table(name: str, keyed: bool) -> None:
    key: list[sa.Column[Any]] = (
        [
            sa.Column("line_key", sa.Integer, primary_key=True),
            sa.Column("row_hash", sa.String(32), nullable=False),
            sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        ]
        if keyed
        else []
    )
    op.create_table(
        name,
        sa.Column("source_id", sa.Integer, sa.ForeignKey("invoice_sources.id"), primary_key=True),
        sa.Column("line", sa.Integer, nullable=False, primary_key=not keyed),
        sa.Column("invoice_number", sa.String(ID), nullable=False, primary_key=keyed),
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
        *key,
    )


def upgrade() -> None:
    # A new primary key: the table is copied (SQLite cannot alter a primary key).
    _lines_table("invoice_lines_new", keyed=True)
    op.execute(
        f"INSERT INTO invoice_lines_new ({COMMON}, line_key, row_hash) "
        f"SELECT {COMMON}, (SELECT count(*) FROM invoice_lines o "
        "WHERE o.source_id = l.source_id AND o.invoice_number = l.invoice_number "
        "AND o.line <= l.line), '' FROM invoice_lines l"
    )
    op.drop_index("ix_invoice_lines_number", table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.rename_table("invoice_lines_new", "invoice_lines")
    op.create_index("ix_invoice_lines_number", "invoice_lines", ["invoice_number"])
    op.create_table(
        "invoice_imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("file_name", sa.String(1000), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("full", sa.Boolean, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("written", sa.Integer, nullable=False),
        sa.Column("new", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("voided", sa.Integer, nullable=False),
        sa.Column("kept", sa.Integer, nullable=False),
        sa.Column("refused", sa.Integer, nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("invoice_imports")
    _lines_table("invoice_lines_old", keyed=False)
    op.execute(
        f"INSERT INTO invoice_lines_old ({COMMON}) SELECT {COMMON} FROM invoice_lines "
        "WHERE voided_at IS NULL"
    )
    op.drop_index("ix_invoice_lines_number", table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.rename_table("invoice_lines_old", "invoice_lines")
    op.create_index("ix_invoice_lines_number", "invoice_lines", ["invoice_number"])

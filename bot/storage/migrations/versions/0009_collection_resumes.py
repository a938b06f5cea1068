"""Collections: an agent's resume is marked as one (`collection_pauses.resumed`), instead of
being told from a pause that ends the day it was made (the database's and the partner's
dates can differ).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collection_pauses") as batch:
        batch.add_column(
            sa.Column("resumed", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("collection_pauses") as batch:
        batch.drop_column("resumed")

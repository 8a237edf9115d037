"""A table may be stored as the columns it changes against another stored table, its base.

Revision ID: 0004_shared_columns
Revises: 0003_leases
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_shared_columns"
down_revision = "0003_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("simulations") as batch:
        batch.add_column(sa.Column("base_id", sa.String(36)))
    op.create_index("ix_simulations_base_id", "simulations", ["base_id"])


def downgrade() -> None:
    op.drop_index("ix_simulations_base_id", table_name="simulations")
    with op.batch_alter_table("simulations") as batch:
        batch.drop_column("base_id")

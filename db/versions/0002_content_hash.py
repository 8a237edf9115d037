"""Record each stored table's content hash, so results can name the results they came from.

Revision ID: 0002_content_hash
Revises: 0001_initial
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_content_hash"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("simulations") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(64)))
    op.create_index("ix_simulations_content_hash", "simulations", ["content_hash"])


def downgrade() -> None:
    op.drop_index("ix_simulations_content_hash", table_name="simulations")
    with op.batch_alter_table("simulations") as batch:
        batch.drop_column("content_hash")

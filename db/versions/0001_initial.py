"""Initial schema: configurations, simulations, artifacts.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "configurations",
        sa.Column("params_hash", sa.String(128), primary_key=True),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(64)),
        sa.Column("function", sa.String(300)),
        sa.Column("code_version", sa.String(64)),
        sa.Column("result_layout", sa.Text()),
        sa.Column("compute_seconds", sa.Float()),
        sa.Column("hit_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("miss_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_hit_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_configurations_kind", "configurations", ["kind"])
    op.create_table(
        "simulations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("params_hash", sa.String(128), nullable=False),
        sa.Column("data_format", sa.String(16), nullable=False),
        sa.Column("data_blob", sa.LargeBinary()),
        sa.Column("data_path", sa.Text()),
        sa.Column("row_count", sa.BigInteger()),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(80), nullable=False),
        sa.Column("code_version", sa.String(64)),
        sa.Column("library_versions", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_simulations_kind_params_hash", "simulations", ["kind", "params_hash"], unique=True)
    op.create_table(
        "artifacts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("params_hash", sa.String(128), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("mime_type", sa.String(128), nullable=False),
        sa.Column("data_blob", sa.LargeBinary()),
        sa.Column("data_path", sa.Text()),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(80), nullable=False),
        sa.Column("code_version", sa.String(64)),
        sa.Column("library_versions", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_artifacts_params_hash_name", "artifacts", ["params_hash", "name"], unique=True)


def downgrade() -> None:
    op.drop_table("artifacts")
    op.drop_table("simulations")
    op.drop_table("configurations")

"""SQLAlchemy tables of the store: configurations, simulations and artifacts.

``configurations`` describes each cached call (its parameters as JSON), ``simulations`` holds
table and dict payloads, ``artifacts`` holds files; Alembic migrations in ``db/`` create them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from banksim.store.schema import SCHEMA_REVISION  # the revision these tables stand at

__all__ = ["SCHEMA_REVISION", "Artifact", "Base", "Configuration", "Lease", "Simulation"]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class Configuration(Base):
    """One cached call: the key, what the key was made of, and how the result is laid out."""

    __tablename__ = "configurations"

    params_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    params_json: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str | None] = mapped_column(String(64), index=True)
    function: Mapped[str | None] = mapped_column(String(300))
    code_version: Mapped[str | None] = mapped_column(String(64))
    result_layout: Mapped[str | None] = mapped_column(Text)
    compute_seconds: Mapped[float | None] = mapped_column(Float)
    hit_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    miss_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_hit_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Simulation(Base):
    """A DataFrame (Parquet) or dict (JSON) payload, in a file or in ``data_blob``."""

    __tablename__ = "simulations"
    __table_args__ = (
        Index("ix_simulations_kind_params_hash", "kind", "params_hash", unique=True),
        Index("ix_simulations_content_hash", "content_hash"),
        Index("ix_simulations_base_id", "base_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    params_hash: Mapped[str] = mapped_column(String(128), nullable=False)
    data_format: Mapped[str] = mapped_column(String(16), nullable=False)
    data_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    data_path: Mapped[str | None] = mapped_column(Text)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    checksum: Mapped[str] = mapped_column(String(80), nullable=False)
    code_version: Mapped[str | None] = mapped_column(String(64))
    library_versions: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A table's key as an argument of a cached call, so a result can name the results it was
    # computed from (banksim.lineage); None for dicts and rows written before revision 0002.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # A table stored as the columns it changes against the table in this row (banksim.store.shared,
    # data_format "parquet+base"); None for a table stored whole. Revision 0004.
    base_id: Mapped[str | None] = mapped_column(String(36))


class Artifact(Base):
    """A file payload (an Excel workbook, a chart) with its MIME type."""

    __tablename__ = "artifacts"
    __table_args__ = (Index("ix_artifacts_params_hash_name", "params_hash", "name", unique=True),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    params_hash: Mapped[str] = mapped_column(String(128), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    mime_type: Mapped[str] = mapped_column(String(128), nullable=False)
    data_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    data_path: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    checksum: Mapped[str] = mapped_column(String(80), nullable=False)
    code_version: Mapped[str | None] = mapped_column(String(64))
    library_versions: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Lease(Base):
    """A claim to compute one key: its owner renews ``expires_at`` while it computes; a lease
    past its expiry (a crashed owner) may be taken over."""

    __tablename__ = "leases"

    params_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

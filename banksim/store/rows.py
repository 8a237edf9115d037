"""The store's tables and what one payload row says (without its payload).

``simulations`` holds tables and dicts, ``artifacts`` files, ``configurations`` one row per
cached call; a :class:`Row` is enough to find, verify and discard a payload.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from banksim import payloads

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table

__all__ = [
    "ARTIFACTS",
    "CONFIGURATIONS",
    "LEASES",
    "SIMULATIONS",
    "Row",
    "delete_configuration_if_empty",
    "library_versions",
    "same_payload",
]

# The tables come from banksim.models (SQLAlchemy's ORM) when first used: a cache hit on a SQLite
# file reads with sqlite3 alone (banksim.store.reads) and loads neither.
_TABLES = {
    "SIMULATIONS": "Simulation",
    "ARTIFACTS": "Artifact",
    "CONFIGURATIONS": "Configuration",
    "LEASES": "Lease",
}
if TYPE_CHECKING:
    SIMULATIONS: Table
    ARTIFACTS: Table
    CONFIGURATIONS: Table
    LEASES: Table


def __getattr__(name: str) -> Table:
    if name not in _TABLES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from banksim import models

    table: Table = getattr(models, _TABLES[name]).__table__
    globals()[name] = table
    return table


@dataclass(frozen=True)
class Row:
    """What a payload row says, without the payload."""

    id: str
    data_format: str
    data_path: str | None
    checksum: str
    size_bytes: int
    mime_type: str | None = None
    name: str = ""  # the kind (simulations) or the artifact name
    params_hash: str = ""
    created_at: Any = None  # reset by every write: a rewrite of identical content is a new row state
    content_hash: str | None = None  # a table's key as an argument (compute_params_hash), if stored
    base_id: str | None = None  # the row whose table a shared-columns payload completes (store.shared)

    @classmethod
    def of(cls, found: Any, name: str, params_hash: str) -> Row:
        """The Row of a query result that selected its id, data_path, checksum, size_bytes and
        created_at (and data_format or mime_type where the table has them)."""
        return cls(
            found.id,
            getattr(found, "data_format", "blob"),
            found.data_path,
            found.checksum,
            found.size_bytes,
            getattr(found, "mime_type", None),
            name=name,
            params_hash=params_hash,
            created_at=found.created_at,
            content_hash=getattr(found, "content_hash", None),
            base_id=getattr(found, "base_id", None),
        )


def table_of(name: str) -> Table:
    """``simulations`` or ``artifacts`` by name."""
    return __getattr__("ARTIFACTS" if name == "artifacts" else "SIMULATIONS")


def same_payload(table: Table, row: Row) -> tuple[Any, ...]:
    """Conditions that match a row only while it still points at the payload ``row`` describes."""
    path = table.c.data_path.is_(None) if row.data_path is None else table.c.data_path == row.data_path
    same = (table.c.id == row.id, table.c.checksum == row.checksum, path)
    return same if row.created_at is None else (*same, table.c.created_at == row.created_at)


def delete_configuration_if_empty(conn: Connection, params_hash: str) -> None:
    """In a write transaction: delete the ``configurations`` row of a cached call none of whose
    parts is left (in ``simulations`` or ``artifacts``)."""
    from sqlalchemy import delete, func, select

    tables = (__getattr__("SIMULATIONS"), __getattr__("ARTIFACTS"))
    left = sum(
        conn.execute(
            select(func.count()).select_from(table).where(table.c.params_hash == params_hash)
        ).scalar_one()
        for table in tables
    )
    if not left:
        configurations = __getattr__("CONFIGURATIONS")
        conn.execute(delete(configurations).where(configurations.c.params_hash == params_hash))


def simulation_values(payload: payloads.Payload) -> dict[str, Any]:
    """The columns of a ``simulations`` row that describe its payload."""
    return {
        "data_format": payload.format,
        "row_count": payload.row_count,
        "content_hash": payload.content_hash,
        "base_id": payload.base_id,
    }


@functools.cache
def library_versions() -> str:
    """The versions that produced a payload, as JSON (stored in every row)."""
    import numpy
    import pandas as pd
    import pyarrow as pa

    from banksim import __version__

    versions = {
        "banksim": __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
    }
    return json.dumps(versions, sort_keys=True)

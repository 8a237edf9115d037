"""The store's tables and what one payload row says (without its payload).

``simulations`` holds tables and dicts, ``artifacts`` files, ``configurations`` one row per
cached call; a :class:`Row` is enough to find, verify and discard a payload.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from banksim import payloads
from banksim.models import Artifact, Configuration, Lease, Simulation

__all__ = ["ARTIFACTS", "CONFIGURATIONS", "LEASES", "SIMULATIONS", "Row", "library_versions", "same_payload"]

SIMULATIONS: Table = Simulation.__table__  # type: ignore[assignment]
ARTIFACTS: Table = Artifact.__table__  # type: ignore[assignment]
CONFIGURATIONS: Table = Configuration.__table__  # type: ignore[assignment]
LEASES: Table = Lease.__table__  # type: ignore[assignment]


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


def table_of(name: str) -> Table:
    """``simulations`` or ``artifacts`` by name."""
    return ARTIFACTS if name == "artifacts" else SIMULATIONS


def same_payload(table: Table, row: Row) -> tuple[Any, ...]:
    """Conditions that match a row only while it still points at the payload ``row`` describes."""
    path = table.c.data_path.is_(None) if row.data_path is None else table.c.data_path == row.data_path
    return (table.c.id == row.id, table.c.checksum == row.checksum, path)


def simulation_values(payload: payloads.Payload) -> dict[str, Any]:
    """The columns of a ``simulations`` row that describe its payload."""
    return {
        "data_format": payload.format,
        "row_count": payload.row_count,
        "content_hash": payload.content_hash,
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

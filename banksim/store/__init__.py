"""The persistence API: cached results as rows in SQLAlchemy, payloads in files, blobs or fsspec.

``Store`` pairs a database (SQLite by default, PostgreSQL by URL) with a payload backend;
``get_store`` is the active one. See :mod:`banksim.store.core` for the write and read protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .backends import TEMP_PREFIX, DatabaseBlobs, FsspecFiles, LocalFiles, PayloadBackend, is_url
from .core import Store
from .engine import make_engine
from .names import check_key, check_kind, check_mime, check_name, parse_age, parse_size
from .registry import (
    get_store,
    load_artifact,
    load_dataframe,
    load_dict,
    open_store,
    save_artifact,
    save_dataframe,
    save_dict,
    use_store,
)
from .rows import Row, library_versions
from .schema import alembic_config

if TYPE_CHECKING:
    from .maintenance import LISTING_COLUMNS
    from .rows import ARTIFACTS, CONFIGURATIONS, SIMULATIONS

# Loaded when first used, with SQLAlchemy: a cache hit on a SQLite file needs neither.
_LAZY = {
    "ARTIFACTS": "rows",
    "CONFIGURATIONS": "rows",
    "SIMULATIONS": "rows",
    "LISTING_COLUMNS": "maintenance",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    # the store
    "Store",
    "get_store",
    "open_store",
    "use_store",
    # the persistence API on the active store
    "load_artifact",
    "load_dataframe",
    "load_dict",
    "save_artifact",
    "save_dataframe",
    "save_dict",
    # payload backends
    "DatabaseBlobs",
    "FsspecFiles",
    "LocalFiles",
    "PayloadBackend",
    "is_url",
    # names, tables and schema
    "ARTIFACTS",
    "CONFIGURATIONS",
    "LISTING_COLUMNS",
    "SIMULATIONS",
    "TEMP_PREFIX",
    "Row",
    "alembic_config",
    "check_key",
    "check_kind",
    "check_mime",
    "check_name",
    "library_versions",
    "make_engine",
    "parse_age",
    "parse_size",
]

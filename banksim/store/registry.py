"""The active store: the one cached functions use, from a ``with`` block or the settings.

Also the module-level persistence API (``save_dataframe``, ``load_dict``...) on that store.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from banksim.settings import get_settings

from .backends import is_url
from .core import Store, active, all_stores

__all__ = [
    "get_store",
    "load_artifact",
    "load_dataframe",
    "load_dict",
    "open_store",
    "save_artifact",
    "save_dataframe",
    "save_dict",
    "use_store",
]

_defaults: dict[tuple[str, str, str], Store] = {}
_defaults_lock = threading.Lock()


def open_store(
    db_url: str | None = None,
    *,
    artifact_store: str | None = None,
    artifact_path: str | os.PathLike[str] | None = None,
    memory_cache_mb: int | None = None,
    write_behind_mb: int | None = None,
    share_columns: bool | None = None,
    inline_kb: int | None = None,
) -> Store:
    """Open a store; unspecified parts come from the settings (``DB_URL`` and friends).

    Use it in a ``with`` block to make it the active store for cached functions there.
    """
    settings = get_settings()
    return Store(
        db_url or settings.db_url,
        artifact_store or settings.artifact_store,
        artifact_path if artifact_path is not None else settings.artifact_path,
        memory_cache_mb=memory_cache_mb,
        write_behind_mb=write_behind_mb,
        share_columns=share_columns,
        inline_kb=inline_kb,
    )


@contextlib.contextmanager
def use_store(store: Store) -> Iterator[Store]:
    """Make ``store`` the active store inside a ``with`` block (without closing it after)."""
    token = active.set(store)
    try:
        yield store
    finally:
        active.reset(token)


def get_store() -> Store:
    """Return the active store, or the default store of the current settings."""
    current = active.get()
    if current is not None:
        return current
    settings = get_settings()
    path = settings.artifact_path
    key = (
        settings.db_url,
        settings.artifact_store,
        path if is_url(path) else str(Path(path).expanduser().resolve()),
    )
    with _defaults_lock:
        store = _defaults.get(key)
        if store is None:
            store = _defaults[key] = Store(*key)
        return store


def _after_fork() -> None:
    for store in list(all_stores):
        store.after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def save_dataframe(kind: str, params_hash: str, df: pd.DataFrame) -> str:
    """Store ``df`` under ``(kind, params_hash)`` in the active store. See :meth:`Store.save_dataframe`."""
    return get_store().save_dataframe(kind, params_hash, df)


def load_dataframe(kind: str, params_hash: str) -> pd.DataFrame | None:
    """Load a DataFrame from the active store. See :meth:`Store.load_dataframe`."""
    return get_store().load_dataframe(kind, params_hash)


def save_dict(kind: str, params_hash: str, data: dict[str, Any]) -> str:
    """Store a dict as JSON in the active store. See :meth:`Store.save_dict`."""
    return get_store().save_dict(kind, params_hash, data)


def load_dict(kind: str, params_hash: str) -> dict[str, Any] | None:
    """Load a dict from the active store. See :meth:`Store.load_dict`."""
    return get_store().load_dict(kind, params_hash)


def save_artifact(params_hash: str, name: str, blob: bytes, mime: str) -> str:
    """Store a file in the active store. See :meth:`Store.save_artifact`."""
    return get_store().save_artifact(params_hash, name, blob, mime)


def load_artifact(params_hash: str, name: str) -> tuple[bytes, str] | None:
    """Load a file from the active store. See :meth:`Store.load_artifact`."""
    return get_store().load_artifact(params_hash, name)

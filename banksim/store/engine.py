"""The database engine: SQLite with WAL and immediate write transactions, or PostgreSQL.

Also the lock names: every change to one stored key takes the same lock, whoever makes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from banksim.errors import StoreError
from banksim.settings import mask_url

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, Table

__all__ = ["config_lock_key", "lock_key", "make_engine"]


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` for writes."""
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        database = url.split("///", 1)[1] if "///" in url else ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # banksim issues BEGIN itself, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 60000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("banksim_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"the driver for {mask_url(url)} is not installed ({exc.name}); "
            "for PostgreSQL install banksim[postgres]"
        ) from exc


def lock_key(table: Table, name: str, params_hash: str) -> str:
    """The lock every mutation of one stored key takes (write, replace, discard, purge)."""
    return f"{table.name}:{name}:{params_hash}"


def config_lock_key(params_hash: str) -> str:
    """The lock of a cached call's ``configurations`` row."""
    return f"configurations:{params_hash}"

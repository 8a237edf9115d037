"""The reads of a cache hit (the schema revision, a row, a blob, the hit count) and of a table stored alike.

A SQLite file is read with the ``sqlite3`` driver alone, so a hit loads no SQLAlchemy; other
databases (PostgreSQL, SQLite in memory or by URI) go through the store's engine, with the same
plain SQL (no ORM tables, nothing compiled).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["EngineReads", "Reads", "SqliteReads", "sqlite_datetime", "sqlite_file"]

log = logging.getLogger("banksim.store")
# Columns a payload row is looked up by, and the ones read on a hit (every column but the blob).
KEY_COLUMNS = {"simulations": ("kind", "params_hash"), "artifacts": ("params_hash", "name")}
ROW_COLUMNS = {
    "simulations": (
        "id, kind, params_hash, data_format, data_path, row_count, size_bytes, checksum, "
        "code_version, library_versions, created_at, content_hash, base_id"
    ),
    "artifacts": (
        "id, params_hash, name, mime_type, data_path, size_bytes, checksum, code_version, "
        "library_versions, created_at"
    ),
}
DATETIME_COLUMNS = frozenset({"created_at", "updated_at", "last_hit_at", "expires_at"})
# How SQLAlchemy's DateTime stores a moment in SQLite (the text both sides read and compare).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
HIT_TIMEOUT_MS = 200  # a hit count waits at most this long for a busy database
BUSY_TIMEOUT_MS = 60000  # as the engine's connections (banksim.store.engine)
SQLITE_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def sqlite_file(url: str) -> str | None:
    """The database file of a plain SQLite URL (``sqlite:///path``), as SQLAlchemy opens it;
    None for anything else (another database, memory, a URI filename, query options, escapes)."""
    # Plain string tests, not a regular expression: compiling one is a fresh process's first hit
    # paying for a pattern it uses once.
    for prefix in SQLITE_PREFIXES:
        if url.startswith(prefix):
            path = url[len(prefix) :]
            break
    else:
        return None
    if not path or "?" in path or "%" in path or path == ":memory:" or path.startswith("file:"):
        return None
    return os.path.abspath(path)


class Reads(Protocol):
    """One read transaction on the store's database."""

    def row(self, table: str, key: dict[str, str]) -> dict[str, Any] | None: ...

    def blob(self, table: str, row_id: str) -> bytes | None: ...

    def configuration(self, params_hash: str) -> dict[str, Any] | None: ...

    def content_alike(self, key: str, formats: tuple[str, ...]) -> str | None: ...


class SqliteReads:
    """Reads (and the hit count) of a SQLite file through ``sqlite3`` connections kept for reuse.

    The connections are set up as the engine's are (WAL, a busy timeout) but for one thing: the
    writes they make, hit counts and leases, commit without waiting for the disk
    (``synchronous = NORMAL``). In WAL mode that never damages the database and loses no commit
    when a process crashes; a power cut may lose the last counts. Hit counts are statistics:
    that is the price of a hit that does not wait for an fsync. Payload rows are written by the
    engine, with full sync. A read transaction is a deferred ``BEGIN``, so its queries see one
    snapshot. Thread-safe; after a fork the child opens its own connections (:meth:`forget`).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)  # fmt: skip
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # hit counts only: see the class notes
        except BaseException:
            conn.close()
            raise
        return conn

    @contextlib.contextmanager
    def _connection(self, *, wrap: bool = True) -> Iterator[sqlite3.Connection]:
        """A pooled connection; a driver error leaves as SQLAlchemy's error for it (``wrap``)."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        try:
            if conn is None:
                conn = self._connect()
            try:
                yield conn
            except BaseException:
                conn.close()  # rolls back whatever was open
                raise
        except sqlite3.Error as exc:
            if not wrap:
                raise
            raise _database_error(exc) from exc
        if conn.in_transaction:  # left open by an interrupted statement: never reuse it
            conn.close()
            return
        with self._lock:
            self._idle.append(conn)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_SqliteTransaction]:
        """A read transaction: every query in it sees the same committed state."""
        with self._connection() as conn:
            conn.execute("BEGIN")
            yield _SqliteTransaction(conn)
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def write_transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``) committed without waiting for the disk, for rows
        a power cut may lose (a lease, which expires anyway; see the class notes); rolled back if the
        block raises."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def revision(self) -> str | None:
        """The schema revision (None for a missing file, an empty or unstamped database)."""
        if not os.path.isfile(self.path):
            return None  # connecting would create it; the engine does that, with its folder
        try:
            with self._connection(wrap=False) as conn:
                revisions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
        except sqlite3.Error:  # no such table, not a database: the engine says what is wrong
            return None
        return revisions[0] if len(revisions) == 1 else None

    def record_hit(self, params_hash: str) -> None:
        """Count a hit on ``params_hash``: best effort, waits at most HIT_TIMEOUT_MS."""
        now = dt.datetime.now(dt.UTC).strftime(SQLITE_DATETIME)
        with self._connection() as conn:
            conn.execute(f"PRAGMA busy_timeout = {HIT_TIMEOUT_MS}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(
                        "UPDATE configurations SET hit_count = hit_count + 1, last_hit_at = ? "
                        "WHERE params_hash = ?",
                        (now, params_hash),
                    )
                finally:
                    conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                log.debug("hit count for %s not recorded: %s", params_hash, exc)
            finally:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def forget(self) -> None:
        """In a forked child: drop the parent's connections without touching them."""
        self._lock = threading.Lock()
        self._idle = []


def _database_error(exc: sqlite3.Error) -> Exception:
    """The error SQLAlchemy raises for a driver error (``OperationalError`` for a locked or
    unreadable database...), so callers catch one family whichever way the store read."""
    from sqlalchemy.exc import DBAPIError

    return DBAPIError.instance(None, None, exc, sqlite3.Error)


class _Queries:
    """The queries of a hit in plain SQL with positional parameters (``mark``): no table
    objects, nothing compiled. DateTime columns stored as text (SQLite) are parsed as SQLAlchemy
    parses them."""

    mark = "?"

    def _first(self, sql: str, parameters: tuple[Any, ...]) -> dict[str, Any] | None:
        raise NotImplementedError

    def row(self, table: str, key: dict[str, str]) -> dict[str, Any] | None:
        where = " AND ".join(f"{column} = {self.mark}" for column in KEY_COLUMNS[table])
        values = tuple(key[column] for column in KEY_COLUMNS[table])
        return self._first(f"SELECT {ROW_COLUMNS[table]} FROM {table} WHERE {where}", values)

    def blob(self, table: str, row_id: str) -> bytes | None:
        found = self._first(f"SELECT data_blob FROM {table} WHERE id = {self.mark}", (row_id,))
        return None if found is None else found["data_blob"]

    def configuration(self, params_hash: str) -> dict[str, Any] | None:
        return self._first(f"SELECT * FROM configurations WHERE params_hash = {self.mark}", (params_hash,))

    def content_alike(self, key: str, formats: tuple[str, ...]) -> str | None:
        """The id of a ``simulations`` row holding a table of content key ``key`` in one of
        ``formats``: a whole table first."""
        marks = ", ".join([self.mark] * len(formats))
        found = self._first(
            f"SELECT id FROM simulations WHERE content_hash = {self.mark} AND data_format IN ({marks}) "
            "ORDER BY base_id IS NULL DESC LIMIT 1",
            (key, *formats),
        )
        return None if found is None else found["id"]


def _typed(found: dict[str, Any]) -> dict[str, Any]:
    """A row with its DateTime columns as datetimes (SQLite keeps them as text)."""
    return {
        name: sqlite_datetime(value) if name in DATETIME_COLUMNS else value for name, value in found.items()
    }


def sqlite_datetime(value: Any) -> Any:
    """A DateTime column's text as the naive datetime SQLAlchemy reads it as."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


class _SqliteTransaction(_Queries):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _first(self, sql: str, parameters: tuple[Any, ...]) -> dict[str, Any] | None:
        cursor = self.conn.execute(sql, parameters)
        found = cursor.fetchone()
        if found is None:
            return None
        return _typed(dict(zip([column[0] for column in cursor.description], found, strict=True)))


class EngineReads(_Queries):
    """The same reads on a SQLAlchemy connection inside a transaction (PostgreSQL and any SQLite
    database :func:`sqlite_file` does not name), as driver SQL: no ORM tables, nothing compiled."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

    def _first(self, sql: str, parameters: tuple[Any, ...]) -> dict[str, Any] | None:
        found = self.conn.exec_driver_sql(sql, parameters).mappings().first()
        if found is None:
            return None
        return _typed(dict(found)) if self.sqlite else dict(found)

    def record_hit(self, params_hash: str) -> None:
        """Count a hit (in the connection's open write transaction)."""
        now = dt.datetime.now(dt.UTC)
        self.conn.exec_driver_sql(
            f"UPDATE configurations SET hit_count = hit_count + 1, last_hit_at = {self.mark} "
            f"WHERE params_hash = {self.mark}",
            (now.strftime(SQLITE_DATETIME) if self.sqlite else now, params_hash),
        )

"""The Store: cached results as rows in a SQLAlchemy database, their payloads in a backend.

Writes are atomic (payload whole first, then the rows in one transaction under the key's lock);
reads verify a checksum and treat damage as a miss; nothing is ever unpickled.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import datetime as dt
import functools
import logging
import os
import threading
import types
import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from banksim import hashing, payloads
from banksim.errors import BanksimError, InputError, StoreError
from banksim.hashing import FrameDigests, frame_state, key_as_of, known_frame_key, remember_key_as_of
from banksim.recent import RecentPayloads, footprint, private_copy
from banksim.settings import (
    ARTIFACT_STORES,
    check_db_url,
    check_inline_kb,
    get_settings,
    mask_secrets,
    mask_url,
)

from . import schema, shared, statements
from .backends import DatabaseBlobs, LocalFiles, PayloadBackend, Unreadable, file_backend
from .engine import config_lock_key, lock_key
from .names import check_key, check_kind, check_lease_seconds, check_mime, check_name
from .reads import EngineReads, Reads, SqliteReads, sqlite_file
from .rows import Row, library_versions, same_payload, simulation_values, table_of
from .writer import PendingWrite, Writer

if TYPE_CHECKING:  # SQLAlchemy is loaded to write, migrate or maintain, not for a hit on SQLite
    from sqlalchemy import Connection, Engine, Table

    from .leases import Lease

__all__ = ["Store"]

log = logging.getLogger("banksim.store")
_DAMAGED = object()
all_stores: weakref.WeakSet[Store] = weakref.WeakSet()
active: contextvars.ContextVar[Store | None] = contextvars.ContextVar("banksim_store", default=None)


class Store:
    """A metadata database plus a payload location.

    Parameters
    ----------
    db_url : str
        SQLAlchemy URL; ``postgresql+psycopg://...`` and ``sqlite:///path`` both work.
    artifact_store : {"file", "db"}
        Where new payloads go: files under ``artifact_path``, or blobs in the rows. Reading
        works whatever mode wrote a row.
    artifact_path : str or Path
        Root of payload files: a folder, or an fsspec URL (``s3://bucket/prefix``,
        ``memory://banksim``; needs ``banksim[cluster]``).
    migrate : bool
        Bring the schema to the latest revision on open (an empty database included).
    memory_cache_mb : int, optional
        MiB of recently read payloads kept decoded in memory (:attr:`recent`); default from the
        ``MEMORY_CACHE_MB`` setting, 0 for none.
    lease_seconds : float
        How long a claim to compute a key (:meth:`claim`) lasts without renewal: a crashed
        process's key is taken over by a waiting one after this long.
    write_behind_mb : int, optional
        MiB of computed results that may wait to be written while the caller goes on (see
        :meth:`save_result`); default from the ``WRITE_BEHIND_MB`` setting, 0 to write before
        returning.
    share_columns : bool, optional
        Store a result table that repeats most columns of a table stored a moment before (a
        stressed scenario's against the baseline's) as the columns it changes, its row pointing at
        the other for the rest (:mod:`banksim.store.shared`); default from the
        ``SHARE_COLUMNS`` setting. ``False`` stores every table whole.
    inline_kb : int, optional
        KiB up to which a payload goes in its row (``data_blob``) rather than a file; default
        from the ``INLINE_KB`` setting, 0 for every payload in a file.

    Examples
    --------
    >>> with open_store("sqlite:///tmp/demo.db", artifact_path="/tmp/demo") as store:  # doctest: +SKIP
    ...     store.save_dict("note", "k1", {"a": 1})
    """

    def __init__(
        self,
        db_url: str,
        artifact_store: str = "file",
        artifact_path: str | os.PathLike[str] = "./data/artifacts",
        *,
        migrate: bool = True,
        memory_cache_mb: int | None = None,
        lease_seconds: float = 30.0,
        write_behind_mb: int | None = None,
        share_columns: bool | None = None,
        inline_kb: int | None = None,
    ) -> None:
        check_db_url(db_url, "db_url")
        if inline_kb is None:
            inline_kb = get_settings().inline_kb
        check_inline_kb(inline_kb, "inline_kb")
        if artifact_store not in ARTIFACT_STORES:
            raise InputError("artifact_store", f"unknown value {artifact_store!r}", allowed=ARTIFACT_STORES)
        self.url = db_url
        self.artifact_store = artifact_store
        self.files = file_backend(artifact_path)
        self.blobs = DatabaseBlobs()
        self.writer: PayloadBackend = self.blobs if artifact_store == "db" else self.files
        # A small payload goes in its row: no file, no disk syncs of its own (README, Settings).
        self.inline_bytes = inline_kb * 1024
        # A folder as a resolved Path; an fsspec root as its URL (what a worker reopens).
        self.artifact_root: Any = (
            self.files.root if isinstance(self.files, LocalFiles) else str(artifact_path)
        )
        self.dialect = "sqlite" if db_url.startswith("sqlite") else "postgresql"
        path = sqlite_file(db_url)
        # A SQLite file is read with sqlite3 alone; the engine is made when something writes.
        self.sqlite_reads = SqliteReads(path) if path is not None else None
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        # SQLite allows one writer: this store's threads (its caller's, its writer's, its lease
        # renewer's) queue here rather than in SQLite's busy handler, which sleeps in steps of
        # milliseconds (other processes, and other Store objects on the same file, still wait there).
        self._write_lock = threading.RLock()
        if self.sqlite_reads is None:
            self.engine  # noqa: B018 - made now: a missing driver is reported on open
        self._token: contextvars.Token[Store | None] | None = None
        if memory_cache_mb is None:
            memory_cache_mb = get_settings().memory_cache_mb
        self.recent = RecentPayloads(memory_cache_mb * 2**20)
        # Results this store's later scenarios may read again, by reading key: kept by
        # banksim.incremental (within half the in-memory tier's bytes), dropped on close.
        self.readings = RecentPayloads(memory_cache_mb * 2**20 // 2)
        if write_behind_mb is None:
            write_behind_mb = get_settings().write_behind_mb
        self.write_queue = Writer(write_behind_mb * 2**20) if write_behind_mb else None
        self.lease_seconds = check_lease_seconds(lease_seconds)
        self._renewer: Any = None  # leases.Renewer, made by the first claim
        # The tables of each kind lately written or read whole: bases of the next ones (None: off).
        if share_columns is None:
            share_columns = get_settings().share_columns
        self.bases = shared.Bases() if share_columns else None
        self._verified_files: dict[str, tuple[Any, ...]] = {}  # data_path -> _file_state
        all_stores.add(self)
        if migrate:
            self.upgrade()

    def __repr__(self) -> str:
        return (
            f"Store(db_url={mask_url(self.url)!r}, artifact_store={self.artifact_store!r}, "
            f"artifact_path={mask_url(str(self.artifact_root))!r})"
        )

    # context manager: the store becomes the active one
    def __enter__(self) -> Store:
        self._token = active.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            active.reset(self._token)
            self._token = None
        self.close()

    def close(self) -> None:
        """Finish pending writes, then release database connections and the in-memory tier."""
        self.flush()
        self.recent.clear()
        self.readings.clear()
        if self.sqlite_reads is not None:
            self.sqlite_reads.close()
        if self._engine is not None:
            self._engine.dispose()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (made on first use: a hit on a SQLite file needs none)."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    from .engine import make_engine

                    self._engine = make_engine(self.url)
        return self._engine

    @property
    def write_lock(self) -> threading.RLock:
        """The lock this process's writes to a SQLite database take, one at a time (a write transaction
        of another thread would wait for the database's own lock, polling)."""
        return self._write_lock

    def after_fork(self) -> None:
        """In a forked child: drop the parent's connections without closing them, and the
        in-memory tier (see :meth:`RecentPayloads.reset_after_fork`)."""
        if self._engine is not None:
            self._engine.dispose(close=False)
        if self.sqlite_reads is not None:
            self.sqlite_reads.forget()
        self.recent.reset_after_fork()
        if self.write_queue is not None:
            self.write_queue.after_fork()
        if self._renewer is not None:
            self._renewer.after_fork()
        if self.bases is not None:
            self.bases.after_fork()
        self._engine_lock = threading.Lock()  # another thread may have held the parent's
        self._write_lock = threading.RLock()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every result computed so far is written and committed (write-behind, see
        :meth:`save_result`); False if ``timeout`` seconds ran out first."""
        return True if self.write_queue is None else self.write_queue.flush(timeout)

    def pending(self, params_hash: str, *, hit: bool = False) -> PendingWrite | None:
        """The result of ``params_hash`` still being written by this process, or None; ``hit``
        counts a cache hit on it (recorded once its row is committed)."""
        return None if self.write_queue is None else self.write_queue.pending(params_hash, hit=hit)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Reads]:
        """A read transaction for the hit path: sqlite3 alone on a SQLite file, else the engine."""
        if self.sqlite_reads is not None:
            with self.sqlite_reads.transaction() as sqlite_reads:
                yield sqlite_reads
        else:
            with self.transaction() as conn:
                yield EngineReads(conn)

    # -- transactions and schema ------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(
        self, *, write: bool = False, lock_keys: Sequence[str] = (), durable: bool = True
    ) -> Iterator[Connection]:
        """A transaction; ``write=True`` serialises writers (SQLite: BEGIN IMMEDIATE; PostgreSQL:
        advisory locks on ``lock_keys``). ``durable=False``, for rows a power cut may lose (a lease
        expires anyway), commits a SQLite write without waiting for the disk (``synchronous =
        NORMAL``: the database stays consistent, and a crashed process loses nothing)."""
        serial = self._write_lock if write and self.dialect == "sqlite" else contextlib.nullcontext()
        with serial, self.engine.connect() as conn:
            driver: Any = None
            if not durable and write and self.dialect == "sqlite":
                driver = conn.connection.driver_connection
                driver.execute("PRAGMA synchronous = NORMAL")  # outside any transaction: allowed
            try:
                conn = conn.execution_options(banksim_write=write)
                with conn.begin():
                    if write and self.dialect == "postgresql":
                        for key in sorted(set(lock_keys)):
                            conn.exec_driver_sql(
                                "SELECT pg_advisory_xact_lock(hashtextextended(%(k)s, 0))", {"k": key}
                            )
                    yield conn
            finally:
                if driver is not None:  # a pooled connection never keeps it
                    driver.execute("PRAGMA synchronous = FULL")

    def current_revision(self) -> str | None:
        """The schema revision of the database (None for an empty database)."""
        if self.sqlite_reads is not None:
            return self.sqlite_reads.revision()
        return schema.current_revision(self.engine)

    def upgrade(self) -> str:
        """Bring the schema to the latest revision; return it. Safe with concurrent callers.

        A database at the latest revision costs one query (no SQLAlchemy on a SQLite file)."""
        if self.sqlite_reads is not None and self.sqlite_reads.revision() == schema.SCHEMA_REVISION:
            return schema.SCHEMA_REVISION
        return schema.upgrade(
            self.engine,
            self.url,
            lambda: self.transaction(write=True, lock_keys=["banksim-schema-migration"]),
        )

    def claim(self, params_hash: str, *, look: bool = True) -> Lease | None:
        """Claim the right to compute ``params_hash`` (renewed until released), or None while
        another process holds it; see :mod:`banksim.store.leases`. ``look`` False skips the read that
        lets a waiting process poll without writing (for a first claim right after a miss)."""
        from . import leases

        with self._engine_lock:
            if self._renewer is None:
                self._renewer = leases.Renewer(self)
        return leases.claim(self, self._renewer, check_key(params_hash), self.lease_seconds, look)

    # -- reading and checking payloads ------------------------------------------------------------
    def _read(self, row: Row, blob: bytes | None) -> Any | None:
        """Read a payload and verify its checksum; ``None`` if it is missing or damaged."""
        data = self._verified_bytes(row, blob)
        if data is None or data is _DAMAGED:
            return data
        if row.data_format == shared.FORMAT:  # its base is read from the database: errors there raise
            return self._read_shared(row, data)
        return self._decoded(row, lambda: payloads.decode(row.data_format, data, row.content_hash))

    def _decoded(self, row: Row, decode: Callable[[], Any]) -> Any:
        """``decode()``, or ``_DAMAGED`` (logged) if the payload cannot be decoded."""
        try:
            return decode()
        except Exception as exc:
            log.warning("payload %s could not be decoded (%s): %s", row.id, self._where(row), exc)
            return _DAMAGED

    def _read_shared(self, row: Row, data: Any) -> Any:
        """A table stored as the columns it changes (:mod:`banksim.store.shared`), completed from its
        base; ``_DAMAGED`` (logged) if the base is gone, changed or damaged, None if its base's file
        went a moment ago (a rewrite: the caller looks again)."""
        described = self._decoded(row, lambda: shared.described_base(data))
        if described is _DAMAGED:
            return _DAMAGED
        base_row, blob = self.row_by_id(row.base_id)
        if (
            base_row is None
            or base_row.data_format != "parquet"
            or base_row.checksum != described["base_checksum"]
        ):
            log.warning("payload %s: its base (row %s) is gone or was rewritten", row.id, row.base_id)
            return _DAMAGED
        base = self.recent.get(base_row.id, base_row.checksum)
        if base is None:
            base = self._read(base_row, blob)
            simulations = table_of("simulations")
            if base is None and self._row_unchanged(simulations, base_row):
                log.warning("payload %s: its base's file (row %s) is missing", row.id, row.base_id)
                base = _DAMAGED
            if base is None:  # its file went a moment ago (rewritten or purged): the caller looks again
                return None
            if base is _DAMAGED:  # removed (logged), and the tables stored against it with it
                self._discard(simulations, base_row)
                return _DAMAGED
            if self.recent.limit_bytes:
                base = self.recent.put(base_row.id, base_row.checksum, base, base_row.size_bytes)
        frame = cast(pd.DataFrame, base)
        exact = base_row.content_hash is not None and known_frame_key(frame) == base_row.content_hash
        return self._decoded(row, lambda: shared.decode(data, frame, exact, row.content_hash))

    def row_by_id(self, row_id: str | None) -> tuple[Row | None, bytes | None]:
        """The ``simulations`` row ``row_id`` and its blob (None for a file), or (None, None)."""
        if row_id is None:
            return None, None
        with self.transaction() as conn:
            found = conn.execute(statements.row_by_id(_ROW_COLUMNS), {"b_id": row_id}).first()
            if found is None:
                return None, None
            blob = None
            if found.data_path is None:
                blob = conn.execute(statements.row_by_id(("data_blob",)), {"b_id": row_id}).scalar()
        return Row.of(found, found.kind, found.params_hash), blob

    def payload_bytes(self, row: Row, blob: bytes | None = None) -> Any | None:
        """The bytes of a row's payload (its file, or ``blob``) if they match its checksum, else None."""
        data = self._verified_bytes(row, blob)
        return None if data is _DAMAGED else data

    def _verified_bytes(self, row: Row, blob: bytes | None) -> Any:
        """The payload's bytes if they match the row's checksum; ``None`` if its file is
        missing, ``_DAMAGED`` (logged) if they do not match, cannot be read (no permission,
        I/O error, a folder in its place) or the row's path leads outside the root."""
        try:
            data = self._backend(row).read(row, blob)
        except Unreadable as exc:
            log.warning("payload %s is unusable: %s", row.id, exc)
            return _DAMAGED
        if row.data_path is not None and data is None:
            return None
        if data is None or payloads.checksum_of(data) != row.checksum:
            log.warning("payload %s failed its checksum (%s)", row.id, self._where(row))
            return _DAMAGED
        return data

    def _where(self, row: Row) -> str:
        return "database blob" if row.data_path is None else self.files.uri(row.data_path)

    def _backend(self, row: Row) -> PayloadBackend:
        """Where a row's payload lives: its blob, or a file under ``ARTIFACT_PATH``."""
        return self.blobs if row.data_path is None else self.files

    def payload_intact(self, row: Row, blob: bytes | None = None, table: Table | None = None) -> bool:
        """True if the payload of a row of ``table`` is there and matches its checksum.

        For readers that take the bytes without decoding them here (DuckDB). A damaged payload
        is removed with its row (logged); a file checked before is not read again while its
        size and modification time are unchanged. A missing file reads as False and is left
        alone: its row may have been replaced or purged a moment ago.
        """
        if row.base_id is not None and not self._base_intact(row):
            return False
        if row.data_path is not None:
            seen = self._file_state(row)
            if seen is None:
                return False
            if seen and self._verified_files.get(row.data_path) == seen:
                return True
        if self._checksum_matches(row, blob):
            return True
        self._discard(table if table is not None else table_of("simulations"), row)  # logged
        return False

    def _base_intact(self, row: Row) -> bool:
        """The base of a shared-columns row is stored whole and intact (whether it is the table the
        row was stored against is checked on reading: its checksum is inside the payload)."""
        base_row, blob = self.row_by_id(row.base_id)
        return base_row is not None and base_row.base_id is None and self.payload_intact(base_row, blob)

    def _file_state(self, row: Row) -> tuple[Any, ...] | None:
        """What identifies a payload file's current content without reading it (see
        :meth:`PayloadBackend.state`), with the row's checksum; None if the file is missing,
        ``()`` if it cannot be looked at (read it to find out why)."""
        state = self.files.state(row)
        return (*state, row.checksum) if state else state

    def _checksum_matches(self, row: Row, blob: bytes | None) -> bool:
        """Read a payload (file or blob) and compare it with the row's checksum."""
        seen = self._file_state(row) if row.data_path is not None else None
        data = self._verified_bytes(row, blob)
        if data is None or data is _DAMAGED:
            return False
        if seen:
            self._verified_files[str(row.data_path)] = seen
        return True

    def _row_unchanged(self, table: Table, row: Row) -> bool:
        """True if the row still points at the payload that was checked (same id, checksum and
        file: rewriting identical content keeps the id and checksum but moves the file)."""
        from sqlalchemy import select

        with self.transaction() as conn:
            found = conn.execute(select(table.c.id).where(*same_payload(table, row))).first()
        return found is not None

    # -- generic row operations -----------------------------------------------------------------
    def _put(
        self,
        conn: Connection,
        table: Table,
        key: dict[str, str],
        payload: payloads.Payload,
        extra: dict[str, Any],
    ) -> tuple[str, list[str | None]]:
        """Insert or replace the row for ``key``; return its id and the files to remove once the
        transaction has committed: the one it replaced, and those of the tables stored against it
        (:mod:`banksim.store.shared`) if its content changed (they are deleted with it)."""
        from banksim.models import utcnow

        names = tuple(key)
        found = statements.row_by_key(table, names)
        old = conn.execute(found, {f"k_{name}": key[name] for name in names}).first()
        if old is not None and payload.base_id == old.id:  # its base is the row it replaces
            raise shared.BaseGone(f"the base of {key} is the row it replaces")
        values = {
            "data_blob": payload.as_bytes() if extra.get("data_path") is None else None,
            "size_bytes": payload.size_bytes,
            "checksum": payload.checksum,
            "library_versions": library_versions(),
            "code_version": None,
            "created_at": utcnow(),
            **extra,
        }
        if old is not None:
            updated = conn.execute(statements.row_update(table), {"b_id": old.id, **values})
            if updated.rowcount == 1:
                removed = [old.data_path] if old.data_path != values.get("data_path") else []
                if old.checksum != payload.checksum and table.name == "simulations":
                    removed += shared.delete_dependents(conn, [old.id])
                return old.id, removed
        row_id = str(uuid.uuid4())
        conn.execute(statements.insert(table), {"id": row_id, **key, **values})
        return row_id, []

    def _stage(self, key: dict[str, str], payload: payloads.Payload) -> str | None:
        """Write a payload where new payloads go; return the row's ``data_path``."""
        kind, params_hash = key.get("kind"), key["params_hash"]
        if kind is None:
            relative = f"artifacts/params_hash={params_hash}/{uuid.uuid4().hex[:12]}-{key['name']}"
        else:
            # a shared-columns payload is Parquet too, but not a table on its own: not named as one
            suffix = {"parquet": ".parquet", "json": ".json", shared.FORMAT: ".columns"}.get(
                payload.format, ""
            )
            relative = f"kind={kind}/params_hash={params_hash}/{uuid.uuid4().hex}{suffix}"
        backend = self.blobs if self.inline_bytes and payload.size_bytes <= self.inline_bytes else self.writer
        return backend.write(relative, payload)

    def _commit(
        self,
        writes: list[tuple[Table, dict[str, str], payloads.Payload, dict[str, Any]]],
        configuration: dict[str, Any] | None = None,
        lease: Lease | None = None,
    ) -> list[str]:
        """Write payload files, then every row in one transaction (removing ``lease``, whose key's
        result they are); return the row ids."""
        from sqlalchemy.exc import OperationalError

        from .rows import CONFIGURATIONS

        staged: list[str | None] = []
        try:
            for _table, key, payload, _extra in writes:
                staged.append(self._stage(key, payload))
            lock_keys = [
                lock_key(table, key.get("kind") or key["name"], key["params_hash"])
                for table, key, _, _ in writes
            ]
            if configuration is not None:
                lock_keys.append(config_lock_key(configuration["params_hash"]))
            if lease is not None:
                lock_keys.append(lease.lock_key)
            with self.transaction(write=True, lock_keys=lock_keys) as conn:
                writing = {(key["kind"], key["params_hash"]) for _, key, _, _ in writes if "kind" in key}
                for _table, _key, payload, _extra in writes:
                    if payload.base_id is not None:
                        shared.check_base(conn, payload, writing)
                ids, replaced = [], []
                for (table, key, payload, extra), path in zip(writes, staged, strict=True):
                    row_id, removed = self._put(conn, table, key, payload, {**extra, "data_path": path})
                    ids.append(row_id)
                    replaced += removed
                if configuration is not None:
                    self._put_configuration(conn, CONFIGURATIONS, configuration)
                if lease is not None:
                    lease.delete_row(conn)
        except BaseException as exc:
            for path in staged:
                self.files.remove(path)
            if isinstance(exc, OperationalError):  # a full disk, a lost connection, a lock timeout
                reason = mask_secrets(str(exc.orig), self.url)
                raise StoreError(
                    f"could not write rows to the database at DB_URL={mask_url(self.url)}: {reason}; "
                    "nothing was stored"
                ) from exc
            raise
        for path in replaced:
            self.files.remove(path)
        return ids

    def _put_configuration(self, conn: Connection, table: Table, values: dict[str, Any]) -> None:
        from banksim.models import utcnow

        now = utcnow()
        params_hash = {"b_params_hash": values["params_hash"]}
        if conn.execute(statements.configuration_exists(), params_hash).first() is not None:
            missed = {**params_hash, "updated_at": now, **values}
            updated = conn.execute(statements.configuration_missed(), missed)
            if updated.rowcount == 1:
                return
        conn.execute(
            statements.insert(table),
            {"created_at": now, "updated_at": now, "hit_count": 0, "miss_count": 1, **values},
        )

    def _get(self, table: str, key: dict[str, str]) -> Any | None:
        """Load the payload of ``key`` in ``table`` (``simulations`` or ``artifacts``); a
        damaged one is removed (logged) and reads as None.

        The row is looked up every time; its payload comes from the in-memory tier when that
        holds the same row id and checksum, else from its file or blob (then kept in the tier).
        """
        for _attempt in range(3):
            with self._reading() as reads:
                found = reads.row(table, key)
                if found is None:
                    return None
                name = key.get("kind") or key["name"]
                row = Row.of(types.SimpleNamespace(**found), name, key["params_hash"])
                value = self.recent.get(row.id, row.checksum)
                blob = None
                if value is None and row.data_path is None:
                    blob = reads.blob(table, row.id)
                    if blob is None:  # the row was replaced or purged a moment ago; look again
                        continue
            if value is None:
                value = self._read(row, blob)
                if value is None:  # file gone: replaced or purged since we read the row; look again
                    continue
                if value is _DAMAGED:
                    self._discard(table_of(table), row)
                    return None
                if self.recent.limit_bytes:
                    value = self.recent.put(row.id, row.checksum, value, row.size_bytes)
            if self.bases is not None and row.data_format == "parquet" and isinstance(value, pd.DataFrame):
                self.bases.read(name, row.id, row.checksum, value, row.content_hash)  # the caller's, weakly
            return (value, row.mime_type) if table == "artifacts" else value
        log.warning("payload for %s is missing on disk; treating it as missing", key)
        self._discard(table_of(table), row)
        return None

    def _discard(self, table: Table, row: Row) -> None:
        """Delete a damaged row, unless a writer has replaced or rewritten it meanwhile; then its
        file (only if it is inside the store). It takes the key's writer lock: every mutation of
        a key takes the same one (:func:`~banksim.store.engine.lock_key`)."""
        from sqlalchemy import delete

        with self.transaction(write=True, lock_keys=[lock_key(table, row.name, row.params_hash)]) as conn:
            deleted = conn.execute(delete(table).where(*same_payload(table, row))).rowcount
            dependents = (
                shared.delete_dependents(conn, [row.id]) if deleted and table.name == "simulations" else []
            )
        if deleted:
            if self.bases is not None:
                self.bases.forget(row.id)
            for path in [row.data_path, *dependents]:
                self.files.remove(path)

    # -- the persistence API --------------------------------------------------------------------
    def save_dataframe(self, kind: str, params_hash: str, df: pd.DataFrame) -> str:
        """Store ``df`` as Parquet under ``(kind, params_hash)``, replacing any earlier value.

        Returns
        -------
        str
            The id of the row.
        """
        key = {"kind": check_kind(kind), "params_hash": check_key(params_hash)}
        payload = payloads.encode_dataframe(df)
        return self._commit([(table_of("simulations"), key, payload, simulation_values(payload))])[0]

    def load_dataframe(self, kind: str, params_hash: str) -> pd.DataFrame | None:
        """Return the DataFrame stored under ``(kind, params_hash)``, or None."""
        self.flush()
        value = self._get("simulations", {"kind": check_kind(kind), "params_hash": check_key(params_hash)})
        if value is not None and not isinstance(value, pd.DataFrame):
            raise InputError("kind", f"{kind!r}/{params_hash!r} holds a dict, not a DataFrame; use load_dict")
        return value

    def save_dict(self, kind: str, params_hash: str, data: dict[str, Any]) -> str:
        """Store ``data`` as JSON under ``(kind, params_hash)``, replacing any earlier value."""
        key = {"kind": check_kind(kind), "params_hash": check_key(params_hash)}
        payload = payloads.encode_dict(data)
        return self._commit([(table_of("simulations"), key, payload, simulation_values(payload))])[0]

    def load_dict(self, kind: str, params_hash: str) -> dict[str, Any] | None:
        """Return the dict stored under ``(kind, params_hash)``, or None."""
        self.flush()
        value = self._get("simulations", {"kind": check_kind(kind), "params_hash": check_key(params_hash)})
        if value is not None and not isinstance(value, dict):
            raise InputError(
                "kind", f"{kind!r}/{params_hash!r} holds a DataFrame, not a dict; use load_dataframe"
            )
        return value

    def save_artifact(self, params_hash: str, name: str, blob: bytes, mime: str) -> str:
        """Store a file's bytes with its MIME type under ``(params_hash, name)``."""
        key = {"params_hash": check_key(params_hash), "name": check_name(name)}
        check_mime(mime)
        payload = payloads.encode_bytes(blob)
        return self._commit([(table_of("artifacts"), key, payload, {"mime_type": mime})])[0]

    def load_artifact(self, params_hash: str, name: str) -> tuple[bytes, str] | None:
        """Return ``(bytes, mime)`` stored under ``(params_hash, name)``, or None."""
        self.flush()
        return self._get("artifacts", {"params_hash": check_key(params_hash), "name": check_name(name)})

    # -- used by the cache ----------------------------------------------------------------------
    def configuration(self, params_hash: str) -> dict[str, Any] | None:
        """The ``configurations`` row of a cached call as a dict, or None."""
        with self._reading() as reads:
            return reads.configuration(params_hash)

    def configurations(self, kind: str) -> list[dict[str, Any]]:
        self.flush()
        from sqlalchemy import select

        from .rows import CONFIGURATIONS

        with self.transaction() as conn:
            rows = (
                conn.execute(
                    select(
                        CONFIGURATIONS.c.params_hash,
                        CONFIGURATIONS.c.params_json,
                        CONFIGURATIONS.c.updated_at,
                    ).where(CONFIGURATIONS.c.kind == kind)
                )
                .mappings()
                .all()
            )
        return [dict(row) for row in rows]

    def record_hit(self, params_hash: str) -> None:
        """Count a cache hit; best effort, waits at most 0.2 s for a busy database.

        With write-behind the count is written by the writer thread, after what is queued before
        it: the hit returns without waiting for the database (a fresh process's first write there
        syncs the disk)."""
        queue = self.write_queue
        if queue is not None and not queue.on_writer_thread():
            describe = f"hit count of {params_hash[:12]}"
            count = functools.partial(self._record_hit_now, params_hash)
            queue.submit(PendingWrite(f"hit:{params_hash}", (), {}, 0, count, describe))
            return
        self._record_hit_now(params_hash)

    def _record_hit_now(self, params_hash: str) -> None:
        if self.sqlite_reads is not None:
            self.sqlite_reads.record_hit(params_hash)
            return
        from sqlalchemy.exc import OperationalError

        with self.engine.connect() as conn:
            # SQLite: the short timeout is set on the driver connection itself (autocommit, outside
            # any transaction) and restored the same way, so a pooled connection never keeps it.
            driver = conn.connection.driver_connection if self.dialect == "sqlite" else None
            try:
                if driver is not None:
                    driver.execute("PRAGMA busy_timeout = 200")
                with conn.execution_options(banksim_write=True).begin():
                    if self.dialect == "postgresql":
                        conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
                    EngineReads(conn).record_hit(params_hash)
            except OperationalError as exc:
                log.debug("hit count for %s not recorded: %s", params_hash, exc)
            finally:
                if driver is not None:
                    driver.execute("PRAGMA busy_timeout = 60000")

    def save_result(
        self,
        params_hash: str,
        configuration: dict[str, Any],
        parts: Sequence[tuple[str, Any, str | None]],
        lease: Lease | None = None,
    ) -> None:
        """Store a cached call's result: now, or on the write-behind thread once the caller has it.

        ``parts`` holds ``(kind_or_name, value, mime)``: DataFrames become Parquet, dicts JSON,
        bytes (``mime`` given) artifacts. With write-behind (``write_behind_mb``) the values are
        snapshot (a DataFrame shallowly, under copy-on-write), the call returns, and the writer
        encodes, writes, verifies and commits them in order; until then :meth:`pending` serves
        them. Either way the stored values enter the in-memory tier as they are (nothing is
        decoded again). The key's ``lease`` goes in the transaction that commits the rows (or is
        released after a failure).
        """
        label = f"{configuration.get('function', configuration.get('kind'))} result"
        queue = self.write_queue
        # With write-behind the writer keeps its own copies: the caller may change the result in place.
        # A table's content key is shared between the caller's table and the writer's copy (as
        # each was when copied): whichever is hashed first, the other is not hashed again.
        try:
            snapshot = parts if queue is None else [(name, private_copy(v), mime) for name, v, mime in parts]
            origins = [_origin(value) if queue is not None else None for _, value, _ in parts]
        except BaseException:
            if lease is not None:  # never left renewed with nothing to write
                lease.release()
            raise

        def write() -> None:
            committed = False
            try:
                self._write_result(
                    params_hash, configuration, snapshot, label, origins, lease, owned=queue is not None
                )
                committed = True
            finally:
                if lease is not None:
                    lease.release(deleted=committed)

        if queue is None:
            write()
            return

        def record_hits(count: int) -> None:  # calls served from memory while it was being written
            for _ in range(count):
                self.record_hit(params_hash)

        values = tuple(value for _, value, _ in snapshot)
        nbytes = sum(footprint(value, 0) for value in values)
        describe = f"{configuration.get('kind')} {params_hash[:12]}"
        try:
            queue.submit(
                PendingWrite(params_hash, values, configuration, nbytes, write, describe, on_hits=record_hits)
            )
        except BaseException:  # not queued (interrupted while the queue was full): nothing writes it
            if lease is not None:
                lease.release()
            raise

    def _write_result(
        self,
        params_hash: str,
        configuration: dict[str, Any],
        parts: Sequence[tuple[str, Any, str | None]],
        label: str,
        origins: Sequence[tuple[pd.DataFrame, Any] | None] | None = None,
        lease: Lease | None = None,
        owned: bool = False,
    ) -> None:
        """Encode, write and commit a result's ``parts``; ``owned``: they are the writer's snapshot,
        kept in the memory tier as they are (else the tier keeps copies)."""
        origins = origins or [None] * len(parts)
        tables = [
            self._encode_part(name, value, label, origin)
            for (name, value, _), origin in zip(parts, origins, strict=True)
        ]
        encoded = [(name, payload, mime) for (name, _, mime), (payload, _) in zip(parts, tables, strict=True)]
        for (_, payload, _), origin in zip(encoded, origins, strict=True):
            if origin is not None and payload.content_hash is not None:  # the caller's table's key too
                remember_key_as_of(origin[0], origin[1], payload.content_hash)
        try:
            ids = self.save_entry(params_hash, configuration, encoded, lease)
        except shared.BaseGone:  # a base was removed or rewritten since it was chosen: store them whole
            for _, payload, _ in encoded:
                if payload.base_id is not None and self.bases is not None:
                    self.bases.forget(payload.base_id)
            encoded = [
                (name, _encode(value, label) if payload.base_id is not None else payload, mime)
                for (name, value, mime), (_, payload, _) in zip(parts, encoded, strict=True)
            ]
            ids = self.save_entry(params_hash, configuration, encoded, lease)
        if self.bases is not None:
            for (name, payload, _), (_, digests), (_, value, _), origin, row_id in zip(
                encoded, tables, parts, origins, ids, strict=True
            ):
                if payload.format == "parquet" and digests is not None:  # the caller's table, held weakly
                    self.bases.wrote(
                        name, row_id, payload.checksum, digests, value if origin is None else origin[0]
                    )
        if self.recent.limit_bytes:
            for (_, payload, _), (_, value, _), row_id in zip(encoded, parts, ids, strict=True):
                if owned:  # the writer's own snapshot, nobody else's: kept as it is
                    self.recent.keep((row_id, payload.checksum), value, payload.size_bytes)
                else:
                    self.recent.put(row_id, payload.checksum, value, payload.size_bytes)

    def _encode_part(
        self, kind: str, value: Any, label: str, origin: tuple[pd.DataFrame, Any] | None
    ) -> tuple[payloads.Payload, FrameDigests | None]:
        """A result part's payload, and a table's digests when they were taken: a table stored
        already (the same content, under another key) is stored as no columns against it, or as a
        copy of its stored columns; a table that shares most of its columns with a table stored
        lately is stored as the columns it changes (:mod:`banksim.store.shared`).

        A table is hashed once: the caller's hash (``origin``, see :meth:`save_result`) is used if it
        came first, else the hash taken here becomes the caller's table's too.
        """
        if (
            self.bases is None
            or not isinstance(value, pd.DataFrame)
            or len(value) < shared.MIN_ROWS
            or not shared.plain(value)
        ):
            return _encode(value, label, origin), None
        try:
            if origin is None:  # written before returning: ``value`` is the caller's table itself
                digests = hashing.remembered_digests(value)
            else:
                digests = hashing.digests_as_of(*origin) or hashing.frame_digests(value)
                remember_key_as_of(*origin, digests.key(), digests)
        except BanksimError:  # a column the key cannot cover: stored whole, as ever
            return _encode(value, label, origin), None
        alike = self._stored_alike(value, digests)
        if alike is not None:
            return alike, digests
        chosen = self.bases.choose(kind, digests)
        if chosen is not None:
            return shared.encode(value, *chosen, digests), digests
        payload = payloads.encode_dataframe(value, label, known_key=digests.key, digests=digests)
        return payload, digests

    def _stored_alike(self, value: pd.DataFrame, digests: FrameDigests) -> payloads.Payload | None:
        """A payload for a table whose content a row holds already (a result taken whole from another
        run's): no columns against that row if it holds the table whole, else a copy of its payload
        (the columns it changes, against the same base); None if no row holds it."""
        key = digests.key()
        with self._reading() as reads:
            found = reads.content_alike(key, ("parquet", shared.FORMAT))
        row, blob = self.row_by_id(found)
        if row is None:
            return None
        if row.base_id is None:
            return shared.encode(value, shared.Base(row.id, row.checksum, digests), [], digests)
        data = self.payload_bytes(row, blob)
        if data is None:
            return None
        base_checksum = shared.described_base(data)["base_checksum"]
        return payloads.Payload(
            shared.FORMAT,
            data,
            row.checksum,
            len(value),
            key,
            base_id=row.base_id,
            base_checksum=base_checksum,
        )

    def save_entry(
        self,
        params_hash: str,
        configuration: dict[str, Any],
        parts: Sequence[tuple[str, payloads.Payload, str | None]],
        lease: Lease | None = None,
    ) -> list[str]:
        """Store a cached call's result parts and its configuration row in one transaction, which
        removes the key's ``lease`` too (see :meth:`Lease.delete_row`).

        ``parts`` holds ``(kind_or_name, payload, mime)``; blobs (``mime`` given) go to artifacts.
        """
        from .rows import ARTIFACTS, SIMULATIONS

        writes = []
        for name, payload, mime in parts:
            if payload.format == "blob":
                writes.append(
                    (
                        ARTIFACTS,
                        {"params_hash": params_hash, "name": name},
                        payload,
                        {"mime_type": mime, "code_version": configuration.get("code_version")},
                    )
                )
            else:
                writes.append(
                    (
                        SIMULATIONS,
                        {"kind": name, "params_hash": params_hash},
                        payload,
                        {**simulation_values(payload), "code_version": configuration.get("code_version")},
                    )
                )
        return self._commit(writes, configuration={"params_hash": params_hash, **configuration}, lease=lease)

    def has_part(self, name: str, params_hash: str, blob: bool) -> bool:
        """True if a result part is stored intact; checks its checksum without decoding it."""
        from sqlalchemy import select

        from .rows import ARTIFACTS, SIMULATIONS

        table = ARTIFACTS if blob else SIMULATIONS
        name_column = table.c.name if blob else table.c.kind
        with self.transaction() as conn:
            found = conn.execute(
                select(
                    *(table.c[c] for c in ("id", "data_path", "checksum", "size_bytes", "created_at")),
                    *(() if blob else (table.c.data_format, table.c.base_id)),
                ).where(table.c.params_hash == params_hash, name_column == name)
            ).first()
            if found is None:
                return False
            row = Row.of(found, name, params_hash)
            if (row.id, row.checksum) in self.recent:
                return True
            data = None
            if row.data_path is None:
                data = conn.execute(select(table.c.data_blob).where(table.c.id == row.id)).scalar()
                if data is None:  # replaced or purged a moment ago
                    return False
        return self.payload_intact(row, data, table)

    def load_part(self, name: str, params_hash: str, blob: bool) -> Any | None:
        if blob:
            found = self._get("artifacts", {"params_hash": params_hash, "name": name})
            return None if found is None else found[0]
        return self._get("simulations", {"kind": name, "params_hash": params_hash})

    # -- maintenance (banksim.store.maintenance, loaded when used) ---------------------------------
    def list_entries(self, kind: str | None = None) -> pd.DataFrame:
        """One row per stored payload; see :func:`banksim.store.maintenance.list_entries`."""
        self.flush()  # what this process computed is listed too
        from . import maintenance

        return maintenance.list_entries(self, kind)

    def stats(self) -> pd.DataFrame:
        """Stored calls, bytes, hits and misses; see :func:`banksim.store.maintenance.stats`."""
        self.flush()  # what this process computed is listed too
        from . import maintenance

        return maintenance.stats(self)

    def verify(self, kind: str | None = None, *, dry_run: bool = False) -> pd.DataFrame:
        """Check every payload against its checksum, remove the damaged ones; see
        :func:`banksim.store.maintenance.verify`."""
        self.flush()  # what this process computed is listed too
        from . import maintenance

        return maintenance.verify(self, kind, dry_run=dry_run)

    def purge(
        self, kind: str | None = None, older_than: dt.timedelta | str | None = None, *, dry_run: bool = False
    ) -> pd.DataFrame:
        """Remove entries by kind and age; see :func:`banksim.store.maintenance.purge`."""
        self.flush()  # what this process computed is listed too
        from . import maintenance

        return maintenance.purge(self, kind, older_than, dry_run=dry_run)

    def shrink(self, max_bytes: int | str, kind: str | None = None, *, dry_run: bool = False) -> pd.DataFrame:
        """Remove the least recently used entries until the payloads fit in ``max_bytes``; see
        :func:`banksim.store.maintenance.shrink`."""
        self.flush()  # what this process computed is listed too
        from . import maintenance

        return maintenance.shrink(self, max_bytes, kind, dry_run=dry_run)

    def remove_orphans(self, *, dry_run: bool = False, grace: dt.timedelta | None = None) -> list[str]:
        """Delete payload files no row points at; see :func:`banksim.store.maintenance.remove_orphans`."""
        self.flush()  # what this process computed is listed too
        from . import maintenance

        if grace is None:
            return maintenance.remove_orphans(self, dry_run=dry_run)
        return maintenance.remove_orphans(self, dry_run=dry_run, grace=grace)


# What _row_by_id reads of a row: every column but the blob.
_ROW_COLUMNS = (
    "id", "kind", "params_hash", "data_format", "data_path", "row_count", "size_bytes", "checksum",
    "code_version", "library_versions", "created_at", "content_hash", "base_id",
)  # fmt: skip


def _encode(value: Any, label: str, origin: tuple[pd.DataFrame, Any] | None = None) -> payloads.Payload:
    """A result part's payload: Parquet for a DataFrame, JSON for a dict, raw bytes otherwise.
    ``origin``: the caller's table ``value`` is a copy of, and its state when copied."""
    if isinstance(value, pd.DataFrame):
        known = None if origin is None else functools.partial(key_as_of, *origin)
        digests = hashing.known_digests(value) if origin is None else hashing.digests_as_of(*origin)
        return payloads.encode_dataframe(value, label, known_key=known, digests=digests)
    if isinstance(value, dict):
        return payloads.encode_dict(value, label)
    return payloads.encode_bytes(bytes(value))


def _flush_at_exit() -> None:
    """Drain every open store's write-behind queue before the process exits."""
    for store in list(all_stores):
        store.flush()


def _drain_at_exit() -> None:
    """Drain when the process's threads shut down: before any ``atexit`` handler (they run
    last-registered first, so a filesystem's session closed by one, s3fs's say, could otherwise
    go first), and in a ``multiprocessing`` child too, forked ones included, which ends with
    ``os._exit`` after shutting its threads down but runs no ``atexit`` handler."""
    register = getattr(threading, "_register_atexit", atexit.register)  # concurrent.futures uses it
    register(_flush_at_exit)


_drain_at_exit()


def _origin(value: Any) -> tuple[pd.DataFrame, Any] | None:
    """A caller's table and its state (:func:`banksim.hashing.frame_state`) as the writer copies it."""
    return (value, frame_state(value)) if isinstance(value, pd.DataFrame) else None

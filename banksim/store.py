"""The persistence API: metadata rows in SQLAlchemy, payloads as files or database blobs.

A :class:`Store` pairs a database (SQLite by default, PostgreSQL by URL) with a payload mode:
``file`` writes Parquet/JSON/blob files under ``artifact_path`` (``kind=<kind>/params_hash=<key>/``,
readable by DuckDB without the database), ``db`` keeps payloads in the rows. Writes are atomic
(temp file, fsync, rename, then the row); reads verify a checksum and treat damage as a miss.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import errno
import functools
import json
import logging
import os
import re
import sys
import threading
import uuid
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    func,
    null,
    select,
    update,
)
from sqlalchemy.exc import OperationalError

from banksim import payloads
from banksim.errors import InputError, SchemaVersionError, StoreError
from banksim.models import SCHEMA_REVISION, Artifact, Configuration, Simulation, utcnow
from banksim.recent import RecentPayloads, footprint
from banksim.settings import ARTIFACT_STORES, get_settings, mask_url

__all__ = [
    "Store",
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

log = logging.getLogger("banksim.store")

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,62}")  # a folder name and a DuckDB view name
# View names bs.query gives its own tables: a kind of the same name would hide them.
RESERVED_KINDS = frozenset({"configurations", "inputs"})
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
MIME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")
# Where a row's data_path may point: a file in its kind's or the artifacts' key folder. Paths read
# back from the database are checked against this and against the resolved root before any use.
PAYLOAD_PATH = re.compile(
    r"(?:kind=[a-z][a-z0-9_]{0,63}|artifacts)/params_hash=[A-Za-z0-9_-]{1,128}/[A-Za-z0-9][A-Za-z0-9._-]{0,255}"
)
TEMP_PREFIX = ".tmp-"
TEMP_GRACE = dt.timedelta(hours=1)
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "db"

SIMULATIONS: Table = Simulation.__table__  # type: ignore[assignment]
ARTIFACTS: Table = Artifact.__table__  # type: ignore[assignment]
CONFIGURATIONS: Table = Configuration.__table__  # type: ignore[assignment]


# -- validation -----------------------------------------------------------------------------------


def check_key(params_hash: str, argument: str = "params_hash") -> str:
    """Return ``params_hash`` if it is 1-128 letters, digits, ``_`` or ``-``; raise otherwise."""
    if not isinstance(params_hash, str) or not KEY_PATTERN.fullmatch(params_hash):
        raise InputError(
            argument,
            f"{params_hash!r} is not a valid key",
            allowed="1 to 128 characters from A-Z, a-z, 0-9, '_' and '-'",
        )
    return params_hash


def check_kind(kind: str, argument: str = "kind") -> str:
    """Return ``kind`` if it is a lower-case identifier (it names a folder and a SQL view)."""
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind) or kind in RESERVED_KINDS:
        raise InputError(
            argument,
            f"{kind!r} is not a valid kind",
            allowed="a lower-case letter, then up to 62 of a-z, 0-9 and '_'; "
            f"not {' or '.join(sorted(RESERVED_KINDS))} (bs.query's own views)",
        )
    return kind


def check_name(name: str) -> str:
    """Return an artifact ``name`` if it cannot escape its folder (no ``/``, ``..``, NUL)."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise InputError(
            "name",
            f"{name!r} is not a valid artifact name",
            allowed="1 to 128 characters from A-Z, a-z, 0-9, '.', '_' and '-', "
            "starting with a letter or digit, without '..'",
        )
    return name


def check_mime(mime: str) -> str:
    if not isinstance(mime, str) or len(mime) > 128 or not MIME_PATTERN.fullmatch(mime):
        raise InputError("mime", f"{mime!r} is not a MIME type", allowed="type/subtype, e.g. text/csv")
    return mime


def parse_age(older_than: dt.timedelta | str | None) -> dt.timedelta | None:
    """Accept a timedelta or ``"30m"``, ``"12h"``, ``"7d"``, ``"2w"``."""
    if older_than is None or isinstance(older_than, dt.timedelta):
        return older_than
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", str(older_than))
    if not match:
        raise InputError(
            "older_than",
            f"{older_than!r} is not an age",
            allowed="a timedelta or '90s', '30m', '12h', '7d', '2w'",
        )
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match[2]]
    return dt.timedelta(**{unit: float(match[1])})


SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
              "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}  # fmt: skip


def parse_size(size: int | str) -> int:
    """Accept bytes or ``"500MB"``, ``"5GB"``, ``"2GiB"`` (decimal and binary units)."""
    if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
        return size
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", size) if isinstance(size, str) else None
    if not match or match[2].upper() not in SIZE_UNITS:
        raise InputError(
            "max_bytes", f"{size!r} is not a size", allowed="bytes >= 0 or '500MB', '5GB', '2GiB'"
        )
    return int(float(match[1]) * SIZE_UNITS[match[2].upper()])


# -- engine ---------------------------------------------------------------------------------------


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` for writes."""
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


# -- the store ------------------------------------------------------------------------------------


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


_all_stores: weakref.WeakSet[Store] = weakref.WeakSet()


class Store:
    """A metadata database plus a payload location.

    Parameters
    ----------
    db_url : str
        SQLAlchemy URL; ``postgresql+psycopg://...`` and ``sqlite:///path`` both work.
    artifact_store : {"file", "db"}
        Where new payloads go. Reading works whatever mode wrote a row.
    artifact_path : str or Path
        Root folder of payload files.
    migrate : bool
        Bring the schema to the latest revision on open (an empty database included).
    memory_cache_mb : int, optional
        MiB of recently read payloads kept decoded in memory (:attr:`recent`); default from the
        ``MEMORY_CACHE_MB`` setting, 0 for none.

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
    ) -> None:
        if artifact_store not in ARTIFACT_STORES:
            raise InputError("artifact_store", f"unknown value {artifact_store!r}", allowed=ARTIFACT_STORES)
        self.url = db_url
        self.artifact_store = artifact_store
        self.artifact_root = Path(artifact_path).expanduser().resolve()
        self.engine = make_engine(db_url)
        self.dialect = self.engine.dialect.name
        self._token: contextvars.Token[Store | None] | None = None
        if memory_cache_mb is None:
            memory_cache_mb = get_settings().memory_cache_mb
        self.recent = RecentPayloads(memory_cache_mb * 2**20)
        self._verified_files: dict[str, tuple[int | str, ...]] = {}  # path -> _file_state
        _all_stores.add(self)
        if migrate:
            self.upgrade()

    def __repr__(self) -> str:
        return (
            f"Store(db_url={mask_url(self.url)!r}, artifact_store={self.artifact_store!r}, "
            f"artifact_path={str(self.artifact_root)!r})"
        )

    # context manager: the store becomes the active one
    def __enter__(self) -> Store:
        self._token = _active.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _active.reset(self._token)
            self._token = None
        self.close()

    def close(self) -> None:
        """Release database connections and the in-memory tier."""
        self.recent.clear()
        self.engine.dispose()

    # -- transactions ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self, *, write: bool = False, lock_keys: Sequence[str] = ()) -> Iterator[Connection]:
        """A transaction; ``write=True`` serialises writers (SQLite: BEGIN IMMEDIATE; PostgreSQL:
        advisory locks on ``lock_keys``)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(banksim_write=write)
            with conn.begin():
                if write and self.dialect == "postgresql":
                    for key in sorted(set(lock_keys)):
                        conn.exec_driver_sql(
                            "SELECT pg_advisory_xact_lock(hashtextextended(%(k)s, 0))", {"k": key}
                        )
                yield conn

    # -- migrations -----------------------------------------------------------------------------
    def current_revision(self) -> str | None:
        """The schema revision of the database (None for an empty database); one query, no
        Alembic."""
        with self.engine.connect() as conn:
            if not conn.dialect.has_table(conn, "alembic_version"):
                return None
            revisions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
        return revisions[0] if len(revisions) == 1 else None

    def upgrade(self) -> str:
        """Bring the schema to the latest revision; return it. Safe with concurrent callers.

        A database already at :data:`~banksim.models.SCHEMA_REVISION` costs one query; Alembic
        is loaded only to migrate.
        """
        if self.current_revision() == SCHEMA_REVISION:
            return SCHEMA_REVISION
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        config = alembic_config()
        script = ScriptDirectory.from_config(config)
        head = script.get_current_head()
        assert head is not None
        with self.transaction(write=True, lock_keys=["banksim-schema-migration"]) as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            known = {rev.revision for rev in script.walk_revisions()}
            if current is not None and current not in known:
                raise SchemaVersionError(
                    f"the database at {mask_url(self.url)} is at schema revision {current!r}, "
                    f"which this banksim does not know (latest known: {head!r}); "
                    "upgrade banksim or use another DB_URL"
                )
            config.attributes["connection"] = conn
            if current is None:
                current = self._adopt_unstamped(conn, config)
            if current != head:
                log.info("migrating %s from %s to %s", mask_url(self.url), current, head)
                command.upgrade(config, "head")
        return head

    def _adopt_unstamped(self, conn: Connection, config: Any) -> str | None:
        """A database with banksim's tables but no revision stamp (made by ``create_all``):
        stamp the revision whose schema its tables match exactly, or refuse, saying how."""
        from alembic import command

        found = _table_columns(conn)
        if not found:
            return None
        for revision, expected in _schema_of_each_revision().items():
            if found == expected:
                log.info("adopting %s: its tables match revision %s", mask_url(self.url), revision)
                command.stamp(config, revision)
                return revision
        raise SchemaVersionError(
            f"the database at {mask_url(self.url)} has the tables {sorted(found)} but no banksim "
            "schema revision, and their columns match no banksim revision "
            f"({_schema_difference(found, _schema_of_each_revision())}); banksim does "
            "not change tables it did not create: set DB_URL to a new database, or rename or drop "
            "those tables (after saving what you need) and open the store again"
        )

    # -- files ----------------------------------------------------------------------------------
    def _folder(self, kind: str | None, params_hash: str) -> Path:
        if kind is None:
            return self.artifact_root / "artifacts" / f"params_hash={params_hash}"
        return self.artifact_root / f"kind={kind}" / f"params_hash={params_hash}"

    def _write_file(self, folder: Path, filename: str, payload: payloads.Payload) -> str:
        """Write atomically (temp, fsync, rename); return the path relative to the root.

        A failure (disk full, no permission) removes the temp file and raises a StoreError that
        names ``ARTIFACT_PATH``.
        """
        target = folder / filename
        temp = folder / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                handle.write(memoryview(payload.data))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
            if sys.platform != "win32":
                fd = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
                raise StoreError(
                    f"could not write a payload under ARTIFACT_PATH={self.artifact_root}: {reason}; "
                    "nothing was stored"
                ) from exc
            raise
        return target.relative_to(self.artifact_root).as_posix()

    def _payload_path(self, relative: str | None) -> Path | None:
        """The file a row's ``data_path`` names, or None if it is not a payload path inside the
        root (absolute, ``..``, another folder, a symlink out): such a row is damage, and nothing
        outside the root is ever read or removed for it."""
        if not isinstance(relative, str) or not PAYLOAD_PATH.fullmatch(relative) or ".." in relative:
            return None
        path = self.artifact_root / relative
        try:
            inside = path.resolve().is_relative_to(self.artifact_root)
        except (OSError, RuntimeError):  # a symlink loop
            return None
        return path if inside else None

    def _remove_file(self, relative: str | None) -> None:
        """Remove the payload file a row named (nothing if the path is not a payload path)."""
        path = self._payload_path(relative)
        if path is not None:
            self._unlink(path)

    def _unlink(self, path: Path) -> None:
        """Remove a file inside the root, and its folder once empty."""
        try:
            path.unlink(missing_ok=True)
            folder = path.parent
            if folder != self.artifact_root and not any(folder.iterdir()):
                folder.rmdir()
        except OSError:  # another writer may have just created the folder again
            pass

    def _read(self, row: Row, blob: bytes | None) -> Any | None:
        """Read a payload and verify its checksum; ``None`` if it is missing or damaged."""
        data = self._verified_bytes(row, blob)
        if data is None or data is _DAMAGED:
            return data
        try:
            return payloads.decode(row.data_format, data)
        except Exception as exc:
            log.warning("payload %s could not be decoded (%s): %s", row.id, self._where(row), exc)
            return _DAMAGED

    def _verified_bytes(self, row: Row, blob: bytes | None) -> Any:
        """The payload's bytes if they match the row's checksum; ``None`` if its file is
        missing, ``_DAMAGED`` (logged) if they do not match, cannot be read (no permission,
        I/O error, a folder in its place) or the row's path leads outside the root."""
        if row.data_path is None:
            data: Any = blob
        else:
            path = self._payload_path(row.data_path)
            if path is None:
                log.warning(
                    "payload %s: its path %r is not inside the store; ignoring it", row.id, row.data_path
                )
                return _DAMAGED
            try:
                data = pa.memory_map(str(path)).read_buffer()
            except FileNotFoundError:
                return None
            except OSError as exc:
                log.warning("payload %s could not be read (%s): %s", row.id, path, exc)
                return _DAMAGED
        if data is None or payloads.checksum_of(data) != row.checksum:
            log.warning("payload %s failed its checksum (%s)", row.id, self._where(row))
            return _DAMAGED
        return data

    def _where(self, row: Row) -> str:
        return "database blob" if row.data_path is None else str(self.artifact_root / row.data_path)

    def payload_intact(self, row: Row, blob: bytes | None = None, table: Table = SIMULATIONS) -> bool:
        """True if the payload of a row of ``table`` is there and matches its checksum.

        For readers that take the bytes without decoding them here (DuckDB). A damaged payload
        is removed with its row (logged); a file checked before is not read again while its
        size and modification time are unchanged. A missing file reads as False and is left
        alone: its row may have been replaced or purged a moment ago.
        """
        if row.data_path is not None:
            seen = self._file_state(row)
            if seen is None:
                return False
            if seen and self._verified_files.get(row.data_path) == seen:
                return True
        if self._checksum_matches(row, blob):
            return True
        self._discard(table, row)  # logged by _verified_bytes
        return False

    def verify(self, kind: str | None = None, *, dry_run: bool = False) -> pd.DataFrame:
        """Read every payload and check it against its checksum; remove the damaged ones.

        Unlike a cache hit, which checks only what it reads, this checks the whole store (or
        one ``kind``), files and database blobs alike, whatever was checked before.

        Returns
        -------
        pandas.DataFrame
            One row per damaged payload (``table``, ``kind``, ``params_hash``, ``location``,
            ``problem``: ``"missing"``, ``"checksum"`` (also: unreadable) or ``"outside"`` (a
            path that leads out of the store; nothing there is touched)), removed unless
            ``dry_run``.
        """
        problems = []
        for table, name_column in ((SIMULATIONS, SIMULATIONS.c.kind), (ARTIFACTS, ARTIFACTS.c.name)):
            query = select(
                table.c.id, name_column.label("kind"), table.c.params_hash, table.c.data_path,
                table.c.checksum, table.c.size_bytes,
            )  # fmt: skip
            if kind is not None:
                query = query.where(name_column == kind)
            with self.transaction() as conn:
                rows = conn.execute(query).all()
            for found in rows:
                row = Row(
                    found.id, "", found.data_path, found.checksum, found.size_bytes,
                    name=found.kind, params_hash=found.params_hash,
                )  # fmt: skip
                blob = None
                if row.data_path is None:
                    with self.transaction() as conn:
                        blob = conn.execute(select(table.c.data_blob).where(table.c.id == row.id)).scalar()
                if row.data_path is not None and self._payload_path(row.data_path) is None:
                    problem = "outside"
                elif row.data_path is not None and self._file_state(row) is None:
                    problem = "missing"
                elif self._checksum_matches(row, blob):
                    continue
                else:
                    problem = "checksum"
                if not self._row_unchanged(table, row):  # replaced, rewritten or purged meanwhile
                    continue
                problems.append(
                    {
                        "table": table.name,
                        "kind": found.kind,
                        "params_hash": found.params_hash,
                        "location": "file" if row.data_path else "db",
                        "problem": problem,
                    }
                )
                if not dry_run:
                    log.warning("payload %s: %s; removing it", row.id, problem)
                    self._discard(table, row)
        return pd.DataFrame(problems, columns=["table", "kind", "params_hash", "location", "problem"])

    def _file_state(self, row: Row) -> tuple[int | str, ...] | None:
        """What identifies a payload file's current content without reading it: device, inode,
        size, modification and change times (an in-place write changes the change time, even
        with the modification time set back), and the row's checksum. None if the file is
        missing; ``()`` if it cannot be looked at (read it to find out why)."""
        path = self._payload_path(row.data_path)
        if path is None:
            return ()
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        except OSError:
            return ()
        return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, row.checksum)

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
        with self.transaction() as conn:
            found = conn.execute(select(table.c.id).where(*_same_payload(table, row))).first()
        return found is not None

    # -- generic row operations -----------------------------------------------------------------
    def _put(
        self,
        conn: Connection,
        table: Table,
        key: dict[str, str],
        payload: payloads.Payload,
        extra: dict[str, Any],
    ) -> tuple[str, str | None]:
        """Insert or replace the row for ``key``; return its id and the file it replaced."""
        match = [table.c[name] == value for name, value in key.items()]
        old = conn.execute(select(table.c.id, table.c.data_path).where(*match)).first()
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
            updated = conn.execute(update(table).where(table.c.id == old.id).values(**values))
            if updated.rowcount == 1:
                replaced = old.data_path if old.data_path != values.get("data_path") else None
                return old.id, replaced
        row_id = str(uuid.uuid4())
        conn.execute(table.insert().values(id=row_id, **key, **values))
        return row_id, None

    def _stage(
        self, kind: str | None, params_hash: str, filename: str, payload: payloads.Payload
    ) -> str | None:
        if self.artifact_store == "db":
            return None
        return self._write_file(self._folder(kind, params_hash), filename, payload)

    def _commit(
        self,
        writes: list[tuple[Table, dict[str, str], payloads.Payload, dict[str, Any]]],
        configuration: dict[str, Any] | None = None,
    ) -> list[str]:
        """Write payload files, then every row in one transaction; return the row ids."""
        staged: list[str | None] = []
        try:
            for _table, key, payload, _extra in writes:
                kind = key.get("kind")
                suffix = {"parquet": ".parquet", "json": ".json"}.get(payload.format, "")
                name = f"{uuid.uuid4().hex}{suffix}" if kind else f"{uuid.uuid4().hex[:12]}-{key['name']}"
                staged.append(self._stage(kind, key["params_hash"], name, payload))
            lock_keys = [
                _lock_key(table, key.get("kind") or key["name"], key["params_hash"])
                for table, key, _, _ in writes
            ]
            if configuration is not None:
                lock_keys.append(_config_lock_key(configuration["params_hash"]))
            with self.transaction(write=True, lock_keys=lock_keys) as conn:
                ids, replaced = [], []
                for (table, key, payload, extra), path in zip(writes, staged, strict=True):
                    row_id, old_path = self._put(conn, table, key, payload, {**extra, "data_path": path})
                    ids.append(row_id)
                    replaced.append(old_path)
                if configuration is not None:
                    self._put_configuration(conn, configuration)
        except BaseException:
            for path in staged:
                self._remove_file(path)
            raise
        for path in replaced:
            self._remove_file(path)
        return ids

    def _put_configuration(self, conn: Connection, values: dict[str, Any]) -> None:
        table = CONFIGURATIONS
        now = utcnow()
        exists = conn.execute(
            select(table.c.params_hash).where(table.c.params_hash == values["params_hash"])
        ).first()
        if exists is not None:
            updated = conn.execute(
                update(table)
                .where(table.c.params_hash == values["params_hash"])
                .values(updated_at=now, miss_count=table.c.miss_count + 1, **values)
            )
            if updated.rowcount == 1:
                return
        conn.execute(
            table.insert().values(created_at=now, updated_at=now, hit_count=0, miss_count=1, **values)
        )

    def _get(self, table: Table, key: dict[str, str]) -> Any | None:
        """Load the payload of ``key``; a damaged one is removed (logged) and reads as None.

        The row is looked up every time; its payload comes from the in-memory tier when that
        holds the same row id and checksum, else from its file or blob (then kept in the tier).
        """
        columns = [column for column in table.c if column.name != "data_blob"]
        for _attempt in range(3):
            with self.transaction() as conn:
                found = conn.execute(
                    select(*columns).where(*[table.c[name] == value for name, value in key.items()])
                ).first()
                if found is None:
                    return None
                row = Row(
                    found.id,
                    getattr(found, "data_format", "blob"),
                    found.data_path,
                    found.checksum,
                    found.size_bytes,
                    getattr(found, "mime_type", None),
                    name=key.get("kind") or key["name"],
                    params_hash=key["params_hash"],
                )
                value = self.recent.get(row.id, row.checksum)
                blob = None
                if value is None and row.data_path is None:
                    blob = conn.execute(
                        select(table.c.data_blob).where(table.c.id == row.id)
                    ).scalar_one_or_none()
                    if blob is None:  # the row was replaced or purged a moment ago; look again
                        continue
            if value is None:
                value = self._read(row, blob)
                if value is None:  # file gone: replaced or purged since we read the row; look again
                    continue
                if value is _DAMAGED:
                    self._discard(table, row)
                    return None
                if self.recent.limit_bytes:
                    value = self.recent.put(row.id, row.checksum, value, footprint(value, row.size_bytes))
            return (value, row.mime_type) if table is ARTIFACTS else value
        log.warning("payload for %s is missing on disk; treating it as missing", key)
        self._discard(table, row)
        return None

    def _discard(self, table: Table, row: Row) -> None:
        """Delete a damaged row, unless a writer has replaced or rewritten it meanwhile; then its
        file (only if it is inside the store). It takes the key's writer lock: every mutation of
        a key takes the same one (:func:`_lock_key`)."""
        with self.transaction(write=True, lock_keys=[_lock_key(table, row.name, row.params_hash)]) as conn:
            deleted = conn.execute(delete(table).where(*_same_payload(table, row))).rowcount
        if deleted:
            self._remove_file(row.data_path)

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
        return self._commit([(SIMULATIONS, key, payload, _sim_extra(payload))])[0]

    def load_dataframe(self, kind: str, params_hash: str) -> pd.DataFrame | None:
        """Return the DataFrame stored under ``(kind, params_hash)``, or None."""
        value = self._get(SIMULATIONS, {"kind": check_kind(kind), "params_hash": check_key(params_hash)})
        if value is not None and not isinstance(value, pd.DataFrame):
            raise InputError("kind", f"{kind!r}/{params_hash!r} holds a dict, not a DataFrame; use load_dict")
        return value

    def save_dict(self, kind: str, params_hash: str, data: dict[str, Any]) -> str:
        """Store ``data`` as JSON under ``(kind, params_hash)``, replacing any earlier value."""
        key = {"kind": check_kind(kind), "params_hash": check_key(params_hash)}
        payload = payloads.encode_dict(data)
        return self._commit([(SIMULATIONS, key, payload, _sim_extra(payload))])[0]

    def load_dict(self, kind: str, params_hash: str) -> dict[str, Any] | None:
        """Return the dict stored under ``(kind, params_hash)``, or None."""
        value = self._get(SIMULATIONS, {"kind": check_kind(kind), "params_hash": check_key(params_hash)})
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
        return self._commit([(ARTIFACTS, key, payload, {"mime_type": mime})])[0]

    def load_artifact(self, params_hash: str, name: str) -> tuple[bytes, str] | None:
        """Return ``(bytes, mime)`` stored under ``(params_hash, name)``, or None."""
        return self._get(ARTIFACTS, {"params_hash": check_key(params_hash), "name": check_name(name)})

    # -- maintenance ----------------------------------------------------------------------------
    def list_entries(self, kind: str | None = None) -> pd.DataFrame:
        """One row per stored payload: kind, key, format, rows, bytes, where, when, code, params.

        ``kind`` filters on the payload kind or on the kind of the cached function that made it.
        """
        sims, arts, conf = SIMULATIONS, ARTIFACTS, CONFIGURATIONS
        shared = (conf.c.kind.label("function_kind"), conf.c.function, conf.c.params_json)
        sim_query = select(
            sims.c.kind,
            sims.c.params_hash,
            sims.c.data_format.label("format"),
            sims.c.row_count.label("rows"),
            sims.c.size_bytes.label("bytes"),
            sims.c.data_path,
            sims.c.created_at,
            sims.c.code_version,
            *shared,
        ).join_from(sims, conf, sims.c.params_hash == conf.c.params_hash, isouter=True)
        art_query = select(
            arts.c.name.label("kind"),
            arts.c.params_hash,
            arts.c.mime_type.label("format"),
            null().label("rows"),
            arts.c.size_bytes.label("bytes"),
            arts.c.data_path,
            arts.c.created_at,
            arts.c.code_version,
            *shared,
        ).join_from(arts, conf, arts.c.params_hash == conf.c.params_hash, isouter=True)
        with self.transaction() as conn:
            records = [{"table": "simulations", **row} for row in conn.execute(sim_query).mappings()]
            records += [{"table": "artifacts", **row} for row in conn.execute(art_query).mappings()]
        listing = pd.DataFrame.from_records(records, columns=[*LISTING_COLUMNS, "data_path", "params_json"])
        if kind is not None:
            listing = listing[(listing["kind"] == kind) | (listing["function_kind"] == kind)]
        listing["location"] = listing["data_path"].map(lambda path: "file" if path else "db")
        listing["params"] = listing["params_json"].map(_params_of)
        listing["created_at"] = pd.to_datetime(listing["created_at"], utc=True)
        listing["rows"] = listing["rows"].astype("Int64")
        listing["bytes"] = listing["bytes"].astype("int64")
        return listing[LISTING_COLUMNS].sort_values("created_at", ignore_index=True)

    def stats(self) -> pd.DataFrame:
        """Entries, bytes, hits, misses, hit rate and the compute time hits avoided (hits x the
        stored compute time) per kind, with an ``(all)`` total row."""
        listing = self.list_entries()
        listing["group"] = listing["function_kind"].fillna(listing["kind"])
        by_kind = listing.groupby("group").agg(entries=("kind", "size"), bytes=("bytes", "sum"))
        with self.transaction() as conn:
            counts = pd.DataFrame(
                conn.execute(
                    select(
                        CONFIGURATIONS.c.kind.label("group"),
                        func.sum(CONFIGURATIONS.c.hit_count).label("hits"),
                        func.sum(CONFIGURATIONS.c.miss_count).label("misses"),
                        func.sum(
                            CONFIGURATIONS.c.hit_count * func.coalesce(CONFIGURATIONS.c.compute_seconds, 0.0)
                        ).label("compute_seconds_avoided"),
                    )
                    .where(CONFIGURATIONS.c.kind.is_not(None))
                    .group_by(CONFIGURATIONS.c.kind)
                )
                .mappings()
                .all(),
                columns=["group", "hits", "misses", "compute_seconds_avoided"],
            ).set_index("group")
        avoided = counts.pop("compute_seconds_avoided").astype("float64")
        table = by_kind.join(counts, how="outer").fillna(0).astype("int64")
        table.loc["(all)"] = table.sum()
        calls = table["hits"] + table["misses"]
        table["hit_rate"] = (table["hits"] / calls.where(calls > 0)).astype("float64")
        table["compute_seconds_avoided"] = avoided.reindex(table.index).fillna(0.0)
        table.loc["(all)", "compute_seconds_avoided"] = avoided.sum()
        table.index.name = "kind"
        return table

    def purge(
        self,
        kind: str | None = None,
        older_than: dt.timedelta | str | None = None,
        *,
        dry_run: bool = False,
    ) -> pd.DataFrame:
        """Remove entries by kind and/or age (``"7d"``); return what was (or would be) removed.

        Without ``dry_run`` it also removes orphan files (no row points at them) and temp files
        left by crashed writers more than an hour ago.
        """
        age = parse_age(older_than)
        listing = self.list_entries(kind)
        if age is not None:
            listing = listing[listing["created_at"] < pd.Timestamp(utcnow() - age)]
        if dry_run or listing.empty:
            if not dry_run:
                self.remove_orphans()
            return listing.reset_index(drop=True)
        self._remove(listing)
        self.remove_orphans()
        return listing.reset_index(drop=True)

    def shrink(self, max_bytes: int | str, kind: str | None = None, *, dry_run: bool = False) -> pd.DataFrame:
        """Remove the least recently used cached calls until their payloads fit in ``max_bytes``.

        A call is removed whole (every part and its configuration row), least recently used
        first; "used" is its last hit, or its creation if it was never hit. ``kind`` limits the
        size counted and the calls considered. Returns what was (or, with ``dry_run``, would be)
        removed, one row per payload, with ``last_used``.

        Parameters
        ----------
        max_bytes : int or str
            Bytes, or a size such as ``"500MB"``, ``"5GB"``, ``"2GiB"``.
        kind : str, optional
            Only entries of this kind (payload kind or cached function kind).
        dry_run : bool
            List, remove nothing.
        """
        limit = parse_size(max_bytes)
        listing = self.list_entries(kind)
        with self.transaction() as conn:
            last_hits = dict(
                conn.execute(select(CONFIGURATIONS.c.params_hash, CONFIGURATIONS.c.last_hit_at)).all()
            )
        hits = pd.to_datetime(listing["params_hash"].map(last_hits), utc=True)
        listing["last_used"] = hits.where(hits > listing["created_at"], listing["created_at"])
        calls = listing.groupby("params_hash").agg(bytes=("bytes", "sum"), last_used=("last_used", "max"))
        calls = calls.sort_values(["last_used", "bytes"], ascending=[True, False])
        excess = int(calls["bytes"].sum()) - limit
        if excess <= 0:
            return listing.iloc[:0].reset_index(drop=True)
        freed_before = calls["bytes"].cumsum().shift(fill_value=0)
        chosen = set(calls.index[freed_before < excess])
        everything = listing if kind is None else self.list_entries()  # whole calls, every part
        everything = everything.assign(last_used=everything["params_hash"].map(calls["last_used"]))
        removed = everything[everything["params_hash"].isin(chosen)]
        removed = removed.sort_values(["last_used", "params_hash"], ignore_index=True)
        if not dry_run:
            self._remove(removed)
        return removed

    def _remove(self, listing: pd.DataFrame) -> None:
        """Delete the rows of a :meth:`list_entries` listing, then their files and empty calls.

        Calls go in batches, each under the writer locks of every key it deletes (the same
        locks a writer of those keys takes), so a write racing a purge is never lost.
        """
        removed_paths: list[str | None] = []
        calls = [rows for _, rows in listing.groupby("params_hash", sort=False)]
        for start in range(0, len(calls), PURGE_BATCH):
            batch = calls[start : start + PURGE_BATCH]
            parts = [
                (_table_of(str(table)), str(name), str(params_hash))
                for rows in batch
                for table, name, params_hash in zip(
                    rows["table"], rows["kind"], rows["params_hash"], strict=True
                )
            ]
            lock_keys = [_lock_key(*part) for part in parts]
            lock_keys += [_config_lock_key(rows["params_hash"].iloc[0]) for rows in batch]
            with self.transaction(write=True, lock_keys=lock_keys) as conn:
                for table, name, params_hash in parts:
                    name_column = table.c.name if table is ARTIFACTS else table.c.kind
                    match = (table.c.params_hash == params_hash, name_column == name)
                    removed_paths += conn.execute(select(table.c.data_path).where(*match)).scalars()
                    conn.execute(delete(table).where(*match))
                for rows in batch:
                    self._delete_configuration_if_empty(conn, rows["params_hash"].iloc[0])
        self.recent.clear()
        for path in removed_paths:  # after the commit: no row points at these files any more
            self._remove_file(path)

    @staticmethod
    def _delete_configuration_if_empty(conn: Connection, params_hash: str) -> None:
        left = 0
        for table in (SIMULATIONS, ARTIFACTS):
            left += conn.execute(
                select(func.count()).select_from(table).where(table.c.params_hash == params_hash)
            ).scalar_one()
        if not left:
            conn.execute(delete(CONFIGURATIONS).where(CONFIGURATIONS.c.params_hash == params_hash))

    def remove_orphans(self) -> list[str]:
        """Delete payload files no row points at, and temp files older than an hour."""
        if not self.artifact_root.is_dir():
            return []
        with self.transaction() as conn:
            referenced = {
                p
                for (p,) in conn.execute(
                    select(SIMULATIONS.c.data_path).where(SIMULATIONS.c.data_path.is_not(None))
                )
            } | {
                p
                for (p,) in conn.execute(
                    select(ARTIFACTS.c.data_path).where(ARTIFACTS.c.data_path.is_not(None))
                )
            }
        cutoff = (utcnow() - TEMP_GRACE).timestamp()
        removed = []
        for path in self.artifact_root.rglob("*"):
            relative = path.relative_to(self.artifact_root).as_posix()
            top = relative.split("/", 1)[0]
            if not (top.startswith("kind=") or top == "artifacts") or relative in referenced:
                continue
            try:
                if not path.is_file() or path.is_symlink() or path.stat().st_mtime >= cutoff:
                    continue  # young files may belong to a write in progress
            except OSError:
                continue
            self._unlink(path)
            removed.append(relative)
        return removed

    # -- used by the cache ----------------------------------------------------------------------
    def configuration(self, params_hash: str) -> dict[str, Any] | None:
        with self.transaction() as conn:
            row = conn.execute(
                select(CONFIGURATIONS).where(CONFIGURATIONS.c.params_hash == params_hash)
            ).first()
        return dict(row._mapping) if row is not None else None

    def configurations(self, kind: str) -> list[dict[str, Any]]:
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
        """Count a cache hit; best effort, waits at most 0.2 s for a busy database."""
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
                    conn.execute(
                        update(CONFIGURATIONS)
                        .where(CONFIGURATIONS.c.params_hash == params_hash)
                        .values(hit_count=CONFIGURATIONS.c.hit_count + 1, last_hit_at=utcnow())
                    )
            except OperationalError as exc:
                log.debug("hit count for %s not recorded: %s", params_hash, exc)
            finally:
                if driver is not None:
                    driver.execute("PRAGMA busy_timeout = 60000")

    def save_entry(
        self,
        params_hash: str,
        configuration: dict[str, Any],
        parts: Sequence[tuple[str, payloads.Payload, str | None]],
    ) -> None:
        """Store a cached call's result parts and its configuration row in one transaction.

        ``parts`` holds ``(kind_or_name, payload, mime)``; blobs (``mime`` given) go to artifacts.
        """
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
                        {**_sim_extra(payload), "code_version": configuration.get("code_version")},
                    )
                )
        self._commit(writes, configuration={"params_hash": params_hash, **configuration})

    def has_part(self, name: str, params_hash: str, blob: bool) -> bool:
        """True if a result part is stored intact; checks its checksum without decoding it."""
        table = ARTIFACTS if blob else SIMULATIONS
        name_column = table.c.name if blob else table.c.kind
        with self.transaction() as conn:
            found = conn.execute(
                select(table.c.id, table.c.data_path, table.c.checksum, table.c.size_bytes).where(
                    table.c.params_hash == params_hash, name_column == name
                )
            ).first()
            if found is None:
                return False
            row = Row(
                found.id,
                "",
                found.data_path,
                found.checksum,
                found.size_bytes,
                name=name,
                params_hash=params_hash,
            )
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
            found = self._get(ARTIFACTS, {"params_hash": params_hash, "name": name})
            return None if found is None else found[0]
        return self._get(SIMULATIONS, {"kind": name, "params_hash": params_hash})


def _table_columns(conn: Connection) -> dict[str, frozenset[str]]:
    """The columns of banksim's tables that exist in a database."""
    from sqlalchemy import inspect

    inspector = inspect(conn)
    names = set(inspector.get_table_names())
    return {
        table: frozenset(column["name"] for column in inspector.get_columns(table))
        for table in (CONFIGURATIONS.name, SIMULATIONS.name, ARTIFACTS.name)
        if table in names
    }


def alembic_config() -> Any:
    """An Alembic configuration for banksim's migrations (``db/``)."""
    from alembic.config import Config

    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise StoreError(f"banksim's migrations were not found at {MIGRATIONS_DIR}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@functools.cache
def _schema_of_each_revision() -> dict[str, dict[str, frozenset[str]]]:
    """Each revision's tables and columns, newest first, read off an in-memory database that
    the migrations bring up one revision at a time."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config()
    schemas = {}
    scratch = create_engine("sqlite://")
    try:
        with scratch.begin() as conn:
            config.attributes["connection"] = conn
            for revision in reversed(list(ScriptDirectory.from_config(config).walk_revisions())):
                command.upgrade(config, revision.revision)
                schemas[revision.revision] = _table_columns(conn)
    finally:
        scratch.dispose()
    return dict(reversed(schemas.items()))


def _schema_difference(
    found: dict[str, frozenset[str]], schemas: dict[str, dict[str, frozenset[str]]]
) -> str:
    """How the tables differ from the latest revision, e.g. ``simulations lacks checksum``."""
    expected = next(iter(schemas.values()))
    notes = []
    for table in sorted(set(found) | set(expected)):
        missing = sorted(expected.get(table, frozenset()) - found.get(table, frozenset()))
        extra = sorted(found.get(table, frozenset()) - expected.get(table, frozenset()))
        if table not in found:
            notes.append(f"no table {table}")
            continue
        if missing:
            notes.append(f"{table} lacks {', '.join(missing)}")
        if extra:
            notes.append(f"{table} has {', '.join(extra)}")
    return "; ".join(notes)


_DAMAGED = object()
PURGE_BATCH = 100  # calls per purge transaction: bounds the locks one transaction holds
LISTING_COLUMNS = [
    "table",
    "kind",
    "params_hash",
    "format",
    "rows",
    "bytes",
    "location",
    "created_at",
    "code_version",
    "function",
    "function_kind",
    "params",
]


def _lock_key(table: Table, name: str, params_hash: str) -> str:
    """The lock every mutation of one stored key takes (write, replace, discard, purge)."""
    return f"{table.name}:{name}:{params_hash}"


def _table_of(name: str) -> Table:
    return ARTIFACTS if name == "artifacts" else SIMULATIONS


def _config_lock_key(params_hash: str) -> str:
    return f"configurations:{params_hash}"


def _same_payload(table: Table, row: Row) -> tuple[Any, ...]:
    """Conditions that match a row only while it still points at the payload ``row`` describes."""
    path = table.c.data_path.is_(None) if row.data_path is None else table.c.data_path == row.data_path
    return (table.c.id == row.id, table.c.checksum == row.checksum, path)


def _sim_extra(payload: payloads.Payload) -> dict[str, Any]:
    return {
        "data_format": payload.format,
        "row_count": payload.row_count,
        "content_hash": payload.content_hash,
    }


def _params_of(params_json: Any) -> Any:
    if not isinstance(params_json, str):
        return None
    try:
        arguments = json.loads(params_json).get("args", {})
        return json.dumps({name: arg.get("value") for name, arg in arguments.items()}, sort_keys=True)
    except (ValueError, AttributeError):
        return None


@functools.cache
def library_versions() -> str:
    """The versions that produced a payload, as JSON (stored in every row)."""
    import numpy

    from banksim import __version__

    versions = {
        "banksim": __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
    }
    return json.dumps(versions, sort_keys=True)


# -- the active store -----------------------------------------------------------------------------

_active: contextvars.ContextVar[Store | None] = contextvars.ContextVar("banksim_store", default=None)
_defaults: dict[tuple[str, str, str], Store] = {}
_defaults_lock = threading.Lock()


def open_store(
    db_url: str | None = None,
    *,
    artifact_store: str | None = None,
    artifact_path: str | os.PathLike[str] | None = None,
    memory_cache_mb: int | None = None,
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
    )


@contextlib.contextmanager
def use_store(store: Store) -> Iterator[Store]:
    """Make ``store`` the active store inside a ``with`` block (without closing it after)."""
    token = _active.set(store)
    try:
        yield store
    finally:
        _active.reset(token)


def get_store() -> Store:
    """Return the active store, or the default store of the current settings."""
    active = _active.get()
    if active is not None:
        return active
    settings = get_settings()
    key = (settings.db_url, settings.artifact_store, str(Path(settings.artifact_path).expanduser().resolve()))
    with _defaults_lock:
        store = _defaults.get(key)
        if store is None:
            store = _defaults[key] = Store(*key)
        return store


def _after_fork() -> None:
    for store in list(_all_stores):
        store.engine.dispose(close=False)
        store.recent.reset_after_fork()


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

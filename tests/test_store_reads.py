"""The reads of a cache hit: sqlite3 alone on a SQLite file, the same answers as SQLAlchemy's.

A hit on a SQLite file must read exactly what the engine would (rows, datetimes, blobs), count
the hit where SQLAlchemy reads it back, and never wait on a busy database for a statistic.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

import banksim as bs
from banksim.store import ARTIFACTS, CONFIGURATIONS, SIMULATIONS
from banksim.store.reads import EngineReads, Reads, sqlite_file

FRAME = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})


@bs.cached(kind="reads_probe")
def probe(n: int) -> pd.DataFrame:
    return pd.DataFrame({"n": range(n)})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////data/app.db", "/data/app.db"),
        ("sqlite+pysqlite:////data/app.db", "/data/app.db"),
        ("sqlite:///relative/app.db", os.path.abspath("relative/app.db")),  # as SQLAlchemy opens it
        ("sqlite://", None),  # in memory: one database per connection, the engine's alone
        ("sqlite:///:memory:", None),
        ("sqlite:///file:app.db?mode=ro&uri=true", None),  # URI filenames and options: the engine
        ("sqlite:////data/app%20v2.db", None),  # an escape SQLAlchemy would decode
        ("postgresql+psycopg://alice@db:5432/risk", None),
        ("sqlite:///", None),  # no file
        ("sqlite:////data/app.db?mode=ro", None),  # options: the engine
        ("sqlite+pysqlite:///:memory:", None),
        ("sqlite+aiosqlite:////data/app.db", None),  # another driver
    ],
)
def test_only_a_plain_sqlite_file_is_read_with_the_driver(url: str, expected: str | None) -> None:
    assert sqlite_file(url) == expected


def _typed_reads(conn: Any, key: str) -> list[dict[str, Any] | None]:
    """What SQLAlchemy's typed selects on the ORM tables read (the reference)."""
    found = []
    for table, match in [
        (CONFIGURATIONS, {"params_hash": key}),
        (SIMULATIONS, {"kind": "frames", "params_hash": key}),
        (SIMULATIONS, {"kind": "summary", "params_hash": key}),
        (ARTIFACTS, {"params_hash": key, "name": "note.txt"}),
    ]:
        columns = [column for column in table.c if column.name != "data_blob"]
        row = conn.execute(select(*columns).where(*[table.c[k] == v for k, v in match.items()])).one()
        found.append(dict(row._mapping))
        if table is not CONFIGURATIONS:
            found.append(
                {"blob": conn.execute(select(table.c.data_blob).where(table.c.id == row.id)).scalar()}
            )
    return found


def _hit_reads(reads: Reads, key: str) -> list[dict[str, Any] | None]:
    found = [reads.configuration(key)]
    for table, match in [
        ("simulations", {"kind": "frames", "params_hash": key}),
        ("simulations", {"kind": "summary", "params_hash": key}),
        ("artifacts", {"params_hash": key, "name": "note.txt"}),
    ]:
        row = reads.row(table, match)
        assert row is not None
        found += [row, {"blob": reads.blob(table, row["id"])}]
    return found


def _fill(store: bs.Store) -> str:
    """A cached call's configuration row, a file payload, a blob payload and an artifact."""
    probe(3)
    store.flush()  # the call's result is written behind it
    key = probe.key(3)
    store.save_dataframe("frames", key, FRAME)
    store.save_artifact(key, "note.txt", b"hello", "text/plain")
    blob_store = bs.Store(store.url, "db", store.artifact_root)
    try:
        blob_store.save_dict("summary", key, {"ratio": 0.5})
    finally:
        blob_store.close()
    return key


def test_the_driver_reads_what_sqlalchemy_reads(sqlite_store: bs.Store) -> None:
    """Rows, configurations (datetimes as SQLAlchemy parses them) and blobs, field by field."""
    assert sqlite_store.sqlite_reads is not None
    key = _fill(sqlite_store)
    with sqlite_store.sqlite_reads.transaction() as driver, sqlite_store.transaction() as conn:
        found = _hit_reads(driver, key)
        assert found == _typed_reads(conn, key)
        assert isinstance(found[0]["created_at"], dt.datetime)  # type: ignore[index]
        summary_row, summary_blob = found[3], found[4]
        assert summary_row["data_path"] is None and summary_blob["blob"]  # type: ignore[index]
        assert found[2] == found[-1] == {"blob": None}  # file payloads: no blob
        assert driver.configuration("0" * 64) is None
        assert driver.row("simulations", {"kind": "none", "params_hash": key}) is None
    assert sqlite_store.load_dict("summary", key) == {"ratio": 0.5}  # a blob payload through the driver


def test_the_engines_driver_sql_reads_what_sqlalchemy_reads(store: bs.Store) -> None:
    """The hit's reads on PostgreSQL (and SQLite through the engine) use no ORM table: the
    same values as the typed selects, on every backend."""
    key = _fill(store)
    with store.transaction() as conn:
        assert _hit_reads(EngineReads(conn), key) == _typed_reads(conn, key)
        assert EngineReads(conn).configuration("0" * 64) is None


def test_hits_are_counted_where_sqlalchemy_reads_them(store: bs.Store) -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
    assert probe(4)[1] is False
    store.flush()  # the miss's result is written behind it: the hits below read the database
    assert probe(4)[1] is True and probe(4)[1] is True
    store.flush()  # hit counts are written behind the hits too
    with store.transaction() as conn:
        found = conn.execute(
            select(CONFIGURATIONS.c.hit_count, CONFIGURATIONS.c.last_hit_at).where(
                CONFIGURATIONS.c.params_hash == probe.key(4)
            )
        ).one()
    assert found.hit_count == 2
    last_hit = (
        found.last_hit_at.astimezone(dt.UTC).replace(tzinfo=None)
        if found.last_hit_at.tzinfo
        else found.last_hit_at
    )
    assert before <= last_hit <= dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=1)
    assert store.stats().loc["reads_probe", "hits"] == 2


def test_a_busy_database_does_not_hold_up_a_hit(sqlite_store: bs.Store, tmp_path: Path) -> None:
    """Another process holding the write lock delays a hit by the hit count's 0.2 s at most: the
    hit is served and the count skipped (logged at DEBUG), not waited for (60 s for writers)."""
    probe(5)
    sqlite_store.flush()  # written before the lock is taken, not by a writer waiting behind it
    writer = sqlite3.connect(str(tmp_path / "store.db"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.perf_counter()
        frame, hit = probe(5)
        elapsed = time.perf_counter() - started
        sqlite_store.flush()  # the count, written behind the hit, tried while the lock is held
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert hit and frame["n"].tolist() == [0, 1, 2, 3, 4]
    assert elapsed < 5  # 0.2 s of busy timeout plus the read, with room for a loaded machine
    assert sqlite_store.configuration(probe.key(5))["hit_count"] == 0  # type: ignore[index]
    probe(5)
    sqlite_store.flush()
    assert sqlite_store.configuration(probe.key(5))["hit_count"] == 1  # type: ignore[index]


def test_a_store_at_the_latest_revision_opens_without_the_engine(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    bs.Store(url, "file", tmp_path / "a").close()  # creates and migrates: the engine
    store = bs.Store(url, "file", tmp_path / "a")
    try:
        assert store._engine is None and store.current_revision() == bs.Store.upgrade(store)
        assert store.load_dataframe("frames", "k") is None and store._engine is None
        store.save_dataframe("frames", "k", FRAME)  # a write makes it
        assert store._engine is not None
        pd.testing.assert_frame_equal(store.load_dataframe("frames", "k"), FRAME)
    finally:
        store.close()


HIT_IN_A_FRESH_PROCESS = """
import json, sys
import banksim as bs
with bs.open_store(sys.argv[1], artifact_path=sys.argv[2]):
    frame, hit = bs.run_simulation(150, seed=9)
loaded = [m for m in ("sqlalchemy", "sqlalchemy.orm", "banksim.models", "alembic") if m in sys.modules]
print(json.dumps({"hit": hit, "rows": len(frame), "loaded": loaded}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_hit_in_a_fresh_process_loads_what_its_database_needs(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """SQLite file: no SQLAlchemy at all; PostgreSQL: the engine, but no ORM tables and no
    Alembic. The first process creates the store and computes (and loads them all)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_database_url")
        with bs.Store(url, "file", tmp_path / "a") as store, store.transaction(write=True) as conn:
            conn.exec_driver_sql("DELETE FROM configurations")  # this session's database, shared
    env = {**os.environ, "BANKSIM_CODE_CACHE": str(tmp_path / "code")}
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", HIT_IN_A_FRESH_PROCESS, url, str(tmp_path / "a")],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stdout
        )
        for _ in "12"
    ]
    assert [run["hit"] for run in runs] == [False, True]
    assert runs[0]["rows"] == runs[1]["rows"] >= 150  # the positions and the bank's own lines
    assert "banksim.models" in runs[0]["loaded"]
    assert runs[1]["loaded"] == ([] if backend == "sqlite" else ["sqlalchemy"])


def test_a_database_error_on_the_driver_path_is_sqlalchemys(sqlite_store: bs.Store, tmp_path: Path) -> None:
    """Callers (the command line's one-line message) catch SQLAlchemy's errors whichever way
    the store read: a driver error on the hit path is raised as SQLAlchemy raises it."""
    from sqlalchemy.exc import DatabaseError, OperationalError

    with sqlite3.connect(str(tmp_path / "store.db")) as other:
        other.execute("ALTER TABLE configurations RENAME TO moved")
    with pytest.raises(OperationalError, match="no such table: configurations") as raised:
        sqlite_store.configuration("k")
    assert isinstance(raised.value.orig, sqlite3.OperationalError)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database, " * 64)
    with pytest.raises(DatabaseError, match="not a database"):
        bs.Store(f"sqlite:///{garbage}", "file", tmp_path / "g")

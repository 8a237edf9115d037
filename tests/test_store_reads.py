"""The reads of a cache hit: sqlite3 alone on a SQLite file, the same answers as SQLAlchemy's.

A hit on a SQLite file must read exactly what the engine would (rows, datetimes, blobs), count
the hit where SQLAlchemy reads it back, and never wait on a busy database for a statistic.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

import banksim as bs
from banksim.store import CONFIGURATIONS
from banksim.store.reads import EngineReads, sqlite_file

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
    ],
)
def test_only_a_plain_sqlite_file_is_read_with_the_driver(url: str, expected: str | None) -> None:
    assert sqlite_file(url) == expected


def test_the_driver_reads_what_the_engine_reads(sqlite_store: bs.Store) -> None:
    """Rows, configurations (datetimes as SQLAlchemy parses them) and blobs, compared field by
    field with the engine's reads of the same database."""
    assert sqlite_store.sqlite_reads is not None
    probe(3)
    key = probe.key(3)
    sqlite_store.save_dataframe("frames", key, FRAME)
    sqlite_store.save_artifact(key, "note.txt", b"hello", "text/plain")
    blob_store = bs.Store(sqlite_store.url, "db", sqlite_store.artifact_root)
    try:
        blob_store.save_dict("summary", key, {"ratio": 0.5})
        with sqlite_store.sqlite_reads.transaction() as driver, sqlite_store.transaction() as conn:
            engine = EngineReads(conn)
            assert driver.configuration(key) == engine.configuration(key)
            assert isinstance(driver.configuration(key)["created_at"], dt.datetime)  # type: ignore[index]
            for table, row_key in [
                ("simulations", {"kind": "frames", "params_hash": key}),
                ("simulations", {"kind": "summary", "params_hash": key}),
                ("artifacts", {"params_hash": key, "name": "note.txt"}),
            ]:
                row = driver.row(table, row_key)
                assert row is not None and row == engine.row(table, row_key)
                assert driver.blob(table, row["id"]) == engine.blob(table, row["id"])
            assert (
                driver.configuration("0" * 64) is None
                and driver.row("simulations", {"kind": "x", "params_hash": key}) is None
            )
    finally:
        blob_store.close()
    assert sqlite_store.load_dict("summary", key) == {"ratio": 0.5}  # a blob payload through the driver


def test_hits_are_counted_where_sqlalchemy_reads_them(store: bs.Store) -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)
    assert probe(4)[1] is False
    assert probe(4)[1] is True and probe(4)[1] is True
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
    writer = sqlite3.connect(str(tmp_path / "store.db"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.perf_counter()
        frame, hit = probe(5)
        elapsed = time.perf_counter() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert hit and frame["n"].tolist() == [0, 1, 2, 3, 4]
    assert elapsed < 5  # 0.2 s of busy timeout plus the read, with room for a loaded machine
    assert sqlite_store.configuration(probe.key(5))["hit_count"] == 0  # type: ignore[index]
    probe(5)
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

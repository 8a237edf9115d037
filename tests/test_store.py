"""Persistence API: round trips, replacement, validation, integrity, maintenance, migrations."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import payload_files
import pytest
from sqlalchemy import create_engine, text

import banksim as bs
from banksim import payloads
from banksim.store import TEMP_PREFIX, alembic_config, parse_size

ROOT = Path(__file__).resolve().parent.parent


def rich_frame(rows: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "position_id": [f"POS-{i:06d}" for i in range(rows)],
            "amount": rng.normal(1e6, 2e5, rows),
            "count": rng.integers(0, 100, rows),
            "small": rng.integers(0, 100, rows).astype("int32"),
            "flag": rng.random(rows) > 0.5,
            "rating": pd.Categorical(
                rng.choice(["AAA", "BBB", "CCC"], rows), categories=["CCC", "BBB", "AAA"], ordered=True
            ),
            "as_of": pd.date_range("2024-01-31", periods=rows, freq="D"),
            "booked": pd.date_range("2024-01-31 09:30", periods=rows, freq="h", tz="Europe/Paris"),
            "nullable": pd.array([None if i % 7 == 0 else i for i in range(rows)], dtype="Int64"),
            "note": [None if i % 5 == 0 else f"n{i}" for i in range(rows)],
        }
    )
    return frame.set_index(pd.Index(np.arange(rows) * 10, name="row"))


def test_every_column_of_a_loaded_frame_can_be_assigned_in_place(tmp_path: Path) -> None:
    """Arrow hands some columns over without copying (read-only); a hit must still be a frame
    the caller can change, with or without the in-memory tier."""
    for memory_cache_mb in (0, 64):
        store = bs.Store(f"sqlite:///{tmp_path / f'{memory_cache_mb}.db'}", "file", tmp_path / str(memory_cache_mb),
                         memory_cache_mb=memory_cache_mb)  # fmt: skip
        store.save_dataframe("positions", "k", rich_frame(2_000))
        for _ in range(2):  # the second load comes from memory when the tier is on
            loaded = store.load_dataframe("positions", "k")
            assert loaded is not None
            for column in loaded.columns:
                loaded.loc[loaded.index[0], column] = loaded.loc[loaded.index[1], column]
                assert loaded[column].iloc[0] == loaded[column].iloc[1] or pd.isna(loaded[column].iloc[1])
        pd.testing.assert_frame_equal(store.load_dataframe("positions", "k"), rich_frame(2_000))
        store.close()


def test_dataframe_round_trip_keeps_dtypes_values_and_index(store: bs.Store) -> None:
    frame = rich_frame()
    store.save_dataframe("positions", "run-1", frame)
    back = store.load_dataframe("positions", "run-1")
    pd.testing.assert_frame_equal(back, frame)
    assert back["rating"].cat.ordered and list(back["rating"].cat.categories) == ["CCC", "BBB", "AAA"]
    assert str(back["booked"].dt.tz) == "Europe/Paris"


def test_range_index_and_empty_frame_round_trip(store: bs.Store) -> None:
    frame = pd.DataFrame({"a": [1.5, 2.5]}, index=pd.RangeIndex(5, 7))
    store.save_dataframe("small", "k", frame)
    pd.testing.assert_frame_equal(store.load_dataframe("small", "k"), frame)
    empty = rich_frame().iloc[:0]
    store.save_dataframe("small", "empty", empty)
    pd.testing.assert_frame_equal(store.load_dataframe("small", "empty"), empty)


def test_dict_round_trip_including_non_finite_floats(store: bs.Store) -> None:
    data = {
        "lcr": float("inf"),
        "nsfr": 1.25,
        "nested": {"met": True, "items": [1, 2, None]},
        "count": np.int64(3),
        "text": "ünïcode",
    }
    store.save_dict("summary", "k", data)
    back = store.load_dict("summary", "k")
    assert back == {
        "lcr": float("inf"),
        "nsfr": 1.25,
        "nested": {"met": True, "items": [1, 2, None]},
        "count": 3,
        "text": "ünïcode",
    }


def test_artifact_round_trip(store: bs.Store) -> None:
    blob = bytes(range(256)) * 100
    store.save_artifact(
        "k", "report.xlsx", blob, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert store.load_artifact("k", "report.xlsx") == (
        blob,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def test_missing_entries_read_as_none(store: bs.Store) -> None:
    assert store.load_dataframe("positions", "nothing") is None
    assert store.load_dict("summary", "nothing") is None
    assert store.load_artifact("nothing", "x.bin") is None


def test_saving_again_replaces_the_value_and_keeps_one_row(store: bs.Store) -> None:
    store.save_dataframe("positions", "k", pd.DataFrame({"a": [1]}))
    first_files = payload_files.listed(store, "*.parquet")
    store.save_dataframe("positions", "k", pd.DataFrame({"a": [2, 3]}))
    pd.testing.assert_frame_equal(store.load_dataframe("positions", "k"), pd.DataFrame({"a": [2, 3]}))
    with store.transaction() as conn:
        assert conn.execute(text("SELECT count(*) FROM simulations")).scalar_one() == 1
    files = payload_files.listed(store, "*.parquet")
    if store.artifact_store == "file":
        assert len(first_files) == 1 and len(files) == 1 and files != first_files
    else:
        assert files == []


def test_file_layout_is_partitioned_by_kind_and_key(sqlite_store: bs.Store) -> None:
    store = sqlite_store
    store.save_dataframe("positions", "run-1", pd.DataFrame({"x": [1, 2]}))
    store.save_dataframe("positions", "run-2", pd.DataFrame({"x": [3]}))
    files = sorted(
        p.relative_to(store.artifact_root).parent.as_posix() for p in store.artifact_root.rglob("*.parquet")
    )
    assert files == ["kind=positions/params_hash=run-1", "kind=positions/params_hash=run-2"]
    import duckdb  # a test dependency: the layout must really be readable by DuckDB

    pattern = str(store.artifact_root / "kind=positions" / "*" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT params_hash, sum(x) AS total FROM read_parquet('{pattern}', hive_partitioning=true) "
        "GROUP BY params_hash ORDER BY params_hash"
    ).fetchall()
    assert rows == [("run-1", 3), ("run-2", 3)]


@pytest.mark.parametrize("key", ["a", "A-b_9", "x" * 128])
def test_valid_keys_are_accepted(sqlite_store: bs.Store, key: str) -> None:
    sqlite_store.save_dict("k", key, {"ok": True})
    assert sqlite_store.load_dict("k", key) == {"ok": True}


@pytest.mark.parametrize("key", ["", "x" * 129, "a/b", "../up", "a b", "é", "a\x00b", "a.b"])
def test_invalid_keys_are_rejected_and_nothing_is_written(sqlite_store: bs.Store, key: str) -> None:
    with pytest.raises(bs.InputError, match="params_hash"):
        sqlite_store.save_dataframe("positions", key, pd.DataFrame({"a": [1]}))
    assert sqlite_store.list_entries().empty
    assert not sqlite_store.artifact_root.exists() or not any(sqlite_store.artifact_root.rglob("*"))


@pytest.mark.parametrize(
    "name", ["../escape.txt", "/etc/passwd", "a/b.txt", "a\x00.txt", "..", ".hidden", "a..b"]
)
def test_artifact_names_cannot_escape_the_artifact_folder(sqlite_store: bs.Store, name: str) -> None:
    with pytest.raises(bs.InputError, match="name"):
        sqlite_store.save_artifact("k", name, b"x", "text/plain")
    assert sqlite_store.list_entries().empty


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda s: s.save_dataframe("Positions", "k", pd.DataFrame({"a": [1]})), "kind"),
        (lambda s: s.save_dataframe("positions", "k", {"a": [1]}), "df"),
        (lambda s: s.save_dataframe("positions", "k", pd.DataFrame([[1, 2]], columns=["a", "a"])), "df"),
        (lambda s: s.save_dataframe("positions", "k", pd.DataFrame({0: [1]})), "df"),
        (lambda s: s.save_dict("summary", "k", {"when": object()}), "data"),
        (lambda s: s.save_dict("summary", "k", {1: "int key"}), "data"),
        (lambda s: s.save_dict("summary", "k", [1, 2]), "data"),
        (lambda s: s.save_artifact("k", "a.bin", "not bytes", "text/plain"), "blob"),
        (lambda s: s.save_artifact("k", "a.bin", b"x", "not a mime"), "mime"),
    ],
)
def test_bad_input_raises_a_named_error_and_writes_nothing(
    sqlite_store: bs.Store, call, argument: str
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(bs.InputError) as info:
        call(sqlite_store)
    assert info.value.argument == argument
    assert sqlite_store.list_entries().empty


def test_corrupted_payload_is_a_logged_miss_and_is_removed(
    store: bs.Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.save_dataframe("positions", "k", rich_frame())
    if store.artifact_store == "file":
        payload_files.flip_a_byte(store, payload_files.data_path(store, "positions", "k"))
    else:
        with store.transaction(write=True) as conn:
            conn.execute(text("UPDATE simulations SET data_blob = :b"), {"b": b"PAR1 garbage"})
    with caplog.at_level(logging.WARNING, logger="banksim.store"):
        assert store.load_dataframe("positions", "k") is None
    assert "checksum" in caplog.text
    assert store.list_entries().empty  # repaired: the damaged row is gone, the next save starts clean
    store.save_dataframe("positions", "k", rich_frame())
    pd.testing.assert_frame_equal(store.load_dataframe("positions", "k"), rich_frame())


def test_deleted_payload_file_is_a_logged_miss(
    sqlite_store: bs.Store, caplog: pytest.LogCaptureFixture
) -> None:
    sqlite_store.save_dict("summary", "k", {"a": 1})
    path = sqlite_store.artifact_root / "kind=summary" / "params_hash=k"
    next(path.glob("*.json")).unlink()
    with caplog.at_level(logging.WARNING, logger="banksim.store"):
        assert sqlite_store.load_dict("summary", "k") is None
    assert "missing" in caplog.text
    assert sqlite_store.list_entries().empty


def test_a_failed_commit_leaves_no_file_and_no_row(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_put(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("simulated crash between file and row")

    monkeypatch.setattr(sqlite_store, "_put", broken_put)
    with pytest.raises(RuntimeError):
        sqlite_store.save_dataframe("positions", "k", rich_frame())
    monkeypatch.undo()
    assert sqlite_store.list_entries().empty
    assert [p for p in sqlite_store.artifact_root.rglob("*") if p.is_file()] == []


def test_purge_removes_stale_temp_files_and_orphans_but_not_live_files(sqlite_store: bs.Store) -> None:
    sqlite_store.save_dataframe("positions", "k", pd.DataFrame({"a": [1]}))
    folder = sqlite_store.artifact_root / "kind=positions" / "params_hash=k"
    stale_temp = folder / f"{TEMP_PREFIX}crashed"
    stale_temp.write_bytes(b"half a parquet file")
    fresh_temp = folder / f"{TEMP_PREFIX}in-progress"
    fresh_temp.write_bytes(b"another writer is busy")
    old = (dt.datetime.now() - dt.timedelta(hours=2)).timestamp()
    os.utime(stale_temp, (old, old))
    assert sqlite_store.purge(kind="nothing-like-this").empty
    assert not stale_temp.exists() and fresh_temp.exists()
    pd.testing.assert_frame_equal(sqlite_store.load_dataframe("positions", "k"), pd.DataFrame({"a": [1]}))


def test_remove_orphans_grace_decides_how_old_a_stray_file_must_be(sqlite_store: bs.Store) -> None:
    sqlite_store.save_dataframe("positions", "k", pd.DataFrame({"a": [1]}))
    folder = sqlite_store.artifact_root / "kind=positions" / "params_hash=k"
    stray = folder / "left-by-a-crash.parquet"
    stray.write_bytes(b"partial")
    minutes_old = (dt.datetime.now() - dt.timedelta(minutes=10)).timestamp()
    os.utime(stray, (minutes_old, minutes_old))
    assert sqlite_store.remove_orphans() == []  # the default hour: it may be a write in progress
    relative = "kind=positions/params_hash=k/left-by-a-crash.parquet"
    assert sqlite_store.remove_orphans(dry_run=True, grace=dt.timedelta(minutes=5)) == [relative]
    assert stray.exists()
    assert sqlite_store.remove_orphans(grace=dt.timedelta(minutes=5)) == [relative]
    assert not stray.exists()
    pd.testing.assert_frame_equal(sqlite_store.load_dataframe("positions", "k"), pd.DataFrame({"a": [1]}))
    with pytest.raises(bs.InputError, match="grace"):
        sqlite_store.remove_orphans(grace=dt.timedelta(minutes=-1))


def test_list_stats_and_purge_by_kind_and_age(store: bs.Store) -> None:
    store.save_dataframe("positions", "a", pd.DataFrame({"x": [1, 2, 3]}))
    store.save_dataframe("rwa", "a", pd.DataFrame({"x": [1]}))
    store.save_dict("summary", "a", {"x": 1})
    listing = store.list_entries()
    assert sorted(listing["kind"]) == ["positions", "rwa", "summary"]
    assert listing.set_index("kind").loc["positions", "rows"] == 3
    assert set(listing["location"]) == {store.artifact_store}
    stats = store.stats()
    assert stats.loc["(all)", "entries"] == 3 and stats.loc["positions", "entries"] == 1
    assert stats.loc["(all)", "bytes"] == listing["bytes"].sum()

    assert len(store.purge(kind="rwa", dry_run=True)) == 1
    assert len(store.list_entries()) == 3  # a dry run removes nothing
    assert store.purge(older_than="1d").empty  # everything is younger than a day
    removed = store.purge(kind="rwa")
    assert list(removed["kind"]) == ["rwa"]
    assert sorted(store.list_entries()["kind"]) == ["positions", "summary"]
    assert store.load_dataframe("rwa", "a") is None
    assert len(store.purge(older_than=dt.timedelta(0))) == 2
    assert store.list_entries().empty
    assert payload_files.listed(store) == [], "purged entries leave no payload files behind, however young"


def test_purge_rejects_a_bad_age(sqlite_store: bs.Store) -> None:
    with pytest.raises(bs.InputError, match="older_than"):
        sqlite_store.purge(older_than="a week")


def test_store_repr_masks_the_password() -> None:
    store = bs.Store("postgresql+psycopg://alice:s3cret@127.0.0.1:1/none", migrate=False)
    assert "s3cret" not in repr(store) and "alice:***@" in repr(store)


# -- migrations -----------------------------------------------------------------------------------


def test_an_empty_database_is_brought_to_head_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    store = bs.Store(url, artifact_path=tmp_path / "a")
    assert store.current_revision() == "0004_shared_columns"
    with store.transaction() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    assert {"configurations", "simulations", "artifacts", "alembic_version"} <= tables


def test_postgres_empty_database_is_brought_to_head(pg_database_url: str, tmp_path: Path) -> None:
    store = bs.Store(pg_database_url, artifact_path=tmp_path)
    assert store.current_revision() == "0004_shared_columns"
    store.save_dict("summary", "pg", {"ok": True})
    assert store.load_dict("summary", "pg") == {"ok": True}
    with store.transaction(write=True) as conn:
        conn.execute(text("DELETE FROM simulations WHERE params_hash = 'pg'"))


def test_a_database_at_an_unknown_revision_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'future.db'}"
    bs.Store(url, artifact_path=tmp_path).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    with pytest.raises(bs.SchemaVersionError, match="9999_from_the_future"):
        bs.Store(url, artifact_path=tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("command", [["alembic", "upgrade", "head"], ["banksim", "db", "upgrade"]])
def test_command_line_migrations(tmp_path: Path, command: list[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "DB_URL": url, "ARTIFACT_PATH": str(tmp_path / "a")}
    executable = Path(sys.executable).parent / command[0]
    done = subprocess.run([str(executable), *command[1:]], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    store = bs.Store(url, artifact_path=tmp_path / "a", migrate=False)
    assert store.current_revision() == "0004_shared_columns"


@bs.cached(kind="block", parts=("lines", "summary"))
def block(n: int) -> tuple[pd.DataFrame, dict]:
    return pd.DataFrame({"x": np.arange(n, dtype="float64")}), {"n": n}


def test_shrink_removes_least_recently_used_calls_whole(store: bs.Store) -> None:
    for n in (100_000, 50_000, 20_000):  # created in this order, a little apart
        block(n)
        store.flush()  # stored now, not on the write-behind thread later
        time.sleep(0.02)
    assert block(100_000)[-1]  # a hit: now the most recently used
    sizes = store.list_entries().groupby("params_hash")["bytes"].sum()
    size = {n: int(sizes[block.key(n)]) for n in (100_000, 50_000, 20_000)}

    would = store.shrink(size[100_000] + size[20_000], dry_run=True)
    assert set(would["params_hash"]) == {block.key(50_000)}  # least recently used: created, never hit
    assert sorted(would["kind"]) == ["block_lines", "block_summary"]  # the whole call, every part
    assert len(store.list_entries()) == 6  # a dry run removes nothing

    removed = store.shrink(size[100_000] + size[20_000])
    assert set(removed["params_hash"]) == {block.key(50_000)}
    assert not block.is_cached(50_000) and store.configuration(block.key(50_000)) is None
    assert block.is_cached(100_000) and block.is_cached(20_000)
    assert store.shrink("1TB").empty  # fits already
    assert set(store.shrink(size[100_000], kind="block")["params_hash"]) == {block.key(20_000)}
    last = store.shrink(0, kind="block_summary")  # counts the summaries, removes whole calls
    assert sorted(last["kind"]) == ["block_lines", "block_summary"]
    assert store.list_entries().empty
    assert payload_files.listed(store) == []


@pytest.mark.parametrize(
    ("size", "expected"),
    [(123, 123), ("500MB", 500_000_000), ("2GiB", 2 * 2**30), (" 1.5 kb ", 1_500), ("7", 7)],
)
def test_sizes_are_parsed(size: int | str, expected: int) -> None:
    assert parse_size(size) == expected


@pytest.mark.parametrize("size", ["lots", "5 parsecs", -1, "-3MB", True])
def test_bad_sizes_are_named(sqlite_store: bs.Store, size: object) -> None:
    with pytest.raises(bs.InputError, match="max_bytes"):
        sqlite_store.shrink(size)  # type: ignore[arg-type]


def test_a_store_at_the_first_revision_is_upgraded_with_its_data(tmp_path: Path) -> None:
    """Revision 0002 adds content_hash; rows written before keep their payloads and read back."""
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = bs.Store(url, artifact_path=tmp_path / "a", migrate=False)
    config = alembic_config()
    with old.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001_initial")
    with old.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO simulations (id, kind, params_hash, data_format, data_blob, size_bytes, "
                "checksum, created_at) VALUES ('r1', 'summary', 'k', 'json', :blob, 2, :sum, '2026-01-01')"
            ),
            {"blob": b"{}", "sum": payloads.checksum_of(b"{}")},
        )
    old.close()
    store = bs.Store(url, artifact_path=tmp_path / "a")  # opening brings it to head
    assert store.current_revision() == "0004_shared_columns"
    assert store.load_dict("summary", "k") == {}
    store.save_dataframe("positions", "k", pd.DataFrame({"a": [1.0]}))
    with store.transaction() as conn:
        hashes = dict(conn.execute(text("SELECT kind, content_hash FROM simulations")).all())
    assert hashes == {"summary": None, "positions": bs.compute_params_hash(pd.DataFrame({"a": [1.0]}))}


def test_verify_finds_and_removes_every_damaged_payload(store: bs.Store) -> None:
    store.save_dataframe("positions", "good", pd.DataFrame({"a": [1.0, 2.0]}))
    store.save_dataframe("positions", "bad", pd.DataFrame({"a": [3.0, 4.0]}))
    store.save_dict("summary", "gone", {"a": 1})
    store.save_artifact("good", "report.txt", b"fine", "text/plain")
    if store.artifact_store == "file":
        payload_files.write(
            store, payload_files.data_path(store, "positions", "bad"), b"PAR1 not what was stored"
        )
        payload_files.delete(store, payload_files.data_path(store, "summary", "gone"))
        expected = {("positions", "bad", "checksum"), ("summary", "gone", "missing")}
    else:
        with store.transaction(write=True) as conn:
            conn.execute(text("UPDATE simulations SET data_blob = :b WHERE params_hash = 'bad'"), {"b": b"x"})
        expected = {("positions", "bad", "checksum")}
    found = store.verify(dry_run=True)
    assert set(zip(found["kind"], found["params_hash"], found["problem"], strict=True)) == expected
    assert len(store.list_entries()) == 4  # a dry run removes nothing
    assert store.verify(kind="report.txt").empty
    removed = store.verify()
    assert set(zip(removed["kind"], removed["params_hash"], removed["problem"], strict=True)) == expected
    assert store.verify().empty
    assert store.load_dataframe("positions", "good") is not None
    assert store.load_artifact("good", "report.txt") == (b"fine", "text/plain")
    assert len(store.list_entries()) == 4 - len(expected)


# -- small payloads in their rows (INLINE_KB) --------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def mixed_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[bs.Store]:
    """A file-mode store with the default split: payloads up to 64 KiB in their rows, larger in files."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mixed.db'}"
    else:
        url = request.getfixturevalue("pg_database_url")
    store = bs.Store(url, "file", tmp_path / "artifacts", memory_cache_mb=0)
    with store.transaction(write=True) as conn:  # the session's PostgreSQL database: start empty
        for table in ("simulations", "artifacts", "configurations", "leases"):
            conn.execute(text(f"DELETE FROM {table}"))
    with bs.use_store(store):
        yield store
    store.close()


def _where_stored(store: bs.Store, kind: str) -> tuple[str | None, bool, int]:
    store.flush()
    with store.transaction() as conn:
        path, blob, size = conn.execute(
            text("SELECT data_path, data_blob, size_bytes FROM simulations WHERE kind = :k"), {"k": kind}
        ).one()
    return path, blob is not None, size


def test_a_small_payload_is_kept_in_its_row_and_a_large_one_in_a_file(mixed_store: bs.Store) -> None:
    assert mixed_store.inline_bytes == 64 * 1024  # the INLINE_KB default
    small = rich_frame(50)
    large = pd.DataFrame({"x": np.random.default_rng(1).normal(size=20_000)})  # 160 kB of noise
    mixed_store.save_dataframe("small_table", "k", small)
    mixed_store.save_dataframe("large_table", "k", large)
    mixed_store.save_dict("summary", "k", {"cet1_ratio": 0.131})
    path, in_row, size = _where_stored(mixed_store, "small_table")
    assert path is None and in_row and size <= mixed_store.inline_bytes
    assert _where_stored(mixed_store, "summary")[:2] == (None, True)
    path, in_row, size = _where_stored(mixed_store, "large_table")
    assert path is not None and not in_row and size > mixed_store.inline_bytes
    assert [p for p, _ in mixed_store.files.listing()] == [path]  # the one file: the large table's
    locations = mixed_store.list_entries().set_index("kind")["location"].to_dict()
    assert locations == {"small_table": "db", "large_table": "file", "summary": "db"}
    pd.testing.assert_frame_equal(mixed_store.load_dataframe("small_table", "k"), small)
    pd.testing.assert_frame_equal(mixed_store.load_dataframe("large_table", "k"), large)
    assert mixed_store.load_dict("summary", "k") == {"cet1_ratio": 0.131}
    assert mixed_store.verify().empty  # nothing damaged
    counts = bs.query(
        "SELECT (SELECT count(*) FROM small_table) AS s, (SELECT count(*) FROM large_table) AS l"
    )
    assert counts.iloc[0].tolist() == [50, 20_000]


def test_a_damaged_payload_in_a_row_is_a_logged_miss(
    mixed_store: bs.Store, caplog: pytest.LogCaptureFixture
) -> None:
    mixed_store.save_dataframe("small_table", "k", rich_frame(50))
    with mixed_store.transaction(write=True) as conn:
        blob = conn.execute(text("SELECT data_blob FROM simulations")).scalar_one()
        damaged = bytes(blob[:-20]) + bytes(b ^ 0xFF for b in blob[-20:])
        conn.execute(text("UPDATE simulations SET data_blob = :b"), {"b": damaged})
    with caplog.at_level(logging.WARNING, logger="banksim.store"):
        assert mixed_store.load_dataframe("small_table", "k") is None
    assert "checksum" in caplog.text
    assert mixed_store.list_entries().empty


def test_inline_kb_zero_puts_every_payload_in_a_file(tmp_path: Path) -> None:
    with (
        bs.override_settings(inline_kb=0),
        bs.open_store(f"sqlite:///{tmp_path / 's.db'}", artifact_path=tmp_path / "a") as store,
    ):
        store.save_dict("summary", "k", {"a": 1})
        path, in_row, _ = _where_stored(store, "summary")
        assert path is not None and not in_row
    with pytest.raises(bs.InputError, match="inline_kb") as error:
        bs.Store(f"sqlite:///{tmp_path / 's.db'}", artifact_path=tmp_path / "a", inline_kb=-1)
    assert "0 (every payload in a file)" in str(error.value)

"""The store under hostile rows and races: nothing outside its root is touched, no stored value
breaks SQL, no write is lost, verify() never removes a good row, unreadable payloads are damage,
unstamped tables are adopted or refused, a full disk is named, read-only SQL reads views only."""

from __future__ import annotations

import errno
import importlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow
import pytest
from sqlalchemy import create_engine, event, text

import banksim as bs
from banksim import store as store_module
from banksim.models import Base, utcnow
from banksim.store.engine import lock_key
from conftest import new_pg_database

FRAME = pd.DataFrame({"amount": [1.0, 2.0, 3.0]})


def _data_path(store: bs.Store, kind: str, key: str) -> str | None:
    store.flush()  # a result computed a moment ago may still be on its way (write-behind)
    with store.transaction() as conn:
        return conn.execute(
            text("SELECT data_path FROM simulations WHERE kind = :k AND params_hash = :h"),
            {"k": kind, "h": key},
        ).scalar_one_or_none()


def _point_row_at(store: bs.Store, kind: str, key: str, data_path: str) -> None:
    """What anyone who can write rows in a shared database can do."""
    with store.transaction(write=True) as conn:
        conn.execute(
            text("UPDATE simulations SET data_path = :p WHERE kind = :k AND params_hash = :h"),
            {"p": data_path, "k": kind, "h": key},
        )


def _insert_row(store: bs.Store, kind: str, key: str, frame: pd.DataFrame) -> None:
    """A row as an older banksim (or another writer) could have left it, bypassing check_kind."""
    from banksim import payloads

    payload = payloads.encode_dataframe(frame)
    with store.transaction(write=True) as conn:
        conn.execute(
            text(
                "INSERT INTO simulations (id, kind, params_hash, data_format, data_blob, data_path, row_count, "
                "size_bytes, checksum, created_at) VALUES (:id, :kind, :key, 'parquet', :blob, NULL, :rows, "
                ":size, :checksum, :now)"
            ),
            {"id": f"id-{kind[:20]}-{key}", "kind": kind, "key": key, "blob": payload.as_bytes(),
             "rows": len(frame), "size": payload.size_bytes, "checksum": payload.checksum,
             "now": utcnow()},
        )  # fmt: skip


# -- 1. nothing outside the root --------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        "absolute",
        "../../outside.txt",
        "kind=t/params_hash=k/../../../outside.txt",
        "kind=t/../../outside.txt",
    ],
)
def test_a_row_pointing_outside_the_root_is_damage_and_the_outside_file_is_untouched(
    store: bs.Store, tmp_path: Path, hostile: str
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    path = str(outside) if hostile == "absolute" else hostile
    for key in ("load", "verify", "purge", "query"):
        store.save_dataframe("t", key, FRAME)
        _point_row_at(store, "t", key, path)
    assert store.load_dataframe("t", "load") is None  # a miss, the row removed
    assert _data_path(store, "t", "load") is None
    found = store.verify(kind="t", dry_run=True)
    assert set(found["problem"]) == {"outside"}
    store.verify(kind="t")
    assert bs.query("SELECT count(*) AS n FROM configurations", store=store)["n"].iloc[0] == 0
    store.save_dataframe("t", "purge", FRAME)
    _point_row_at(store, "t", "purge", path)
    store.purge(kind="t")
    assert outside.read_text() == "precious"


def test_a_key_folder_symlinked_outside_is_not_followed(sqlite_store: bs.Store, tmp_path: Path) -> None:
    sqlite_store.save_dataframe("t", "k", FRAME)
    relative = _data_path(sqlite_store, "t", "k")
    assert relative is not None
    folder = (sqlite_store.artifact_root / relative).parent
    elsewhere = tmp_path / "elsewhere"
    folder.rename(elsewhere)  # the payload now lives outside; the folder becomes a link to it
    folder.symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / Path(relative).name).write_bytes(b"damaged, and outside the store")
    assert sqlite_store.load_dataframe("t", "k") is None
    assert (elsewhere / Path(relative).name).read_bytes() == b"damaged, and outside the store"


@pytest.mark.parametrize(
    "part", ["../../../escaped", "a/b", "nul\0", "LCR", "", "x" * 70, 3, "twice"], ids=repr
)
def test_part_names_are_validated_when_the_function_is_decorated(part: object, tmp_path: Path) -> None:
    parts = ("twice", "twice") if part == "twice" else (part, "b")
    with pytest.raises(bs.InputError, match="parts"):
        bs.cached(kind="escape", parts=parts)(lambda n: (pd.DataFrame({"n": [n]}), {"n": n}))  # type: ignore[arg-type]
    assert not any(tmp_path.parent.glob("escaped*"))


# -- 3. no stored value breaks bs.query --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["x" * 64, "configurations", "inputs"])
def test_the_store_refuses_a_kind_that_cannot_be_a_view(sqlite_store: bs.Store, kind: str) -> None:
    with pytest.raises(bs.InputError, match="kind"):
        sqlite_store.save_dict(kind, "k", {"a": 1})
    with pytest.raises(bs.InputError, match="kind"):
        bs.cached(kind=kind)(lambda: {"a": 1})
    assert sqlite_store.list_entries().empty


def test_rows_with_kinds_no_view_can_carry_are_left_out_not_fatal(store: bs.Store) -> None:
    store.save_dataframe("lcr", "k1", FRAME)
    for kind in ("x" * 64, "LCR", "inputs", "configurations"):
        _insert_row(store, kind, "k2", FRAME)
    table = bs.query("SELECT count(*) AS n FROM lcr", store=store)
    assert table["n"].iloc[0] == 3
    assert bs.query("SELECT count(*) AS n FROM inputs", store=store)["n"].iloc[0] == 0
    bs.run_pipeline(num_positions=300, seed=5)
    assert len(bs.headline_by_scenario(store)) == 1  # the ready-made queries keep working


def test_a_kind_holding_tables_and_dicts_keeps_its_tables(sqlite_store: bs.Store) -> None:
    sqlite_store.save_dataframe("mixed", "k1", FRAME)
    sqlite_store.save_dict("mixed", "k2", {"amount": "not a table"})
    assert bs.query("SELECT sum(amount) AS s FROM mixed")["s"].iloc[0] == 6.0


@bs.cached(kind="loose_arguments")
def loose(seed: object = 0, num_positions: object = 1, flag: object = False) -> dict:
    exact = isinstance(seed, float) or (isinstance(seed, int) and abs(seed) <= 2**53)
    return {"seed": str(seed), "value": seed if exact else None}


def test_arguments_of_mixed_types_give_columns_every_value_fits(store: bs.Store) -> None:
    for seed, size in ((0.5, 1), (0, "many"), (2**63, 5), (-3, None)):
        loose(seed, size, flag=seed == 0)
    calls = bs.query(
        "SELECT seed, num_positions, flag FROM configurations WHERE kind = 'loose_arguments' ORDER BY created_at",
        store=store,
    )
    # seed mixes an integer beyond int64 with a float: text; num_positions mixes text and numbers
    assert list(calls["seed"]) == ["0.5", "0", str(2**63), "-3"]
    assert list(calls["num_positions"][:3]) == ["1", '"many"', "5"] and pd.isna(calls["num_positions"][3])
    assert list(calls["flag"]) == [False, True, False, False]
    loose(7, 2)  # only integers and floats that are exact: a double column
    values = bs.query("SELECT value FROM loose_arguments ORDER BY value", store=store)["value"]
    assert values.dtype == "float64"


def test_integer_arguments_stay_integers(sqlite_store: bs.Store) -> None:
    for seed in (1, 2, 2**62):
        loose(seed)
    calls = bs.query("SELECT seed FROM configurations WHERE kind = 'loose_arguments' ORDER BY seed")
    assert calls["seed"].tolist() == [1, 2, 2**62]
    assert str(calls["seed"].dtype) in ("int64", "Int64")


def test_column_names_equal_but_for_case_do_not_break_a_dict_view(sqlite_store: bs.Store) -> None:
    sqlite_store.save_dict("summary", "k1", {"Ratio": 1.0, "ratio": 2.0, "params_hash": "forged"})
    table = bs.query("SELECT * FROM summary")
    assert table["params_hash"].tolist() == ["k1"]
    assert sorted(table.drop(columns="params_hash").iloc[0].tolist()) == [1.0, 2.0]


# -- 5. one lock per key: no lost write ---------------------------------------------------------------


def test_a_row_removed_between_a_writers_read_and_update_is_written_again(store: bs.Store) -> None:
    store.save_dataframe("t", "k", FRAME)
    removed: list[str] = []

    def remove_before_the_update(_conn, cursor, statement, _parameters, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE SIMULATIONS") and not removed:
            removed.append(statement)  # what a reader discarding the row did a moment ago
            cursor.execute("DELETE FROM simulations WHERE params_hash = 'k'")

    event.listen(store.engine, "before_cursor_execute", remove_before_the_update)
    try:
        row_id = store.save_dataframe("t", "k", FRAME * 2)
    finally:
        event.remove(store.engine, "before_cursor_execute", remove_before_the_update)
    assert removed
    with store.transaction() as conn:
        assert conn.execute(text("SELECT id FROM simulations WHERE params_hash = 'k'")).scalar_one() == row_id
    pd.testing.assert_frame_equal(store.load_dataframe("t", "k"), FRAME * 2)


def test_discarding_a_damaged_row_waits_for_the_writer_of_that_key(
    pg_database_url: str, tmp_path: Path
) -> None:
    store = bs.Store(pg_database_url, "file", tmp_path / "a", inline_kb=0)  # a payload file to damage
    try:
        store.save_dataframe("t", "k", FRAME)
        relative = _data_path(store, "t", "k")
        assert relative is not None
        (store.artifact_root / relative).write_bytes(b"damaged")
        released = threading.Event()
        with store.transaction(write=True, lock_keys=[lock_key(store_module.SIMULATIONS, "t", "k")]):
            loader = threading.Thread(target=lambda: (store.load_dataframe("t", "k"), released.set()))
            loader.start()
            assert not released.wait(0.5), "the discard did not wait for the key's writer lock"
        loader.join(10)
        assert released.is_set()
    finally:
        store.close()


# -- 6. verify() and a rewrite of identical content ---------------------------------------------------


def test_a_stale_view_of_a_rewritten_row_discards_nothing(store: bs.Store) -> None:
    store.save_dataframe("t", "k", FRAME)
    with store.transaction() as conn:
        found = conn.execute(
            text("SELECT id, data_path, checksum, size_bytes, created_at FROM simulations")
        ).one()
    stale = store_module.Row.of(found, "t", "k")
    store.save_dataframe("t", "k", FRAME)  # the same content again: same id and checksum
    assert not store._row_unchanged(store_module.SIMULATIONS, stale)  # a new file, or a new write time
    store._discard(store_module.SIMULATIONS, stale)  # what verify() did with the stale view
    pd.testing.assert_frame_equal(store.load_dataframe("t", "k"), FRAME)


@pytest.mark.slow
def test_verify_during_rewrites_of_identical_content_removes_nothing(store: bs.Store) -> None:
    if store.artifact_store != "file":
        pytest.skip("blobs are rewritten in the row itself")
    store.save_dataframe("t", "k", FRAME)
    stop = threading.Event()

    def rewrite() -> None:
        while not stop.is_set():
            store.save_dataframe("t", "k", FRAME)

    writer = threading.Thread(target=rewrite)
    writer.start()
    removed = []
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            removed.append(len(store.verify(kind="t")))
    finally:
        stop.set()
        writer.join()
    assert sum(removed) == 0
    pd.testing.assert_frame_equal(store.load_dataframe("t", "k"), FRAME)


# -- 7. no stale trust in bs.query ----------------------------------------------------------------


def test_an_in_place_change_with_the_mtime_restored_is_caught_by_the_next_query(
    sqlite_store: bs.Store,
) -> None:
    sqlite_store.save_dataframe("t", "k1", FRAME)
    sqlite_store.save_dataframe("t", "k2", FRAME)
    assert bs.query("SELECT count(*) AS n FROM t")["n"].iloc[0] == 6  # both checked and remembered
    path = sqlite_store.artifact_root / str(_data_path(sqlite_store, "t", "k2"))
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    with open(path, "r+b") as handle:  # same size, in place
        handle.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert bs.query("SELECT count(*) AS n FROM t")["n"].iloc[0] == 3
    assert _data_path(sqlite_store, "t", "k2") is None  # removed as damage


# -- 8. unreadable payloads are damage --------------------------------------------------------------


@bs.cached(kind="readable")
def readable(n: int) -> pd.DataFrame:
    calls.append(n)
    return pd.DataFrame({"n": range(n)})


calls: list[int] = []


def test_a_folder_in_a_payloads_place_is_a_miss_everywhere(sqlite_store: bs.Store) -> None:
    calls.clear()
    readable(3)
    relative = _data_path(sqlite_store, "readable", readable.key(3))
    assert relative is not None
    path = sqlite_store.artifact_root / relative
    path.unlink()
    path.mkdir()
    assert sqlite_store.verify(dry_run=True)["problem"].tolist() == ["checksum"]
    assert bs.query("SELECT count(*) AS n FROM configurations")["n"].iloc[0] == 1  # no crash
    assert bs.query("SELECT count(*) AS n FROM duckdb_views() WHERE view_name = 'readable'")["n"].iloc[0] == 0
    frame, hit = readable(3)
    assert not hit and calls == [3, 3] and len(frame) == 3


def test_an_io_error_reading_a_payload_is_a_logged_miss(
    store: bs.Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    if not isinstance(store.files, store_module.LocalFiles) or store.artifact_store != "file":
        pytest.skip("local files only: other backends do not read through a memory map")
    store.save_dataframe("t", "k", FRAME)
    store.recent.clear()

    def failing(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(pyarrow, "memory_map", failing)
    assert store.load_dataframe("t", "k") is None
    assert "could not be read" in caplog.text


# -- 9. tables without a migration stamp --------------------------------------------------------------


@pytest.fixture
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: SQLite, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with new_pg_database("banksim_adopt") as url:
        yield url


@pytest.mark.parametrize("empty_database", ["sqlite", "postgresql"], indirect=True)
def test_tables_made_by_create_all_are_adopted(empty_database: str, tmp_path: Path) -> None:
    url = empty_database
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    store = bs.Store(url, "file", tmp_path / "a")
    try:
        assert store.current_revision() == "0004_shared_columns"
        store.save_dict("note", "k", {"a": 1})
        assert store.load_dict("note", "k") == {"a": 1}
    finally:
        store.close()


@pytest.mark.parametrize("empty_database", ["sqlite", "postgresql"], indirect=True)
def test_tables_of_another_shape_are_refused_with_what_to_do(empty_database: str, tmp_path: Path) -> None:
    url = empty_database
    engine = create_engine(url)
    with engine.begin() as conn:  # the seed project's own tables
        conn.execute(text("CREATE TABLE configurations (params_hash VARCHAR(64) PRIMARY KEY, params_json TEXT, "
                          "created_at TIMESTAMP, updated_at TIMESTAMP)"))  # fmt: skip
        conn.execute(text("CREATE TABLE simulations (id VARCHAR(36) PRIMARY KEY, kind VARCHAR(64), "
                          "params_hash VARCHAR(64), data_format VARCHAR(16), data_path TEXT, row_count INTEGER, "
                          "created_at TIMESTAMP)"))  # fmt: skip
        conn.execute(text("INSERT INTO configurations VALUES ('k', '{}', NULL, NULL)"))
    with pytest.raises(
        bs.SchemaVersionError,
        match=r"no banksim schema revision.*simulations lacks [a-z_, ]*checksum.*DB_URL",
    ):
        bs.Store(url, "file", tmp_path / "a")
    with engine.connect() as conn:  # refused means untouched
        assert conn.execute(text("SELECT count(*) FROM configurations")).scalar_one() == 1
        assert "alembic_version" not in conn.dialect.get_table_names(conn)
    engine.dispose()


# -- 12. a full disk ----------------------------------------------------------------------------------


def test_a_full_disk_names_artifact_path_and_leaves_nothing(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(bs.StoreError, match=r"ARTIFACT_PATH=.*disk is full"):
        sqlite_store.save_dataframe("t", "k", FRAME)
    monkeypatch.undo()
    assert sqlite_store.list_entries().empty
    assert not [p for p in sqlite_store.artifact_root.rglob("*") if p.is_file()]


# -- 13. read-only SQL ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY (SELECT 1 AS a) TO '{target}'",
        "COPY (SELECT 1 AS a) TO '{payload}' (FORMAT csv, USE_TMP_FILE false)",
        "ATTACH '{target}.db' AS other",
        "INSTALL httpfs",
        "LOAD '{target}.duckdb_extension'",
        "SET enable_external_access = true",
        "SELECT * FROM secret_frame",
    ],
)
def test_read_only_sql_reads_the_views_and_nothing_else(store: bs.Store, tmp_path: Path, sql: str) -> None:
    store.save_dataframe("t", "k", FRAME)
    secret_frame = pd.DataFrame({"password": ["hunter2"]})  # a Python variable DuckDB could scan
    assert len(secret_frame) == 1
    target = tmp_path / "written.csv"
    local = isinstance(store.files, store_module.LocalFiles) and store.artifact_store == "file"
    payload = store.artifact_root / str(_data_path(store, "t", "k")) if local else target
    with pytest.raises(Exception, match=r"(?i)permission|disabled|configuration|not exist|catalog"):
        bs.query(sql.format(target=target, payload=payload), store=store, read_only=True)
    assert not target.exists() and not Path(f"{target}.db").exists()
    assert bs.query("SELECT sum(amount) AS s FROM t", store=store, read_only=True)["s"].iloc[0] == 6.0
    pd.testing.assert_frame_equal(store.load_dataframe("t", "k"), FRAME)


def test_read_only_is_a_bool(sqlite_store: bs.Store) -> None:
    with pytest.raises(bs.InputError, match="read_only"):
        bs.query("SELECT 1", read_only="yes")  # type: ignore[arg-type]


# -- opening a store ---------------------------------------------------------------------------------


def test_schema_revision_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from banksim.models import SCHEMA_REVISION

    assert ScriptDirectory.from_config(store_module.alembic_config()).get_current_head() == SCHEMA_REVISION


def test_opening_a_store_at_head_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    bs.Store(url, artifact_path=tmp_path / "a").close()  # migrates
    code = (
        "import sys, banksim as bs\n"
        f"store = bs.Store({url!r}, artifact_path={str(tmp_path / 'a')!r})\n"
        "assert store.current_revision() == '0004_shared_columns'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# -- arguments of the store and the cache ---------------------------------------------------------


@pytest.mark.parametrize("url", ["foo://bar", "notaurl", "", 3])
def test_a_store_on_a_bad_database_url_is_a_named_error(url: object, tmp_path: Path) -> None:
    with pytest.raises(bs.InputError, match="db_url"):
        bs.Store(url, "file", tmp_path / "a")  # type: ignore[arg-type]
    assert not (tmp_path / "a").exists()


def test_use_cache_must_be_a_bool(sqlite_store: bs.Store) -> None:
    with pytest.raises(bs.InputError, match="use_cache"):
        loose(1, use_cache="no")  # type: ignore[call-arg]
    assert sqlite_store.list_entries().empty


def test_orphans_can_be_listed_before_they_are_removed(sqlite_store: bs.Store) -> None:
    sqlite_store.save_dataframe("t", "k", FRAME)
    stray = sqlite_store.artifact_root / "kind=t" / "params_hash=k" / ".tmp-crashed"
    stray.write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(stray, (two_hours_ago, two_hours_ago))
    assert sqlite_store.remove_orphans(dry_run=True) == ["kind=t/params_hash=k/.tmp-crashed"]
    assert stray.exists()
    assert sqlite_store.remove_orphans() == ["kind=t/params_hash=k/.tmp-crashed"]
    assert not stray.exists()
    pd.testing.assert_frame_equal(sqlite_store.load_dataframe("t", "k"), FRAME)


def test_a_full_database_names_db_url_and_stores_nothing(tmp_path: Path) -> None:
    store = bs.Store(f"sqlite:///{tmp_path / 'full.db'}", "db", tmp_path / "a")
    try:
        with store.transaction() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()

        @event.listens_for(store.engine, "connect")
        def _no_room(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

        store.engine.dispose()  # new connections get the cap
        with pytest.raises(bs.StoreError, match=r"DB_URL=sqlite:.*full.*nothing was stored"):
            store.save_dict("note", "k", {"text": "y" * 400_000})
        assert store.list_entries().empty
    finally:
        store.close()


def test_a_result_replaced_while_a_query_runs_does_not_fail_it(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    query_module = importlib.import_module("banksim.query")  # bs.query is the function
    sqlite_store.save_dataframe("t", "k1", FRAME)
    sqlite_store.save_dataframe("t", "k2", FRAME)
    built = query_module.connect
    rewrites: list[str] = []

    def connect_then_rewrite(*args, **kwargs):  # type: ignore[no-untyped-def]
        connection = built(*args, **kwargs)
        if not rewrites:  # another process replaces k2 between the views and the SQL
            rewrites.append("k2")
            sqlite_store.save_dataframe("t", "k2", FRAME * 10)
        return connection

    monkeypatch.setattr(query_module, "connect", connect_then_rewrite)
    assert bs.query("SELECT sum(amount) AS s FROM t")["s"].iloc[0] == 6.0 + 60.0
    assert rewrites == ["k2"]

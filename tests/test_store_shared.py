"""Shared columns: a table repeating most columns of a stored table of its kind is stored as the
columns it changes, and reads back exactly; its base never goes without it (banksim.store.shared)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

import banksim as bs
from banksim.hashing import compute_params_hash, frame_digests, known_frame_key
from banksim.store import shared
from banksim.store.core import Store
from conftest import new_pg_database

calls: list[float] = []
ROWS = 5000


def _bank(shift: float, moved: int, index: bool) -> pd.DataFrame:
    """Six columns of which the first ``moved`` numeric ones move with ``shift``."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "position_id": [f"P{i:06d}" for i in range(ROWS)],
            "segment": pd.Categorical(rng.choice(["retail", "corporate", "sovereign"], ROWS)),
            "flag": rng.random(ROWS) > 0.5,
            "pd": np.full(ROWS, 0.01),
            "lgd": np.full(ROWS, 0.45),
            "ead": rng.lognormal(10, 1, ROWS),
        }
    )
    for name in ("pd", "lgd", "ead")[:moved]:
        frame[name] = frame[name] * (1 + shift)
    if index:
        frame.index = pd.Index([f"row{i}" for i in range(ROWS)], name="row")
    return frame


@bs.cached(kind="sh_table")
def table(shift: float, moved: int = 1, index: bool = False) -> pd.DataFrame:
    calls.append(shift)
    return _bank(shift, moved, index)


def _rows(store: Store, kind: str = "sh_table") -> list[Any]:
    with store.transaction() as conn:
        query = text(
            "SELECT id, params_hash, data_format, base_id, data_path, size_bytes, created_at "
            "FROM simulations WHERE kind = :k ORDER BY created_at"
        )
        return list(conn.execute(query, {"k": kind}))


def _reopened(store: Store, **options: Any) -> Store:
    """Another store on the same database and payloads, with nothing in memory."""
    inline_kb = store.inline_bytes // 1024
    return Store(
        store.url,
        store.artifact_store,
        store.artifact_root,
        memory_cache_mb=0,
        inline_kb=inline_kb,
        **options,
    )


def _base_and_part(store: Store) -> tuple[Any, Any]:
    """Store ``table(0.0)`` whole and ``table(0.5)`` against it; their rows."""
    table(0.0)
    table(0.5)
    store.flush()
    full, part = _rows(store)
    return full, part


def _age(store: Store, row_id: str) -> None:
    """Make a row look written in 2020."""
    with store.transaction(write=True) as conn:
        old = text("UPDATE simulations SET created_at = '2020-01-01 00:00:00.000000' WHERE id = :id")
        conn.execute(old, {"id": row_id})


def _same(loaded: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(loaded, expected, check_exact=True)
    assert compute_params_hash(loaded) == compute_params_hash(expected.copy(deep=True))
    key = known_frame_key(loaded)  # a seeded key must be the content's own
    assert key is None or key == compute_params_hash(loaded.copy(deep=True))


def test_a_table_sharing_most_columns_is_stored_as_the_columns_it_changes(store: Store) -> None:
    calls.clear()
    table(0.0)
    table(0.5)
    store.flush()
    full, part = _rows(store)
    assert (full.data_format, full.base_id) == ("parquet", None)
    assert (part.data_format, part.base_id) == ("parquet+base", full.id)
    assert part.size_bytes < full.size_bytes / 4  # one numeric column of six, no ids
    other = _reopened(store)
    with bs.use_store(other):
        loaded, hit = table(0.5)
    other.close()
    assert hit and calls == [0.0, 0.5]
    _same(loaded, _bank(0.5, 1, False))


def test_a_table_with_its_own_index_reads_back_with_it(sqlite_store: Store) -> None:
    table(0.0, index=True)
    table(0.25, index=True)
    sqlite_store.flush()
    assert [row.data_format for row in _rows(sqlite_store)] == ["parquet", "parquet+base"]
    other = _reopened(sqlite_store)
    with bs.use_store(other):
        loaded, _ = table(0.25, index=True)
    other.close()
    _same(loaded, _bank(0.25, 1, True))


def test_a_table_changing_more_than_half_its_columns_is_stored_whole(sqlite_store: Store) -> None:
    table(0.0, moved=3)
    table(0.5, moved=3)  # pd, lgd, ead and nothing else: three of six is not more than half shared
    table(0.5, moved=2)  # against the first table: two of six changed
    sqlite_store.flush()
    formats = [row.data_format for row in _rows(sqlite_store)]
    assert formats == ["parquet", "parquet", "parquet+base"]


def test_which_columns_differ_needs_the_same_rows_index_and_labels() -> None:
    base = frame_digests(_bank(0.0, 1, False))
    assert shared.shared_columns(base, frame_digests(_bank(0.5, 1, False))) == [3]
    assert shared.shared_columns(base, frame_digests(_bank(0.0, 1, False))) == []
    assert shared.shared_columns(base, frame_digests(_bank(0.0, 1, True))) is None  # another index
    assert shared.shared_columns(base, frame_digests(_bank(0.0, 1, False).iloc[:-1])) is None  # rows
    renamed = _bank(0.0, 1, False).rename(columns={"ead": "exposure"})
    assert shared.shared_columns(base, frame_digests(renamed)) is None
    reordered = _bank(0.0, 1, False)[["segment", "position_id", "flag", "pd", "lgd", "ead"]]
    assert shared.shared_columns(base, frame_digests(reordered)) is None
    retyped = _bank(0.0, 1, False).astype({"flag": "int8"})
    assert shared.shared_columns(base, frame_digests(retyped)) == [2]  # the dtype is the column's
    small = frame_digests(_bank(0.0, 1, False).iloc[: shared.MIN_ROWS - 1])
    assert shared.shared_columns(small, small) is None


def test_the_setting_turns_it_off(tmp_path: Path) -> None:
    with bs.override_settings(share_columns=False):
        store = Store(f"sqlite:///{tmp_path / 'off.db'}", "file", tmp_path / "a")
    assert store.bases is None
    with bs.use_store(store):
        table(0.0)
        table(0.5)
        store.flush()
    assert [row.data_format for row in _rows(store)] == ["parquet", "parquet"]
    store.close()
    with pytest.raises(bs.InputError, match="SHARE_COLUMNS"):
        bs.Settings(share_columns="no")  # type: ignore[arg-type]


def test_reading_a_table_whose_base_row_is_gone_is_a_logged_miss(
    sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    calls.clear()
    full, part = _base_and_part(sqlite_store)
    with sqlite_store.transaction(write=True) as conn:  # behind the store's back: no cascade
        conn.execute(text("DELETE FROM simulations WHERE id = :id"), {"id": full.id})
    report = sqlite_store.verify(dry_run=True)
    assert report[["kind", "problem"]].values.tolist() == [["sh_table", "base"]]
    other = _reopened(sqlite_store)
    with bs.use_store(other), caplog.at_level(logging.WARNING, logger="banksim.store"):
        loaded, hit = table(0.5)
        other.flush()
    other.close()
    assert not hit and calls == [0.0, 0.5, 0.5]
    assert f"its base (row {full.id}) is gone" in caplog.text
    _same(loaded, _bank(0.5, 1, False))
    assert [(row.data_format, row.id == part.id) for row in _rows(sqlite_store)] == [("parquet", False)]
    assert not (sqlite_store.files.root / part.data_path).exists()


def test_a_damaged_base_is_removed_with_the_tables_stored_against_it(sqlite_store: Store) -> None:
    full, part = _base_and_part(sqlite_store)
    (sqlite_store.files.root / full.data_path).write_bytes(b"not parquet")
    other = _reopened(sqlite_store)
    with bs.use_store(other):
        assert table.load(0.5) is None
    other.close()
    assert _rows(sqlite_store) == []
    assert not (sqlite_store.files.root / part.data_path).exists()
    with sqlite_store.transaction() as conn:  # the dependent's call had no other part: gone whole
        left = conn.execute(text("SELECT params_hash FROM configurations")).scalars().all()
    assert part.params_hash not in left


def test_purging_a_base_purges_the_tables_stored_against_it(sqlite_store: Store) -> None:
    full, part = _base_and_part(sqlite_store)
    _age(sqlite_store, full.id)
    purged = sqlite_store.purge(older_than="1d")
    assert sorted(purged["params_hash"]) == sorted([full.params_hash, part.params_hash])  # listed too
    assert _rows(sqlite_store) == []
    assert not (sqlite_store.files.root / part.data_path).exists()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            yield f"sqlite:///{tmp_path / 'race.db'}"
        else:
            yield stack.enter_context(new_pg_database("banksim_test_shared"))


def test_a_base_purged_before_the_commit_leaves_the_table_stored_whole(
    database_url: str, tmp_path: Path
) -> None:
    calls.clear()
    writer = Store(database_url, "file", tmp_path / "a", write_behind_mb=0)
    other = Store(database_url, "file", tmp_path / "a")
    with bs.use_store(writer):
        table(0.0)
        other.purge()  # another process: the writer still holds the base as a candidate
        table(0.5)
    assert [row.data_format for row in _rows(writer)] == ["parquet"]
    reader = _reopened(writer)
    with bs.use_store(reader):
        loaded, hit = table(0.5)
    assert hit
    _same(loaded, _bank(0.5, 1, False))
    for opened in (writer, other, reader):
        opened.close()


def test_sql_sees_every_table_whole(store: Store) -> None:
    for shift in (0.0, 0.5, 1.0):
        table(shift)
    store.flush()
    assert sorted(row.data_format for row in _rows(store)) == ["parquet", "parquet+base", "parquet+base"]
    expected = {table.key(shift): _bank(shift, 1, False) for shift in (0.0, 0.5, 1.0)}
    for read_only in (False, True):
        got = bs.query(
            "SELECT params_hash, count(*) AS n, sum(pd) AS pd, sum(ead) AS ead, "
            "count(DISTINCT position_id) AS ids, sum(CASE WHEN flag THEN 1 ELSE 0 END) AS flags "
            "FROM sh_table GROUP BY params_hash",
            store,
            read_only=read_only,
        ).set_index("params_hash")
        assert set(got.index) == set(expected)
        for key, frame in expected.items():
            assert got.loc[key, "n"] == got.loc[key, "ids"] == ROWS
            assert got.loc[key, "pd"] == pytest.approx(frame["pd"].sum(), rel=1e-12)
            assert got.loc[key, "ead"] == pytest.approx(frame["ead"].sum(), rel=1e-12)
            assert got.loc[key, "flags"] == int(frame["flag"].sum())


def test_stressed_runs_read_back_equal_to_a_full_computation(tmp_path: Path) -> None:
    """The pipeline's own tables: a baseline and two stressed runs, read back from a fresh store
    equal, table by table, to the same runs computed in full in a store that shares nothing."""
    scenarios = bs.scenario_grid(pd_multiplier=[1.0, 2.0], house_price_change=[0.0, -0.2])
    store = Store(f"sqlite:///{tmp_path / 'runs.db'}", "file", tmp_path / "a")
    with bs.use_store(store):
        for scenario in scenarios:
            bs.run_pipeline(3000, 5, scenario=scenario)
        store.flush()
    with store.transaction() as conn:
        shared_rows = conn.execute(
            text("SELECT count(*) FROM simulations WHERE base_id IS NOT NULL")
        ).scalar()
    assert shared_rows >= 6  # positions, RWA, ECL and liquidity lines of the stressed runs at least
    reader = _reopened(store)
    plain = Store(f"sqlite:///{tmp_path / 'plain.db'}", "file", tmp_path / "p", share_columns=False)
    for scenario in scenarios:
        with bs.use_store(reader):
            loaded = bs.run_pipeline(3000, 5, scenario=scenario)
        with bs.use_store(plain):
            full = bs.run_pipeline(3000, 5, scenario=scenario, incremental=False)
        assert all(step["hit"] in (True, None) for step in loaded.steps.values())
        for name, value in full.outputs.items():
            if isinstance(value, pd.DataFrame):
                _same(loaded.outputs[name], value)
    for opened in (store, reader, plain):
        opened.close()


@bs.cached(kind="sh_copy")
def same_table(shift: float, label: str) -> pd.DataFrame:
    """Another function's table with the same content as ``table(shift)``: ``label`` only keys it."""
    return _bank(shift, 1, False)


def test_a_table_stored_already_under_another_key_is_not_encoded_again(sqlite_store: Store) -> None:
    table(0.0)
    table(0.5)
    same_table(0.0, "a")  # the content of a whole table: no columns against it
    same_table(0.5, "b")  # the content of a shared-columns table: its payload copied, same base
    sqlite_store.flush()
    full, part = _rows(sqlite_store)
    whole_copy, part_copy = _rows(sqlite_store, "sh_copy")
    assert (whole_copy.data_format, whole_copy.base_id) == ("parquet+base", full.id)
    assert whole_copy.size_bytes < 5000  # the file of no columns: metadata only
    assert (part_copy.data_format, part_copy.base_id) == ("parquet+base", full.id)
    root = sqlite_store.files.root
    assert (root / part_copy.data_path).read_bytes() == (root / part.data_path).read_bytes()
    other = _reopened(sqlite_store)
    with bs.use_store(other):
        _same(same_table(0.0, "a")[0], _bank(0.0, 1, False))
        _same(same_table(0.5, "b")[0], _bank(0.5, 1, False))
    other.close()


@bs.cached(kind="sh_base")
def base_table(version: int) -> pd.DataFrame:
    """A table whose content the test changes under one key (``version`` is not part of it)."""
    return _bank(0.0 if version == 1 else 0.3, 1, False)


def test_a_base_rewritten_with_other_content_takes_the_tables_stored_against_it(
    sqlite_store: Store,
) -> None:
    base_table(1)
    sqlite_store.flush()
    same_table(0.0, "against the base")  # stored as no columns against base_table's row
    sqlite_store.flush()
    (dependent,) = _rows(sqlite_store, "sh_copy")
    (base,) = _rows(sqlite_store, "sh_base")
    assert dependent.base_id == base.id
    sqlite_store.save_dataframe("sh_base", base_table.key(1), _bank(0.3, 1, False))  # same key, new content
    assert _rows(sqlite_store, "sh_copy") == []
    assert not (sqlite_store.files.root / dependent.data_path).exists()


def test_a_table_is_never_stored_against_the_row_it_replaces(sqlite_store: Store) -> None:
    """Computing a stored key again (``use_cache=False``) finds the row it replaces holding the same
    content: the table is stored whole, not against that row."""
    table(0.0)
    table(0.0, use_cache=False)
    sqlite_store.flush()
    (row,) = _rows(sqlite_store)
    assert (row.data_format, row.base_id) == ("parquet", None)
    other = _reopened(sqlite_store)
    with bs.use_store(other):
        _same(table(0.0)[0], _bank(0.0, 1, False))
    other.close()


def test_a_base_whose_file_is_gone_is_removed_with_its_dependents_once(sqlite_store: Store) -> None:
    """A base row whose payload file went missing is discarded (and what was stored against it): the
    next call computes once and stores its table whole, never against the broken base again."""
    calls.clear()
    table(0.0)
    table(0.5)
    sqlite_store.flush()
    full, _ = _rows(sqlite_store)
    (sqlite_store.files.root / full.data_path).unlink()
    other = _reopened(sqlite_store)
    with bs.use_store(other):
        for _ in range(3):
            loaded, _hit = table(0.5)
            other.flush()
    other.close()
    assert calls == [0.0, 0.5, 0.5]  # computed again once, then loaded
    assert [row.data_format for row in _rows(sqlite_store)] == ["parquet"]
    _same(loaded, _bank(0.5, 1, False))


@bs.cached(kind="sh_labelled")
def labelled(shift: float, name: str) -> pd.DataFrame:
    frame = _bank(shift, 1, False)
    frame.attrs = {"source": name}
    frame.columns.name = name
    return frame


def test_a_table_with_attrs_or_a_named_column_index_is_stored_whole(sqlite_store: Store) -> None:
    """Its key covers neither, so it never shares columns (it reads back with its own)."""
    table(0.0)
    labelled(0.0, "mine")
    labelled(0.5, "yours")
    sqlite_store.flush()
    assert [row.data_format for row in _rows(sqlite_store, "sh_labelled")] == ["parquet", "parquet"]
    other = _reopened(sqlite_store)
    with bs.use_store(other):
        loaded, hit = labelled(0.5, "yours")
    other.close()
    assert hit and loaded.attrs == {"source": "yours"} and loaded.columns.name == "yours"


def test_a_database_error_reading_a_base_raises_and_removes_nothing(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    table(0.0)
    table(0.5)
    sqlite_store.flush()
    before = _rows(sqlite_store)
    other = _reopened(sqlite_store)

    def unreachable(row_id: str | None) -> Any:
        raise OperationalError("SELECT ...", {}, Exception("server closed the connection"))

    monkeypatch.setattr(other, "row_by_id", unreachable)
    with bs.use_store(other), pytest.raises(OperationalError):
        table.load(0.5)
    other.close()
    assert _rows(sqlite_store) == before


def test_a_purge_lists_and_removes_the_calls_stored_against_what_it_removes(sqlite_store: Store) -> None:
    full, part = _base_and_part(sqlite_store)
    _age(sqlite_store, full.id)
    listed = sqlite_store.purge(older_than="7d", dry_run=True)
    assert sorted(listed["params_hash"]) == sorted([full.params_hash, part.params_hash])
    sqlite_store.purge(older_than="7d")
    with sqlite_store.transaction() as conn:
        left = conn.execute(text("SELECT count(*) FROM configurations")).scalar()
    assert _rows(sqlite_store) == [] and left == 0


# -- patches: the rows a table changes ------------------------------------------------------------


def _wide(stressed: bool) -> pd.DataFrame:
    """Twelve columns; stressed, four of them change on a few rows each: a float, a categorical, a
    boolean, and a zero that turns into a negative zero (the same number, other bits)."""
    frame = _bank(0.0, 0, False)
    rng = np.random.default_rng(11)
    for i in range(6):
        frame[f"x{i}"] = rng.random(ROWS)
    frame.loc[70, "lgd"] = 0.0
    if stressed:
        frame.loc[:49, "ead"] *= 1.5
        frame.loc[50:59, "segment"] = "sovereign"
        frame.loc[60:69, "flag"] = ~frame.loc[60:69, "flag"]
        frame.loc[70, "lgd"] = -0.0
    return frame


@bs.cached(kind="sh_rows")
def rows_table(stressed: bool) -> pd.DataFrame:
    return _wide(stressed)


def _patch_metadata(store: Store, row: Any) -> dict[str, Any]:
    return shared.described_base((store.files.root / row.data_path).read_bytes())


def _stressed_against_base(store: Store, function: Any, kind: str) -> tuple[Any, Any, Any]:
    """Store ``function(False)`` then ``function(True)`` (the first kept by the caller: the base is in
    memory when the next is written); its two rows, the second stored against the first, and the base."""
    base, _ = function(False)
    function(True)
    store.flush()
    full, part = _rows(store, kind)
    assert (part.data_format, part.base_id) == ("parquet+base", full.id)
    return full, part, base


def _read_back(store: Store, function: Any) -> pd.DataFrame:
    """``function(True)`` read by another store on the same database, nothing in memory: a hit."""
    other = _reopened(store)
    with bs.use_store(other):
        loaded, hit = function(True)
    other.close()
    assert hit
    return loaded


def test_a_table_changing_a_few_rows_is_stored_as_the_rows_it_changes(store: Store) -> None:
    _, part, base = _stressed_against_base(store, rows_table, "sh_rows")
    whole_columns = _wide(True)[["segment", "flag", "lgd", "ead"]]
    assert part.size_bytes < len(whole_columns.to_parquet()) / 4  # 71 rows of four columns, not 5,000
    # the negative zero included: its bits, not its value, were compared
    _same(_read_back(store, rows_table), _wide(True))
    assert base is not None


def test_sql_sees_a_patched_table_whole(sqlite_store: Store) -> None:
    base, _ = rows_table(False)
    rows_table(True)
    sqlite_store.flush()
    _, part = _rows(sqlite_store, "sh_rows")
    assert _patch_metadata(sqlite_store, part).get("patch") is True
    for read_only in (False, True):
        got = bs.query(
            "SELECT params_hash, count(*) AS n, sum(ead) AS ead, sum(CASE WHEN flag THEN 1 ELSE 0 END) AS "
            "flags, sum(CASE WHEN segment = 'sovereign' THEN 1 ELSE 0 END) AS sovereign FROM sh_rows "
            "GROUP BY params_hash",
            sqlite_store,
            read_only=read_only,
        ).set_index("params_hash")
        for stressed in (False, True):
            frame = _wide(stressed)
            found = got.loc[rows_table.key(stressed)]
            assert found["n"] == ROWS
            assert found["ead"] == pytest.approx(frame["ead"].sum(), rel=1e-12)
            assert found["flags"] == int(frame["flag"].sum())
            assert found["sovereign"] == int((frame["segment"] == "sovereign").sum())
    assert base is not None


def test_a_base_changed_in_memory_since_it_was_stored_gives_no_patch(sqlite_store: Store) -> None:
    """The rows are found against the base's table in memory only if each column compared holds what
    the stored base holds (by its digest): a caller's table written to since is not the base."""
    base, _ = rows_table(False)
    base.loc[:, "ead"] = 1.0  # the caller's table, no longer what was stored (copy-on-write)
    rows_table(True)
    sqlite_store.flush()
    _, part = _rows(sqlite_store, "sh_rows")
    assert part.data_format == "parquet+base"
    assert "patch" not in _patch_metadata(sqlite_store, part)  # whole columns
    other = _reopened(sqlite_store)
    with bs.use_store(other):
        _same(rows_table(True)[0], _wide(True))
    other.close()


def test_a_patch_whose_rows_are_not_within_its_base_is_refused() -> None:
    base = _wide(False)
    digests = frame_digests(_wide(True))
    changed = shared.shared_columns(frame_digests(base), digests)
    assert changed == [1, 2, 4, 5]  # segment, flag, lgd, ead
    payload = shared.encode(
        _wide(True), shared.Base("row", "sum", frame_digests(base), base), changed, digests
    )
    assert shared.described_base(payload.data).get("patch") is True
    _same(shared.decode(payload.data, base, True, digests.key()), _wide(True))
    with pytest.raises(ValueError, match="rows"):
        shared.decode(payload.data, base.iloc[:60].reset_index(drop=True), True, None)
    with pytest.raises(ValueError, match="patch's rows"):
        shared._patch_rows(np.array([3, 2]), 10)


def test_a_categorical_with_its_categories_reordered_is_no_patch() -> None:
    """pandas counts unordered categoricals with reordered categories as one dtype; their codes mean
    other values, so such a column is stored whole and reads back as it was."""
    base = _wide(False)
    stressed = base.copy()
    codes = base["segment"].cat.codes.to_numpy().copy()
    codes[:10] = (codes[:10] + 1) % 3
    stressed["segment"] = pd.Categorical.from_codes(
        codes, categories=list(base["segment"].cat.categories)[::-1]
    )
    digests = frame_digests(stressed)
    changed = shared.shared_columns(frame_digests(base), digests)
    payload = shared.encode(stressed, shared.Base("row", "sum", frame_digests(base), base), changed, digests)
    assert "patch" not in shared.described_base(payload.data)
    _same(shared.decode(payload.data, base, True, digests.key()), stressed)


def _dated(stressed: bool) -> pd.DataFrame:
    """``_wide``'s table with a date and a duration column (no time zone); stressed, each changes on
    ten rows."""
    frame = _wide(False)
    frame["maturity"] = pd.Timestamp("2030-01-01") + pd.to_timedelta(np.arange(ROWS), "D")
    frame["tenor"] = pd.to_timedelta(np.arange(ROWS), "D")
    if stressed:
        frame.loc[:9, "maturity"] += pd.Timedelta(days=365)
        frame.loc[10:19, "tenor"] *= 2
    return frame


@bs.cached(kind="sh_dates")
def dates_table(stressed: bool) -> pd.DataFrame:
    return _dated(stressed)


def test_date_columns_changing_a_few_rows_are_stored_as_those_rows(sqlite_store: Store) -> None:
    _, part, base = _stressed_against_base(sqlite_store, dates_table, "sh_dates")
    assert _patch_metadata(sqlite_store, part).get("patch") is True  # 20 rows, not whole columns
    _same(_read_back(sqlite_store, dates_table), _dated(True))
    assert base is not None

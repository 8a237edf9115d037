"""The in-memory tier: repeated hits skip the payload read, yet never serve a changed result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import banksim as bs
from banksim import payloads
from banksim.recent import RecentPayloads


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The formats of the payloads decoded from files or blobs, in order."""
    decoded: list[str] = []
    real = payloads.decode

    def counting(format: str, data: Any, content_hash: str | None = None) -> Any:
        decoded.append(format)
        return real(format, data, content_hash)

    monkeypatch.setattr(payloads, "decode", counting)
    return decoded


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "amount": [1.0, 2.0, 3.0],
            "rating": pd.Categorical(["AAA", "BB", "AAA"]),
            "name": pd.Series(["a", "b", "c"], dtype="str"),
        }
    )


def test_second_load_is_served_from_memory(store: bs.Store, reads: list[str]) -> None:
    store.save_dataframe("positions", "k1", frame())
    store.save_dict("summary", "k1", {"lcr": 1.5, "lines": [1, 2]})
    store.save_artifact("k1", "report.xlsx", b"PK\x03\x04", "application/octet-stream")
    for _ in range(3):
        pd.testing.assert_frame_equal(store.load_dataframe("positions", "k1"), frame())
        assert store.load_dict("summary", "k1") == {"lcr": 1.5, "lines": [1, 2]}
        assert store.load_artifact("k1", "report.xlsx") == (b"PK\x03\x04", "application/octet-stream")
    assert reads == ["parquet", "json", "blob"]  # each payload read once, then from memory
    assert store.recent.hits == 6 and len(store.recent) == 3


MUTATIONS: dict[str, Callable[[pd.DataFrame], None]] = {
    "set a cell with loc": lambda df: df.__setitem__("amount", df["amount"].where(df.index != 0, 99.0)),
    "loc assignment": lambda df: df.loc.__setitem__((0, "amount"), 99.0),
    "iloc assignment": lambda df: df.iloc.__setitem__((1, 0), -1.0),
    "replace a column": lambda df: df.__setitem__("amount", 0.0),
    "add a column": lambda df: df.__setitem__("extra", 1),
    "delete a column": lambda df: df.__delitem__("name"),
    "update in place": lambda df: df.update(pd.DataFrame({"amount": [5.0]})),
    "rename categories": lambda df: df.__setitem__("rating", df["rating"].cat.rename_categories(["x", "y"])),
    "masked assignment": lambda df: df.loc.__setitem__((df["amount"] > 1, "amount"), np.nan),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_changing_a_result_does_not_change_the_next_hit(
    sqlite_store: bs.Store, reads: list[str], mutation: str
) -> None:
    sqlite_store.save_dataframe("positions", "k1", frame())
    first = sqlite_store.load_dataframe("positions", "k1")
    MUTATIONS[mutation](first)
    second = sqlite_store.load_dataframe("positions", "k1")
    MUTATIONS[mutation](second)
    pd.testing.assert_frame_equal(sqlite_store.load_dataframe("positions", "k1"), frame())
    assert reads == ["parquet"]


def test_numpy_views_of_a_hit_are_read_only(sqlite_store: bs.Store) -> None:
    sqlite_store.save_dataframe("positions", "k1", frame())
    sqlite_store.load_dataframe("positions", "k1")
    values = sqlite_store.load_dataframe("positions", "k1")["amount"].to_numpy()
    with pytest.raises(ValueError, match="read-only"):
        values[0] = 99.0
    assert sqlite_store.load_dataframe("positions", "k1")["amount"].tolist() == [1.0, 2.0, 3.0]


def test_changing_a_dict_result_does_not_change_the_next_hit(sqlite_store: bs.Store) -> None:
    sqlite_store.save_dict("summary", "k1", {"lcr": 1.5, "lines": [1, 2]})
    first = sqlite_store.load_dict("summary", "k1")
    assert first is not None
    first["lines"].append(3)
    first["lcr"] = 0.0
    assert sqlite_store.load_dict("summary", "k1") == {"lcr": 1.5, "lines": [1, 2]}


def test_a_replaced_result_is_read_again(store: bs.Store, reads: list[str]) -> None:
    store.save_dataframe("positions", "k1", frame())
    store.load_dataframe("positions", "k1")
    changed = frame().assign(amount=[7.0, 8.0, 9.0])
    store.save_dataframe("positions", "k1", changed)
    pd.testing.assert_frame_equal(store.load_dataframe("positions", "k1"), changed)
    assert reads == ["parquet", "parquet"]


def test_a_result_purged_by_another_process_is_not_served(store: bs.Store) -> None:
    store.save_dataframe("positions", "k1", frame())
    assert store.load_dataframe("positions", "k1") is not None
    other = bs.Store(store.url, store.artifact_store, store.artifact_root)  # as another process would
    try:
        removed = other.purge(kind="positions")
    finally:
        other.close()
    assert len(removed) == 1
    assert store.load_dataframe("positions", "k1") is None


def test_least_recently_used_goes_first_and_oversized_values_are_not_kept() -> None:
    recent = RecentPayloads(limit_bytes=100)
    recent.put("a", "x", b"a" * 40, 40)
    recent.put("b", "x", b"b" * 40, 40)
    assert recent.get("a", "x") == b"a" * 40  # a is now the most recent
    recent.put("c", "x", b"c" * 40, 40)  # 120 > 100: b goes
    assert recent.get("b", "x") is None and recent.get("a", "x") is not None
    assert recent.size_bytes == 80 and len(recent) == 2
    recent.put("d", "x", b"d" * 101, 101)
    assert recent.get("d", "x") is None and recent.size_bytes == 80
    assert recent.get("a", "other checksum") is None


def test_a_zero_limit_keeps_nothing(tmp_path, reads: list[str]) -> None:  # type: ignore[no-untyped-def]
    store = bs.Store(f"sqlite:///{tmp_path / 's.db'}", "file", tmp_path / "a", memory_cache_mb=0)
    store.save_dataframe("positions", "k1", frame())
    store.load_dataframe("positions", "k1")
    store.load_dataframe("positions", "k1")
    assert reads == ["parquet", "parquet"] and len(store.recent) == 0
    store.close()


def test_cached_function_hits_come_from_memory_after_the_miss(
    sqlite_store: bs.Store, reads: list[str]
) -> None:
    """The computed result enters the memory tier as it is: no hit reads or decodes its payload."""
    positions, hit = bs.run_simulation(2_000, 5)
    assert not hit and reads == []
    for _ in range(3):
        again, hit = bs.run_simulation(2_000, 5)
        assert hit
        pd.testing.assert_frame_equal(again, positions)
    sqlite_store.flush()
    assert bs.run_simulation(2_000, 5)[1] and reads == []
    sqlite_store.recent.clear()  # another process's view: the payload is read once, then kept
    assert bs.run_simulation(2_000, 5)[1] and bs.run_simulation(2_000, 5)[1]
    assert reads == ["parquet"]
    again.loc[0, "drawn_amount"] = np.float64(-1.0)
    assert bs.run_simulation(2_000, 5)[0].loc[0, "drawn_amount"] == positions.loc[0, "drawn_amount"]


def test_a_forked_child_starts_with_a_free_lock_and_an_empty_tier(sqlite_store: bs.Store) -> None:
    """A thread holding the tier's lock at fork time must not deadlock the child."""
    import multiprocessing

    sqlite_store.save_dataframe("positions", "k1", frame())
    sqlite_store.load_dataframe("positions", "k1")
    assert len(sqlite_store.recent) == 1
    context = multiprocessing.get_context("fork")
    with sqlite_store.recent._lock:  # as if another thread were inside get() at the fork
        child = context.Process(target=_load_in_child, args=(sqlite_store,))
        child.start()
    child.join(timeout=20)
    assert child.exitcode == 0


def _load_in_child(store: bs.Store) -> None:
    assert len(store.recent) == 0
    loaded = store.load_dataframe("positions", "k1")
    assert loaded is not None and loaded["amount"].tolist() == [1.0, 2.0, 3.0]
    assert len(store.recent) == 1


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame(
            {"a": [1.0, 2.0], "b": pd.Categorical(["x", "y"]), "c": ["p", None], "d": [True, False]}
        ),
        pd.DataFrame({"a": np.arange(5)}, index=pd.Index(list("abcde"), name="k")),
        pd.DataFrame({"a": [1, 2]}, index=pd.MultiIndex.from_tuples([(1, "a"), (2, "b")])),
        pd.DataFrame(),
    ],
)
def test_footprint_of_a_table_counts_its_buffers_as_memory_usage_does(frame: pd.DataFrame) -> None:
    """The buffers of the blocks and the index; ``memory_usage`` may add the lookup tables pandas
    builds for a categorical's categories once it has used them (a few KB on a wide table)."""
    from banksim.recent import footprint

    assert footprint(frame, 0) == int(frame.memory_usage(index=True, deep=False).sum())
    positions = bs.generate_positions(2_000, 3)
    usage = int(positions.memory_usage(index=True, deep=False).sum())
    assert 0.98 * usage <= footprint(positions, 0) <= usage


def test_a_buffer_shared_by_two_kept_tables_counts_once() -> None:
    """A stressed table that keeps the baseline's columns adds only the columns it replaced: 100k
    float64 values are 800,000 bytes, and the shallow copy with one column replaced adds one column."""
    base = pd.DataFrame({"a": np.arange(100_000, dtype=float), "b": np.ones(100_000)})
    base = base.copy()  # columns in their own blocks: {"a", "b"} as two 800,000-byte buffers or one
    stressed = base.copy(deep=False)
    stressed["b"] = np.zeros(100_000)
    recent = RecentPayloads(limit_bytes=10 * 2**20)
    recent.put("base", "x", base, 0)
    alone = recent.size_bytes
    assert alone >= 1_600_000
    recent.put("stressed", "x", stressed, 0)
    assert recent.size_bytes == alone + 800_000
    recent.pop(("base", "x"))  # the stressed table still holds the shared buffer
    assert recent.size_bytes == alone + 800_000
    recent.pop(("stressed", "x"))
    assert recent.size_bytes == 0

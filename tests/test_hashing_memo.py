"""The frame memo of banksim.hashing: a frame is hashed once until it changes, hits proven by counting
real fingerprint calls; every in-place write through pandas gives the new content's key."""

from __future__ import annotations

import gc
import hashlib
import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

import banksim as bs
import banksim.hashing as hashing
from banksim import payloads
from banksim.errors import InputError
from banksim.hashing import compute_params_hash, forget_frame, remember_frame_copy, remember_frame_key


def sample(rows: int = 6) -> pd.DataFrame:
    """One column of each dtype the fingerprint reads differently; NaN in ``n`` for fillna."""
    i = np.arange(rows)
    return pd.DataFrame(
        {
            "a": i * 1.5,
            "b": i * 10,
            "f": i % 2 == 0,
            "s": pd.array([f"s{k}" for k in i], dtype="str"),
            "c": pd.Categorical(["x", "y"] * (rows // 2)),
            "i": pd.array([*i[:-1].tolist(), None], dtype="Int64"),
            "t": pd.date_range("2024-01-01", periods=rows, tz="UTC"),
            "n": [np.nan if k % 3 == 0 else float(k) for k in i],
        }
    )


def fresh_key(frame: pd.DataFrame) -> str:
    """The key read from content: a deep copy is another object, so the memo knows nothing of it."""
    return compute_params_hash(frame.copy(deep=True))


class Spy:
    """Counts the real reads of one frame object's content (``_frame_digests``, which every
    fingerprint of a frame goes through)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.frames: list[int] = []
        real = hashing._frame_digests

        def counting(frame: pd.DataFrame, path: str) -> tuple[hashing.FrameDigests, list[Any]]:
            self.frames.append(id(frame))
            return real(frame, path)

        monkeypatch.setattr(hashing, "_frame_digests", counting)

    def calls(self, frame: pd.DataFrame) -> int:
        return self.frames.count(id(frame))


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Spy]:
    hashing._FRAMES.clear()
    yield Spy(monkeypatch)
    hashing._FRAMES.clear()


def test_a_hit_gives_the_fresh_key_without_reading_the_frame(spy: Spy) -> None:
    frame = sample()
    first = compute_params_hash(frame)
    assert spy.calls(frame) == 1
    assert compute_params_hash(frame) == first == fresh_key(frame)
    assert compute_params_hash(frame, path="another argument") == first
    assert spy.calls(frame) == 1


def test_a_remembered_key_is_the_schemes_key_of_the_fingerprint(spy: Spy) -> None:
    """SHA-256 over the length-prefixed tags: V (the scheme name), then X (the frame's fingerprint)."""
    frame = sample()
    compute_params_hash(frame)
    fingerprint = hashing.frame_fingerprint(frame)
    scheme = hashing.KEY_SCHEME.encode()
    encoded = (
        b"V" + len(scheme).to_bytes(8, "little") + scheme + b"X" + (16).to_bytes(8, "little") + fingerprint
    )
    assert compute_params_hash(frame) == hashlib.sha256(encoded).hexdigest()


def test_nested_frames_use_the_memo_and_keys_do_not_change(spy: Spy) -> None:
    frame = sample()
    other = sample(4)
    value = {"positions": frame, "more": [frame, (other, 1.0)]}
    first = compute_params_hash(value)
    assert (spy.calls(frame), spy.calls(other)) == (1, 1)  # the second occurrence is a hit already
    assert compute_params_hash(value) == first
    assert compute_params_hash(frame) == fresh_key(frame)
    assert (spy.calls(frame), spy.calls(other)) == (1, 1)
    copies = {"positions": frame.copy(), "more": [frame.copy(), (other.copy(), 1.0)]}
    assert compute_params_hash(copies) == first  # the memo does not change what a key is


def _set_column(df: pd.DataFrame) -> None:
    df["a"] = df["a"] * 2


def _add_to_column(df: pd.DataFrame) -> None:
    df["b"] += 1


def _update(df: pd.DataFrame) -> None:
    df.update(pd.DataFrame({"a": [100.0, 200.0]}, index=[1, 2]))


def _swap_columns(df: pd.DataFrame) -> None:
    df[["a", "n"]] = df[["n", "a"]].to_numpy()


def _rename_index_in_place(df: pd.DataFrame) -> None:
    df.index.name = "row"


def _set_index_names(df: pd.DataFrame) -> None:
    df.index.names = ["row"]


def _set_categories(df: pd.DataFrame) -> None:
    df["c"] = df["c"].cat.set_categories(["y", "x", "w"])


def _reorder_categories(df: pd.DataFrame) -> None:
    df["c"] = df["c"].cat.reorder_categories(["y", "x"], ordered=True)


def _set_categorical_value(df: pd.DataFrame) -> None:
    df.loc[0, "c"] = "y"


def _rename_categories(df: pd.DataFrame) -> None:
    df["c"] = df["c"].cat.rename_categories({"x": "xx"})


MUTATIONS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "loc set": lambda df: df.loc.__setitem__((0, "a"), 99.0),
    "loc set int": lambda df: df.loc.__setitem__((2, "b"), -7),
    "loc set by mask": lambda df: df.loc.__setitem__((df["a"] > 3, "a"), 0.0),
    "loc set whole column": lambda df: df.loc.__setitem__((slice(None), "a"), np.arange(6) * 7.0),
    "loc add a row": lambda df: df.loc.__setitem__(6, df.iloc[0].to_list()),
    "iloc set": lambda df: df.iloc.__setitem__((1, 0), 99.0),
    "iloc set two columns": lambda df: df.iloc.__setitem__((slice(0, 2), [0, 7]), 5.0),
    "at set": lambda df: df.at.__setitem__((3, "a"), -1.0),
    "iat set": lambda df: df.iat.__setitem__((3, 1), 42),
    "set string": lambda df: df.loc.__setitem__((0, "s"), "zz"),
    "set bool": lambda df: df.loc.__setitem__((1, "f"), True),
    "set nullable int": lambda df: df.loc.__setitem__((5, "i"), 9),
    "set timestamp": lambda df: df.loc.__setitem__((0, "t"), pd.Timestamp("1999-01-01", tz="UTC")),
    "column assignment": _set_column,
    "df[c] += 1": _add_to_column,
    "new column": lambda df: df.__setitem__("z", 1.0),
    "isetitem": lambda df: df.isetitem(0, np.zeros(6)),
    "swap two columns' values": _swap_columns,
    "insert": lambda df: df.insert(1, "new", 3.0),
    "del": lambda df: df.__delitem__("a"),
    "pop": lambda df: df.pop("b"),
    "drop columns inplace": lambda df: df.drop(columns=["s"], inplace=True),
    "drop rows inplace": lambda df: df.drop(index=[0], inplace=True),
    "sort_values inplace": lambda df: df.sort_values("a", ascending=False, inplace=True),
    "sort_index inplace": lambda df: df.sort_index(ascending=False, inplace=True),
    "fillna inplace": lambda df: df.fillna({"n": 0.0}, inplace=True),
    "ffill inplace": lambda df: df.ffill(inplace=True),
    "replace inplace": lambda df: df.replace(1.5, 2.5, inplace=True),
    "where inplace": lambda df: df.where(df.notna(), 0, inplace=True),
    "mask inplace": lambda df: df.mask(df.isna(), 0, inplace=True),
    "dropna inplace": lambda df: df.dropna(inplace=True),
    "drop_duplicates inplace": lambda df: df.drop_duplicates(subset=["c"], inplace=True),
    "query inplace": lambda df: df.query("a > 1", inplace=True),
    "eval inplace": lambda df: df.eval("a = a + 1", inplace=True),
    "rename inplace": lambda df: df.rename(columns={"a": "z"}, inplace=True),
    "rename_axis inplace": lambda df: df.rename_axis("row", inplace=True),
    "reset_index inplace": lambda df: df.reset_index(inplace=True),
    "set_index inplace": lambda df: df.set_index("b", inplace=True),
    "update": _update,
    "astype assignment": lambda df: df.__setitem__("b", df["b"].astype("float64")),
    "columns reassigned": lambda df: setattr(df, "columns", [f"x{k}" for k in range(8)]),
    "index reassigned": lambda df: setattr(df, "index", range(10, 16)),
    "index name set in place": _rename_index_in_place,
    "index names set in place": _set_index_names,
    "categories set": _set_categories,
    "categories reordered": _reorder_categories,
    "categories renamed": _rename_categories,
    "categorical value set": _set_categorical_value,
}


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # deprecated in pandas 3.1; still there
@pytest.mark.parametrize("name", list(MUTATIONS))
def test_every_in_place_write_through_pandas_gives_the_new_content_key(spy: Spy, name: str) -> None:
    frame = sample()
    before = compute_params_hash(frame)
    assert compute_params_hash(frame) == before and spy.calls(frame) == 1  # remembered
    MUTATIONS[name](frame)
    after = compute_params_hash(frame)
    assert after == fresh_key(frame)
    assert after != before  # the mutation changed content: the memo had something to miss
    assert spy.calls(frame) == 2
    assert compute_params_hash(frame) == after and spy.calls(frame) == 2  # remembered again


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_clip_inplace_gives_the_new_content_key(spy: Spy) -> None:
    frame = sample()[["a", "b", "n"]]
    before = compute_params_hash(frame)
    frame.clip(lower=2.0, inplace=True)
    assert compute_params_hash(frame) == fresh_key(frame) != before


def test_writes_that_leave_the_content_alone_keep_the_key(spy: Spy) -> None:
    frame = sample()
    before = compute_params_hash(frame)
    frame.attrs["source"] = "test"  # attrs are not part of a frame's key
    frame.columns.name = "fields"  # nor is the name of the column axis
    column = frame["a"]
    column.iloc[0] = 1000.0  # Copy-on-Write: the column is a copy, the frame unchanged
    assert frame.loc[0, "a"] == 0.0
    assert compute_params_hash(frame) == before == fresh_key(frame)


def test_arrays_pandas_hands_out_cannot_change_the_frame() -> None:
    """What the memo relies on: NumPy views of a frame's data are read-only under Copy-on-Write."""
    frame = sample()
    single = frame[["a", "n"]]
    for array in (single.to_numpy(), single.values, frame["a"].to_numpy(), frame["a"].values):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 5.0
    assert frame.index.to_numpy().flags.writeable is False


def test_forget_frame_after_writing_through_series_array(spy: Spy) -> None:
    """Series.array is the frame's own array (pandas 3 leaves it writable): forget_frame rereads."""
    frame = sample()
    before = compute_params_hash(frame)
    frame["a"].array[0] = 1000.0
    forget_frame(frame)
    assert compute_params_hash(frame) == fresh_key(frame) != before
    assert spy.calls(frame) == 2


def test_arrow_strings_set_through_series_array_are_seen(spy: Spy) -> None:
    frame = sample()
    before = compute_params_hash(frame)
    frame["s"].array[0] = "changed"  # an Arrow array is immutable: the column gets a new one
    assert compute_params_hash(frame) == fresh_key(frame) != before


# -- seeds ----------------------------------------------------------------------------------------


def test_a_seeded_key_is_used_without_reading_the_frame(spy: Spy) -> None:
    frame = sample()
    key = fresh_key(frame)
    remember_frame_key(frame, key)
    assert compute_params_hash(frame) == key
    assert spy.calls(frame) == 0
    frame.loc[0, "a"] = 5.0  # a write after the seed: read again
    assert compute_params_hash(frame) == fresh_key(frame) != key
    assert spy.calls(frame) == 1


def test_a_payload_decoded_from_the_store_can_be_seeded_with_its_content_hash(spy: Spy) -> None:
    for frame in (sample(), bs.generate_positions(500, 3)):
        payload = payloads.encode_dataframe(frame)
        assert payload.content_hash is not None
        decoded = payloads.decode(payload.format, payload.as_bytes())
        assert fresh_key(decoded) == payload.content_hash  # what makes the seed correct here
        remember_frame_key(decoded, payload.content_hash)
        assert compute_params_hash(decoded) == payload.content_hash
        assert spy.calls(decoded) == 0


def test_a_seed_that_disagrees_with_the_content_is_replaced_when_read(
    spy: Spy, caplog: pytest.LogCaptureFixture
) -> None:
    frame = sample()
    remember_frame_key(frame, "0" * 64)
    with caplog.at_level(logging.WARNING, logger="banksim.hashing"):
        compute_params_hash([frame])  # nested: the fingerprint is needed, so the frame is read
    assert "seeded with key 000000000000" in caplog.text
    assert compute_params_hash(frame) == fresh_key(frame)


def test_a_copy_takes_the_originals_key_only_if_the_memo_knows_it(spy: Spy) -> None:
    original = sample()
    shallow, deep = original.copy(deep=False), original.copy()
    assert remember_frame_copy(original, shallow) is False  # unknown: nothing to give
    key = compute_params_hash(original)
    assert remember_frame_copy(original, shallow) and remember_frame_copy(original, deep)
    assert compute_params_hash(shallow) == compute_params_hash(deep) == key
    assert (spy.calls(shallow), spy.calls(deep)) == (0, 0)
    original.loc[0, "a"] = 5.0  # changed since hashed: its key is no longer known
    assert remember_frame_copy(original, original.copy()) is False
    shallow.loc[0, "b"] = 5  # the copy's own writes are seen as for any frame
    assert compute_params_hash(shallow) == fresh_key(shallow) != key
    with pytest.raises(InputError, match="copy"):
        remember_frame_copy(original, original["a"])  # type: ignore[arg-type]


def test_remember_frame_key_rejects_bad_input(spy: Spy) -> None:
    frame = sample()
    with pytest.raises(InputError, match=r"frame.*DataFrame"):
        remember_frame_key(frame["a"], "0" * 64)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"key.*64 lowercase hexadecimal"):
        remember_frame_key(frame, "ABC")
    with pytest.raises(InputError, match=r"key.*64 lowercase hexadecimal"):
        remember_frame_key(frame, "A" * 64)
    compute_params_hash(frame)
    with pytest.raises(InputError, match=r"key.*frame was hashed to"):
        remember_frame_key(frame, "0" * 64)


# -- bounds, lifetime, threads ----------------------------------------------------------------------


def test_the_memo_is_bounded_and_forgets_the_least_recently_used(
    spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hashing, "FRAME_MEMO_SIZE", 3)
    frames = [sample() for _ in range(5)]
    for frame in frames[:3]:
        compute_params_hash(frame)
    compute_params_hash(frames[0])  # used again: frames[1] is now the least recently used
    for frame in frames[3:]:
        compute_params_hash(frame)
    assert len(hashing._FRAMES) == 3
    remembered = [hashing._FRAMES.lookup(frame)[0] is not None for frame in frames]
    assert remembered == [True, False, False, True, True]
    for frame in (frames[0], frames[3], frames[4]):
        compute_params_hash(frame)
    assert [spy.calls(frame) for frame in frames] == [1, 1, 1, 1, 1]


def test_a_memo_of_size_zero_remembers_nothing(spy: Spy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing, "FRAME_MEMO_SIZE", 0)
    frame = sample()
    assert compute_params_hash(frame) == compute_params_hash(frame) == fresh_key(frame)
    remember_frame_key(frame, "0" * 64)  # nothing is remembered, so nothing can be wrong
    assert compute_params_hash(frame) == fresh_key(frame)
    assert spy.calls(frame) == 3 and len(hashing._FRAMES) == 0


def test_a_dead_frame_leaves_the_memo_with_its_blocks(spy: Spy) -> None:
    frame = sample(1000)
    compute_params_hash(frame)
    assert len(hashing._FRAMES) == 1
    frame_ref = weakref.ref(frame)
    block_refs = [weakref.ref(block.values) for block in frame._mgr.blocks]
    del frame
    gc.collect()
    assert frame_ref() is None
    assert len(hashing._FRAMES) == 0
    assert [ref() for ref in block_refs] == [None] * len(block_refs)


class _Box:
    frame: pd.DataFrame
    itself: _Box


def test_a_frame_in_a_reference_cycle_leaves_the_memo_when_collected(spy: Spy) -> None:
    compute_params_hash(sample()[["a"]])  # a temporary: gone as soon as it is hashed
    compute_params_hash({"frame": sample()})
    assert len(hashing._FRAMES) == 0
    box = _Box()
    box.frame, box.itself = sample(), box  # a cycle: only the collector frees the frame
    compute_params_hash(box.frame)
    assert len(hashing._FRAMES) == 1
    del box
    gc.collect()
    assert len(hashing._FRAMES) == 0


def run_threads(threads: list[threading.Thread]) -> None:
    """Start the threads together and wait for every one to end (none may hang)."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)


def test_two_threads_hashing_one_frame_agree(spy: Spy) -> None:
    frame = bs.generate_positions(20_000, 2)
    expected = fresh_key(frame)
    barrier = threading.Barrier(2)
    keys: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(20):
                keys.append(compute_params_hash({"positions": frame}))
                keys.append(compute_params_hash(frame))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    run_threads([threading.Thread(target=work) for _ in range(2)])
    assert errors == []
    assert len(keys) == 80
    assert set(keys[1::2]) == {expected}
    assert len(set(keys[::2])) == 1
    assert 1 <= spy.calls(frame) <= 2  # each thread at most once, whoever stored first
    assert len(hashing._FRAMES) == 1


def test_threads_writing_and_hashing_their_own_frames_get_their_content_keys(spy: Spy) -> None:
    frames = [sample(600) for _ in range(4)]
    results: dict[int, list[tuple[str, str]]] = {i: [] for i in range(4)}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            frame = frames[i]
            for step in range(25):
                frame.loc[step, "a"] = float(i * 100 + step)
                results[i].append((compute_params_hash(frame), fresh_key(frame)))
        except BaseException as exc:
            errors.append(exc)

    run_threads([threading.Thread(target=work, args=(i,)) for i in range(4)])
    assert errors == []
    for pairs in results.values():
        assert len(pairs) == 25
        assert all(memo == fresh for memo, fresh in pairs)
        assert len({memo for memo, _ in pairs}) == 25


# -- through the cache ------------------------------------------------------------------------------


@bs.cached(kind="memo_positions")
def _scaled(frame: pd.DataFrame, factor: float) -> pd.DataFrame:
    return frame.assign(a=frame["a"] * factor)


@bs.cached(kind="memo_totals")
def _total(frame: pd.DataFrame) -> dict[str, float]:
    return {"a": float(frame["a"].sum())}


def test_a_result_passed_to_the_next_cached_step_is_not_read_again(spy: Spy, sqlite_store: bs.Store) -> None:
    frame = sample()
    scaled, _ = _scaled(frame, 2.0)
    total, first_hit = _total(scaled)
    _, second_hit = _total(scaled)
    assert (first_hit, second_hit) == (False, True)
    assert total == {"a": float(sum(k * 1.5 * 2.0 for k in range(6)))}
    assert spy.calls(frame) == 1  # as an argument, once
    assert spy.calls(scaled) == 1  # stored as a result (its content hash), then a hit as an argument


def test_categories_are_hashed_once_per_index_and_by_content(monkeypatch: pytest.MonkeyPatch) -> None:
    """The categories of a categorical are digested once per Index object (every column and copy of
    that dtype shares it); another Index with the same values hashes the same, other values not."""
    from banksim import hashing

    calls: list[str] = []
    real = hashing.series_fingerprint
    monkeypatch.setattr(
        hashing, "series_fingerprint", lambda s, path="series": calls.append(path) or real(s, path=path)
    )
    dtype = pd.CategoricalDtype(["low", "mid", "high"])
    first = pd.DataFrame({"grade": pd.Categorical(["low", "high"] * 50, dtype=dtype)})
    second = pd.DataFrame({"band": pd.Categorical(["mid"] * 7, dtype=dtype)})
    hashing.frame_fingerprint(first)
    hashing.frame_fingerprint(second)
    assert len(calls) == 1
    same_values = pd.DataFrame(
        {"grade": pd.Categorical(["low", "high"] * 50, categories=["low", "mid", "high"])}
    )
    assert same_values["grade"].dtype.categories is not dtype.categories
    assert hashing.frame_fingerprint(same_values) == hashing.frame_fingerprint(first)
    reordered = pd.DataFrame(
        {"grade": pd.Categorical(["low", "high"] * 50, categories=["high", "mid", "low"])}
    )
    assert hashing.frame_fingerprint(reordered) != hashing.frame_fingerprint(first)


# -- columns a frame shares with a frame hashed earlier ---------------------------------------------


class ColumnReads:
    """Counts the columns whose values are read (``_column_digest``, or ``_values_digest`` on its
    own: an index level), by label path."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        self.reading = False
        column, values = hashing._column_digest, hashing._values_digest

        def counting_column(frame: pd.DataFrame, position: int, path: str) -> bytes:
            self.paths.append(path)
            self.reading = True
            try:
                return column(frame, position, path)
            finally:
                self.reading = False

        def counting_values(series: pd.Series, path: str) -> bytes:
            if not self.reading:
                self.paths.append(path)
            return values(series, path)

        monkeypatch.setattr(hashing, "_column_digest", counting_column)
        monkeypatch.setattr(hashing, "_values_digest", counting_values)


def _big(rows: int = 2_000) -> pd.DataFrame:
    frame = sample(rows)
    frame["i"] = frame["i"].astype("float64")  # a masked column is read, never shared (no signature)
    return frame


def test_a_derived_frame_reads_only_the_columns_it_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    hashing._FRAMES.clear()
    source = _big()
    compute_params_hash(source)
    reads = ColumnReads(monkeypatch)
    derived = source.copy(deep=False)  # copy-on-write: the columns are the source's until written
    derived["a"] = derived["a"].to_numpy() * 2
    derived["c"] = pd.Categorical(["y", "x"] * (len(derived) // 2))
    key = compute_params_hash(derived)
    assert sorted(path.split("[")[-1] for path in reads.paths if "categories" not in path) == ["'a']", "'c']"]
    assert key == fresh_key(derived)


def test_a_shared_column_written_since_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The source written through pandas after it was hashed: its snapshot no longer matches, so
    nothing is taken from it, and the derived frame's key is its own content's."""
    hashing._FRAMES.clear()
    source = _big()
    compute_params_hash(source)
    derived = source.copy(deep=False)
    source.loc[0, "b"] = -1  # copy-on-write: the source gets new blocks, ``derived`` keeps the old data
    reads = ColumnReads(monkeypatch)
    assert compute_params_hash(derived) == fresh_key(derived)
    assert any("'b'" in path for path in reads.paths)
    assert compute_params_hash(source) == fresh_key(source) != compute_params_hash(derived)


def test_a_collected_source_lends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    hashing._FRAMES.clear()
    source = _big()
    compute_params_hash(source)
    derived = source.copy(deep=True)  # its own memory: nothing to take
    del source
    reads = ColumnReads(monkeypatch)
    key = compute_params_hash(derived)
    assert len([path for path in reads.paths if "categories" not in path]) == derived.shape[1]
    assert key == fresh_key(derived)


def test_a_decoded_table_comes_with_its_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    """The digests kept in the Parquet metadata seed the memo: passing the decoded table on, or a
    frame made from it, reads nothing but what changed."""
    hashing._FRAMES.clear()
    frame = _big()
    digests = hashing.frame_digests(frame)
    payload = payloads.encode_dataframe(frame, digests=digests)
    hashing._FRAMES.clear()
    reads = ColumnReads(monkeypatch)
    decoded = payloads.decode("parquet", payload.data, payload.content_hash)
    assert hashing.remembered_digests(decoded) == digests
    derived = decoded.copy(deep=False)
    derived["n"] = 0.0
    key = compute_params_hash(derived)
    assert [path.split("[")[-1] for path in reads.paths if "categories" not in path] == ["'n']"]
    assert key == fresh_key(derived)


def test_digests_that_are_not_the_tables_are_not_seeded() -> None:
    """Digests kept with a payload must give its content hash and describe the decoded frame."""
    hashing._FRAMES.clear()
    frame, other = _big(), _big(2_002)
    payload = payloads.encode_dataframe(frame, digests=hashing.frame_digests(other))
    hashing._FRAMES.clear()
    decoded = payloads.decode("parquet", payload.data, payload.content_hash)
    assert hashing.known_digests(decoded) is None  # the key alone was seeded
    assert hashing.remembered_digests(decoded) == hashing.frame_digests(frame.copy(deep=True))
    assert hashing.FrameDigests.from_json(b"not json") is None


def test_categories_alike_in_value_are_hashed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = hashing.series_fingerprint

    def counting(series: pd.Series, *, path: str = "series") -> bytes:
        calls.append(path)
        return real(series, path=path)

    monkeypatch.setattr(hashing, "series_fingerprint", counting)
    values = ["z1", "z2", "z3"]
    first = compute_params_hash(pd.DataFrame({"k": pd.Categorical(values)}))
    second = compute_params_hash(pd.DataFrame({"k": pd.Categorical(values)}))  # new categories Index
    renamed = pd.CategoricalDtype(pd.Index(values, name="named"))
    third = compute_params_hash(pd.DataFrame({"k": pd.Categorical(values, dtype=renamed)}))
    assert first == second != third
    assert len(calls) == 2  # the renamed categories are other categories


def test_data_shared_outside_pandas_lends_no_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    """A frame built on another's array without a copy shares its memory but not pandas' record of
    it: a write through pandas to one is not seen by the other's snapshot, so nothing is lent."""
    hashing._FRAMES.clear()
    source = _big()
    compute_params_hash(source)
    built = pd.DataFrame({"b": source["b"].array}, copy=False)
    built.loc[0, "b"] = -5  # writes into the memory both hold
    reads = ColumnReads(monkeypatch)
    key = compute_params_hash(built)
    assert reads.paths  # read, not lent
    assert key == fresh_key(built)


def test_forgetting_a_frame_forgets_the_frames_sharing_its_data() -> None:
    """``forget_frame`` after a write behind pandas' back: the frame's copies (sharing its data) are
    forgotten too, so neither serves the old digests."""
    hashing._FRAMES.clear()
    frame = _big()
    compute_params_hash(frame)
    copied = frame.copy(deep=False)
    compute_params_hash(copied)
    frame["c"].array._codes[0] = 1 - frame["c"].array._codes[0]  # behind pandas' back
    forget_frame(frame)
    assert compute_params_hash(frame) == fresh_key(frame)
    assert compute_params_hash(copied) == fresh_key(copied)

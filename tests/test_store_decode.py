"""Decoding stored tables: the column-by-column reader gives exactly what ``to_pandas`` gives.

Plain tables (a RangeIndex; numeric, boolean, string and categorical columns) take the direct
path; anything else falls back to ``to_pandas``. Both are compared with ``to_pandas`` here.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import banksim as bs
from banksim import payloads


def _reference(data: pa.Buffer) -> pd.DataFrame:
    table = pq.ParquetFile(pa.BufferReader(data)).read()
    return payloads._restore_categories(table, payloads._writable(table.to_pandas()))


def _plain(data: pa.Buffer) -> pd.DataFrame | None:
    return payloads._plain_frame(pq.ParquetFile(pa.BufferReader(data)).read())


def _mixed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "f64": [1.5, np.nan, -0.0, 3.0],
            "f32": np.array([1, 2, 3, 4], dtype="float32"),
            "i64": [1, 2, 3, 2**62],
            "i32": np.array([1, -2, 3, 4], dtype="int32"),
            "u8": np.array([0, 255, 1, 2], dtype="uint8"),
            "flag": [True, False, True, True],
            "other_flag": [False, False, True, False],
            "name": ["a", None, "ccc", "é"],
            "cat": pd.Categorical(["x", "y", None, "x"], categories=["y", "x", "unused"]),
            "ordered": pd.Categorical(["lo", "hi", "hi", "lo"], categories=["lo", "hi"], ordered=True),
            "wide": pd.Categorical(
                [f"c{i}" for i in (0, 299, 5, 7)], categories=[f"c{i}" for i in range(300)]
            ),
        }
    )


PLAIN = {
    "mixed": _mixed,
    "range index with a step": lambda: _mixed().set_axis(pd.RangeIndex(10, 18, 2)),
    "no columns of a kind repeated": lambda: pd.DataFrame({"x": [1.0], "c": pd.Categorical(["a"])}),
    "synthetic positions": lambda: bs.generate_positions(300, 7),
    "labels beyond ASCII": lambda: pd.DataFrame(
        {"émission": [1.0, 2.0], "数量": pd.Categorical(["a", "b"]), "": [True, False], "a b": ["x", "y"]}
    ),
}
FALLBACK = {
    "named index": lambda: _mixed().rename_axis("row"),
    "integer index": lambda: _mixed().set_axis([5, 1, 9, 2]),
    "nullable integers": lambda: pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64")}),
    "booleans with a missing value": lambda: pd.DataFrame({"b": [True, None, False]}),
    "datetimes with a time zone": lambda: pd.DataFrame(
        {"t": pd.date_range("2026-01-01", periods=3, tz="Europe/Paris")}
    ),
    "dates": lambda: pd.DataFrame({"d": [dt.date(2026, 1, 1), dt.date(2026, 1, 2)]}),
    "integer categories": lambda: pd.DataFrame({"c": pd.Categorical([1, 2, 1])}),
    "empty categorical": lambda: pd.DataFrame({"c": pd.Categorical([], categories=["a", "b"])}),
    "attrs": lambda: _mixed().pipe(lambda f: (f.attrs.update(source="test"), f)[1]),
}


@pytest.mark.parametrize("make", PLAIN.values(), ids=list(PLAIN))
def test_plain_tables_decode_directly_as_to_pandas_does(make) -> None:
    frame = make()
    data = payloads.encode_dataframe(frame).data
    direct = _plain(data)
    assert direct is not None  # the direct path was taken
    reference = _reference(data)
    pd.testing.assert_frame_equal(direct, reference, check_exact=True)
    pd.testing.assert_frame_equal(payloads.decode("parquet", data), frame, check_exact=True)
    assert list(direct.dtypes) == list(reference.dtypes)
    assert direct.columns.dtype == reference.columns.dtype
    assert direct._mgr.nblocks == reference._mgr.nblocks


@pytest.mark.parametrize("make", FALLBACK.values(), ids=list(FALLBACK))
def test_other_tables_fall_back_to_to_pandas(make) -> None:
    frame = make()
    data = payloads.encode_dataframe(frame).data
    assert _plain(data) is None
    decoded = payloads.decode("parquet", data)
    pd.testing.assert_frame_equal(decoded, _reference(data), check_exact=True)
    assert decoded.attrs == frame.attrs


def test_encoded_tables_carry_no_min_max_statistics() -> None:
    """One row group per table: statistics would let no reader skip anything."""
    data = payloads.encode_dataframe(_mixed()).data
    metadata = pq.ParquetFile(pa.BufferReader(data)).metadata
    chunks = [metadata.row_group(0).column(i) for i in range(metadata.num_columns)]
    assert metadata.num_row_groups == 1
    assert not any(chunk.is_stats_set and chunk.statistics.has_min_max for chunk in chunks)


def test_several_row_groups_fall_back() -> None:
    frame = _mixed()
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame), sink, row_group_size=2)
    data = sink.getvalue()
    assert _plain(data) is None
    pd.testing.assert_frame_equal(payloads.decode("parquet", data), frame, check_exact=True)


def test_decoded_columns_can_be_changed_in_place() -> None:
    frame = payloads.decode("parquet", payloads.encode_dataframe(_mixed()).data)
    frame.loc[1, "f64"] = 7.0
    frame.loc[1, "i64"] = 8
    frame.loc[0, "cat"] = "unused"
    frame["cat"].array._codes[3] = 0  # the codes belong to the frame, not to an Arrow buffer
    assert frame["f64"].tolist()[1] == 7.0
    assert frame["i64"].tolist()[1] == 8
    assert frame["cat"].tolist()[0] == "unused"
    assert frame["cat"].tolist()[3] == "y"


def test_a_dictionary_with_repeated_values_is_not_taken_as_categories() -> None:
    """Another writer's file could repeat a dictionary value; pandas categories must be unique."""
    dictionary = pa.array(["a", "a", "b"])
    column = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2], type=pa.int8()), dictionary)
    metadata = pa.Table.from_pandas(pd.DataFrame({"c": pd.Categorical(["a", "b", "b"])})).schema.metadata
    table = pa.table({"c": column}).replace_schema_metadata(metadata)
    assert payloads._plain_frame(table) is None


def test_large_tables_go_through_to_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _mixed()
    data = payloads.encode_dataframe(frame).data
    monkeypatch.setattr(payloads, "PLAIN_MAX_ROWS", len(frame) - 1)
    assert _plain(data) is None
    pd.testing.assert_frame_equal(payloads.decode("parquet", data), frame, check_exact=True)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"x": np.arange(5, dtype="float64"), "c": pd.Categorical(list("abcab"))}),
        pd.DataFrame({"s": pd.array(["a", "b", None], dtype="str"), "i": [1, 2, 3]}),
        pd.DataFrame({"o": np.array(["a", "b", "c"], dtype=object)}),  # comes back as str: not seeded
    ],
)
def test_a_decoded_frame_carries_its_key_only_when_decoding_keeps_it(frame: pd.DataFrame) -> None:
    """The stored content hash seeds the memo for the decoded frame exactly when a fresh hash of it
    gives that hash: a frame out of the store is not hashed again, and never under a wrong key."""
    from banksim.hashing import compute_params_hash, forget_frame, known_frame_key

    payload = payloads.encode_dataframe(frame)
    decoded = payloads.decode("parquet", payload.data, payload.content_hash)
    seeded = known_frame_key(decoded)
    forget_frame(decoded)
    fresh = compute_params_hash(decoded)
    if seeded is not None:
        assert seeded == payload.content_hash == fresh
    assert (seeded is None) == (fresh != payload.content_hash)


def test_a_table_loaded_from_the_store_is_not_hashed_again(sqlite_store: bs.Store) -> None:
    from banksim.hashing import compute_params_hash, known_frame_key

    positions, _ = bs.run_simulation(500, 3)
    key = compute_params_hash(positions)
    sqlite_store.flush()
    sqlite_store.recent.clear()  # read from its payload, as another process would
    again, hit = bs.run_simulation(500, 3)
    assert hit and known_frame_key(again) == key  # seeded from the row: no hashing needed

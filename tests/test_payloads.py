"""Payload encoding: a small table whose content was encoded lately is not encoded again.

A sweep stores the same small tables (CVA, IRRBB, summaries) scenario after scenario; the calls to
Parquet are counted to prove that equal content is encoded once and that anything the content key
does not cover (``attrs``, a name on the column labels, kept digests) is encoded on its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from banksim import payloads
from banksim.hashing import frame_digests


@pytest.fixture
def parquet_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The rows of every table Parquet-encoded while the test runs (the memo starts empty)."""
    calls: list[int] = []
    real = payloads.parquet_bytes

    def counting(frame: pd.DataFrame, *args: object, **kwargs: object) -> object:
        calls.append(len(frame))
        return real(frame, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(payloads, "parquet_bytes", counting)
    monkeypatch.setattr(payloads, "_encoded", type(payloads._encoded)())
    yield calls


def _table(rwa: float = 1.5) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "counterparty": pd.Categorical(["bank_a", "corp_b", "bank_a"]),
            "rwa": [rwa, -0.0, np.nan],
            "netted": [True, False, True],
        }
    )


def test_equal_content_is_encoded_once(parquet_calls: list[int]) -> None:
    first = payloads.encode_dataframe(_table())
    again = payloads.encode_dataframe(_table())  # another frame, the same content
    assert parquet_calls == [3]
    assert again.as_bytes() == first.as_bytes() and again.checksum == first.checksum
    assert again.content_hash == first.content_hash
    pd.testing.assert_frame_equal(payloads.decode_table(again.data)[0], _table(), check_exact=True)


def test_other_content_is_encoded_on_its_own(parquet_calls: list[int]) -> None:
    payloads.encode_dataframe(_table(1.5))
    other = payloads.encode_dataframe(_table(2.5))
    negative = payloads.encode_dataframe(_table().assign(rwa=[1.5, 0.0, np.nan]))  # 0.0, not -0.0
    assert parquet_calls == [3, 3, 3]
    assert payloads.decode_table(other.data)[0]["rwa"].iloc[0] == 2.5
    assert not np.signbit(payloads.decode_table(negative.data)[0]["rwa"].iloc[1])


def test_what_the_key_does_not_cover_is_encoded_on_its_own(parquet_calls: list[int]) -> None:
    payloads.encode_dataframe(_table())
    with_attrs = _table()
    with_attrs.attrs["source"] = "desk"
    named = _table()
    named.columns.name = "field"
    payloads.encode_dataframe(with_attrs)
    payloads.encode_dataframe(named)
    kept = payloads.encode_dataframe(_table(), digests=frame_digests(_table()))
    assert parquet_calls == [3, 3, 3, 3]
    assert payloads.decode_table_with_digests(kept.data)[2] == frame_digests(_table())


def test_a_large_table_is_encoded_every_time(parquet_calls: list[int]) -> None:
    rows = payloads.ENCODED_MAX_ROWS + 1
    table = pd.DataFrame({"rwa": np.arange(rows, dtype=float)})
    payloads.encode_dataframe(table)
    payloads.encode_dataframe(table.copy())
    assert parquet_calls == [rows, rows]


def test_digests_of_another_table_are_encoded_on_their_own(parquet_calls: list[int]) -> None:
    own = payloads.encode_dataframe(_table(), digests=frame_digests(_table()))
    other = payloads.encode_dataframe(_table(), digests=frame_digests(_table(2.5)))
    assert parquet_calls == [3, 3]
    assert payloads.decode_table_with_digests(own.data)[2] == frame_digests(_table())
    assert payloads.decode_table_with_digests(other.data)[2] == frame_digests(_table(2.5))


def test_a_table_arrow_cannot_type_is_refused_before_it_is_encoded() -> None:
    from banksim.errors import InputError

    with pytest.raises(InputError, match=r"^result: cannot be stored as Parquet"):
        payloads.check_storable(pd.DataFrame({"a": [1, "x", 2.5]}), "result")
    empty = pd.DataFrame({"a": pd.Series([], dtype=object)})
    payloads.check_storable(empty, "result")  # no value to refuse: it encodes
    assert payloads.encode_dataframe(empty).row_count == 0
    payloads.check_storable(_table(), "result")
    with pytest.raises(InputError, match=r"^result: column labels must be strings"):
        payloads.check_storable(pd.DataFrame({1: [1.0]}), "result")


def test_tables_the_key_counts_alike_but_parquet_does_not_are_encoded_on_their_own(
    parquet_calls: list[int],
) -> None:
    """The content key counts "abc" and b"abc" in an object column alike (and 1.5 as a float32 and
    as a float): such tables, and those with another index than a RangeIndex, are not memoised."""
    text = payloads.encode_dataframe(pd.DataFrame({"a": pd.Series(["abc"], dtype=object)}))
    raw = payloads.encode_dataframe(pd.DataFrame({"a": pd.Series([b"abc"], dtype=object)}))
    assert payloads.decode_table(text.data)[0]["a"].tolist() == ["abc"]
    assert payloads.decode_table(raw.data)[0]["a"].tolist() == [b"abc"]
    indexed = _table().set_index(pd.Index([10, 30, 20]))
    payloads.encode_dataframe(indexed)
    payloads.encode_dataframe(indexed.copy())
    assert parquet_calls == [1, 1, 3, 3]


def test_an_empty_table_with_object_columns_is_encoded_once(parquet_calls: list[int]) -> None:
    """No value to count alike: the same empty table (a scenario's CVA hedges) takes its Parquet again,
    and an empty table of other dtypes or labels does not."""

    def empty(dtype: object = object, label: str = "hedge_id") -> pd.DataFrame:
        return pd.DataFrame({label: pd.Series([], dtype=dtype), "rwa": pd.Series([], dtype=float)})

    first = payloads.encode_dataframe(empty())
    again = payloads.encode_dataframe(empty())
    payloads.encode_dataframe(empty(dtype="str"))
    payloads.encode_dataframe(empty(label="rule"))
    assert parquet_calls == [0, 0, 0]
    assert again.data == first.data
    decoded = payloads.decode_table(again.data)[0]
    assert decoded.shape == (0, 2) and decoded.dtypes["hedge_id"] == np.dtype(object)


def test_an_empty_table_with_object_categories_is_encoded_on_its_own(parquet_calls: list[int]) -> None:
    """Categories are values even with no row: b"a" and "a" count alike in the key, so such a table
    is not memoised."""

    def empty(categories: list[object]) -> pd.DataFrame:
        return pd.DataFrame({"c": pd.Categorical([], categories=pd.Index(categories, dtype=object))})

    raw = payloads.encode_dataframe(empty([b"a", b"b"]))
    text = payloads.encode_dataframe(empty(["a", "b"]))
    assert parquet_calls == [0, 0]
    assert raw.data != text.data
    assert list(payloads.decode_table(text.data)[0]["c"].cat.categories) == ["a", "b"]

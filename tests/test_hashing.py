"""compute_params_hash and frame fingerprints: canonical, type-tagged, layout-independent."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import io
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import banksim as bs
from banksim import hashing
from banksim.hashing import compute_params_hash as h
from banksim.hashing import frame_fingerprint


class Approach(enum.Enum):
    SA = "sa"
    IRB = "irb"


@dataclasses.dataclass(frozen=True)
class Shock:
    name: str
    size: float


def positions(rows: int = 1000, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "position_id": [f"P{i:07d}" for i in range(rows)],
            "exposure_class": pd.Categorical(rng.choice(["corporate", "retail", "bank"], rows)),
            "currency": rng.choice(["EUR", "USD"], rows),
            "drawn": rng.lognormal(10, 1, rows),
            "maturity": rng.integers(1, 30, rows),
            "as_of": pd.Timestamp("2026-06-30") + pd.to_timedelta(rng.integers(0, 5, rows), unit="D"),
            "pd": pd.array(np.where(rng.random(rows) < 0.1, None, rng.random(rows)), dtype="Float64"),
        }
    )


def test_key_is_sha256_hex() -> None:
    key = h({"seed": 1})
    assert len(key) == 64 and int(key, 16) >= 0


@pytest.mark.parametrize(
    "a, b",
    [
        (1, 1.0),
        (1, True),
        (0, False),
        (1, "1"),
        ("1", b"1"),
        (None, 0),
        (None, ""),
        ([1, 2], (1, 2)),
        ([1, 2], [2, 1]),
        ({"a": 1}, {"a": 1.0}),
        ({1: "x"}, {"1": "x"}),
        (0.0, -0.0),
        (Decimal("1.0"), Decimal("1.00")),
        (Decimal("1"), 1),
        (dt.date(2026, 1, 1), "2026-01-01"),
        (dt.datetime(2026, 1, 1), dt.date(2026, 1, 1)),
        (Approach.SA, "sa"),
        (Shock("a", 1.0), {"name": "a", "size": 1.0}),
        (np.array([1, 2], dtype="int64"), np.array([1, 2], dtype="int32")),
        (np.array([1, 2]), [1, 2]),
        ({"a": [1]}, {"a": [[1]]}),
        (["ab"], ["a", "b"]),
    ],
)
def test_different_values_give_different_keys(a: object, b: object) -> None:
    assert h(a) != h(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        (float("nan"), np.float64("nan")),
        (np.int64(3), 3),
        (np.float64(0.5), 0.5),
        ({1, 2, 3}, {3, 2, 1}),
        (Shock("a", 1.0), Shock("a", 1.0)),
    ],
)
def test_equal_values_give_equal_keys(a: object, b: object) -> None:
    assert h(a) == h(b)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_hashing_is_a_pure_function(value: object) -> None:
    assert h(value) == h(value)


@given(st.dictionaries(st.text(), st.integers(), min_size=2))
def test_dict_order_never_matters(d: dict[str, int]) -> None:
    assert h(d) == h(dict(reversed(list(d.items()))))


def test_unhashable_values_name_where_they_are() -> None:
    with pytest.raises(bs.UnhashableArgumentError, match=r"params\['config'\]\['hook'\]"):
        h({"config": {"hook": object()}})
    with pytest.raises(TypeError):  # UnhashableArgumentError is a TypeError, as callers expect
        h(lambda x: x)


def test_keys_are_identical_in_other_processes() -> None:
    frame = positions(200)
    value = {"seed": 42, "cfg": {"mix": [0.2, 0.8], "when": dt.date(2026, 11, 26)}, "df": frame}
    script = (
        "import sys, pickle, datetime as dt; sys.path.insert(0, 'tests');"
        "from test_hashing import positions; from banksim.hashing import compute_params_hash as h;"
        "cfg = {'mix': [0.2, 0.8], 'when': dt.date(2026, 11, 26)};"
        "print(h({'seed': 42, 'cfg': cfg, 'df': positions(200)}))"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        assert out.stdout.strip() == h(value)


# -- DataFrames -----------------------------------------------------------------------------------


def test_frame_key_ignores_memory_layout() -> None:
    frame = positions()
    reference = frame_fingerprint(frame)
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    buffer.seek(0)
    halves = pd.concat([frame.iloc[:500], frame.iloc[500:]])
    same = [
        frame.copy(),
        frame[list(frame.columns)],
        frame.assign(extra=1).drop(columns="extra"),
        pd.read_parquet(buffer),
        halves,
    ]
    for other in same:
        assert frame_fingerprint(other) == reference
    middle = frame.iloc[100:900]
    rebuilt = pd.concat([frame.iloc[100:500], frame.iloc[500:900]])
    assert frame_fingerprint(middle) == frame_fingerprint(rebuilt) == frame_fingerprint(middle.copy())


def test_frame_key_changes_with_any_value_dtype_label_order_or_index() -> None:
    frame = positions()
    reference = frame_fingerprint(frame)
    changed = [
        frame.assign(drawn=frame["drawn"].where(frame.index != 3, np.nextafter(frame["drawn"][3], np.inf))),
        frame.assign(maturity=frame["maturity"].where(frame.index != 0, frame["maturity"][0] + 1)),
        frame.assign(position_id=frame["position_id"].where(frame.index != 999, "OTHER")),
        frame.assign(currency=frame["currency"].where(frame.index != 5, None)),
        frame.assign(pd=frame["pd"].fillna(0.0)),
        frame.assign(as_of=frame["as_of"] + pd.Timedelta(days=1)),
        frame.assign(maturity=frame["maturity"].astype("int32")),
        frame.assign(currency=frame["currency"].astype(object)),
        frame.assign(exposure_class=frame["exposure_class"].astype(str)),
        frame.assign(exposure_class=frame["exposure_class"].cat.add_categories(["unused"])),
        frame.rename(columns={"drawn": "drawn_amount"}),
        frame.rename(columns={"drawn": "maturity", "maturity": "drawn"}),
        frame[list(reversed(frame.columns))],
        frame.iloc[::-1].reset_index(drop=True),
        frame.set_axis(frame.index + 1),
        frame.rename_axis("row"),
        frame.iloc[:-1],
    ]
    prints = [frame_fingerprint(other) for other in changed]
    assert reference not in prints
    assert len(set(prints)) == len(prints)


def test_series_and_frames_with_unsupported_labels_are_refused() -> None:
    frame = pd.DataFrame({object(): [1]})
    with pytest.raises(bs.UnhashableArgumentError, match="label"):
        h(frame)


def test_object_columns_with_mixed_values_are_hashed_by_value() -> None:
    a = pd.DataFrame({"x": pd.Series([1, "1", None], dtype=object)})
    b = pd.DataFrame({"x": pd.Series(["1", "1", None], dtype=object)})
    assert h(a) != h(b)
    assert h(a) == h(a.copy())


def test_a_column_read_from_its_block_has_the_digest_of_the_column_as_a_series() -> None:
    """The block fast path (NumPy and categorical columns) and the Series path agree, dtype by dtype."""
    rows = 1_500
    frame = pd.DataFrame(
        {
            "float": np.linspace(-1.0, 1.0, rows),
            "int": np.arange(rows, dtype=np.int64),
            "int32": np.arange(rows, dtype=np.int32),
            "bool": np.arange(rows) % 3 == 0,
            "when": pd.date_range("2026-01-01", periods=rows, freq="h"),
            "span": pd.to_timedelta(np.arange(rows), unit="s"),
            "cat": pd.Categorical(["b", "a", "c"] * (rows // 3)),
            "ordered": pd.Categorical(
                ["lo", "hi", "lo"] * (rows // 3), categories=["lo", "hi"], ordered=True
            ),
            "text": [f"id{i}" for i in range(rows)],
            "masked": pd.array(np.arange(rows) % 5, dtype="Int64"),
            "zoned": pd.date_range("2026-01-01", periods=rows, freq="h", tz="Europe/Berlin"),
        }
    )
    frame["float2"] = frame["float"] * 2  # a second float column: a 2-D block of two
    frame = pd.concat([frame, frame[["float"]].rename(columns={"float": "float3"})], axis=1)
    for position, label in enumerate(frame.columns):
        path = f"frame[{label!r}]"
        expected = hashing._values_digest(frame.iloc[:, position], path)
        assert hashing._column_digest(frame, position, path) == expected, label

"""The table being generated: column arrays of category codes, filled product by product.

Categorical columns stay integer codes until the frame is built, so generating costs no string work.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from banksim.positions.columns import POSITIONS_SCHEMA, SCHEMA_BY_NAME, ColumnSpec
from banksim.positions.validation import categorical_from_codes

__all__ = ["Columns", "Picker", "position_ids"]


def position_ids(count: int) -> pd.Series:
    """'POS-000000001' ... built from bytes (an f-string per row is 10x slower)."""
    width = max(9, len(str(count)))
    matrix = np.empty((count, 4 + width), dtype=np.uint8)
    matrix[:, :4] = np.frombuffer(b"POS-", dtype=np.uint8)
    rest = np.arange(1, count + 1, dtype=np.int64)
    for column in range(3 + width, 3, -1):
        matrix[:, column] = rest % 10 + 48
        rest //= 10
    offsets = np.arange(count + 1, dtype=np.int32) * (4 + width)
    array = pa.Array.from_buffers(pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(matrix)])
    return pd.Series(array.to_pandas(), dtype="str", name="position_id")


class Columns:
    """Column arrays of the frame being generated, filled product by product (vectorised).

    Categorical columns are kept as integer codes, so building the frame costs no string work.
    """

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.data: dict[str, np.ndarray] = {}
        self.labels: dict[str, list[str]] = {}
        for spec in POSITIONS_SCHEMA[1:]:
            if spec.dtype == "category":
                self.data[spec.name] = np.full(rows, spec.allowed.index(spec.default), dtype=np.int16)
            elif spec.dtype == "label":
                self.data[spec.name] = np.zeros(rows, dtype=np.int32)
                self.labels[spec.name] = [spec.default]
            elif spec.dtype == "bool":
                self.data[spec.name] = np.full(rows, bool(spec.default))
            else:
                self.data[spec.name] = np.full(rows, spec.default, dtype="float64")

    def set(self, mask: Any, **values: Any) -> None:
        for name, value in values.items():
            spec = SCHEMA_BY_NAME[name]
            if spec.dtype == "category":
                value = _codes(value, spec)
            self.data[name][mask] = value

    def frame(self, position_ids: pd.Series) -> pd.DataFrame:
        columns: dict[str, Any] = {"position_id": position_ids}
        for spec in POSITIONS_SCHEMA[1:]:
            values = self.data[spec.name]
            if spec.dtype == "category":
                columns[spec.name] = categorical_from_codes(values, list(spec.allowed))
            elif spec.dtype == "label":
                columns[spec.name] = categorical_from_codes(values, self.labels[spec.name])
            else:
                columns[spec.name] = values
        return pd.DataFrame(columns)


def _codes(value: Any, spec: ColumnSpec) -> Any:
    """Category codes of a string or an array of strings (integer arrays are codes already)."""
    if isinstance(value, str):
        return spec.allowed.index(value)
    array = np.asarray(value)
    if array.dtype.kind in "iu":
        return array
    array = array.astype(str)
    order = np.argsort(np.array(spec.allowed))
    ordered = np.array(spec.allowed)[order]
    position = np.clip(np.searchsorted(ordered, array), 0, len(ordered) - 1)
    if not (ordered[position] == array).all():
        raise ValueError(f"generator bug: value outside the {spec.name} categories")
    return order[position]


class Picker:
    """``n`` values drawn from ``values`` with probabilities ``p`` (one ``rng.choice`` call)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def __call__(self, n: int, values: tuple[str, ...], p: tuple[float, ...]) -> np.ndarray:
        return np.array(values)[self.rng.choice(len(values), size=n, p=np.array(p))]

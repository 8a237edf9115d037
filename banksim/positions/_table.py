"""Validation of a small input table (ECL exposures, repricing positions) against its column specs.

Same contract as the positions validation: structured ``InputError`` naming the column, the first
offending ids and what is allowed; missing optional columns take their default; dtypes normalised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.columns import ColumnSpec
from banksim.positions.validation import BLANK_WORDS, FLAG_WORDS, strictly_increasing
from banksim.positions.validation import categorical_from_codes as categorical

__all__ = ["failures", "reject", "validate_table"]

BLANKS = BLANK_WORDS
TRUTH = FLAG_WORDS


def failures(frame: pd.DataFrame, mask: np.ndarray, column: str, key: str = "position_id") -> list[str]:
    """The first five offending rows as ``'id: value'`` strings."""
    bad = frame.loc[mask]
    keys = bad[key] if key in bad.columns else pd.Series(bad.index, index=bad.index)
    if column not in bad.columns:
        return [str(k) for k in list(dict.fromkeys(keys))[:5]]
    return [f"{k}: {v!r}" for k, v in zip(keys[:5], bad[column][:5], strict=False)]


def reject(
    table: str,
    frame: pd.DataFrame,
    mask: np.ndarray,
    column: str,
    reason: str,
    allowed: str | Sequence[Any] | None = None,
) -> None:
    """Raise an ``InputError`` on ``table[column]`` if any row of ``mask`` is set."""
    if not mask.any():
        return
    raise InputError(
        f"{table}[{column!r}]",
        f"{reason} ({int(mask.sum())} rows)",
        failure_cases=failures(frame, mask, column),
        allowed=allowed,
    )


def validate_table(frame: Any, specs: Sequence[ColumnSpec], table: str) -> pd.DataFrame:
    """Check ``frame`` against ``specs`` and return a new, normalised DataFrame.

    Required columns must be present and complete; a missing optional column, or a blank cell of
    one, takes the spec's default (NaN stays NaN where the default is NaN: "not applicable").
    Categories must be in ``allowed``; flags true/false; numbers finite and within
    ``minimum``/``maximum``. The first spec is the row key (``position_id``): non-empty, unique.
    Extra columns are kept after the spec's columns.

    Raises
    ------
    InputError
        Naming ``table[column]``, the first offending rows and what is allowed.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(table, f"expected a pandas DataFrame, got {type(frame).__name__}")
    names = [spec.name for spec in specs]
    missing = [spec.name for spec in specs if spec.required and spec.name not in frame.columns]
    if missing:
        raise InputError(table, f"missing required columns {missing}", allowed=names)
    frame = frame.reset_index(drop=True)
    key = specs[0].name
    ids = frame[key] if frame[key].dtype == "str" else frame[key].astype("str")
    reject(table, frame, (frame[key].isna() | (ids == "")).to_numpy(), key, "has empty values")
    if not strictly_increasing(ids):  # sorted ids (as generated) are unique: no hash table
        reject(table, frame, ids.duplicated().to_numpy(), key, "must be unique")
    columns: dict[str, Any] = {key: ids.array}  # kept as they are (Arrow strings: no copy per row)
    for spec in specs[1:]:
        columns[spec.name] = _column(frame, spec, table)
    extras = {name: frame[name] for name in frame.columns if name not in names}
    return pd.DataFrame({**columns, **extras})


def _column(frame: pd.DataFrame, spec: ColumnSpec, table: str) -> Any:
    rows = len(frame)
    if spec.name not in frame.columns:
        if spec.dtype in ("category", "label"):
            return pd.Categorical(np.full(rows, spec.default, dtype=object), categories=_cats(spec, []))
        if spec.dtype == "bool":
            return np.full(rows, bool(spec.default))
        return np.full(rows, spec.default, dtype="float64")
    if spec.dtype in ("category", "label"):
        return _category(frame, spec, table)
    if spec.dtype == "bool":
        return _flag(frame, spec, table)
    return _number(frame, spec, table)


def _cats(spec: ColumnSpec, seen: Sequence[str]) -> list[str]:
    if spec.dtype == "category":
        return list(spec.allowed)
    return list(dict.fromkeys([*sorted(seen), str(spec.default)]))


def _blank(values: pd.Series) -> np.ndarray:
    text = values.astype("str").str.strip().str.lower()
    return values.isna().to_numpy() | text.isin(BLANKS).to_numpy()


def _category(frame: pd.DataFrame, spec: ColumnSpec, table: str) -> Any:
    """Work on the column's few distinct values, then map the codes (no string work per row)."""
    values = frame[spec.name]
    if not isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("category")
    names = np.array([str(c).strip() for c in values.cat.categories], dtype=object)
    codes = values.cat.codes.to_numpy()
    blank = (codes < 0) | np.append(names == "", False)[codes]
    reject(table, frame, blank & spec.required, spec.name, "has missing values", spec.allowed or None)
    names = np.append(names, spec.default)  # code -1 (missing) takes the default
    blank_names = np.append(names[:-1] == "", False)
    names[blank_names] = spec.default
    categories = _cats(spec, sorted({str(n) for n in names}))
    known = np.isin(names, categories)
    if spec.dtype == "category":
        bad = ~known[codes]
        reject(table, frame, bad, spec.name, "has values outside the allowed set", spec.allowed)
    position = {name: i for i, name in enumerate(categories)}
    mapping = np.array([position.get(str(n), 0) for n in names], dtype=np.int64)
    return categorical(mapping[codes], categories)


def _flag(frame: pd.DataFrame, spec: ColumnSpec, table: str) -> np.ndarray:
    values = frame[spec.name]
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype("str").str.strip().str.lower()
    blank = _blank(values)
    reject(
        table, frame, ~text.isin(TRUTH).to_numpy() & ~blank, spec.name, "is not a true/false flag",
        "True/False, 1/0, yes/no (a blank cell takes the column's default)",
    )  # fmt: skip
    return np.where(blank, bool(spec.default), text.map(TRUTH).to_numpy(dtype=object)).astype(bool)


def _number(frame: pd.DataFrame, spec: ColumnSpec, table: str) -> np.ndarray:
    values = frame[spec.name]
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    reject(table, frame, (numbers.isna() & values.notna()).to_numpy(), spec.name, "is not numeric")
    array = numbers.to_numpy()
    reject(table, frame, np.isinf(array), spec.name, "has infinite values", "finite numbers")
    nan_default = isinstance(spec.default, float) and np.isnan(spec.default)
    if spec.required:
        reject(table, frame, np.isnan(array), spec.name, "has missing values (NaN)", "finite numbers")
    elif not nan_default:
        array = np.where(np.isnan(array), spec.default, array)
    if spec.minimum is not None:
        reject(table, frame, array < spec.minimum, spec.name, f"must be >= {spec.minimum:g}")
    if spec.maximum is not None:
        reject(table, frame, array > spec.maximum, spec.name, f"must be <= {spec.maximum:g}")
    return array

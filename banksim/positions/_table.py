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
    unchanged = ids.dtype == frame[key].dtype
    for spec in specs[1:]:
        ready = _ready(frame, spec)  # already normalised and passing every check: used as it is
        unchanged &= ready is not None
        columns[spec.name] = _column(frame, spec, table) if ready is None else ready
    extras = {name: frame[name] for name in frame.columns if name not in names}
    if unchanged and _same_layout(frame, [*columns, *extras]):
        return frame  # what the rebuild would give (a new frame, sharing the data until written)
    return pd.DataFrame({**columns, **extras})


def _same_layout(frame: pd.DataFrame, labels: list[Any]) -> bool:
    """``frame`` has the columns (labels, order, Index type), no attrs and the flags of
    ``pd.DataFrame`` built from a dict keyed by ``labels``."""
    built = pd.Index(labels)
    columns = frame.columns
    return (
        type(columns) is type(built)
        and columns.dtype == built.dtype
        and columns.name is None
        and columns.equals(built)
        and not frame.attrs
        and frame.flags.allows_duplicate_labels
    )


def _ready(frame: pd.DataFrame, spec: ColumnSpec) -> Any:
    """The column of ``spec`` as ``_column`` would return it, if it is already in that form and
    passes every check of ``_column`` (so the result is the same, bit for bit); else None.

    A number column: ``float64``, finite (NaN only where the default is NaN), within the bounds. A
    category column: the categories ``spec.allowed`` in order (with the dtype of their Index) and no
    missing value. A flag: ``bool``. Anything else (labels, text, blanks to fill) takes ``_column``.
    """
    if spec.name not in frame.columns:
        return None
    values = frame[spec.name]
    if not isinstance(values, pd.Series):  # a label given twice: _column says what is wrong
        return None
    dtype = values.dtype
    if spec.dtype == "bool":
        return values.to_numpy() if dtype == np.dtype(bool) else None
    if spec.dtype == "category":
        if not (isinstance(dtype, pd.CategoricalDtype) and _plain(spec)) or dtype.ordered:
            return None
        categories, allowed = dtype.categories, pd.Index(list(spec.allowed))
        if categories.dtype != allowed.dtype or not categories.equals(allowed):
            return None
        codes = values.cat.codes.to_numpy()
        return values.array if len(codes) == 0 or codes.min() >= 0 else None
    if spec.dtype == "label" or dtype != np.float64:
        return None
    array = values.to_numpy()
    nan_default = isinstance(spec.default, float) and np.isnan(spec.default)
    if not (np.isfinite(array).all() or (nan_default and not spec.required and not np.isinf(array).any())):
        return None  # an infinity or a NaN to reject or to fill with the default
    if spec.minimum is not None and (array < spec.minimum).any():
        return None
    if spec.maximum is not None and (array > spec.maximum).any():
        return None
    return array


def _plain(spec: ColumnSpec) -> bool:
    """The allowed values are non-blank text without surrounding spaces (``_category`` keeps them)."""
    return all(isinstance(a, str) and a == a.strip() != "" for a in spec.allowed)


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

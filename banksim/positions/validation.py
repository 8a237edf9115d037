"""Validation of a positions table against ``POSITIONS_SCHEMA``: clear errors, normalised dtypes.

A table already in the schema's form (as generated, or reloaded) is returned as it is, without a
copy; anything else is checked column by column and rebuilt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from banksim.errors import InputError
from banksim.hashing import (
    content_marked,
    frame_checked,
    frame_state,
    known_frame_key,
    mark_content,
    mark_frame,
)
from banksim.positions.columns import POSITIONS_SCHEMA, REQUIRED_COLUMNS, SCHEMA_BY_NAME, ColumnSpec

__all__ = [
    "categorical_from_codes",
    "strictly_increasing",
    "take_rows",
    "validate_changed_columns",
    "validate_positions",
]


# How a true/false cell may be written, and the text of a blank cell, in every table banksim reads
# (positions, protection, trading book, ECL and IRRBB inputs).
FLAG_WORDS = {"true": True, "1": True, "1.0": True, "yes": True,
              "false": False, "0": False, "0.0": False, "no": False}  # fmt: skip
BLANK_WORDS = ("", "nan", "none", "<na>")


def _failures(frame: pd.DataFrame, mask: np.ndarray, column: str) -> list[str]:
    bad = frame.loc[mask]
    return [f"{pid}: {value!r}" for pid, value in zip(bad["position_id"][:5], bad[column][:5], strict=False)]


def validate_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """Check a positions table against ``POSITIONS_SCHEMA`` and return it normalised.

    Required columns must be present; missing optional columns get their documented default;
    categorical columns become ``category`` with the allowed values as categories; numeric
    columns ``float64``; flags ``bool``. Extra columns are kept after the schema's columns.
    Numbers must be finite (no ±inf anywhere). A blank (NaN) cell of an optional column takes the
    column's documented default, as a missing column does (NaN itself where it means "not
    applicable": ``ltv``, ``pd``, ...); a required column has no default, so a NaN
    ``drawn_amount`` is an error, never 0.

    Raises
    ------
    InputError
        Naming the column, the first offending positions and values, and what is allowed.
    """
    if not isinstance(positions, pd.DataFrame):
        raise InputError("positions", f"expected a pandas DataFrame, got {type(positions).__name__}")
    # A table found valid against this schema and unchanged since (the same frame, or one whose
    # content key the hashing memo knows: a cached step's argument, a result handed out by the
    # store) is not checked again; the table returned is marked valid for the next step.
    key = known_frame_key(positions)
    if frame_checked(positions, POSITIONS_SCHEMA):
        if key is not None:
            mark_content(key, POSITIONS_SCHEMA)  # for other frames of the same content
        return _valid(positions.reset_index(drop=True))
    if content_marked(key, POSITIONS_SCHEMA):
        return _valid(positions.reset_index(drop=True))
    state = frame_state(positions)  # before the checks: a write during them is not marked valid
    missing = [name for name in REQUIRED_COLUMNS if name not in positions.columns]
    if missing:
        raise InputError("positions", f"missing required columns {missing}", allowed=list(SCHEMA_BY_NAME))
    frame = positions.reset_index(drop=True)
    ids = frame["position_id"].astype("str")
    if ids.isna().any() or (ids == "").any():
        raise InputError("positions['position_id']", "has empty values")
    if not strictly_increasing(ids) and ids.duplicated().any():
        duplicated = ids[ids.duplicated()]
        raise InputError(
            "positions['position_id']", "must be unique", failure_cases=duplicated.unique()[:5].tolist()
        )
    columns: dict[str, Any] = {"position_id": ids}
    unchanged = ids.dtype == frame["position_id"].dtype
    for spec in POSITIONS_SCHEMA[1:]:
        if spec.name not in frame.columns:
            columns[spec.name] = _default_column(spec, len(frame))
            unchanged = False
            continue
        if _conforms(frame[spec.name], spec):
            columns[spec.name] = frame[spec.name].array
            continue
        columns[spec.name] = _normalise(frame, spec)
        unchanged = False
    extras = {name: frame[name] for name in frame.columns if name not in SCHEMA_BY_NAME}
    if unchanged and list(frame.columns) == [*columns, *extras]:
        if frame.index.equals(positions.index):  # the same content as given
            mark_frame(positions, POSITIONS_SCHEMA, state)
            if key is not None:
                mark_content(key, POSITIONS_SCHEMA)
        return _valid(frame)  # already in the schema's form: no copy of a large table
    return _valid(pd.DataFrame({**columns, **extras}))


def validate_changed_columns(
    frame: pd.DataFrame, source: pd.DataFrame, columns: Sequence[str]
) -> pd.DataFrame:
    """:func:`validate_positions` of ``frame``, a table made from the valid table ``source`` by
    replacing ``columns`` only: those are checked, the rest are ``source``'s, found valid already.

    Falls back to the full check (with its errors and normalisation) when ``source`` was not
    validated (or changed since), the rows, index or column labels differ, or a replaced column
    is not already in the schema's form.
    """
    conforming = (
        frame_checked(source, POSITIONS_SCHEMA)
        and list(frame.columns) == list(source.columns)
        and frame.index.equals(source.index)
        and isinstance(frame.index, pd.RangeIndex)
        and all(name in SCHEMA_BY_NAME and _conforms(frame[name], SCHEMA_BY_NAME[name]) for name in columns)
    )
    return _valid(frame) if conforming else validate_positions(frame)


def take_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The rows ``rows`` (positions, in order, each once) of a positions table, renumbered from 0;
    marked valid if ``frame`` was found valid (a selection of valid rows is a valid table)."""
    subset = frame.take(rows).reset_index(drop=True)
    if frame_checked(frame, POSITIONS_SCHEMA) and _each_once(np.asarray(rows)):
        mark_frame(subset, POSITIONS_SCHEMA)
    return subset


def _each_once(rows: np.ndarray) -> bool:
    """No row twice: at once for increasing rows (a mask's), else by sorting them."""
    if len(rows) < 2 or bool((rows[1:] > rows[:-1]).all()):
        return True
    return len(np.unique(rows)) == len(rows)


def _valid(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``, marked as valid against the schema as it is now (:func:`banksim.hashing.mark_frame`)."""
    mark_frame(frame, POSITIONS_SCHEMA)
    return frame


def categorical_from_codes(codes: np.ndarray, categories: Any) -> Any:
    """A Categorical from integer codes (no string work)."""
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(categories)))


def _default_column(spec: ColumnSpec, rows: int) -> Any:
    if spec.dtype == "category":
        return categorical_from_codes(
            np.full(rows, spec.allowed.index(spec.default), dtype=np.int8), spec.allowed
        )
    if spec.dtype == "bool":
        return np.full(rows, bool(spec.default))
    if spec.dtype == "label":
        return categorical_from_codes(np.zeros(rows, dtype=np.int8), [spec.default])
    return np.full(rows, spec.default, dtype="float64")


def strictly_increasing(ids: pd.Series) -> bool:
    """Sorted ids (as generated) are unique: one vectorised comparison instead of a hash table."""
    array = pa.array(ids.array)
    return len(array) < 2 or bool(pc.all(pc.less(array[:-1], array[1:])).as_py())


def _conforms(values: pd.Series, spec: ColumnSpec) -> bool:
    """The column already has the schema's dtype and no missing values: it can be used as is."""
    dtype = values.dtype
    if spec.dtype == "category":
        return (
            isinstance(dtype, pd.CategoricalDtype)
            and tuple(dtype.categories[: len(spec.allowed)]) == spec.allowed
            and _pattern_extras(spec, dtype.categories[len(spec.allowed) :])
            and not (values.cat.codes.to_numpy() < 0).any()
        )
    if spec.dtype == "label":
        return (
            isinstance(dtype, pd.CategoricalDtype)
            and all(isinstance(c, str) for c in dtype.categories)
            and not (values.cat.codes.to_numpy() < 0).any()
        )
    if spec.dtype == "bool":
        return dtype == np.dtype(bool)
    if dtype != np.float64:
        return False
    numbers = values.to_numpy()
    return not (
        (spec.minimum is not None and (numbers < spec.minimum).any())
        or (spec.maximum is not None and (numbers > spec.maximum).any())
        or (np.isinf(numbers).any() if _nan_allowed(spec) else not np.isfinite(numbers).all())
    )


def _pattern_extras(spec: ColumnSpec, extras: Any) -> bool:
    """Categories after the listed ones are codes the column's pattern admits, none listed twice."""
    if len(extras) == 0:
        return True
    if spec.pattern is None:
        return False
    text = pd.Index(extras).astype("str")
    return bool(text.str.fullmatch(spec.pattern).all()) and not text.isin(spec.allowed).any()


def _allowed(spec: ColumnSpec) -> Any:
    if spec.pattern is None:
        return spec.allowed
    return f"{', '.join(spec.allowed)}, or another code matching {spec.pattern}"


def _nan_allowed(spec: ColumnSpec) -> bool:
    """NaN means "not applicable" in a column whose default is NaN (ltv, pd, ...)."""
    return isinstance(spec.default, float) and np.isnan(spec.default)


def _normalise(frame: pd.DataFrame, spec: ColumnSpec) -> Any:
    column = f"positions[{spec.name!r}]"
    values = frame[spec.name]
    if spec.dtype == "category":
        missing = values.isna().to_numpy()
        if spec.name in REQUIRED_COLUMNS and missing.any():  # a required column has no default
            raise InputError(
                column,
                "has missing values",
                failure_cases=_failures(frame, missing, spec.name),
                allowed=spec.allowed,
            )
        if not isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype("str").astype("category")
        categories = values.cat.categories.astype("str")
        unknown = ~categories.isin(spec.allowed)
        extras: list[str] = []
        if spec.pattern is not None:  # new codes (countries, currencies) after the listed ones
            admitted = unknown & np.asarray(categories.str.fullmatch(spec.pattern), dtype=bool)
            extras = sorted(categories[admitted])
            unknown &= ~admitted
        if unknown.any():
            bad = np.isin(values.cat.codes.to_numpy(), np.flatnonzero(unknown))
            raise InputError(
                column,
                "has values outside the allowed set",
                failure_cases=_failures(frame, bad, spec.name),
                allowed=_allowed(spec),
            )
        values = (
            values.cat.rename_categories(list(categories))
            if not categories.equals(values.cat.categories)
            else values
        )
        result = values.cat.set_categories([*spec.allowed, *extras])
        return result.fillna(spec.default).array
    if spec.dtype == "label":
        return pd.Categorical(values.astype("str").fillna(spec.default))
    if spec.dtype == "bool":
        if values.dtype == bool:
            return values.to_numpy()
        text = values.astype("str").str.strip().str.lower()
        mapping = FLAG_WORDS
        blank = values.isna().to_numpy() | text.isin(BLANK_WORDS).to_numpy()
        bad = ~text.isin(mapping).to_numpy() & ~blank
        if bad.any():
            raise InputError(
                column,
                "is not a true/false flag",
                failure_cases=_failures(frame, bad, spec.name),
                allowed="True/False, 1/0, yes/no (a blank cell takes the column's default)",
            )
        # A blank cell takes the column's default (performing: True), never a silent False.
        return np.where(blank, bool(spec.default), text.map(mapping).to_numpy(dtype=object)).astype(bool)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (numbers.isna() & values.notna()).to_numpy()
    if bad.any():
        raise InputError(column, "is not numeric", failure_cases=_failures(frame, bad, spec.name))
    numbers = numbers.astype("float64")
    finite = "finite numbers" + (" or NaN (not applicable)" if _nan_allowed(spec) else "")
    bad = np.isinf(numbers.to_numpy())
    if bad.any():
        raise InputError(
            column, "has infinite values", failure_cases=_failures(frame, bad, spec.name), allowed=finite
        )
    bad = numbers.isna().to_numpy()
    if spec.name in REQUIRED_COLUMNS and bad.any():  # a required amount has no default: never 0
        raise InputError(
            column, "has missing values (NaN)", failure_cases=_failures(frame, bad, spec.name), allowed=finite
        )
    if spec.minimum is not None:
        bad = (numbers < spec.minimum).to_numpy()
        if bad.any():
            raise InputError(
                column, f"must be >= {spec.minimum:g}", failure_cases=_failures(frame, bad, spec.name)
            )
    if spec.maximum is not None:
        bad = (numbers > spec.maximum).to_numpy()
        if bad.any():
            raise InputError(
                column, f"must be <= {spec.maximum:g}", failure_cases=_failures(frame, bad, spec.name)
            )
    if not _nan_allowed(spec):
        numbers = numbers.fillna(spec.default)  # a blank cell of an optional column: its default
    return numbers.to_numpy()

"""Small vectorised helpers shared by the regulation modules: category tests, lookups, rule labels.

All work is on the integer codes of the validated positions' categoricals; nothing loops per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError


def is_in(frame: pd.DataFrame, column: str, *values: str) -> np.ndarray:
    """Boolean mask of rows whose categorical ``column`` is one of ``values``."""
    series = frame[column]
    if not isinstance(series.dtype, pd.CategoricalDtype):  # a user's or a reloaded table
        text = series.astype(str)
        if len(values) == 1:  # one comparison (a missing value equals nothing), twice isin's speed
            return (text == values[0]).to_numpy(dtype=bool)
        return text.isin(values).to_numpy()
    categories = series.dtype.categories
    wanted = [int(categories.get_loc(v)) for v in values if v in categories]  # type: ignore[arg-type]
    codes = series.array.codes  # the Categorical's own codes (a read-only view, no Series built)
    return codes_among(codes, wanted)


def codes_among(codes: np.ndarray, wanted: Sequence[int]) -> np.ndarray:
    """Boolean mask of the ``codes`` that are among ``wanted``: a comparison per wanted code for a
    few of them (np.isin first widens int8 codes, twenty times slower), a lookup beyond."""
    if not wanted:
        return np.zeros(len(codes), dtype=bool)
    if len(wanted) > FEW_CODES:
        return np.isin(codes, wanted, kind="table")
    mask = codes == wanted[0]
    for code in wanted[1:]:
        mask |= codes == code
    return mask


# Up to this many wanted codes, a mask is built by comparisons (see codes_among).
FEW_CODES = 8


def ids_in(ids: pd.Series, wanted: pd.Series) -> np.ndarray:
    """Boolean mask of the ``ids`` that are among ``wanted`` (identifiers such as ``position_id``):
    Arrow's hash lookup, not pandas' ``isin`` (which is a hundred times slower on string columns)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values, value_set = pa.array(ids.array), pa.array(wanted.array)
        text = (pa.types.is_string, pa.types.is_large_string)
        if not (any(t(values.type) for t in text) and any(t(value_set.type) for t in text)):
            return ids.isin(wanted).to_numpy()  # only text ids take the fast route
        if values.type != value_set.type:
            value_set = value_set.cast(values.type)
        return pc.is_in(values, value_set=value_set).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return ids.isin(wanted).to_numpy()


def lookup(frame: pd.DataFrame, column: str, mapping: Mapping[str, Any], default: Any = np.nan) -> np.ndarray:
    """Map a categorical column through ``mapping`` (applied to its few categories, then to codes)."""
    series = frame[column]
    table = np.array([mapping.get(str(c), default) for c in series.cat.categories] + [default])
    return np.take(table, series.array.codes)  # code -1 (missing) takes the last entry: default


def labels(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A categorical column as a numpy string array (built from codes: no Python object per row)."""
    series = frame[column]
    categories = np.asarray(series.cat.categories.astype(str), dtype=str)
    return np.append(categories, "")[series.array.codes]


def concat_categorical(parts: Sequence[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    """Concatenate frames keeping ``columns`` categorical: one union of categories (in the order the
    parts list them), each part's codes mapped to it through its few categories (no strings per row).
    The parts are left as they are."""
    order = list(dict.fromkeys(name for part in parts for name in part.columns))  # as pd.concat's
    rest = pd.concat([part.drop(columns=list(columns)) for part in parts], ignore_index=True)
    for column in sorted(columns, key=order.index):
        rest.insert(order.index(column), column, _union([part[column] for part in parts]))
    return rest


def _union(values: Sequence[pd.Series]) -> Any:
    """The series end to end as one Categorical, its categories those of each in turn (as text)."""
    coded = [_codes_and_categories(value) for value in values]
    categories = list(dict.fromkeys(name for _, names in coded for name in names))
    place = {name: code for code, name in enumerate(categories)}
    codes = np.concatenate(
        [np.array([place[name] for name in names] + [-1], dtype=np.int32)[own] for own, names in coded]
    )  # code -1 (missing) takes the last entry: -1
    ordered = all(isinstance(value.dtype, pd.CategoricalDtype) and value.dtype.ordered for value in values)
    return pd.Categorical.from_codes(
        codes, dtype=_union_dtype(values[0], categories, ordered), validate=False
    )


def _union_dtype(first: pd.Series, categories: list[str], ordered: bool) -> pd.CategoricalDtype:
    """The dtype of the union: the first series' own when it lists those categories (as the list of
    text would make them), else a new one."""
    dtype = first.dtype
    if (
        isinstance(dtype, pd.CategoricalDtype)
        and dtype.categories.dtype == _TEXT_CATEGORIES
        and dtype.ordered == ordered
        and dtype.categories.tolist() == categories
    ):
        return dtype
    return pd.CategoricalDtype(categories, ordered=ordered)


# The dtype pandas gives categories made from a list of text.
_TEXT_CATEGORIES = pd.CategoricalDtype(["text"]).categories.dtype


def _codes_and_categories(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """The series' codes and categories (as text): its own if categorical, else as
    ``astype("category")`` makes them (the sorted distinct values, missing values code -1)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.array.codes, [str(c) for c in series.dtype.categories.tolist()]
    if len(series) <= FEW_ROWS:  # a few lines: coded in Python
        values = [None if pd.isna(value) else value for value in series.tolist()]
        try:
            names = sorted({value for value in values if value is not None})
        except TypeError:  # values that do not compare (text beside numbers): as pandas sorts them
            pass
        else:
            place = {name: code for code, name in enumerate(names)}
            own = np.array([-1 if value is None else place[value] for value in values], dtype=np.int32)
            return own, [str(name) for name in names]
    codes, uniques = pd.factorize(series, sort=True)
    return codes, [str(c) for c in uniques.tolist()]


# Up to this many rows, a text column's codes are found in Python (pandas' factorize costs more).
FEW_ROWS = 256


def categorical(codes: np.ndarray, categories: Sequence[str]) -> Any:
    """A Categorical from integer codes (no string work per row)."""
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(categories)))


def sums_by_category(lines: pd.DataFrame, mask: np.ndarray) -> dict[str, float]:
    """Sum of ``weighted_amount`` by ``category`` over the rows in ``mask`` (categories present only)."""
    categories = lines["category"].cat.categories
    codes = lines["category"].cat.codes.to_numpy()[mask]
    weights = lines["weighted_amount"].to_numpy()[mask]
    sums = np.bincount(codes, weights=weights, minlength=len(categories))
    present = np.bincount(codes, minlength=len(categories)) > 0
    return {str(categories[int(i)]): float(sums[i]) for i in np.flatnonzero(present)}


class Rules:
    """Per-row rule references (e.g. ``CRE20.42``) kept as codes, returned as a Categorical."""

    def __init__(self, rows: int) -> None:
        self.labels: list[str] = [""]
        self.codes = np.zeros(rows, dtype=np.int16)

    def set(self, mask: np.ndarray, rule: str) -> None:
        if rule not in self.labels:
            self.labels.append(rule)
        self.codes[mask] = self.labels.index(rule)

    def categorical(self) -> pd.Categorical:
        return categorical(self.codes, self.labels)


def fail(
    frame: pd.DataFrame,
    mask: np.ndarray,
    column: str,
    reason: str,
    allowed: Sequence[Any] | str | None = None,
) -> None:
    """Raise an ``InputError`` naming ``column`` and the first offending positions, if any row fails."""
    if not mask.any():
        return
    bad = frame.loc[mask]
    cases = [f"{pid}: {value!r}" for pid, value in zip(bad["position_id"][:5], bad[column][:5], strict=False)]
    raise InputError(
        f"positions[{column!r}]",
        f"{reason} ({int(mask.sum())} positions)",
        failure_cases=cases,
        allowed=allowed,
    )


class Decisions:
    """A decision list over rows: the first matching rule wins.

    Each row ends with a category, a factor (a run-off rate, an ASF/RSF factor...) and the
    paragraph it comes from; rows no rule matched keep category ''.
    """

    def __init__(self, rows: int) -> None:
        self.category = Rules(rows)
        self.rule = Rules(rows)
        self.factor = np.full(rows, np.nan)
        self.decided = np.zeros(rows, dtype=bool)

    def add(self, mask: np.ndarray, category: str, factor: float | np.ndarray, rule: str) -> None:
        new = mask & ~self.decided
        if not new.any():
            return
        self.category.set(new, category)
        self.rule.set(new, rule)
        self.factor[new] = factor[new] if isinstance(factor, np.ndarray) else factor
        self.decided |= new

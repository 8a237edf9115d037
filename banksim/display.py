"""How banksim shows numbers and names to people: amounts with thousands separators, ratios as %.

:func:`styled` dresses a table for reading (a pandas Styler in a notebook, aligned text in a plain
Python session) and never changes the frame, whose columns keep their numeric dtypes for code.
:func:`label` turns a column or metric name into the words a report uses ("cet1_ratio" -> "CET1 ratio").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = ["label", "styled"]

LABELS = {
    "cet1_ratio": "CET1 ratio",
    "tier1_ratio": "Tier 1 ratio",
    "total_capital_ratio": "total capital ratio",
    "leverage_ratio": "leverage ratio",
    "lcr": "LCR",
    "nsfr": "NSFR",
    "hqla": "HQLA",
    "asf": "ASF",
    "rsf": "RSF",
    "rwa": "RWA",
    "floored_rwa": "RWA (floored)",
    "rwa_standardised": "RWA (standardised)",
    "credit_rwa": "credit RWA",
    "counterparty_rwa": "counterparty RWA",
    "operational_rwa": "operational RWA",
    "mda_quartile": "MDA quartile",
    "maximum_payout_ratio": "maximum payout",
    "combined_buffer_requirement": "combined buffer requirement",
    "cet1": "CET1",
    "at1": "AT1",
    "tier2": "Tier 2",
    "pd": "PD",
    "lgd": "LGD",
    "ltv": "LTV",
    "ccf": "CCF",
}
# Words inside identifiers (categories such as "loans_ge_1y_rw_gt_35", "fi_lt_6m_other").
WORDS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "rw": "RW", "fi": "FI", "hqla": "HQLA", "mdb": "MDB",
         "pse": "PSE", "sme": "SME", "ccp": "CCP", "cva": "CVA", "irb": "IRB", "rwa": "RWA",
         "ltv": "LTV", "lcr": "LCR", "nsfr": "NSFR", "asf": "ASF", "rsf": "RSF", "cet1": "CET1"}  # fmt: skip
# Shares of something: shown as percentages (a name ending in _ratio, _rate, _weight or _change too).
PERCENT = frozenset(
    {"lcr", "nsfr", "factor", "risk_weight", "average_risk_weight", "combined_buffer_requirement",
     "maximum_payout_ratio", "lcr_minimum", "nsfr_minimum", "pd", "lgd", "ltv", "ccf", "share"}
)  # fmt: skip
PERCENT_SUFFIXES = ("_ratio", "_rate", "_weight", "_change", "_share")
# Identifiers and small counts: shown as they are, without a thousands separator.
PLAIN = frozenset({"seed", "pid", "mda_quartile", "quartile", "hits", "depth", "year"})
UNIT_FORMATS = {"ratio": "{:.2%}", "percent": "{:.2%}", "amount": "{:,.0f}"}
CellFormat = tuple[Any, Any, Callable[[Any], str]]  # rows (labels, or slice(None) for all), column, format


def label(name: str) -> str:
    """The reader's words for a column or metric name: ``"cet1_ratio"`` -> ``"CET1 ratio"``.

    Known names come from :data:`LABELS`; any other has its underscores replaced by spaces and
    its abbreviations spelled out (``"loans_ge_1y_rw_gt_35"`` -> ``"loans ≥ 1y RW > 35"``).
    """
    text = str(name)
    if text in LABELS:
        return LABELS[text]
    return " ".join(WORDS.get(word, word) for word in text.split("_"))


def styled(
    table: pd.DataFrame | pd.Series | Mapping[str, Any],
    *,
    percent: Iterable[str] = (),
    amount: Iterable[str] = (),
    labels: bool = True,
) -> Any:
    """Show a banksim table for reading: amounts as ``5,366,900,000``, ratios as ``12.54%``.

    Parameters
    ----------
    table : DataFrame, Series or dict
        Any banksim table (``capital_statement``, ``rwa_summary``, a ``sweep``, a query result) or a
        summary dict (``liquidity``: its scalar entries become rows; nested entries are left out).
        A table with ``value`` and ``unit`` columns (the capital statement) is formatted row by row.
    percent, amount : iterable of str
        Columns to show as percentages, or as whole amounts with separators, beyond those
        recognised by name (ratios, LCR, NSFR, risk weights; RWA, exposures, HQLA, ...).
    labels : bool
        Show column headers in words (:func:`label`).

    Returns
    -------
    pandas.io.formats.style.Styler
        A Styler (HTML in Jupyter and Voila) whose ``repr`` is the aligned text table, for a plain
        Python session. The numbers stay in ``styler.data``; ``table`` itself is not changed.

    Examples
    --------
    >>> styled(pd.DataFrame({"rwa": [5.3669e9], "cet1_ratio": [0.125388]}))
              RWA CET1 ratio
    5,366,900,000     12.54%
    """
    frame = _as_frame(table)
    cells = _cell_formats(frame, set(percent), set(amount))
    styler = _table_class()(frame, na_rep="–")
    for rows, column, formatter in cells:
        styler = styler.format(formatter, subset=pd.IndexSlice[rows, [column]], na_rep="–")
    text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if text_columns:
        styler = styler.set_properties(subset=text_columns, **{"text-align": "left"})
    hide_index = frame.index.name is None and pd.api.types.is_integer_dtype(frame.index.dtype)  # row numbers
    if hide_index:
        styler = styler.hide(axis="index")
    from_dict = isinstance(table, Mapping)
    hidden = ["unit"] if from_dict else []  # a dict's units show in its formats
    if hidden:
        styler = styler.hide(hidden, axis="columns")
    if labels:
        styler = styler.format_index(label, axis="columns")
        if from_dict:
            styler = styler.format_index(label, axis="index")
    styler.text = _text(frame, cells, labels, hide_index, hidden)
    return styler


def _as_frame(table: pd.DataFrame | pd.Series | Mapping[str, Any]) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, pd.Series):
        return table.to_frame()
    if isinstance(table, Mapping):
        rows = {str(k): v for k, v in table.items() if isinstance(v, int | float | str | bool)}
        frame = pd.DataFrame({"value": list(rows.values())}, index=pd.Index(list(rows), name="metric"))
        frame["unit"] = [_unit(name, value) for name, value in rows.items()]
        return frame
    from banksim.errors import InputError

    raise InputError("table", f"expected a DataFrame, Series or dict, got {type(table).__name__}")


def _unit(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return "ratio" if _is_percent(name) else "amount"


def _is_percent(name: str) -> bool:
    return name in PERCENT or name.endswith(PERCENT_SUFFIXES)


def _cell_formats(frame: pd.DataFrame, percent: set[str], amount: set[str]) -> list[CellFormat]:
    """(rows: labels or a full slice, column, formatter) for every numeric column."""
    formats: list[CellFormat] = []
    everything = slice(None)
    for column in frame.columns:
        name, dtype = str(column), frame[column].dtype
        if name == "value" and "unit" in frame.columns and frame.index.is_unique:
            for unit, text in UNIT_FORMATS.items():
                rows = list(frame.index[frame["unit"] == unit])
                if rows:
                    formats.append((rows, column, text.format))
            continue
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            continue
        if name in percent or (name not in amount and _is_percent(name)):
            formats.append((everything, column, "{:.2%}".format))
        elif name in PLAIN:
            formats.append((everything, column, "{}".format))
        elif name in amount or pd.api.types.is_integer_dtype(dtype):
            formats.append((everything, column, "{:,.0f}".format))
        elif name.endswith("seconds"):
            formats.append((everything, column, "{:,.3f}".format))
        else:
            formats.append((everything, column, _amount_or_decimal(frame[column])))
    return formats


def _amount_or_decimal(values: pd.Series) -> Callable[[Any], str]:
    """Whole amounts for large numbers (RWA, exposures), two decimals for small ones (multipliers)."""
    large = values.abs().max() >= 1_000 if len(values) else False
    return "{:,.0f}".format if large else "{:,.2f}".format


@functools.cache
def _table_class() -> type:
    """A Styler whose repr is its text table (pandas' Styler loads jinja2: imported on first use)."""
    from pandas.io.formats.style import Styler

    class StyledTable(Styler):
        text: str = ""

        def __repr__(self) -> str:
            return self.text

    return StyledTable


def _text(
    frame: pd.DataFrame, cells: list[CellFormat], labels: bool, hide_index: bool, hidden: list[str]
) -> str:
    """The table as aligned text, with the same formats as its HTML (for a plain Python session)."""
    shown = frame.astype(object).where(frame.notna(), "–")
    for rows, column, formatter in cells:
        shown.loc[rows, column] = frame.loc[rows, column].map(formatter, na_action="ignore").fillna("–")
    shown = shown.drop(columns=hidden)
    if labels:
        shown.columns = [label(column) for column in shown.columns]
        if hidden:  # from a dict: its index holds the metric names
            shown.index = pd.Index([label(name) for name in shown.index], name=shown.index.name)
    return shown.to_string(index=not hide_index)

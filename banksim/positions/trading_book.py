"""The trading-book table of the market-risk charge (MAR40): its columns and their validation.

``TRADING_BOOK_COLUMNS`` is the contract :func:`banksim.regulation.market_risk.market_risk_capital`
reads; ``validate_table`` checks any small input table (trading book, CVA netting sets, hedges).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.validation import BLANK_WORDS, FLAG_WORDS, categorical_from_codes
from banksim.positions.vocabulary import MARKET_RISK_CLASSES, RATINGS

__all__ = [
    "INSTRUMENT_TYPES",
    "ISSUER_CATEGORIES",
    "RISK_CLASSES",
    "TRADING_BOOK_COLUMNS",
    "TableColumn",
    "validate_table",
    "validate_trading_book",
]

RISK_CLASSES = MARKET_RISK_CLASSES
INSTRUMENT_TYPES = (
    "bond",
    "swap_leg",
    "equity",
    "option",
    "fx_net_position",
    "gold_net_position",
    "commodity_position",
)
ISSUER_CATEGORIES = ("government", "pse", "mdb", "bank", "corporate", "none")
NAN = math.nan


@dataclass(frozen=True)
class TableColumn:
    """One column of an input table.

    ``kind`` is ``category`` (values in ``allowed``), ``label`` (free text), ``float`` or ``bool``;
    a column without ``required`` that is absent, or a blank cell, takes ``default`` (NaN for a
    number means "not applicable").
    """

    name: str
    kind: str
    description: str
    allowed: tuple[str, ...] = ()
    required: bool = False
    default: Any = None
    minimum: float | None = None


def _cat(
    name: str, allowed: tuple[str, ...], description: str, default: str = "none", **kw: Any
) -> TableColumn:
    return TableColumn(name, "category", description, allowed=allowed, default=default, **kw)


TRADING_BOOK_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("position_id", "label", "Unique position identifier.", required=True),
    _cat(
        "risk_class",
        RISK_CLASSES,
        "MAR40 risk class of the position (of the underlying for options).",
        required=True,
    ),
    _cat("instrument_type", INSTRUMENT_TYPES, "What the row is.", required=True),
    TableColumn(
        "market_value",
        "float",
        "Signed market value, + long, - short, reporting currency (C24).",
        required=True,
    ),
    TableColumn("issue_id", "label", "Netting key of one issue (blank: the row's own issue).", default=""),
    _cat("issuer_category", ISSUER_CATEGORIES, "Issuer of an interest-rate position (specific risk)."),
    _cat("rating", RATINGS, "External long-term rating of the issue.", default="unrated"),
    TableColumn(
        "qualifying_unrated", "bool", "Unrated bank/corporate paper admitted as qualifying.", default=False
    ),
    TableColumn(
        "currency", "label", "Currency of an interest-rate position or of an FX net position.", default=""
    ),
    TableColumn("coupon", "float", "Annual coupon (decimal); blank = floating-rate leg.", default=NAN),
    TableColumn(
        "residual_maturity", "float", "Years to maturity or next repricing.", default=NAN, minimum=0.0
    ),
    TableColumn("national_market", "label", "Equity market of an equity position.", default=""),
    TableColumn("is_index", "bool", "Equity position in a well-diversified index.", default=False),
    TableColumn("commodity", "label", "Commodity of a commodity position.", default=""),
    _cat("option_type", ("call", "put", "none"), "Call or put (options only)."),
    _cat("option_position", ("bought", "written", "none"), "Bought or written (options only)."),
    TableColumn("quantity", "float", "Units of the underlying (options).", default=NAN, minimum=0.0),
    TableColumn(
        "underlying_price", "float", "Spot price of one unit of the underlying.", default=NAN, minimum=0.0
    ),
    TableColumn("strike_price", "float", "Strike per unit.", default=NAN, minimum=0.0),
    TableColumn(
        "option_market_value", "float", "Market value of a bought option (>= 0).", default=NAN, minimum=0.0
    ),
    TableColumn(
        "option_residual_maturity", "float", "Years to the option's expiry.", default=NAN, minimum=0.0
    ),
    TableColumn(
        "underlying_forward_price",
        "float",
        "Forward price at expiry (blank: unknown).",
        default=NAN,
        minimum=0.0,
    ),
    TableColumn(
        "hedged_position_id", "label", "Cash position an option hedges (simplified approach).", default=""
    ),
    TableColumn("delta", "float", "Delta per unit, as for a bought option (delta-plus).", default=NAN),
    TableColumn("gamma", "float", "Gamma per unit (delta-plus).", default=NAN, minimum=0.0),
    TableColumn(
        "vega", "float", "Vega per unit per 1.00 of volatility (delta-plus).", default=NAN, minimum=0.0
    ),
    TableColumn(
        "implied_volatility", "float", "Implied volatility (decimal, delta-plus).", default=NAN, minimum=0.0
    ),
)


def _cases(ids: pd.Series, values: pd.Series, mask: np.ndarray) -> list[str]:
    return [f"{i}: {v!r}" for i, v in zip(ids[mask][:5], values[mask][:5], strict=False)]


def validate_table(
    table: pd.DataFrame, argument: str, columns: Sequence[TableColumn], id_column: str
) -> pd.DataFrame:
    """Check ``table`` against ``columns`` and return it normalised (a new frame).

    Required columns must be present and filled; categories must be allowed; numbers finite and
    above their minimum; ``id_column`` unique. Text columns come back as pandas categoricals,
    numbers as float64, flags as bool. Errors name ``argument[column]``, the first
    offending rows and what is allowed.
    """
    if not isinstance(table, pd.DataFrame):
        raise InputError(argument, f"expected a pandas DataFrame, got {type(table).__name__}")
    missing = [c.name for c in columns if c.required and c.name not in table.columns]
    if missing:
        raise InputError(argument, f"missing required columns {missing}", allowed=[c.name for c in columns])
    frame = table.reset_index(drop=True)
    ids = frame[id_column]
    out: dict[str, Any] = {}
    for spec in columns:
        out[spec.name] = _column(frame, ids, spec, f"{argument}[{spec.name!r}]")
    duplicated = out[id_column].duplicated().to_numpy()
    if duplicated.any():
        raise InputError(
            f"{argument}[{id_column!r}]",
            "must be unique",
            failure_cases=out[id_column][duplicated].unique()[:5].tolist(),
        )
    extras = {name: frame[name] for name in frame.columns if name not in out}
    return pd.DataFrame({**out, **extras})


BLANKS = BLANK_WORDS
FLAGS = FLAG_WORDS


def _as_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and the stripped text of each distinct value (-1: missing); no string work per row."""
    categorical = values.astype("category") if not isinstance(values.dtype, pd.CategoricalDtype) else values
    text = np.asarray(pd.Index(categorical.cat.categories).astype(str).str.strip(), dtype=object)
    return categorical.cat.codes.to_numpy(), text


def _column(frame: pd.DataFrame, ids: pd.Series, spec: TableColumn, where: str) -> pd.Series:
    n = len(frame)
    if spec.name not in frame.columns:
        if spec.kind == "float":
            return pd.Series(np.full(n, spec.default, dtype=float))
        if spec.kind == "bool":
            return pd.Series(np.full(n, bool(spec.default)))
        categories = list(spec.allowed) if spec.kind == "category" else [spec.default]
        default = categories.index(spec.default)
        return pd.Series(categorical_from_codes(np.full(n, default, dtype=np.int16), categories))
    values = frame[spec.name]
    if spec.kind == "float":
        return _numbers(values, ids, spec, where)
    if spec.kind == "bool" and values.dtype == bool:
        return values.reset_index(drop=True)
    codes, text = _as_codes(values)
    blank_of_category = np.append(pd.Series(text).str.lower().isin(BLANKS).to_numpy(), True)
    blank = blank_of_category[codes]
    if spec.required and blank.any():
        raise InputError(
            where,
            "has missing values",
            failure_cases=_cases(ids, values, blank),
            allowed=spec.allowed or None,
        )
    if spec.kind == "bool":
        known = pd.Series(text).str.lower().map(FLAGS)
        bad = np.append(known.isna().to_numpy(), False)[codes] & ~blank
        if bad.any():
            raise InputError(
                where,
                "is not a true/false flag",
                failure_cases=_cases(ids, values, bad),
                allowed="True/False, 1/0, yes/no",
            )
        flags = np.append(known.fillna(bool(spec.default)).to_numpy(dtype=bool), bool(spec.default))
        return pd.Series(np.where(blank, bool(spec.default), flags[codes]))
    if spec.kind == "category":
        unknown = np.append(~pd.Series(text).isin(spec.allowed).to_numpy(), False)[codes] & ~blank
        if unknown.any():
            raise InputError(
                where,
                "has values outside the allowed set",
                failure_cases=_cases(ids, values, unknown),
                allowed=spec.allowed,
            )
    # Categorical out: blank (and missing, the last slot) -> default; a few categories, no per-row strings.
    cleaned = np.where(blank_of_category, spec.default, np.append(text, spec.default)).astype(str)
    if spec.kind == "category":  # the allowed values are the categories, as in the positions table
        slot = pd.Index(list(spec.allowed)).get_indexer(pd.Index(cleaned))
        return pd.Series(categorical_from_codes(slot[codes], spec.allowed))
    distinct, inverse = np.unique(cleaned, return_inverse=True)
    return pd.Series(categorical_from_codes(inverse[codes], distinct))


def _numbers(values: pd.Series, ids: pd.Series, spec: TableColumn, where: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").reset_index(drop=True)
    blank = values.isna().to_numpy()
    if not pd.api.types.is_numeric_dtype(values.dtype):
        codes, text = _as_codes(values)
        blank = blank | np.append(pd.Series(text).str.lower().isin(BLANKS).to_numpy(), True)[codes]
    if spec.required and blank.any():
        raise InputError(where, "has missing values", failure_cases=_cases(ids, values, blank))
    bad = (numbers.isna().to_numpy() & ~blank) | np.isinf(numbers.to_numpy())
    if bad.any():
        raise InputError(where, "is not a finite number", failure_cases=_cases(ids, values, bad))
    if spec.minimum is not None:
        bad = (numbers < spec.minimum).to_numpy()
        if bad.any():
            raise InputError(where, f"must be >= {spec.minimum:g}", failure_cases=_cases(ids, values, bad))
    return numbers.fillna(spec.default)


def validate_trading_book(trading_book: pd.DataFrame) -> pd.DataFrame:
    """The trading-book table checked against ``TRADING_BOOK_COLUMNS`` (methodology 11.1, C.32).

    A blank ``issue_id`` becomes the row's ``position_id`` (the row is its own issue).
    """
    from banksim.hashing import known_frame_key, mark_content, marked_value

    # Content validated before (a cached step's argument, unchanged): its checked form again.
    key = known_frame_key(trading_book)
    known = marked_value(key, TRADING_BOOK_COLUMNS)
    if known is not None:
        return known.copy(deep=True)
    frame = validate_table(trading_book, "trading_book", TRADING_BOOK_COLUMNS, "position_id")
    blank = (frame["issue_id"] == "").to_numpy()
    if blank.all():
        frame["issue_id"] = frame["position_id"]
    elif blank.any():
        issue = frame["issue_id"].to_numpy(dtype=object)
        frame["issue_id"] = pd.Categorical(
            np.where(blank, frame["position_id"].to_numpy(dtype=object), issue)
        )
    if key is not None:  # deep copies (a small table): no write to a caller's table reaches it
        mark_content(key, TRADING_BOOK_COLUMNS, frame.copy(deep=True))
    return frame

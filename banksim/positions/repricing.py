"""The repricing columns IRRBB reads, one ``ColumnSpec`` each, and the base-curve table; validation.

``REPRICING_COLUMNS`` is the position table of ``compute_irrbb`` (methodology 13.5-13.6, C.43);
``validate_base_curve`` checks the zero curves at the 19 bucket mid-points (methodology 13.4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions._table import reject, validate_table
from banksim.positions.columns import ColumnSpec
from banksim.positions.vocabulary import (
    AMORTISATION_TYPES,
    NMD_BEHAVIOURAL_CATEGORIES,
    NMD_CATEGORIES,
    REPRICING_TYPES,
    SIDES,
)

__all__ = [
    "NMD_CATEGORIES",
    "REPRICING_COLUMNS",
    "REPRICING_TYPES",
    "validate_base_curve",
    "validate_repricing",
]

NAN = float("nan")
CURVE_ALIASES = {"zero_rate": "rate", "tenor": "midpoint"}  # other names a curve table may use


def _number(
    name: str, description: str, unit: str = "decimal", default: float = NAN, **kw: Any
) -> ColumnSpec:
    return ColumnSpec(name, "float64", description, unit=unit, default=default, **kw)


REPRICING_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("position_id", "str", "Unique identifier of the position.", required=True),
    ColumnSpec("side", "category", "asset (+) or liability (-) cash flows.", allowed=SIDES, required=True),
    ColumnSpec("currency", "label", "Currency of the cash flows (ISO code).", required=True, default=""),
    ColumnSpec(
        "repricing_type",
        "category",
        "Repricing behaviour; 'none' is out of scope.",
        allowed=REPRICING_TYPES,
        required=True,
    ),
    _number("drawn_amount", "Outstanding notional N.", "currency units", required=True, minimum=0.0),
    _number("residual_maturity", "Residual maturity T (fixed, floating).", "years", minimum=0.0),
    _number("original_maturity", "Original maturity: tenor of a fixed rollover (NII).", "years", minimum=0.0),
    ColumnSpec(
        "amortisation_type", "category", "Fixed-rate schedule.", allowed=AMORTISATION_TYPES, default="bullet"
    ),
    _number("interest_rate", "Contractual rate c; floaters: the current all-in coupon."),
    _number("payment_frequency", "Coupon / reset frequency f per year (1, 2, 4, 12).", "per year"),
    _number("next_reset", "Floaters: next repricing date t_r, on the coupon grid ending at T.", "years"),
    _number("spread", "Floaters: non-repricing spread s over the index.", default=0.0),
    ColumnSpec(
        "nmd_category",
        "category",
        "Behavioural category of a non-maturity deposit.",
        allowed=NMD_CATEGORIES,
        default="none",
    ),
    _number("nmd_core_share", "Bank estimate of the core share (before the cap).", minimum=0.0, maximum=1.0),
    _number(
        "nmd_core_maturity",
        "Bank estimate of the core average maturity (before the cap).",
        "years",
        minimum=0.0,
    ),
)


def validate_repricing(positions: pd.DataFrame) -> pd.DataFrame:
    """Check a repricing table and return it normalised (methodology C.43).

    Raises
    ------
    InputError
        A missing or out-of-range column; a position in scope whose side is not asset or
        liability; a fixed or floating position without a positive ``residual_maturity``, an
        ``interest_rate`` or a positive whole ``payment_frequency``; a floater without
        ``next_reset``; an NMD without category or core estimates.
    """
    frame = validate_table(positions, REPRICING_COLUMNS, "positions")
    in_scope = ~_is(frame, "repricing_type", "none")
    contractual = _is(frame, "repricing_type", "fixed", "floating")
    _check(
        frame,
        in_scope & ~_is(frame, "side", "asset", "liability"),
        "side",
        "must be asset or liability",
        ["asset", "liability"],
    )
    _check(
        frame,
        contractual & ~(frame["residual_maturity"].to_numpy() > 0),
        "residual_maturity",
        "must be > 0",
        "years > 0",
    )
    _check(
        frame,
        contractual & np.isnan(frame["interest_rate"].to_numpy()),
        "interest_rate",
        "is missing",
        "a rate",
    )
    frequency = frame["payment_frequency"].to_numpy()
    bad = contractual & ~((frequency > 0) & (frequency == np.round(frequency)))
    _check(frame, bad, "payment_frequency", "must be a whole number > 0", "1, 2, 4, 12, ...")
    _check(
        frame,
        _is(frame, "repricing_type", "floating") & np.isnan(frame["next_reset"].to_numpy()),
        "next_reset",
        "is missing",
        "years",
    )
    nmd = _is(frame, "repricing_type", "nmd")
    _check(
        frame,
        nmd & _is(frame, "nmd_category", "none"),
        "nmd_category",
        "is missing",
        NMD_BEHAVIOURAL_CATEGORIES,
    )
    for column in ("nmd_core_share", "nmd_core_maturity"):
        _check(
            frame,
            nmd & np.isnan(frame[column].to_numpy()),
            column,
            "is missing (a bank estimate)",
            "a number",
        )
    return frame


def _is(frame: pd.DataFrame, column: str, *values: str) -> np.ndarray:
    """Rows whose categorical ``column`` is one of ``values`` (on the codes)."""
    categories = list(frame[column].cat.categories)
    return np.isin(
        frame[column].cat.codes.to_numpy(), [categories.index(v) for v in values if v in categories]
    )


def _check(frame: pd.DataFrame, mask: np.ndarray, column: str, reason: str, allowed: Any) -> None:
    reject("positions", frame, mask, column, reason, allowed)


def validate_base_curve(
    curve: Any, midpoints: Sequence[float], currencies: Sequence[str]
) -> dict[str, np.ndarray]:
    """Zero rates per currency at the 19 bucket mid-points (methodology 13.4, C.42).

    ``curve`` is a table (``currency``, ``bucket`` 1-19, ``rate`` or ``zero_rate``; an optional
    ``midpoint`` or ``tenor`` column must equal the standard mid-point within 1e-9) or a mapping
    currency -> 19 rates. Every currency of ``currencies`` needs all 19 buckets; rates are
    continuously compounded decimals.
    """
    buckets = len(midpoints)
    if isinstance(curve, Mapping):
        rates = {str(c): np.asarray(v, dtype=float) for c, v in curve.items()}
        bad = [c for c, v in rates.items() if v.shape != (buckets,)]
        if bad:
            raise InputError("base_curve", f"needs {buckets} rates per currency", failure_cases=bad)
    else:
        rates = _curve_table(curve, midpoints)
    missing = sorted(set(currencies) - set(rates))
    if missing:
        raise InputError("base_curve", "has no curve for currencies of the positions", failure_cases=missing)
    bad = [c for c, v in rates.items() if not np.isfinite(v).all()]
    if bad:
        raise InputError("base_curve['rate']", "must be finite", failure_cases=bad)
    return rates


def _curve_table(curve: Any, midpoints: Sequence[float]) -> dict[str, np.ndarray]:
    if isinstance(curve, pd.DataFrame):
        curve = curve.rename(columns={k: v for k, v in CURVE_ALIASES.items() if v not in curve.columns})
    if not isinstance(curve, pd.DataFrame) or not {"currency", "bucket", "rate"} <= set(curve.columns):
        raise InputError(
            "base_curve",
            "expected a DataFrame with columns currency, bucket, rate",
            allowed="or a mapping currency -> 19 rates",
        )
    buckets = len(midpoints)
    table = curve.reset_index(drop=True)
    bucket = pd.to_numeric(table["bucket"], errors="coerce").to_numpy()
    bad = ~np.isin(bucket, np.arange(1, buckets + 1))
    if bad.any():
        raise InputError(
            "base_curve['bucket']", "must be 1 to 19", failure_cases=table["bucket"][bad][:5].tolist()
        )
    if "midpoint" in table:
        expected = np.asarray(midpoints)[bucket.astype(int) - 1]
        given = pd.to_numeric(table["midpoint"], errors="coerce").to_numpy()
        bad = ~(np.abs(given - expected) <= 1e-9 * expected)
        if bad.any():
            raise InputError(
                "base_curve['midpoint']", "differs from the standard bucket mid-points",
                failure_cases=table["midpoint"][bad][:5].tolist(), allowed=list(midpoints),
            )  # fmt: skip
    if table.duplicated(["currency", "bucket"]).any():
        raise InputError("base_curve", "has a currency and bucket twice")
    rates: dict[str, np.ndarray] = {}
    for currency, rows in table.groupby("currency", sort=True):
        if len(rows) != buckets:
            raise InputError(
                "base_curve", f"needs all {buckets} buckets per currency", failure_cases=[currency]
            )
        order = np.argsort(pd.to_numeric(rows["bucket"]).to_numpy())
        rates[str(currency)] = pd.to_numeric(rows["rate"], errors="coerce").to_numpy()[order]
    return rates

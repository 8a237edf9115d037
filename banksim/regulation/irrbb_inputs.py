"""The IRRBB repricing table and base curves of a positions table: scope, derived types and defaults.

Maps the positions columns to ``REPRICING_COLUMNS`` (methodology 13.10); positions amounts are in the
reporting currency already, so every currency's fx is 1. ``banksim.services.compute_irrbb`` calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.positions.validation import categorical_from_codes, validate_positions
from banksim.positions.vocabulary import (
    NMD_CATEGORIES,
    NMD_PRODUCTS,
    POSITION_REPRICING_TYPES,
    PRODUCTS,
    REPRICING_TYPES,
)
from banksim.regulation.irrbb_parameters import base_curve_rate

__all__ = ["base_curves", "repricing_positions"]

# The NMD category of a deposit product when the positions say 'none' (methodology 13.10).
NMD_CATEGORY_OF = {"retail_deposit": "retail_transactional", "sme_deposit": "retail_non_transactional",
                   "operational_deposit": "wholesale", "corporate_deposit": "wholesale"}  # fmt: skip


def _codes(frame: pd.DataFrame, column: str) -> np.ndarray:
    return np.asarray(frame[column].cat.codes.to_numpy(), dtype=np.int64)


def repricing_type(frame: pd.DataFrame) -> np.ndarray:
    """Codes of ``REPRICING_TYPES`` per position; 'auto' derived (methodology 13.10).

    'auto': an asset or liability with a residual maturity is fixed; a deposit product without one
    is a non-maturity deposit; everything else (equity, off-balance, derivatives, cash, cards) is out.
    """
    given = _codes(frame, "repricing_type")
    auto = given == POSITION_REPRICING_TYPES.index("auto")
    balance = _codes(frame, "side") <= 1  # SIDES: asset 0, liability 1
    dated = ~np.isnan(frame["residual_maturity"].to_numpy())
    deposit = np.isin(_codes(frame, "product"), [PRODUCTS.index(p) for p in NMD_PRODUCTS])
    derived = np.where(
        balance & dated,
        REPRICING_TYPES.index("fixed"),
        np.where(balance & deposit, REPRICING_TYPES.index("nmd"), REPRICING_TYPES.index("none")),
    )
    return np.where(auto, derived, given)


def repricing_positions(positions: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """The positions in the IRRBB scope as ``compute_irrbb`` reads them (methodology 13.10).

    A missing coupon is the base curve's rate at the residual maturity; a missing frequency annual;
    a floater's missing next reset the first date of the coupon grid ending at T, one after T is T
    (a scenario may shorten the maturity); an annuity's
    maturity the nearest payment date; a missing original maturity the residual one; an NMD's missing
    category from its product, its missing core share and maturity the SRP31.110 caps.
    """
    frame = validate_positions(positions)
    types = repricing_type(frame)
    rows = np.flatnonzero(types != REPRICING_TYPES.index("none"))
    kind = types[rows]

    def column(name: str) -> np.ndarray:
        return frame[name].to_numpy()[rows]

    maturity = column("residual_maturity")
    frequency = np.where(np.isnan(column("payment_frequency")), 1.0, column("payment_frequency"))
    frequency = np.where(frequency > 0, frequency, 1.0)
    annuity = (_codes(frame, "amortisation_type")[rows] == 1) & (kind == 0)
    maturity = np.where(annuity, np.maximum(np.round(maturity * frequency), 1.0) / frequency, maturity)
    currency = frame["currency"].array.take(rows)
    rate = column("interest_rate")
    curve_rate = _curve_rate(currency, np.nan_to_num(maturity), params)
    grid_reset = maturity - np.floor(maturity * frequency - 1e-9) / frequency
    reset = np.where(np.isnan(column("next_reset")), grid_reset, np.minimum(column("next_reset"), maturity))
    original = np.where(np.isnan(column("original_maturity")), maturity, column("original_maturity"))
    category = _nmd_category(frame, rows, kind)
    share_cap = _cap(params["nmd_core_share_cap"])[category]
    maturity_cap = _cap(params["nmd_core_maturity_cap"])[category]
    share, core = column("nmd_core_share"), column("nmd_core_maturity")
    return pd.DataFrame(
        {
            "position_id": frame["position_id"].array.take(rows),
            "side": frame["side"].array.take(rows),
            "currency": currency,
            "repricing_type": categorical_from_codes(kind, REPRICING_TYPES),
            "drawn_amount": column("drawn_amount"),
            "residual_maturity": maturity,
            "original_maturity": original,
            "amortisation_type": frame["amortisation_type"].array.take(rows),
            "interest_rate": np.where(np.isnan(rate), curve_rate, rate),
            "payment_frequency": frequency,
            "next_reset": np.where(kind == 1, reset, np.nan),
            "spread": column("floating_spread"),
            "nmd_category": categorical_from_codes(category, NMD_CATEGORIES),
            "nmd_core_share": np.where(np.isnan(share), share_cap, share),
            "nmd_core_maturity": np.where(np.isnan(core), maturity_cap, core),
        }
    )


def _cap(caps: Mapping[str, float]) -> np.ndarray:
    """A cap per code of ``NMD_CATEGORIES`` (NaN for 'none')."""
    return np.array([caps.get(name, np.nan) for name in NMD_CATEGORIES], dtype=float)


def _nmd_category(frame: pd.DataFrame, rows: np.ndarray, kind: np.ndarray) -> np.ndarray:
    given = _codes(frame, "nmd_category")[rows]
    of_product = [NMD_CATEGORIES.index(NMD_CATEGORY_OF.get(p, "wholesale")) for p in PRODUCTS]
    derived_codes = np.array(of_product)[_codes(frame, "product")[rows]]
    none = NMD_CATEGORIES.index("none")
    return np.where((kind == REPRICING_TYPES.index("nmd")) & (given == none), derived_codes, given)


def _curve_rate(currency: Any, years: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """The base rate at ``years`` of each row's currency (a categorical); NaN without a curve."""
    curves = params["base_curve"]
    pairs = np.array([curves.get(str(c), (np.nan, np.nan)) for c in currency.categories], dtype=float)
    short, long = pairs[currency.codes, 0], pairs[currency.codes, 1]
    return np.asarray(base_curve_rate(short, long, years))


def base_curves(currencies: list[str], params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Zero rates at the 19 bucket mid-points of each currency's base curve (methodology 13.10)."""
    midpoints = np.asarray(params["bucket_midpoints"], dtype=float)
    curves = params["base_curve"]
    return {
        c: np.asarray(base_curve_rate(curves[c][0], curves[c][1], midpoints))
        for c in currencies
        if c in curves
    }

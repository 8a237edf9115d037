"""The ECL exposure table of a positions table: which lines are in scope and what a missing input means.

Maps the positions columns to ``ECL_EXPOSURE_COLUMNS`` with the defaults of the ``ecl`` parameters
(methodology 12.9); ``banksim.services.compute_ecl`` calls it before the rule module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.positions.validation import validate_positions
from banksim.positions.vocabulary import ECL_PRODUCTS
from banksim.regulation._frame import is_in

__all__ = ["ecl_exposures", "in_ecl_scope"]


def in_ecl_scope(positions: pd.DataFrame) -> np.ndarray:
    """Assets and off-balance lines of the impairment products with a PD, or in default (methodology 12.9)."""
    product = is_in(positions, "product", *ECL_PRODUCTS)
    side = is_in(positions, "side", "asset", "off_balance")
    rated = ~np.isnan(positions["pd"].to_numpy()) | positions["is_defaulted"].to_numpy()
    return np.asarray(product & side & rated)


def ecl_exposures(positions: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """The exposures of ``positions`` in the ECL scope, as ``compute_ecl`` reads them (methodology 12.9).

    A missing PD at origination is the current PD (no deterioration); a missing EIR the coupon, else
    0; a missing drawdown factor ``undrawn_drawdown``; no maturity ``non_maturity_life`` years and a
    maturity of 0 ``minimum_life``; a missing LGD ``missing_lgd``; a defaulted line's PD is 1.
    """
    frame = validate_positions(positions)
    rows = np.flatnonzero(in_ecl_scope(frame))

    taken: dict[str, np.ndarray] = {}

    def column(name: str) -> np.ndarray:
        if name not in taken:
            taken[name] = frame[name].to_numpy()[rows]
        return taken[name]

    defaulted = column("is_defaulted")
    pd_now = np.where(defaulted, 1.0, column("pd"))
    origination = column("pd_at_origination")
    eir = np.where(
        np.isnan(column("eir")), np.maximum(np.nan_to_num(column("interest_rate")), 0.0), column("eir")
    )
    maturity = column("residual_maturity")
    maturity = np.where(
        np.isnan(maturity), params["non_maturity_life"], np.maximum(maturity, params["minimum_life"])
    )
    ccf = column("ecl_ccf")
    return pd.DataFrame(
        {
            "position_id": frame["position_id"].array.take(rows),
            "exposure_class": frame["exposure_class"].array.take(rows),
            "rating": frame["rating"].array.take(rows),
            "drawn_amount": column("drawn_amount"),
            "off_balance_amount": column("off_balance_amount"),
            "ecl_ccf": np.where(np.isnan(ccf), params["undrawn_drawdown"], ccf),
            "residual_maturity": maturity,
            "pd": pd_now,
            "pd_at_origination": np.where(np.isnan(origination), pd_now, origination),
            "lgd": np.where(np.isnan(column("lgd")), params["missing_lgd"], column("lgd")),
            "eir": eir,
            "amortisation_type": frame["amortisation_type"].array.take(rows),
            "days_past_due": column("days_past_due"),
            "is_defaulted": defaulted,
            "forborne": column("forborne"),
            "watchlist": column("watchlist"),
            "approach": frame["approach"].array.take(rows),
        },
        copy=False,  # new arrays, each its own block (no copy into one float block)
    )

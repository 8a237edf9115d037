"""The IRRBB repricing table and base curves of a positions table: scope, derived types and defaults.

Maps the positions columns to ``REPRICING_COLUMNS`` (methodology 13.10); positions amounts are in the
reporting currency already, so every currency's fx is 1. ``banksim.services.compute_irrbb`` calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.positions._table import reject
from banksim.positions.validation import categorical_from_codes, validate_positions
from banksim.positions.vocabulary import (
    AMORTISATION_TYPES,
    NMD_CATEGORIES,
    NMD_PRODUCTS,
    OPTION_TYPES,
    POSITION_REPRICING_TYPES,
    PRODUCTS,
    REPRICING_TYPES,
    SACCR_ASSET_CLASSES,
    SIDES,
    TRADE_DIRECTIONS,
)
from banksim.regulation.irrbb_parameters import base_curve_rate

__all__ = ["base_curves", "repricing_positions", "swap_legs"]

GRID_TOLERANCE = 1e-9  # a forward start within 1e-9 periods of a coupon date is on it (methodology 13.10)

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
    swaps = _interest_rate_swaps(frame)
    rows = np.flatnonzero((types != REPRICING_TYPES.index("none")) & ~swaps)
    table = _balance_sheet_rows(frame, rows, types[rows], params)
    if not swaps.any():
        return table
    swap_rows = np.flatnonzero(swaps)
    both = _concat(table, swap_legs(frame, swap_rows, params))
    # In the positions' order (two legs per swap, at its row), so sorted ids stay sorted.
    order = np.argsort(np.concatenate([rows, np.repeat(swap_rows, 2)]), kind="stable")
    return both.take(order).reset_index(drop=True)


def _balance_sheet_rows(
    frame: pd.DataFrame, rows: np.ndarray, kind: np.ndarray, params: Mapping[str, Any]
) -> pd.DataFrame:
    """The repricing rows of the assets, liabilities and deposits ``rows`` (methodology 13.10)."""

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


def _interest_rate_swaps(frame: pd.DataFrame) -> np.ndarray:
    """Linear interest-rate derivatives (swaps, FRAs) not set to repricing type 'none' (methodology 13.10)."""
    return np.asarray(
        (_codes(frame, "side") == SIDES.index("derivative"))
        & (_codes(frame, "saccr_asset_class") == SACCR_ASSET_CLASSES.index("interest_rate"))
        & (_codes(frame, "option_type") == OPTION_TYPES.index("none"))
        & (_codes(frame, "repricing_type") != POSITION_REPRICING_TYPES.index("none"))
    )


def swap_legs(frame: pd.DataFrame, rows: np.ndarray, params: Mapping[str, Any]) -> pd.DataFrame:
    """The repricing rows of the interest-rate swaps ``rows`` of a validated positions table: two legs
    each, one an asset and one a liability (SRP31.98-31.103; methodology 13.5, 13.10).

    ``trade_direction`` long pays fixed (fixed leg a liability, floating leg an asset), short receives
    fixed. Notional N = ``notional``; maturity T = ``end_years`` (``residual_maturity`` where it is 0);
    start S = ``start_years``; f = ``payment_frequency`` (NaN: annual) on both legs. The fixed leg is a
    fixed bullet at ``interest_rate`` (NaN: the base rate at T, an at-market swap) to T. A swap that
    has started (S = 0) has a floating leg: a floater of N to T resetting at ``next_reset`` (NaN: the
    first date of the payment grid ending at T) whose current coupon is the base rate at 1/f plus
    ``floating_spread``. A forward-starting swap (S > 0) has no fixed coupon on its floating leg: its
    other leg is a fixed bullet of N to S* at the fixed rate on the other side, which takes back the
    fixed leg's coupons up to S* and exchanges N at S*, the floating leg's first reset; S* is the first
    date of the payment grid ending at T not before S. The currency is the hedging set of an
    interest-rate trade (CRE52.45), ``currency`` where it has none. Two rows per swap, swap by swap,
    the fixed leg first.
    """

    def column(name: str) -> np.ndarray:
        return frame[name].to_numpy()[rows]

    direction = _codes(frame, "trade_direction")[rows]
    none = np.zeros(len(frame), dtype=bool)
    none[rows] = direction == TRADE_DIRECTIONS.index("none")
    allowed = "long (pays fixed) or short (receives fixed)"
    reject("positions", frame, none, "trade_direction", "is missing on an interest-rate swap", allowed)
    pays_fixed = direction == TRADE_DIRECTIONS.index("long")
    end, start = column("end_years"), column("start_years")
    maturity = np.where(end > 0, end, column("residual_maturity"))
    frequency = np.where(np.isnan(column("payment_frequency")), 1.0, column("payment_frequency"))
    frequency = np.where(frequency > 0, frequency, 1.0)
    currency = _swap_currency(frame, rows)
    codes = pd.Categorical(currency)
    curve = pd.Categorical.from_codes(codes.codes, categories=codes.categories)
    fixed_rate = column("interest_rate")
    fixed_rate = np.where(
        np.isnan(fixed_rate), _curve_rate(curve, np.nan_to_num(maturity), params), fixed_rate
    )
    fixing = _curve_rate(curve, 1.0 / frequency, params) + column("floating_spread")  # the current coupon
    grid_reset = maturity - np.floor(maturity * frequency - GRID_TOLERANCE) / frequency
    reset = np.where(np.isnan(column("next_reset")), grid_reset, np.minimum(column("next_reset"), maturity))
    forward = start > 0
    first = maturity - np.floor((maturity - start) * frequency + GRID_TOLERANCE) / frequency
    original = column("original_maturity")
    original = np.where(np.isnan(original), maturity - start, original)
    notional, spread = column("notional"), column("floating_spread")
    ids = frame["position_id"].iloc[rows].to_numpy().astype(str)
    asset, liability = SIDES.index("asset"), SIDES.index("liability")
    fixed_side = np.where(pays_fixed, liability, asset)
    other_side = np.where(pays_fixed, asset, liability)
    nan, zero, period = np.full(len(rows), np.nan), np.zeros(len(rows)), 1.0 / frequency
    spot = ~forward
    legs = (  # name, rows, side, type, maturity, rate, next reset, tenor of the NII rollover, spread
        ("fixed_leg", spot | forward, fixed_side, "fixed", maturity, fixed_rate, nan, original, zero),
        ("floating_leg", spot, other_side, "floating", maturity, fixing, reset, period, spread),
        ("forward_start", forward, other_side, "fixed", first, fixed_rate, nan, period, zero),
    )
    parts = [
        pd.DataFrame(
            {
                "position_id": np.char.add(ids[which], f":{name}"),
                "side": side[which],
                "currency": currency[which],
                "repricing_type": np.full(int(which.sum()), REPRICING_TYPES.index(kind)),
                "drawn_amount": notional[which],
                "residual_maturity": years[which],
                "original_maturity": tenor[which],
                "interest_rate": rate[which],
                "payment_frequency": frequency[which],
                "next_reset": next_reset[which],
                "spread": leg_spread[which],
            }
        )
        for name, which, side, kind, years, rate, next_reset, tenor, leg_spread in legs
    ]
    index = np.arange(len(rows))
    order = np.argsort(np.concatenate([index[which] for _, which, *_ in legs]), kind="stable")
    table = pd.concat(parts, ignore_index=True).take(order).reset_index(drop=True)  # swap by swap
    n = len(table)
    return table.assign(
        side=categorical_from_codes(table["side"].to_numpy(), SIDES),
        repricing_type=categorical_from_codes(table["repricing_type"].to_numpy(), REPRICING_TYPES),
        amortisation_type=categorical_from_codes(np.zeros(n, dtype=np.int64), AMORTISATION_TYPES),
        nmd_category=categorical_from_codes(np.full(n, NMD_CATEGORIES.index("none")), NMD_CATEGORIES),
        nmd_core_share=np.nan,
        nmd_core_maturity=np.nan,
    )


def _swap_currency(frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """The hedging set of each trade where it is a currency code (CRE52.45), else ``currency``."""
    hedging = frame["hedging_set"].iloc[rows].astype(str).to_numpy()
    own = frame["currency"].iloc[rows].astype(str).to_numpy()
    is_code = np.array([len(h) == 3 and h.isalpha() and h.isupper() for h in hedging], dtype=bool)
    return np.where(is_code, hedging, own).astype(object)


def _concat(table: pd.DataFrame, legs: pd.DataFrame) -> pd.DataFrame:
    """The balance-sheet rows and the swap legs in one table, the legs' labels on the table's categories."""
    known = list(table["currency"].cat.categories)
    currencies = known + sorted(set(legs["currency"]) - set(known))
    table = table.assign(currency=table["currency"].cat.set_categories(currencies))
    legs = legs.assign(
        position_id=legs["position_id"].astype(table["position_id"].dtype),
        currency=pd.Categorical(legs["currency"], categories=currencies),
        **{
            name: pd.Categorical(legs[name].astype(str), categories=table[name].cat.categories)
            for name in ("side", "repricing_type", "amortisation_type", "nmd_category")
        },
    )
    return pd.concat([table, legs[list(table.columns)]], ignore_index=True)


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

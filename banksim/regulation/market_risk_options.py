"""Options under MAR40: the simplified approach (bought options) and delta-plus (equity options).

Each function takes the validated trading book and returns the rows left for the standard
calculation and the option lines; option charges join the class of the underlying (methodology 11.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.positions.validation import categorical_from_codes
from banksim.regulation._frame import is_in
from banksim.regulation.market_risk_book import reject
from banksim.regulation.market_risk_rates import RELATIVE_TOLERANCE, general_risk_bands, specific_risk_rates

__all__ = ["delta_plus_options", "simplified_options"]


def _underlying_rate(options: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
    """Specific + general rate of the underlying (MAR40.76 footnote 32, methodology 11.7)."""
    klass = options["risk_class"].to_numpy()
    eq, op = params["equity"], params["options"]
    equity = (
        np.where(options["is_index"].to_numpy(dtype=bool), eq["specific_index"], eq["specific"])
        + eq["general"]
    )
    rate = np.select(
        [klass == "equity", klass == "fx", klass == "commodity"],
        [equity, op["fx_rate"], op["commodity_rate"]],
        default=np.nan,
    )
    rates = klass == "interest_rate"
    if rates.any():
        subset = options.loc[rates]
        reject(
            subset,
            np.isnan(subset["residual_maturity"].to_numpy()),
            "residual_maturity",
            "is missing on an interest-rate option (the underlying's maturity, MAR40.76)",
        )
        specific, _ = specific_risk_rates(subset, params)
        band = general_risk_bands(subset["residual_maturity"].to_numpy(), subset["coupon"].to_numpy(), params)
        rate[rates] = specific + np.asarray(params["general_risk"]["band_risk_weights"])[band - 1]
    return rate


def _check_common(options: pd.DataFrame) -> None:
    reject(
        options,
        (options["option_type"] == "none").to_numpy(),
        "option_type",
        "is missing on an option",
        allowed=["call", "put"],
    )
    for column in ("quantity", "underlying_price"):
        reject(options, ~(options[column].to_numpy() > 0), column, "must be > 0 on an option")


def simplified_options(frame: pd.DataFrame, params: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bought options alone or with their hedged cash position (MAR40.74-40.76 Table 11, C.34)."""
    option = is_in(frame, "instrument_type", "option")
    if not option.any():
        return frame, pd.DataFrame()
    options = frame.loc[option].reset_index(drop=True)
    reject(
        options,
        (options["option_position"] != "bought").to_numpy(),
        "option_position",
        "must be 'bought' under the simplified approach (MAR40.74(1)); use option_method='delta_plus'",
        allowed=["bought"],
    )
    _check_common(options)
    hedged = (options["hedged_position_id"] != "").to_numpy()
    cash = _hedged_cash(frame, options, hedged)
    underlying = options["quantity"].to_numpy() * options["underlying_price"].to_numpy()
    rate = _underlying_rate(options, params)
    itm = _in_the_money(options, params)
    value = options["option_market_value"].to_numpy()
    reject(
        options,
        ~hedged & np.isnan(value),
        "option_market_value",
        "is missing on an option without a hedged position (MAR40.76 Table 11)",
    )
    charge = np.where(hedged, np.maximum(0.0, underlying * rate - itm), np.minimum(underlying * rate, value))
    lines = pd.DataFrame(
        {
            "risk_class": options["risk_class"].to_numpy(),
            "charge": "option_simplified",
            "key": options["position_id"].to_numpy(),
            "amount": underlying,
            "rate": rate,
            "in_the_money": np.where(hedged, itm, np.nan),
            "hedged_position_id": options["hedged_position_id"].to_numpy(),
            "capital": charge,
            "rule": "MAR40.76",
        }
    )
    remaining = frame.loc[~option & ~frame["position_id"].isin(cash).to_numpy()]
    return remaining, lines


def _hedged_cash(frame: pd.DataFrame, options: pd.DataFrame, hedged: np.ndarray) -> np.ndarray:
    """Ids of the cash positions paired with options; each pair checked (methodology C.34)."""
    rows = frame.set_index(pd.Index(frame["position_id"].to_numpy(dtype=object)))
    target = options["hedged_position_id"].to_numpy(dtype=object)
    known = pd.Series(target).isin(rows.index[~is_in(frame, "instrument_type", "option")]).to_numpy()
    reject(options, hedged & ~known, "hedged_position_id", "is not a non-option position of the trading book")
    reject(
        options,
        hedged & pd.Series(target).duplicated().to_numpy(),
        "hedged_position_id",
        "is hedged by more than one option",
    )
    ids = target[hedged]
    cash_value = rows["market_value"].reindex(ids).to_numpy()
    cash_class = rows["risk_class"].reindex(ids).to_numpy()
    subset = options.loc[hedged]
    put = subset["option_type"].to_numpy() == "put"
    reject(
        subset,
        cash_class != subset["risk_class"].to_numpy(),
        "hedged_position_id",
        "names a position of another risk class",
    )
    reject(
        subset,
        np.where(put, cash_value <= 0, cash_value >= 0),
        "hedged_position_id",
        "must name a long cash position for a put, a short one for a call (MAR40.76 Table 11)",
    )
    underlying = subset["quantity"].to_numpy() * subset["underlying_price"].to_numpy()
    reject(
        subset,
        ~np.isclose(np.abs(cash_value), underlying, rtol=RELATIVE_TOLERANCE, atol=0.0),
        "quantity",
        "x underlying_price differs from the hedged position's |market_value| (methodology C.34)",
    )
    for column in ("strike_price", "option_residual_maturity"):
        reject(subset, np.isnan(subset[column].to_numpy()), column, "is missing on a hedged option")
    return ids


def _in_the_money(options: pd.DataFrame, params: Mapping[str, Any]) -> np.ndarray:
    """In-the-money amount at spot (<= 6 months) or forward (later; blank: 0) (MAR40.76 fn 33, C.34)."""
    spot_window = params["options"]["forward_after"] * (1 + RELATIVE_TOLERANCE)
    near = options["option_residual_maturity"].to_numpy() <= spot_window
    price = np.where(
        near, options["underlying_price"].to_numpy(), options["underlying_forward_price"].to_numpy()
    )
    strike = options["strike_price"].to_numpy()
    call = options["option_type"].to_numpy() == "call"
    per_unit = np.where(call, price - strike, strike - price)
    return np.nan_to_num(np.maximum(per_unit, 0.0), nan=0.0) * options["quantity"].to_numpy()


def _equity_instrument(frame: pd.DataFrame, rows: int) -> Any:
    """``instrument_type`` = equity for ``rows`` rows, with the trading book's categories."""
    categories = frame["instrument_type"].cat.categories
    code = int(categories.get_loc("equity"))  # type: ignore[arg-type]
    return categorical_from_codes(np.full(rows, code, dtype=np.int8), categories)


def delta_plus_options(frame: pd.DataFrame, params: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Equity options by delta-plus: delta-equivalents join the equity rows; gamma and vega per
    national market (MAR40.77-40.80, methodology 11.7, C.34)."""
    option = is_in(frame, "instrument_type", "option")
    if not option.any():
        return frame, pd.DataFrame()
    options = frame.loc[option].reset_index(drop=True)
    reject(
        options,
        (options["risk_class"] != "equity").to_numpy(),
        "risk_class",
        "of an option must be 'equity' under delta-plus (other underlyings are out of scope)",
        allowed=["equity"],
    )
    reject(
        options,
        (options["option_position"] == "none").to_numpy(),
        "option_position",
        "is missing on an option",
        allowed=["bought", "written"],
    )
    _check_common(options)
    for column in ("delta", "gamma", "vega", "implied_volatility"):
        reject(options, np.isnan(options[column].to_numpy()), column, "is missing on an option (delta-plus)")
    delta = options["delta"].to_numpy()
    call = (options["option_type"] == "call").to_numpy()
    reject(
        options,
        np.where(call, (delta < 0) | (delta > 1), (delta > 0) | (delta < -1)),
        "delta",
        "must be in [0, 1] for a call and [-1, 0] for a put, as for a bought option",
    )
    sign = np.where(options["option_position"].to_numpy() == "bought", 1.0, -1.0)
    quantity, price = options["quantity"].to_numpy(), options["underlying_price"].to_numpy()
    p = params["options"]
    delta_equivalent = sign * delta * quantity * price  # MAR40.77
    gamma_impact = (
        0.5 * sign * options["gamma"].to_numpy() * quantity * (price * p["equity_gamma_price_change"]) ** 2
    )
    vega_risk = (
        sign
        * options["vega"].to_numpy()
        * quantity
        * p["vega_shift"]
        * options["implied_volatility"].to_numpy()
    )
    per_option = pd.DataFrame(
        {
            "risk_class": "equity",
            "charge": "option_delta_plus",
            "key": options["position_id"].to_numpy(),
            "market": options["national_market"].to_numpy(),
            "amount": delta_equivalent,
            "rate": np.nan,
            "gamma_impact": gamma_impact,
            "vega_risk": vega_risk,
            "capital": 0.0,
            "rule": "MAR40.77",
        }
    )
    sums = per_option.groupby("market", sort=True)[["gamma_impact", "vega_risk"]].sum()
    markets = sums.index.to_numpy(dtype=object)
    gamma = np.abs(np.minimum(0.0, sums["gamma_impact"].to_numpy()))  # MAR40.80(4)-(5)
    vega = np.abs(sums["vega_risk"].to_numpy())  # MAR40.80(7)
    per_market = pd.DataFrame(
        {
            "risk_class": "equity",
            "charge": np.repeat(["option_gamma", "option_vega"], len(markets)),
            "key": np.tile(markets, 2),
            "market": np.tile(markets, 2),
            "amount": np.r_[sums["gamma_impact"].to_numpy(), sums["vega_risk"].to_numpy()],
            "rate": 1.0,
            "capital": np.r_[gamma, vega],
            "rule": np.repeat(["MAR40.80(4)", "MAR40.80(7)"], len(markets)),
        }
    )
    as_equity = frame.loc[option].assign(
        instrument_type=_equity_instrument(frame, len(options)),
        market_value=delta_equivalent,
    )
    remaining = pd.concat([frame.loc[~option], as_equity], ignore_index=True)
    return remaining, pd.concat([per_option, per_market], ignore_index=True)

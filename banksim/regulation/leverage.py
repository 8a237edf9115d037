"""The trading book's leverage exposure (LEV30): long cash positions at value, derivatives 1.4 x (RC + PFE).

``trading_book_leverage_exposure`` gives one line per trading-book position; the capital statement
adds their total to the exposure measure of the positions' lines (methodology 1.5 and C.48).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.vocabulary import LEVERAGE_OPTION_CLASSES
from banksim.regulation._frame import labels

__all__ = ["CASH_INSTRUMENTS", "trading_book_leverage_exposure"]

# Trading-book rows that are balance-sheet assets when long (LEV30.8-9, methodology C.48).
CASH_INSTRUMENTS = ("bond", "equity", "commodity_position", "gold_net_position")
DERIVATIVE_RULE = "LEV30.13-16 (CRE52 PFE, multiplier 1)"


def trading_book_leverage_exposure(
    trading_book: pd.DataFrame, parameters: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The leverage exposure of each trading-book position (LEV30, methodology C.48).

    Parameters
    ----------
    trading_book : DataFrame
        The trading book (``banksim.positions.trading_book.TRADING_BOOK_COLUMNS``), as
        ``bs.run_trading_book`` or a user gives it; validated here.
    parameters : mapping, optional
        Overrides of the regulatory parameters (the SA-CCR supervisory factors, option
        volatilities, maturity floor and alpha of ``parameters["saccr"]``).

    Returns
    -------
    DataFrame
        One row per position: ``position_id``, ``instrument_type``, ``market_value``,
        ``replacement_cost`` and ``potential_future_exposure`` (derivatives), ``leverage_exposure``
        and ``rule``. Long bonds, equities, commodities and gold count at their market value
        (LEV30.8-9); short positions and FX net positions add nothing and offset nothing (LEV30.2);
        a swap's fixed leg and an option count 1.4 x (RC + PFE) with the SA-CCR add-on at
        multiplier 1 (LEV30.13-16); a floating leg adds nothing (its swap is counted on the fixed leg).

    Raises
    ------
    InputError
        As ``validate_trading_book``; an option on interest rates (``trading_book['risk_class']``),
        whose PFE needs the underlying's dates that the table does not carry.
    """
    from banksim.positions.trading_book import validate_trading_book
    from banksim.regulation.parameters import regulatory_parameters

    book = validate_trading_book(trading_book)
    saccr = regulatory_parameters(parameters)["saccr"]
    kind = _text(book, "instrument_type")
    value = book["market_value"].to_numpy(dtype=float)
    cash = np.isin(kind, CASH_INSTRUMENTS)
    replacement, future = _swap_terms(book, kind == "swap_leg", saccr)
    option = kind == "option"
    if option.any():
        option_rc, option_pfe = _option_terms(book.loc[option], saccr)
        replacement[option], future[option] = option_rc, option_pfe
    derivative = (kind == "swap_leg") | option
    exposure = np.where(cash, np.maximum(value, 0.0), saccr["alpha"] * (replacement + future))
    rule = np.select(
        [cash & (value > 0), cash | (kind == "fx_net_position"), derivative & (exposure > 0)],
        ["LEV30.8-9", "LEV30.2", DERIVATIVE_RULE],
        default="",
    )
    return pd.DataFrame(
        {
            "position_id": book["position_id"].to_numpy(),
            "instrument_type": kind,
            "market_value": value,
            "replacement_cost": np.where(derivative, replacement, np.nan),
            "potential_future_exposure": np.where(derivative, future, np.nan),
            "leverage_exposure": exposure,
            "rule": rule,
        }
    )


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column's labels as a NumPy array: a categorical's from its codes ('' where missing), with no
    Python string made per row."""
    if isinstance(frame[column].dtype, pd.CategoricalDtype):
        return labels(frame, column)
    return frame[column].astype(str).to_numpy()


def _maturity_factor(maturity: np.ndarray, saccr: Mapping[str, Any]) -> np.ndarray:
    """sqrt(min(max(M, 10 business days), 1 year) / 1 year), unmargined (CRE52.48)."""
    floor = saccr["maturity_floor_days"] / saccr["days_per_year"]
    return np.sqrt(np.minimum(np.maximum(maturity, floor), 1.0))


def _swap_terms(
    book: pd.DataFrame, swap: np.ndarray, saccr: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """RC 0 and the interest-rate add-on of each fixed leg's swap, its own netting set (C.48).

    The fixed leg's |market value| is the swap's notional, its residual maturity E the swap's end;
    d = notional x (1 - exp(-r E)) / r (CRE52.34), add-on = SF x d x MF (CRE52.56-57, one trade).
    """
    n = len(book)
    fixed = swap & ~np.isnan(book["coupon"].to_numpy())
    end = np.nan_to_num(book["residual_maturity"].to_numpy())
    rate = saccr["ir_discount_rate"]
    floor = saccr["maturity_floor_days"] / saccr["days_per_year"]
    duration = np.maximum((1 - np.exp(-rate * end)) / rate, floor)
    notional = np.abs(book["market_value"].to_numpy(dtype=float)) * duration
    add_on = saccr["supervisory_factor"]["interest_rate"] * notional * _maturity_factor(end, saccr)
    return np.zeros(n), np.where(fixed, add_on, 0.0)


def _option_terms(options: pd.DataFrame, saccr: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """RC = the bought option's value (0 if written) and SF x |delta x d| x MF, d = units x price
    (CRE52.35, CRE52.40, CRE52.48); each option its own netting set (C.48)."""
    from scipy.special import ndtr  # loaded on first use: keeps `import banksim` light

    klass = _text(options, "risk_class")
    bad = ~np.isin(klass, LEVERAGE_OPTION_CLASSES)
    if bad.any():
        raise InputError(
            "trading_book['risk_class']",
            f"options on {sorted(set(klass[bad]))} have no leverage PFE here (methodology C.48)",
            failure_cases=options["position_id"].to_numpy()[bad][:5].tolist(),
            allowed=LEVERAGE_OPTION_CLASSES,
        )
    _check_options(options)
    sf, vol = saccr["supervisory_factor"], saccr["option_volatility"]
    index = options["is_index"].to_numpy()
    electricity = _text(options, "commodity") == "electricity"
    factor = _by_option_class(klass, index, electricity, sf)
    sigma = _by_option_class(klass, index, electricity, vol)
    price = options["underlying_price"].to_numpy()
    strike = options["strike_price"].to_numpy()
    expiry = options["option_residual_maturity"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (np.log(price / strike) + 0.5 * sigma**2 * expiry) / (sigma * np.sqrt(expiry))
    call = _text(options, "option_type") == "call"
    bought = _text(options, "option_position") == "bought"
    delta = np.where(call, ndtr(d), -ndtr(-d)) * np.where(bought, 1.0, -1.0)  # CRE52.40
    notional = options["quantity"].to_numpy() * price
    add_on = factor * np.abs(delta * notional) * _maturity_factor(expiry, saccr)
    value = np.where(bought, np.nan_to_num(options["option_market_value"].to_numpy()), 0.0)
    return value, add_on


def _by_option_class(
    klass: np.ndarray, index: np.ndarray, electricity: np.ndarray, table: Mapping[str, float]
) -> np.ndarray:
    """The CRE52.72 Table 2 entry of each option's class: FX, commodity (electricity or other),
    equity index, else equity single name."""
    commodity = np.where(electricity, table["commodity_electricity"], table["commodity_other"])
    return np.select(
        [klass == "fx", klass == "commodity", index],
        [table["fx"], commodity, table["equity_index"]],
        default=table["equity_single_name"],
    )


def _check_options(options: pd.DataFrame) -> None:
    """An option's PFE needs its type, side, units, spot, strike and expiry (CRE52.40)."""
    ids = options["position_id"].to_numpy()
    for column, allowed in (("option_type", ("call", "put")), ("option_position", ("bought", "written"))):
        bad = ~np.isin(_text(options, column), allowed)
        if bad.any():
            raise InputError(
                f"trading_book[{column!r}]",
                f"is missing on options ({int(bad.sum())} rows)",
                failure_cases=ids[bad][:5].tolist(),
                allowed=allowed,
            )
    for column in ("quantity", "underlying_price", "strike_price", "option_residual_maturity"):
        bad = ~(options[column].to_numpy() > 0)  # NaN (blank) fails too
        if bad.any():
            raise InputError(
                f"trading_book[{column!r}]",
                f"must be > 0 on options for their leverage PFE ({int(bad.sum())} rows)",
                failure_cases=ids[bad][:5].tolist(),
                allowed="a number > 0",
            )

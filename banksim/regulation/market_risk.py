"""Market risk under the simplified standardised approach (MAR40): the four risk classes and scaling.

``market_risk_capital`` reads a trading-book table and returns one line per instrument and per
charge (each with its paragraph), the requirement of each risk class, the scaled total and RWA.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.trading_book import RISK_CLASSES, validate_trading_book
from banksim.regulation._frame import is_in
from banksim.regulation.market_risk_book import check_book, concat_lines, net_issues
from banksim.regulation.market_risk_options import delta_plus_options, simplified_options
from banksim.regulation.market_risk_parameters import MARKET_RISK_PARAMETERS
from banksim.regulation.market_risk_rates import interest_rate_lines

__all__ = ["OPTION_METHODS", "MarketRiskCapital", "market_risk_capital"]

OPTION_METHODS = ("simplified", "delta_plus")
LINE_COLUMNS = ("risk_class", "charge", "key", "amount", "rate", "capital", "rule")


@dataclass(frozen=True)
class MarketRiskCapital:
    """The market-risk charge of a trading book.

    ``lines``: one row per instrument or issue and per charge (``risk_class``, ``charge``, ``key``,
    ``amount``, ``rate``, ``capital``, ``rule``; the capital of a class is the sum of its lines);
    ``classes``: per risk class the requirement, the scaling factor and the scaled requirement;
    ``k_market`` the sum of the scaled requirements and ``rwa`` = 12.5 x ``k_market``.
    """

    lines: pd.DataFrame
    classes: pd.DataFrame
    k_market: float
    rwa: float


def market_risk_capital(
    trading_book: pd.DataFrame,
    *,
    reporting_currency: str | None = None,
    option_method: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> MarketRiskCapital:
    """Capital for market risk under MAR40 (methodology 11).

    Parameters
    ----------
    trading_book : pandas.DataFrame
        One row per position, columns of
        :data:`banksim.positions.trading_book.TRADING_BOOK_COLUMNS` (signed market values in the
        reporting currency; FX and gold as net open positions).
    reporting_currency : str, optional
        The currency of the amounts; an FX net position in it is an input error. By default the
        parameters' ``reporting_currency`` (EUR).
    option_method : str, optional
        ``simplified`` (bought options only, MAR40.74-40.76) or ``delta_plus`` (equity options,
        MAR40.77-40.80); by default the parameters' ``option_method`` (simplified).
    parameters : dict, optional
        Overrides of :data:`banksim.regulation.market_risk_parameters.MARKET_RISK_PARAMETERS`.

    Returns
    -------
    MarketRiskCapital
    """
    params = _parameters(parameters)
    option_method = params["option_method"] if option_method is None else option_method
    reporting_currency = params["reporting_currency"] if reporting_currency is None else reporting_currency
    if option_method not in OPTION_METHODS:
        raise InputError("option_method", f"unknown option method {option_method!r}", allowed=OPTION_METHODS)
    frame = validate_trading_book(trading_book)
    check_book(frame, reporting_currency)
    carve = simplified_options if option_method == "simplified" else delta_plus_options
    rest, option_lines = carve(frame, params)
    parts = [
        interest_rate_lines(rest.loc[is_in(rest, "risk_class", "interest_rate")], params),
        _equity_lines(rest.loc[is_in(rest, "risk_class", "equity")], params),
        _fx_lines(rest.loc[is_in(rest, "risk_class", "fx")], params),
        _commodity_lines(rest.loc[is_in(rest, "risk_class", "commodity")], params),
        option_lines,
    ]
    lines = concat_lines(parts)
    if lines.empty:
        lines = pd.DataFrame(
            {
                c: pd.Series(dtype=float if c in ("amount", "rate", "capital") else object)
                for c in LINE_COLUMNS
            }
        )
    lines = lines[[*LINE_COLUMNS, *[c for c in lines.columns if c not in LINE_COLUMNS]]]
    classes = _classes(lines, params)
    k_market = float(classes["scaled_capital"].sum())
    return MarketRiskCapital(lines, classes, k_market, params["rwa_multiplier"] * k_market)


def _parameters(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    params = copy.deepcopy(MARKET_RISK_PARAMETERS)
    for key, value in (overrides or {}).items():
        if key not in params:
            raise InputError("parameters", f"unknown market-risk parameter {key!r}", allowed=list(params))
        if isinstance(params[key], dict) and isinstance(value, Mapping):
            params[key].update(copy.deepcopy(dict(value)))
        else:
            params[key] = value
    return params


def _classes(lines: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Requirement per risk class and the MAR40.2 scaling factors (methodology 11.1, C.34)."""
    capital = lines.groupby("risk_class")["capital"].sum().reindex(list(RISK_CLASSES), fill_value=0.0)
    factor = np.array([params["scaling_factor"][c] for c in RISK_CLASSES])
    return pd.DataFrame(
        {
            "risk_class": list(RISK_CLASSES),
            "capital": capital.to_numpy(dtype=float),
            "scaling_factor": factor,
            "scaled_capital": capital.to_numpy(dtype=float) * factor,
            "rule": "MAR40.2",
        }
    )


def _equity_lines(rows: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Specific risk per issue (8%, 2% for an index) and general risk per market (MAR40.41-40.47)."""
    issues = net_issues(rows, ("national_market", "is_index"))
    if issues.empty:
        return pd.DataFrame()
    eq = params["equity"]
    value = issues["market_value"].to_numpy(dtype=float)
    index = issues["is_index"].to_numpy(dtype=bool)
    rate = np.where(index, eq["specific_index"], eq["specific"])
    specific = pd.DataFrame(
        {
            "risk_class": "equity",
            "charge": "equity_specific",
            "key": issues["issue_id"].to_numpy(),
            "market": issues["national_market"].to_numpy(),
            "amount": value,
            "rate": rate,
            "capital": np.abs(value) * rate,
            "rule": np.where(index, "MAR40.47", "MAR40.43"),
        }
    )
    net = issues.groupby("national_market", sort=True)["market_value"].sum()
    general = pd.DataFrame(
        {
            "risk_class": "equity",
            "charge": "equity_general",
            "key": net.index.to_numpy(dtype=object),
            "market": net.index.to_numpy(dtype=object),
            "amount": net.to_numpy(),
            "rate": eq["general"],
            "capital": np.abs(net.to_numpy()) * eq["general"],
            "rule": "MAR40.43",
        }
    )
    return pd.concat([specific, general], ignore_index=True)


def _fx_lines(rows: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """Net open position per currency and gold; 8% of the shorthand overall position (MAR40.55-40.61)."""
    if rows.empty:
        return pd.DataFrame()
    gold = is_in(rows, "instrument_type", "gold_net_position")
    by_currency = rows.loc[~gold].groupby("currency", sort=True)["market_value"].sum()
    net = by_currency.to_numpy(dtype=float)
    gold_net = float(rows.loc[gold, "market_value"].sum())
    overall = max(net[net > 0].sum(), -net[net < 0].sum()) + abs(gold_net)  # MAR40.61 (methodology C.33)
    rate = params["fx"]["rate"]
    keys = [*by_currency.index.astype(str), "gold", "overall_net_open_position"]
    return pd.DataFrame(
        {
            "risk_class": "fx",
            "charge": [*["fx_net_position"] * len(net), "gold_net_position", "fx_overall"],
            "key": keys,
            "amount": [*net, gold_net, overall],
            "rate": [*[np.nan] * (len(net) + 1), rate],
            "capital": [*[0.0] * (len(net) + 1), rate * overall],
            "rule": [*["MAR40.55"] * (len(net) + 1), "MAR40.61"],
        }
    )


def _commodity_lines(rows: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """15% of |net| plus 3% of the gross position per commodity, no cross-commodity netting (MAR40.73)."""
    if rows.empty:
        return pd.DataFrame()
    value = rows["market_value"].to_numpy(dtype=float)
    groups = pd.DataFrame({"commodity": rows["commodity"].to_numpy(), "net": value, "gross": np.abs(value)})
    sums = groups.groupby("commodity", sort=True)[["net", "gross"]].sum()
    c = params["commodity"]
    names = sums.index.to_numpy(dtype=object)
    amounts = np.r_[sums["net"].to_numpy(), sums["gross"].to_numpy()]
    rates = np.repeat([c["net"], c["gross"]], len(names))
    return pd.DataFrame(
        {
            "risk_class": "commodity",
            "charge": np.repeat(["commodity_net", "commodity_gross"], len(names)),
            "key": np.tile(names, 2),
            "amount": amounts,
            "rate": rates,
            "capital": np.abs(amounts) * rates,
            "rule": "MAR40.73",
        }
    )

"""Stress scenarios as data: shocks to positions, to liquidity parameters and to buffers.

A :class:`Scenario` is a name and a :class:`Shocks` record; :func:`shock_positions` applies the
balance-sheet shocks (vectorised, balance sheet kept balanced through central bank reserves),
:func:`scenario_parameters` and :func:`scenario_buffers` turn the others into parameter
overrides. ``SCENARIOS`` is the library of named scenarios with their assumptions.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from banksim.errors import InputError
from banksim.positions.protection import COLLATERAL_TYPES, validate_protection
from banksim.positions.validation import validate_changed_columns, validate_positions
from banksim.positions.vocabulary import (
    CREDIT_EXPOSURE_CLASSES,
    FINANCIAL_AND_OTHER_ENTITIES,
    HQLA_STOCK_LEVELS,
    PRODUCTS,
    RATINGS,
    RUN_OFF_CLASSES,
)
from banksim.regulation._frame import categorical, is_in

__all__ = [
    "SCENARIOS",
    "Scenario",
    "Shocks",
    "market_moves",
    "scenario_buffers",
    "scenario_cva_parameters",
    "scenario_ecl_parameters",
    "scenario_grid",
    "scenario_parameters",
    "shock_positions",
    "shock_trading_book",
    "shock_protection",
]

WINDOW = 15 / 365  # funding that is not rolled over matures in the middle of the LCR window


@dataclass(frozen=True)
class Shocks:
    """What a scenario changes; the defaults change nothing.

    Parameters
    ----------
    rating_downgrade : dict
        Exposure class -> notches of downgrade (0 to 10) for rated lines (at most to 'C').
    pd_multiplier, lgd_multiplier : float
        Multipliers of PD (performing lines) and LGD, capped at 1.
    house_price_change : float
        Relative change of property values (-0.2 = a 20% fall): LTV / (1 + change).
    deposit_run_off_multiplier : dict
        Deposit class -> multiplier of its LCR run-off rate (capped at 100%).
    hqla_haircut : dict
        HQLA level ('1', '2A', '2B') -> extra market-value haircut on top of the LCR30 haircut.
    wholesale_not_rolled : float
        Share (by amount, soonest maturing first) of term wholesale funding from financial
        counterparties that matures within the LCR window and is not rolled over.
    facility_drawdown : float
        Share of undrawn committed facilities drawn (funded from central bank reserves).
    product_growth : dict
        Product -> relative growth of its lines (+0.1 = 10% more), funded through reserves.
    dividend : float
        Share of CET1 paid out (cash from reserves).
    at1_issuance : float
        New AT1 issued, as a share of CET1 (cash to reserves).
    countercyclical_rates : dict
        Jurisdiction -> CCyB rate (0 to 2.5%).
    derivative_counterparty_downgrade : int
        Notches of downgrade (0 to 10) of the rated derivative counterparties (their CCR risk
        weight and CVA credit quality, methodology 10.6).
    cva_spread_multiplier : float
        Multiplier of the MAR50.16 supervisory risk weights of the CVA charge (a credit-spread
        shock, methodology 10.6).
    interest_rate_shift, equity_price_change, fx_rate_change, commodity_price_change : float
        Market moves on the trading book (methodology 11.8): a parallel rate shift (0.01 = +100bp),
        relative changes of equity prices, of foreign currencies against the reporting currency and
        of commodity (and gold) prices; the revaluation is booked into CET1 by the pipeline.
    collateral_value_change : dict
        Collateral type of the protection table (``debt_security``, ``equity_main_index``,
        ``receivables``, ...) -> relative change of its market value (-0.2 = a 20% fall), applied
        by :func:`shock_protection` before credit risk mitigation (methodology 9.10).
    ecl_scenarios : dict
        The IFRS 9 forward-looking scenarios of the ECL step: name -> ``{"weight": w,
        "pd_multiplier": m, "lgd_addon": a}`` (multiplier 1 and add-on 0 if left out; weights in
        [0, 1] summing to 1 within 1e-9, multipliers in [0, 100], add-ons in [-1, 1]); applied on top
        of the shocked PDs and LGDs by :func:`scenario_ecl_parameters`. Empty (the default) keeps the
        ``ecl.scenarios`` parameter (methodology 12.4).
    """

    rating_downgrade: Mapping[str, int] = field(default_factory=dict)
    pd_multiplier: float = 1.0
    lgd_multiplier: float = 1.0
    house_price_change: float = 0.0
    deposit_run_off_multiplier: Mapping[str, float] = field(default_factory=dict)
    hqla_haircut: Mapping[str, float] = field(default_factory=dict)
    wholesale_not_rolled: float = 0.0
    facility_drawdown: float = 0.0
    product_growth: Mapping[str, float] = field(default_factory=dict)
    dividend: float = 0.0
    at1_issuance: float = 0.0
    countercyclical_rates: Mapping[str, float] = field(default_factory=dict)
    derivative_counterparty_downgrade: int = 0
    cva_spread_multiplier: float = 1.0
    interest_rate_shift: float = 0.0
    equity_price_change: float = 0.0
    fx_rate_change: float = 0.0
    commodity_price_change: float = 0.0
    collateral_value_change: Mapping[str, float] = field(default_factory=dict)
    ecl_scenarios: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_shocks(self)

    def changed(self) -> dict[str, Any]:
        """The shocks that differ from 'no change', by name."""
        neutral = Shocks()
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(neutral, f.name)
        }


@dataclass(frozen=True)
class Scenario:
    """A named set of shocks, with the assumptions written down."""

    name: str
    shocks: Shocks = field(default_factory=Shocks)
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("scenario.name", "must be a non-empty string")
        if not isinstance(self.shocks, Shocks):
            raise InputError("scenario.shocks", f"expected Shocks, got {type(self.shocks).__name__}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build from ``{"name": ..., "shocks": {...}, "description": ...}``; unknown names are errors."""
        if not isinstance(data, Mapping):
            raise InputError(
                "scenario",
                f"expected a dict, got {type(data).__name__}",
                allowed='{"name": str, "shocks": {shock: value}, "description": str}',
            )
        unknown = sorted(set(data) - {"name", "shocks", "description"}, key=str)
        if unknown:
            raise InputError("scenario", f"unknown keys {unknown}", allowed=["name", "shocks", "description"])
        shocks = data.get("shocks", {})
        if not isinstance(shocks, Mapping):
            raise InputError("scenario['shocks']", f"expected a dict, got {type(shocks).__name__}")
        names = [f.name for f in dataclasses.fields(Shocks)]
        unknown = sorted(set(shocks) - set(names), key=str)
        if unknown:
            raise InputError("scenario['shocks']", f"unknown shocks {unknown}", allowed=names)
        name, description = data.get("name", ""), data.get("description", "")
        for key, value in (("name", name), ("description", description)):
            if not isinstance(value, str):
                raise InputError(
                    f"scenario[{key!r}]", f"expected a str, got {type(value).__name__}", allowed="a str"
                )
        return cls(name, Shocks(**shocks), description)

    def with_shocks(self, name: str | None = None, **shocks: Any) -> Scenario:
        """A copy with some shocks replaced (and a new name if given)."""
        return Scenario(name or self.name, dataclasses.replace(self.shocks, **shocks), self.description)


def _number(where: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InputError(where, f"must be a number in [{low:g}, {high:g}], got {value!r}")


def _mapping(
    where: str, value: Any, keys: tuple[str, ...], low: float, high: float, integer: bool = False
) -> None:
    if not isinstance(value, Mapping):
        raise InputError(where, f"expected a dict, got {type(value).__name__}")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise InputError(where, f"unknown keys {unknown}", allowed=keys)
    for key, item in value.items():
        if integer and (isinstance(item, bool) or not isinstance(item, int)):
            raise InputError(f"{where}[{key!r}]", f"must be a whole number, got {item!r}")
        _number(f"{where}[{key!r}]", item, low, high)


def _check_shocks(s: Shocks) -> None:
    _mapping("shocks.rating_downgrade", s.rating_downgrade, CREDIT_EXPOSURE_CLASSES, 0, 10, integer=True)
    _number("shocks.pd_multiplier", s.pd_multiplier, 0.0, 100.0)
    _number("shocks.lgd_multiplier", s.lgd_multiplier, 0.0, 10.0)
    _number("shocks.house_price_change", s.house_price_change, -0.95, 1.0)
    _mapping("shocks.deposit_run_off_multiplier", s.deposit_run_off_multiplier, RUN_OFF_CLASSES, 0.0, 20.0)
    _mapping("shocks.hqla_haircut", s.hqla_haircut, HQLA_STOCK_LEVELS, 0.0, 1.0)
    _number("shocks.wholesale_not_rolled", s.wholesale_not_rolled, 0.0, 1.0)
    _number("shocks.facility_drawdown", s.facility_drawdown, 0.0, 1.0)
    _mapping("shocks.product_growth", s.product_growth, PRODUCTS, -1.0, 10.0)
    _number("shocks.dividend", s.dividend, 0.0, 1.0)
    _number("shocks.at1_issuance", s.at1_issuance, 0.0, 1.0)
    if not isinstance(s.countercyclical_rates, Mapping):
        raise InputError("shocks.countercyclical_rates", "expected a dict of jurisdiction -> rate")
    for country, rate in s.countercyclical_rates.items():
        _number(f"shocks.countercyclical_rates[{country!r}]", rate, 0.0, 0.025)
    _check_market_shocks(s)


def _check_market_shocks(s: Shocks) -> None:
    """The CVA and trading-book shocks (methodology 10.6, 11.8)."""
    notches = s.derivative_counterparty_downgrade
    if isinstance(notches, bool) or not isinstance(notches, int):
        raise InputError(
            "shocks.derivative_counterparty_downgrade", f"must be a whole number, got {notches!r}"
        )
    _number("shocks.derivative_counterparty_downgrade", notches, 0, 10)
    _number("shocks.cva_spread_multiplier", s.cva_spread_multiplier, 0.0, 10.0)
    _number("shocks.interest_rate_shift", s.interest_rate_shift, -0.05, 0.05)
    for name in MARKET_PRICE_MOVES:
        _number(f"shocks.{name}", getattr(s, name), -0.95, 1.0)
    _mapping("shocks.collateral_value_change", s.collateral_value_change, COLLATERAL_TYPES, -0.95, 1.0)
    _check_ecl_scenarios(s.ecl_scenarios)


ECL_SCENARIO_KEYS = ("weight", "pd_multiplier", "lgd_addon")
ECL_WEIGHT_TOLERANCE = 1e-9  # weights sum to 1 within this (IFRS 9 5.5.17; methodology C.38)


def _check_ecl_scenarios(scenarios: Any) -> None:
    """Name -> weight, PD multiplier and LGD add-on; weights summing to 1 (methodology 12.4, C.38)."""
    where = "shocks.ecl_scenarios"
    if not isinstance(scenarios, Mapping):
        raise InputError(where, f"expected a dict of scenario name -> dict, got {type(scenarios).__name__}")
    for name, scenario in scenarios.items():
        at = f"{where}[{name!r}]"
        if not isinstance(name, str) or not name.strip():
            raise InputError(where, f"scenario names must be non-empty strings, got {name!r}")
        if not isinstance(scenario, Mapping) or "weight" not in scenario:
            raise InputError(
                at, f"expected a dict with a 'weight', got {scenario!r}", allowed=ECL_SCENARIO_KEYS
            )
        _mapping(at, {k: v for k, v in scenario.items() if k != "lgd_addon"}, ECL_SCENARIO_KEYS, 0.0, 100.0)
        _number(f"{at}['weight']", scenario["weight"], 0.0, 1.0)
        _number(f"{at}['lgd_addon']", scenario.get("lgd_addon", 0.0), -1.0, 1.0)
    total = math.fsum(float(s["weight"]) for s in scenarios.values())
    if scenarios and abs(total - 1.0) > ECL_WEIGHT_TOLERANCE:
        raise InputError(f"{where} weights", f"must sum to 1 (sum {total!r})", allowed="sum 1 within 1e-9")


# -- balance-sheet shocks -------------------------------------------------------------------------

MARKET_PRICE_MOVES = ("equity_price_change", "fx_rate_change", "commodity_price_change")
MARKET_MOVES = ("interest_rate_shift", *MARKET_PRICE_MOVES)
POSITION_SHOCKS = (
    "rating_downgrade",
    "derivative_counterparty_downgrade",
    "pd_multiplier",
    "lgd_multiplier",
    "house_price_change",
    "wholesale_not_rolled",
    "facility_drawdown",
    "product_growth",
    "dividend",
    "at1_issuance",
)


def position_shocks(shocks: Shocks) -> dict[str, Any]:
    """The balance-sheet shocks only (what :func:`shock_positions` reads), as a plain dict."""
    return {name: getattr(shocks, name) for name in POSITION_SHOCKS}


# The positions columns :func:`shock_positions` may replace (the rest are the input's own).
SHOCKED_COLUMNS = (
    "rating", "pd", "lgd", "ltv", "residual_maturity", "next_reset", "specific_provisions", "notional",
    "mtm", "drawn_amount", "off_balance_amount",
)  # fmt: skip


def shock_positions(positions: pd.DataFrame, shocks: Shocks) -> pd.DataFrame:
    """Apply the balance-sheet shocks to a positions table and return the shocked copy.

    Assets = liabilities + equity still holds: drawdowns, growth, dividends and AT1 issuance move
    cash through the central bank reserves (an error if they would go negative).
    """
    valid = validate_positions(positions)
    frame = valid.copy(deep=False)  # copy-on-write: the columns replaced below are new arrays
    asset = is_in(frame, "side", "asset")

    # Ratings, PD, LGD, LTV.
    rating = frame["rating"].cat.codes.to_numpy().copy()
    worst, default = RATINGS.index("C"), RATINGS.index("D")  # D and 'unrated' are never downgraded
    for klass, notches in shocks.rating_downgrade.items():
        rows = is_in(frame, "exposure_class", klass) & (rating < default)
        rating[rows] = np.minimum(rating[rows] + notches, worst)
    if shocks.derivative_counterparty_downgrade:  # methodology 10.6: rated counterparties only
        rows = is_in(frame, "side", "derivative") & (rating < default)
        rating[rows] = np.minimum(rating[rows] + shocks.derivative_counterparty_downgrade, worst)
    frame["rating"] = categorical(rating, RATINGS)
    performing = frame["pd"].to_numpy() < 1
    frame["pd"] = np.where(
        performing, np.minimum(frame["pd"].to_numpy() * shocks.pd_multiplier, 1.0), frame["pd"]
    )
    frame["lgd"] = np.minimum(frame["lgd"].to_numpy() * shocks.lgd_multiplier, 1.0)
    frame["ltv"] = frame["ltv"].to_numpy() / (1.0 + shocks.house_price_change)

    # Wholesale funding that is not rolled over: the soonest-maturing share matures within 30 days.
    if shocks.wholesale_not_rolled > 0:
        maturity = frame["residual_maturity"].to_numpy()
        eligible = np.flatnonzero(
            is_in(frame, "side", "liability")
            & is_in(frame, "lcr_counterparty", *FINANCIAL_AND_OTHER_ENTITIES)
            & is_in(frame, "collateral_level", "none")
            & ~is_in(frame, "product", "tier2_instrument")
            & (maturity > 30 / 365)
        )
        order = eligible[np.argsort(maturity[eligible], kind="stable")]
        amounts = frame["drawn_amount"].to_numpy()[order]
        cumulative = np.cumsum(amounts) - amounts  # amount before each line
        chosen = order[cumulative < shocks.wholesale_not_rolled * amounts.sum()]
        maturity = maturity.copy()
        maturity[chosen] = WINDOW
        frame["residual_maturity"] = maturity
        reset = frame["next_reset"].to_numpy().copy()
        reset[chosen] = np.nan  # a floater among them reprices at its new maturity (methodology 13.10)
        frame["next_reset"] = reset

    drawn = frame["drawn_amount"].to_numpy().copy()
    off = frame["off_balance_amount"].to_numpy().copy()
    cash_out = 0.0  # paid out of central bank reserves (negative: received)

    # Growth or shrinkage of product lines.
    for product, growth in shocks.product_growth.items():
        rows = is_in(frame, "product", product)
        delta = np.round(drawn[rows] * growth, 2)
        funded = is_in(frame, "side", "liability", "equity")[rows]  # more funding brings cash in
        cash_out += float(delta[asset[rows]].sum() - delta[funded].sum())
        drawn[rows] += delta
        off[rows] = np.round(off[rows] * (1 + growth), 2)
        for column in ("specific_provisions", "notional", "mtm"):
            values = frame[column].to_numpy().copy()
            values[rows] = np.round(values[rows] * (1 + growth), 2)
            frame[column] = values

    # Capital actions.
    cet1 = is_in(frame, "product", "cet1_capital")
    cet1_amount = float(drawn[cet1].sum())
    if shocks.dividend:
        paid = np.round(drawn[cet1] * shocks.dividend, 2)
        drawn[cet1] -= paid
        cash_out += float(paid.sum())
    if shocks.at1_issuance:
        at1 = np.flatnonzero(is_in(frame, "product", "at1_instrument"))
        if not len(at1):
            raise InputError(
                "shocks.at1_issuance", "the positions have no 'at1_instrument' line to issue into"
            )
        issued = round(cet1_amount * shocks.at1_issuance, 2)
        drawn[at1[0]] += issued
        cash_out -= issued

    # Drawdowns of committed facilities: new loans, funded from reserves.
    new_rows = None
    if shocks.facility_drawdown > 0:
        facility = is_in(frame, "side", "off_balance") & ~is_in(frame, "facility_type", "none")
        amount = np.round(off * shocks.facility_drawdown, 2) * facility
        off = off - amount
        chosen = np.flatnonzero(amount > 0)
        new_rows = frame.iloc[chosen].copy()
        new_rows["position_id"] = new_rows["position_id"].astype(str) + "-DRAWN"
        new_rows["side"] = "asset"
        new_rows["product"] = "corporate_loan"
        new_rows["drawn_amount"] = amount[chosen]
        new_rows["off_balance_amount"] = 0.0
        for column in ("off_balance_type", "underlying_off_balance_type", "facility_type"):
            new_rows[column] = "none"  # the drawn part is a loan
        cash_out += float(amount.sum())

    reserves = np.flatnonzero(is_in(frame, "product", "central_bank_reserves"))
    if cash_out:
        available = drawn[reserves].sum()
        if not len(reserves) or available < cash_out - 0.005:
            raise InputError(
                "shocks",
                f"need {cash_out:,.2f} of central bank reserves to fund the shocks; "
                f"the bank holds {available:,.2f}",
            )
        paid = (
            np.round(drawn[reserves] / available * cash_out, 2) if available > 0 else np.zeros(len(reserves))
        )
        paid[np.argmax(drawn[reserves])] += round(cash_out - paid.sum(), 2)
        drawn[reserves] -= paid
    frame["drawn_amount"] = np.round(drawn, 2)
    frame["off_balance_amount"] = off
    if new_rows is not None and len(new_rows):
        return validate_positions(pd.concat([frame, new_rows], ignore_index=True))
    return validate_changed_columns(frame, valid, SHOCKED_COLUMNS)


# -- collateral shocks ----------------------------------------------------------------------------


def shock_protection(protection: pd.DataFrame, shocks: Shocks | Mapping[str, float]) -> pd.DataFrame:
    """The protection table with collateral market values moved by ``collateral_value_change``.

    ``shocks`` is a :class:`Shocks` or the mapping itself (collateral type -> relative change);
    ``amount`` of each item of a listed type becomes ``amount x (1 + change)``; netting deposits,
    guarantees and credit derivatives are not collateral and keep theirs (methodology 9.10).
    """
    change = shocks.collateral_value_change if isinstance(shocks, Shocks) else shocks
    if not isinstance(shocks, Shocks):
        _mapping("collateral_value_change", change, COLLATERAL_TYPES, -0.95, 1.0)
    frame = validate_protection(protection)
    if not change:
        return frame
    kind = frame["protection_type"].cat.codes.to_numpy()
    factor = np.ones(len(frame))
    for name, move in change.items():
        factor[kind == list(frame["protection_type"].cat.categories).index(name)] = 1.0 + move
    return frame.assign(amount=frame["amount"].to_numpy() * factor)


# -- parameter and buffer shocks ------------------------------------------------------------------


def scenario_parameters(shocks: Shocks, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """LCR parameter overrides for run-off multipliers and HQLA market-value haircuts."""
    from banksim.regulation.parameters import regulatory_parameters

    if not shocks.deposit_run_off_multiplier and not shocks.hqla_haircut:
        return {}  # nothing to scale: the parameters need not be resolved
    lcr = regulatory_parameters(base)["lcr"]
    overrides: dict[str, Any] = {}
    m = shocks.deposit_run_off_multiplier

    def scaled(rate: float, klass: str) -> float:
        return min(rate * m.get(klass, 1.0), 1.0)

    if m:
        retail = lcr["retail_deposit"]
        overrides["retail_deposit"] = {
            "stable_enhanced": scaled(retail["stable_enhanced"], "stable_enhanced"),
            "stable": scaled(retail["stable"], "stable"),
            "less_stable": scaled(retail["less_stable"], "less_stable"),
        }
        overrides["operational_deposit"] = scaled(lcr["operational_deposit"], "operational")
        overrides["operational_deposit_insured"] = scaled(lcr["operational_deposit_insured"], "operational")
        overrides["cooperative_network_deposit"] = scaled(
            lcr["cooperative_network_deposit"], "cooperative_network"
        )
        for key in ("unsecured_non_financial", "unsecured_non_financial_insured", "unsecured_financial"):
            overrides[key] = scaled(lcr[key], "non_operational")
    if shocks.hqla_haircut:
        haircut = dict(lcr["haircut"])
        for level, extra in shocks.hqla_haircut.items():
            for key in ("2B", "2B_rmbs") if level == "2B" else (level,):
                haircut[key] = 1 - (1 - haircut[key]) * (1 - extra)
        overrides["haircut"] = haircut
    return {"lcr": overrides} if overrides else {}


def scenario_cva_parameters(shocks: Shocks, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """CVA parameter overrides of the credit-spread shock: the MAR50.16 weights x the multiplier."""
    if shocks.cva_spread_multiplier == 1.0:
        return {}
    from banksim.regulation.parameters import regulatory_parameters

    weights = regulatory_parameters(base)["cva"]["risk_weight"]
    m = shocks.cva_spread_multiplier
    return {"cva": {"risk_weight": {s: {c: w * m for c, w in row.items()} for s, row in weights.items()}}}


def scenario_ecl_parameters(shocks: Shocks) -> dict[str, Any]:
    """The ECL parameter overrides of the scenario's ``ecl_scenarios`` (methodology 12.4).

    Returns ``{"ecl": {"scenarios": (...)}}``, one record (``scenario``, ``weight``,
    ``pd_multiplier``, ``lgd_addon``) per scenario in the order given, for ``bs.compute_ecl``'s
    ``parameters``; ``{}`` when the scenario sets none (the run's ``ecl.scenarios`` apply).
    """
    records = tuple(
        {
            "scenario": name,
            "weight": float(values["weight"]),
            "pd_multiplier": float(values.get("pd_multiplier", 1.0)),
            "lgd_addon": float(values.get("lgd_addon", 0.0)),
        }
        for name, values in shocks.ecl_scenarios.items()
    )
    return {"ecl": {"scenarios": records}} if records else {}


def market_moves(shocks: Shocks) -> dict[str, float]:
    """The trading-book moves of ``shocks`` (what :func:`shock_trading_book` reads), as a plain dict."""
    return {name: float(getattr(shocks, name)) for name in MARKET_MOVES}


def shock_trading_book(trading_book: pd.DataFrame, moves: Mapping[str, float]) -> pd.DataFrame:
    """The trading book revalued after market moves (methodology 11.8); ``revaluation`` = new - old.

    Bonds and swap legs: value x max(0, 1 - residual maturity x shift) (the duration of a
    zero-coupon bond); equities, FX net positions, commodities and gold: value x (1 + change) of
    their class (gold moves with commodities); options: the underlying's price and forward price
    move the same way and the option's own market value is kept.
    """
    from banksim.positions.trading_book import validate_trading_book

    if not isinstance(moves, Mapping) or set(moves) - set(MARKET_MOVES):
        raise InputError("moves", f"expected a dict of market moves, got {moves!r}", allowed=MARKET_MOVES)
    given: dict[str, Any] = dict(moves)
    Shocks(**given)  # the ranges of the Shocks fields
    book = validate_trading_book(trading_book)
    move = {name: float(given.get(name, 0.0)) for name in MARKET_MOVES}
    value = book["market_value"].to_numpy(dtype=float)
    option = is_in(book, "instrument_type", "option")
    rates = is_in(book, "instrument_type", "bond", "swap_leg")
    maturity = np.nan_to_num(book["residual_maturity"].to_numpy(dtype=float))
    factor = np.select(
        [
            rates,
            is_in(book, "risk_class", "equity"),
            is_in(book, "instrument_type", "fx_net_position") | (option & is_in(book, "risk_class", "fx")),
            is_in(book, "risk_class", "commodity") | is_in(book, "instrument_type", "gold_net_position"),
        ],
        [
            np.maximum(0.0, 1.0 - maturity * move["interest_rate_shift"]),
            1.0 + move["equity_price_change"],
            1.0 + move["fx_rate_change"],
            1.0 + move["commodity_price_change"],
        ],
        default=1.0,
    )
    out = book.copy()
    out["market_value"] = np.where(option, value, value * factor)
    for column in ("underlying_price", "underlying_forward_price"):
        out[column] = np.where(option, out[column].to_numpy(dtype=float) * factor, out[column].to_numpy())
    before = book["revaluation"].to_numpy(dtype=float) if "revaluation" in book.columns else 0.0
    out["revaluation"] = before + out["market_value"].to_numpy() - value
    return out


def scenario_buffers(shocks: Shocks) -> dict[str, Any]:
    """Buffer settings of the scenario (the countercyclical rates)."""
    return (
        {"countercyclical_rates": dict(shocks.countercyclical_rates)} if shocks.countercyclical_rates else {}
    )


def scenario_grid(base: Scenario | None = None, **axes: list[Any]) -> list[Scenario]:
    """Scenarios for every combination of the given shock values, named after them.

    ``scenario_grid(pd_multiplier=[1, 1.5, 2], house_price_change=[0, -0.2])`` gives six scenarios.
    """
    base = base or SCENARIOS["baseline"]
    names = [f.name for f in dataclasses.fields(Shocks)]
    unknown = sorted(set(axes) - set(names))
    if unknown:
        raise InputError("axes", f"unknown shocks {unknown}", allowed=names)
    scenarios = []
    for values in itertools.product(*axes.values()):
        chosen = dict(zip(axes, values, strict=True))
        label = ",".join(f"{k}={v}" for k, v in chosen.items())
        scenarios.append(base.with_shocks(name=f"{base.name}[{label}]", **chosen))
    return scenarios


# -- the library ----------------------------------------------------------------------------------

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("baseline", Shocks(), "The bank as generated: no shock."),
        Scenario(
            "mild_recession",
            Shocks(
                rating_downgrade={"corporate": 1, "specialised_lending": 1, "commercial_real_estate": 1},
                pd_multiplier=1.5,
                lgd_multiplier=1.1,
                house_price_change=-0.10,
                facility_drawdown=0.10,
                dividend=0.10,
            ),
            "GDP -1%: corporates one notch lower, PDs x1.5, LGDs +10%, house prices -10%; "
            "corporates draw 10% of their committed lines; the bank still pays a 10%-of-CET1 dividend.",
        ),
        Scenario(
            "severe_recession",
            Shocks(
                rating_downgrade={
                    "corporate": 2,
                    "specialised_lending": 2,
                    "commercial_real_estate": 2,
                    "bank": 1,
                    "sovereign": 1,
                },
                pd_multiplier=2.5,
                lgd_multiplier=1.25,
                house_price_change=-0.25,
                facility_drawdown=0.25,
                product_growth={"corporate_loan": -0.05},
                dividend=0.10,
                collateral_value_change={
                    "debt_security": -0.05,
                    "equity_main_index": -0.30,
                    "receivables": -0.20,
                },
            ),
            "GDP -4%: corporates two notches lower, banks and sovereigns one; PDs x2.5, LGDs +25%; "
            "house prices -25%; a quarter of committed lines drawn; corporate lending shrinks 5%; "
            "the 10%-of-CET1 dividend is still paid; bond collateral -5%, equity collateral -30%, "
            "receivables -20%.",
        ),
        Scenario(
            "idiosyncratic_liquidity_run",
            Shocks(
                deposit_run_off_multiplier={
                    "stable": 2.0,
                    "less_stable": 2.0,
                    "operational": 1.5,
                    "non_operational": 1.5,
                },
                wholesale_not_rolled=0.5,
                facility_drawdown=0.10,
            ),
            "Name-specific run: retail run-off rates doubled, wholesale +50%; half of the term "
            "wholesale funding from financial counterparties is not rolled over; 10% of lines drawn.",
        ),
        Scenario(
            "market_wide_liquidity_stress",
            Shocks(
                hqla_haircut={"1": 0.02, "2A": 0.10, "2B": 0.25},
                deposit_run_off_multiplier={"non_operational": 1.25},
                wholesale_not_rolled=0.25,
                facility_drawdown=0.20,
                collateral_value_change={"debt_security": -0.05, "equity_main_index": -0.25},
            ),
            "Market-wide stress: HQLA market values fall (L1 -2%, L2A -10%, L2B -25%); "
            "non-operational wholesale run-off +25%; a quarter of term wholesale funding not rolled; "
            "20% of committed lines drawn; bond collateral -5%, equity collateral -25%.",
        ),
    )
}
SCENARIOS["combined"] = Scenario(
    "combined",
    dataclasses.replace(
        SCENARIOS["severe_recession"].shocks,
        deposit_run_off_multiplier=SCENARIOS["idiosyncratic_liquidity_run"].shocks.deposit_run_off_multiplier,
        hqla_haircut=SCENARIOS["market_wide_liquidity_stress"].shocks.hqla_haircut,
        wholesale_not_rolled=0.5,
    ),
    "Severe recession together with the idiosyncratic run and the market-wide HQLA haircuts.",
)

"""Liquidity Coverage Ratio (LCR20-LCR40): HQLA with haircuts and caps, outflows, inflows, the ratio.

``lcr_lines`` classifies every position with a first-match decision list (section, category,
rate, paragraph); ``lcr_summary`` applies the Level 2 / Level 2B caps with the unwinding
adjustment (LCR30.35-36) and the 75% inflow cap (LCR40.77).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from banksim.positions.vocabulary import (
    FINANCIAL_AND_OTHER_ENTITIES,
    HQLA_COLLATERAL_LEVELS,
    NON_FINANCIAL_WITH_CENTRAL_BANKS,
    RETAIL_COUNTERPARTIES,
)
from banksim.regulation._frame import (
    Decisions,
    categorical,
    concat_categorical,
    fail,
    is_in,
    lookup,
    sums_by_category,
)
from banksim.regulation.saccr import netting_set_codes

__all__ = [
    "LcrMasks",
    "LcrSummary",
    "hqla_stock",
    "inflows",
    "lcr_lines",
    "lcr_masks",
    "lcr_summary",
    "off_balance_outflows",
    "retail_outflows",
    "secured_funding_outflows",
    "wholesale_outflows",
]

SECTIONS = ("hqla", "outflow", "inflow", "out_of_scope")
OUT = "out_of_scope"


class LcrSummary(TypedDict):
    """The LCR of :func:`lcr_summary` (amounts in the reporting currency, ratios as decimals)."""

    hqla_level1: float
    hqla_level2a: float
    hqla_level2b: float
    hqla_before_caps: float
    adjusted_level1: float
    adjusted_level2a: float
    adjusted_level2b: float
    adjustment_15_percent_cap: float
    adjustment_40_percent_cap: float
    hqla: float
    outflows: float
    inflows: float
    inflows_capped: float
    inflow_cap_binding: bool
    net_outflows: float
    lcr: float
    lcr_minimum: float
    lcr_met: bool
    outflows_by_category: dict[str, float]
    inflows_by_category: dict[str, float]


def _hqla_levels(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Masks of the four haircut classes: Level 1, 2A, 2B RMBS and other 2B (LCR30.40-45)."""
    rmbs = is_in(frame, "hqla_asset_type", "rmbs")
    level2b = is_in(frame, "hqla_level", "2B")
    return {
        "1": is_in(frame, "hqla_level", "1"),
        "2A": is_in(frame, "hqla_level", "2A"),
        "2B_rmbs": level2b & rmbs,
        "2B": level2b & ~rmbs,
    }


@dataclass(frozen=True)
class LcrMasks:
    """The row masks the LCR treatment of a position is decided on (one boolean array each)."""

    asset: np.ndarray
    liability: np.ndarray
    off: np.ndarray
    within: np.ndarray  # residual maturity within the 30-day window
    due: np.ndarray  # within, or no maturity: non-maturity funding can leave at once
    counterparty: dict[str, np.ndarray]  # one mask per lcr_counterparty value
    non_financial: np.ndarray
    financial: np.ndarray
    retail: np.ndarray  # retail and small-business counterparties
    insured: np.ndarray
    secured: np.ndarray
    operational: np.ndarray  # operational deposits (placed or held)
    levels: dict[str, np.ndarray]  # the four haircut classes of _hqla_levels
    hqla: np.ndarray  # HQLA-eligible assets, encumbered or not
    stock: np.ndarray  # unencumbered HQLA: the stock of LCR30
    loan: np.ndarray  # assets that are not HQLA: the inflow candidates


def lcr_masks(frame: pd.DataFrame, p: Mapping[str, Any]) -> LcrMasks:
    """Sides, the 30-day window, counterparty groups and HQLA levels of a validated positions table."""
    asset, liability, off = (is_in(frame, "side", s) for s in ("asset", "liability", "off_balance"))
    maturity = frame["residual_maturity"].to_numpy()
    within = maturity <= p["window_years"]
    cp = {
        name: is_in(frame, "lcr_counterparty", name)
        for name in (
            *NON_FINANCIAL_WITH_CENTRAL_BANKS,
            *FINANCIAL_AND_OTHER_ENTITIES,
            *RETAIL_COUNTERPARTIES,
            "none",
        )
    }
    levels = _hqla_levels(frame)
    hqla = asset & np.logical_or.reduce(list(levels.values()))
    return LcrMasks(
        asset=asset,
        liability=liability,
        off=off,
        within=within,
        due=within | np.isnan(maturity),
        counterparty=cp,
        non_financial=np.logical_or.reduce([cp[c] for c in NON_FINANCIAL_WITH_CENTRAL_BANKS]),
        financial=np.logical_or.reduce([cp[c] for c in FINANCIAL_AND_OTHER_ENTITIES]),
        retail=cp["retail"] | cp["small_business"],
        insured=frame["deposit_insured"].to_numpy(),
        secured=~is_in(frame, "collateral_level", "none"),
        operational=is_in(frame, "deposit_class", "operational"),
        levels=levels,
        hqla=hqla,
        stock=hqla & is_in(frame, "encumbrance_bucket", "unencumbered"),
        loan=asset & ~hqla,
    )


def hqla_stock(d: Decisions, m: LcrMasks, p: Mapping[str, Any]) -> None:
    """HQLA: unencumbered securities, cash and reserves at market value after haircuts (LCR30)."""
    for level, rule in (
        ("1", "LCR30.40-41"),
        ("2A", "LCR30.43"),
        ("2B_rmbs", "LCR30.45(1)"),
        ("2B", "LCR30.45(2)-(3)"),
    ):
        d.add(m.stock & m.levels[level], f"hqla_level_{level.lower()}", 1 - p["haircut"][level], rule)
    d.add(m.hqla, OUT, 0.0, "LCR30.16-25 (encumbered: not HQLA)")


def secured_funding_outflows(d: Decisions, frame: pd.DataFrame, m: LcrMasks, p: Mapping[str, Any]) -> None:
    """Secured funding maturing within 30 days by collateral level (LCR40.47-48)."""
    funding = m.liability & m.secured
    d.add(
        funding & m.within & m.counterparty["central_bank"],
        "secured_funding_central_bank",
        p["secured_funding"]["central_bank"],
        "LCR40.48",
    )
    funding_rates = lookup(frame, "collateral_level", p["secured_funding"]).astype(float)
    d.add(funding & m.within, "secured_funding", funding_rates, "LCR40.47-48")
    d.add(funding, OUT, 0.0, "LCR40.47 (matures after 30 days)")


def retail_outflows(d: Decisions, frame: pd.DataFrame, m: LcrMasks, p: Mapping[str, Any]) -> None:
    """Retail and small-business deposits by stability (LCR40.7-24, LCR99.1).

    A retail or small-business deposit without a stability class is an error.
    """
    rd = p["retail_deposit"]
    deposit = {c: is_in(frame, "deposit_class", c) for c in ("stable_enhanced", "stable", "less_stable")}
    retail, small = m.liability & m.retail, m.liability & m.counterparty["small_business"]
    penalty = frame["withdrawal_penalty"].to_numpy() & (
        frame["residual_maturity"].to_numpy() > p["window_years"]
    )
    d.add(retail & penalty, "retail_term_deposit", rd["term_with_penalty"], "LCR99.1, LCR40.14")
    d.add(retail & deposit["stable_enhanced"], "retail_stable_enhanced", rd["stable_enhanced"], "LCR40.7-12")
    d.add(retail & deposit["stable"] & ~small, "retail_stable", rd["stable"], "LCR40.7-12")
    d.add(retail & deposit["less_stable"] & ~small, "retail_less_stable", rd["less_stable"], "LCR40.13-15")
    d.add(small & deposit["stable"], "small_business_stable", rd["stable"], "LCR40.23-24")
    d.add(small & deposit["less_stable"], "small_business_less_stable", rd["less_stable"], "LCR40.23-24")
    fail(
        frame,
        retail & ~d.decided,
        "deposit_class",
        "must say how stable a retail or small-business deposit is",
        allowed=list(deposit),
    )


def wholesale_outflows(d: Decisions, frame: pd.DataFrame, m: LcrMasks, p: Mapping[str, Any]) -> None:
    """Operational, cooperative, unsecured wholesale and other contractual outflows (LCR40.26-74)."""
    liability, operational = m.liability, m.liability & m.operational
    d.add(
        operational & m.insured,
        "operational_deposit_insured",
        p["operational_deposit_insured"],
        "LCR40.26-36",
    )
    d.add(operational, "operational_deposit", p["operational_deposit"], "LCR40.26-36")
    d.add(
        liability & is_in(frame, "deposit_class", "cooperative_network"),
        "cooperative_network_deposit",
        p["cooperative_network_deposit"],
        "LCR40.37-39",
    )
    non_financial = liability & m.non_financial & m.due
    d.add(
        non_financial & m.insured,
        "unsecured_non_financial_insured",
        p["unsecured_non_financial_insured"],
        "LCR40.41",
    )
    d.add(non_financial, "unsecured_non_financial", p["unsecured_non_financial"], "LCR40.40")
    d.add(liability & m.financial & m.due, "unsecured_financial", p["unsecured_financial"], "LCR40.42-43")
    d.add(
        liability & m.counterparty["none"] & m.within,
        "other_contractual_outflow",
        p["other_contractual_outflow"],
        "LCR40.74",
    )
    d.add(liability, OUT, 0.0, "LCR40 (no contractual outflow within 30 days)")


def off_balance_outflows(d: Decisions, frame: pd.DataFrame, m: LcrMasks, p: Mapping[str, Any]) -> None:
    """Off-balance commitments and contingent funding (LCR40.64-73)."""
    off = m.off
    facility = ~is_in(frame, "facility_type", "none")
    facility_rates = np.full(len(frame), np.nan)
    for counterparty, by_type in p["committed_facility"].items():
        for kind, rate in by_type.items():
            facility_rates[
                is_in(frame, "lcr_counterparty", counterparty) & is_in(frame, "facility_type", kind)
            ] = rate
    fail(
        frame,
        off & facility & np.isnan(facility_rates),
        "lcr_counterparty",
        "has no committed-facility drawdown rate (LCR40.64)",
        allowed=list(p["committed_facility"]),
    )
    d.add(off & facility, "committed_facility", facility_rates, "LCR40.64")
    oc = p["other_contingent"]
    d.add(
        off & is_in(frame, "off_balance_type", "short_term_trade_letter_of_credit"),
        "trade_finance",
        oc["trade_finance"],
        "LCR40.71 (national discretion)",
    )
    d.add(
        off & is_in(frame, "off_balance_type", "unconditionally_cancellable_commitment"),
        "revocable_facility",
        oc["revocable_facility"],
        "LCR40.67 (national discretion)",
    )
    d.add(off, "guarantees_and_other_contingent", oc["guarantee"], "LCR40.67-73 (national discretion)")


def inflows(d: Decisions, frame: pd.DataFrame, m: LcrMasks, p: Mapping[str, Any]) -> None:
    """Inflows: performing assets maturing within 30 days (LCR40.75-93); the rest is out of scope."""
    loan, within, cp = m.loan, m.within, m.counterparty
    d.add(loan & ~frame["performing"].to_numpy(), OUT, 0.0, "LCR40.75 (only performing exposures)")
    lending_rates = lookup(frame, "collateral_level", p["secured_lending"]).astype(float)
    d.add(loan & m.secured & within, "secured_lending", lending_rates, "LCR40.78-79")
    d.add(loan & m.operational, "operational_deposit_held", p["operational_deposit_held"], "LCR40.31")
    inflow_rates = lookup(frame, "lcr_counterparty", p["inflow"]).astype(float)
    d.add(loan & within & m.retail, "inflow_retail", inflow_rates, "LCR40.86")
    d.add(
        loan & within & m.non_financial & ~cp["central_bank"],
        "inflow_non_financial",
        inflow_rates,
        "LCR40.87(2)",
    )
    d.add(loan & within & (m.financial | cp["central_bank"]), "inflow_financial", inflow_rates, "LCR40.87(1)")
    d.add(np.ones(len(frame), dtype=bool), OUT, 0.0, "LCR40 (no contractual flow within 30 days)")


def _position_lines(frame: pd.DataFrame, d: Decisions, m: LcrMasks) -> pd.DataFrame:
    """The decided treatments as lines, with both legs of the secured flows to unwind (LCR30.35-39).

    Only transactions maturing within 30 days whose collateral is HQLA are unwound: they exchange
    HQLA for cash or Level 1 securities (the cash leg). Collateral that is not HQLA is not.
    """
    labels = d.category.labels
    in_scope = d.category.codes != (labels.index(OUT) if OUT in labels else -1)
    section = np.select(
        [m.stock & in_scope, (m.liability | m.off) & in_scope, m.loan & in_scope], [0, 1, 2], default=3
    ).astype(np.int8)
    level_code = np.select([m.stock & m.levels[k] for k in m.levels], [0, 1, 2, 3], default=4).astype(np.int8)
    amount = np.where(m.off, frame["off_balance_amount"].to_numpy(), frame["drawn_amount"].to_numpy())
    hqla_collateral = is_in(frame, "collateral_level", *HQLA_COLLATERAL_LEVELS)
    unwind = m.secured & m.within & (m.liability | m.loan) & hqla_collateral
    market_value = frame["collateral_market_value"].to_numpy()
    value = np.where(np.isnan(market_value), amount, market_value)  # methodology C.19: NaN is the cash leg
    collateral = frame["collateral_level"]
    none_code = list(collateral.cat.categories).index("none")
    return pd.DataFrame(
        {
            "position_id": frame["position_id"].array,
            "side": frame["side"].array,
            "product": frame["product"].array,
            "section": categorical(section, SECTIONS),
            "category": d.category.categorical(),
            "hqla_level": categorical(level_code, (*m.levels, "none")),
            "amount": amount,
            "factor": d.factor,
            "weighted_amount": amount * d.factor,
            "rule": d.rule.categorical(),
            "unwind_level": categorical(
                np.where(unwind, collateral.cat.codes.to_numpy(), none_code), list(collateral.cat.categories)
            ),
            "unwind_amount": np.where(unwind, np.where(m.liability, amount, -amount), 0.0),
            "unwind_collateral": np.where(unwind, np.where(m.liability, value, -value), 0.0),
        }
    )


def lcr_lines(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """One row per position (and per derivative netting set) with its LCR treatment.

    Columns: ``section`` (hqla, outflow, inflow, out_of_scope), ``category``, ``hqla_level``,
    ``amount`` (market value, balance or undrawn amount), ``factor`` (1 - haircut for HQLA, the
    run-off or inflow rate otherwise), ``weighted_amount`` = amount x factor, and ``rule``.
    Secured funding and lending (collateral swaps included) maturing within 30 days against HQLA
    collateral also carry ``unwind_level``, ``unwind_amount`` (the cash or Level 1 leg) and
    ``unwind_collateral`` (the collateral's market value), + for funding and - for lending, for the
    cap adjustment (methodology 6.1, C.19).
    The first matching step wins, in the order of methodology 6: HQLA, secured funding, retail,
    wholesale and off-balance outflows, then inflows.
    """
    p = params["lcr"]
    m = lcr_masks(frame, p)
    d = Decisions(len(frame))
    hqla_stock(d, m, p)  # LCR30
    secured_funding_outflows(d, frame, m, p)  # LCR40.47-48
    retail_outflows(d, frame, m, p)  # LCR40.7-24
    wholesale_outflows(d, frame, m, p)  # LCR40.26-74
    off_balance_outflows(d, frame, m, p)  # LCR40.64-73
    inflows(d, frame, m, p)  # LCR40.75-93
    lines = _position_lines(frame, d, m)
    derivatives = is_in(frame, "side", "derivative")
    if derivatives.any():
        lines = concat_categorical(
            [lines, _derivative_lines(frame.loc[derivatives], p)],
            ["side", "product", "section", "category", "hqla_level", "rule", "unwind_level"],
        )
    return lines


def _derivative_lines(trades: pd.DataFrame, p: Mapping[str, Any]) -> pd.DataFrame:
    """Net derivative cash flows within 30 days per netting set (LCR40.49, LCR99.1).

    banksim takes a trade's MtM as its net payment at maturity: trades maturing within the window
    contribute it, netted within their set; a net payment out is an outflow, in an inflow.
    """
    maturing = trades["residual_maturity"].to_numpy() <= p["window_years"]
    sets, names = netting_set_codes(trades)
    net = np.bincount(sets, weights=np.where(maturing, trades["mtm"].to_numpy(), 0.0), minlength=len(names))
    outflow = net < 0
    return pd.DataFrame(
        {
            "position_id": pd.Series(names.astype(str), dtype="str").array,
            "side": "derivative",
            "product": "derivative",
            "section": np.where(outflow, "outflow", np.where(net > 0, "inflow", "out_of_scope")),
            "category": np.where(outflow, "net_derivative_outflow", "net_derivative_inflow"),
            "hqla_level": "none",
            "amount": np.abs(net),
            "factor": np.where(outflow, p["derivative_outflow"], p["derivative_inflow"]),
            "weighted_amount": np.abs(net)
            * np.where(outflow, p["derivative_outflow"], p["derivative_inflow"]),
            "rule": np.where(outflow, "LCR40.49", "LCR99.1"),
            "unwind_level": "none",
            "unwind_amount": 0.0,
            "unwind_collateral": 0.0,
        }
    )


def lcr_summary(lines: pd.DataFrame, params: Mapping[str, Any]) -> LcrSummary:
    """HQLA before and after caps, outflows, inflows (capped), net outflows and the LCR."""
    p = params["lcr"]
    weighted = lines["weighted_amount"].to_numpy()
    hqla = is_in(lines, "section", "hqla")
    level = {
        k: float(weighted[hqla & is_in(lines, "hqla_level", k)].sum()) for k in ("1", "2A", "2B_rmbs", "2B")
    }
    level1, level2a, level2b = level["1"], level["2A"], level["2B_rmbs"] + level["2B"]
    # Unwinding the secured transactions that exchange HQLA and mature within 30 days (LCR30.35-39):
    # a repo gives back its cash (or Level 1) leg and gets its collateral back at market value after
    # the haircut of its level; a reverse repo the other way (methodology 6.1, C.19).
    cash = float(lines["unwind_amount"].to_numpy().sum())
    unwind_collateral = lines["unwind_collateral"].to_numpy()
    returned = {
        k: float(unwind_collateral[is_in(lines, "unwind_level", k)].sum()) * (1 - p["haircut"][k])
        for k in HQLA_COLLATERAL_LEVELS
    }
    adjusted1 = level1 - cash + returned["1"]
    adjusted2a = level2a + returned["2A"]
    adjusted2b = level2b + returned["2B_rmbs"] + returned["2B"]
    adjustment15 = max(
        adjusted2b - p["level2b_cap_of_level1_and_2a"] * (adjusted1 + adjusted2a),
        adjusted2b - p["level2b_cap_of_level1"] * adjusted1,
        0.0,
    )
    adjustment40 = max(adjusted2a + adjusted2b - adjustment15 - p["level2_cap_of_level1"] * adjusted1, 0.0)
    stock = level1 + level2a + level2b - adjustment15 - adjustment40

    outflow = is_in(lines, "section", "outflow")
    inflow = is_in(lines, "section", "inflow")
    outflows = float(weighted[outflow].sum())
    inflows = float(weighted[inflow].sum())
    capped_inflows = min(inflows, p["inflow_cap"] * outflows)
    net = outflows - capped_inflows
    ratio = stock / net if net > 0 else math.inf  # methodology C.2: no outflows, LCR = +inf
    return {
        "hqla_level1": level1,
        "hqla_level2a": level2a,
        "hqla_level2b": level2b,
        "hqla_before_caps": level1 + level2a + level2b,
        "adjusted_level1": adjusted1,
        "adjusted_level2a": adjusted2a,
        "adjusted_level2b": adjusted2b,
        "adjustment_15_percent_cap": adjustment15,
        "adjustment_40_percent_cap": adjustment40,
        "hqla": stock,
        "outflows": outflows,
        "inflows": inflows,
        "inflows_capped": capped_inflows,
        "inflow_cap_binding": inflows > capped_inflows,
        "net_outflows": net,
        "lcr": ratio,
        "lcr_minimum": 1.0,
        "lcr_met": ratio >= 1.0,
        "outflows_by_category": sums_by_category(lines, outflow),
        "inflows_by_category": sums_by_category(lines, inflow),
    }

"""Net Stable Funding Ratio (NSF20-NSF30): an ASF or RSF factor for every line, and the ratio.

``nsfr_lines`` gives each position exactly one factor with a first-match decision list (methodology
7 and C.10), then the encumbrance override; ``nsfr_summary`` adds them up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from banksim.positions.vocabulary import FINANCIAL_AND_OTHER_ENTITIES, NON_FINANCIAL_EXCEPT_CENTRAL_BANKS
from banksim.regulation._frame import (
    Decisions,
    categorical,
    concat_categorical,
    fail,
    is_in,
    sums_by_category,
)
from banksim.regulation.rwa import CREDIT_COLUMNS
from banksim.regulation.saccr import netting_set_codes
from banksim.regulation.standardised import credit_conversion_factor, standardised_risk_weights

__all__ = [
    "NsfrMasks",
    "NsfrSummary",
    "capital_and_liability_funding",
    "encumbrance_override",
    "financial_and_other_assets",
    "liquid_assets",
    "long_term_loans",
    "nsfr_lines",
    "nsfr_masks",
    "nsfr_summary",
    "off_balance_funding",
]

SECTIONS = ("asf", "rsf", "none")


class NsfrSummary(TypedDict):
    """The NSFR of :func:`nsfr_summary` (amounts in the reporting currency, ratios as decimals)."""

    asf: float
    rsf: float
    nsfr: float
    nsfr_minimum: float
    nsfr_met: bool
    asf_by_category: dict[str, float]
    rsf_by_category: dict[str, float]


@dataclass(frozen=True)
class NsfrMasks:
    """The row masks the NSFR factor of a position is decided on (one boolean array each)."""

    asset: np.ndarray
    liability: np.ndarray
    equity: np.ndarray
    off: np.ndarray
    maturity: np.ndarray  # residual maturity in years, NaN when none is stated
    counterparty: dict[str, np.ndarray]  # one mask per lcr_counterparty value
    non_financial: np.ndarray  # non-financial counterparties, central banks excepted
    fi: np.ndarray  # banks and other financial institutions


def nsfr_masks(frame: pd.DataFrame) -> NsfrMasks:
    """Sides, maturities and counterparty groups of a validated positions table."""
    asset, liability, equity, off = (
        is_in(frame, "side", s) for s in ("asset", "liability", "equity", "off_balance")
    )
    cp = {
        name: is_in(frame, "lcr_counterparty", name)
        for name in (*NON_FINANCIAL_EXCEPT_CENTRAL_BANKS, *FINANCIAL_AND_OTHER_ENTITIES, "central_bank")
    }
    return NsfrMasks(
        asset=asset,
        liability=liability,
        equity=equity,
        off=off,
        maturity=frame["residual_maturity"].to_numpy(),
        counterparty=cp,
        non_financial=np.logical_or.reduce([cp[c] for c in NON_FINANCIAL_EXCEPT_CENTRAL_BANKS]),
        fi=cp["bank"] | cp["financial_institution"],
    )


def capital_and_liability_funding(
    d: Decisions, frame: pd.DataFrame, m: NsfrMasks, p: Mapping[str, Any]
) -> None:
    """ASF of capital and liabilities (NSF30.10-30.14).

    Deposits count from the earliest date they can be withdrawn without a significant penalty
    (NSF30.7, methodology C.2); no stated maturity = now.
    """
    asf, (short_bound, long_bound) = p["asf"], p["bucket_bounds"]
    deposit = ~is_in(frame, "deposit_class", "none")
    penalty = frame["withdrawal_penalty"].to_numpy()
    funding_maturity = np.where(deposit & ~penalty, 0.0, np.nan_to_num(m.maturity, nan=0.0))
    long_term = funding_maturity >= long_bound
    medium = (funding_maturity >= short_bound) & ~long_term
    capital = m.equity | is_in(frame, "product", "cet1_capital", "at1_instrument")
    d.add(capital, "regulatory_capital", asf["regulatory_capital"], "NSF30.10(1)")
    tier2 = is_in(frame, "product", "tier2_instrument")
    fail(
        frame,
        tier2 & np.isnan(m.maturity),
        "residual_maturity",
        "is missing on a Tier 2 instrument (methodology C.2)",
        allowed="years >= 0",
    )
    d.add(tier2 & long_term, "tier2_ge_1y", asf["long_term"], "NSF30.10(1)")
    d.add(tier2 & medium, "tier2_6m_to_1y", asf["tier2_6m_to_1y"], "NSF30.13(4)")
    d.add(tier2, "tier2_lt_6m", asf["tier2_lt_6m"], "NSF30.14")
    liability = m.liability
    d.add(liability & long_term, "funding_ge_1y", asf["long_term"], "NSF30.10(2)-(3)")
    retail = liability & is_in(frame, "lcr_counterparty", "retail", "small_business")
    stable = is_in(frame, "deposit_class", "stable", "stable_enhanced")
    d.add(retail & stable, "stable_deposit", asf["stable_deposit"], "NSF30.11")
    d.add(
        retail & is_in(frame, "deposit_class", "less_stable"),
        "less_stable_deposit",
        asf["less_stable_deposit"],
        "NSF30.12",
    )
    fail(
        frame,
        retail & deposit & ~d.decided,
        "deposit_class",
        "must say how stable a retail or small-business deposit is",
        allowed=["stable", "less_stable"],
    )
    d.add(
        liability & is_in(frame, "deposit_class", "operational"),
        "operational_deposit",
        asf["operational_deposit"],
        "NSF30.13(2)",
    )
    d.add(
        liability & m.non_financial,
        "non_financial_funding_lt_1y",
        asf["non_financial_short_term"],
        "NSF30.13(1),(3)",
    )
    d.add(liability & medium, "other_funding_6m_to_1y", asf["financial_6m_to_1y"], "NSF30.13(4)")
    d.add(
        liability & ~is_in(frame, "lcr_counterparty", "none"),
        "other_funding_lt_6m",
        asf["financial_lt_6m"],
        "NSF30.14",
    )
    d.add(liability, "other_liabilities", asf["other"], "NSF30.14")


def _asset_maturity(m: NsfrMasks, p: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Assets under 6 months and under 1 year; no stated maturity counts as 1 year or more."""
    short_bound, long_bound = p["bucket_bounds"]
    asset_maturity = np.where(np.isnan(m.maturity), np.inf, m.maturity)
    return asset_maturity < short_bound, asset_maturity < long_bound


def liquid_assets(d: Decisions, frame: pd.DataFrame, m: NsfrMasks, p: Mapping[str, Any]) -> None:
    """RSF of cash, central-bank claims, non-performing assets and HQLA (NSF30.25-30.28, NSF30.33)."""
    rsf, asset = p["rsf"], m.asset
    lt_6m, _ = _asset_maturity(m, p)
    performing = frame["performing"].to_numpy()
    cash = is_in(frame, "hqla_asset_type", "cash", "central_bank_reserves") | (
        is_in(frame, "exposure_class", "other_assets") & is_in(frame, "sub_class", "cash")
    )
    d.add(asset & cash, "cash_and_reserves", rsf["cash_and_reserves"], "NSF30.25(1)-(2)")
    d.add(
        asset & m.counterparty["central_bank"] & performing & lt_6m,
        "central_bank_lt_6m",
        rsf["central_bank_lt_6m"],
        "NSF30.25(3)",
    )
    d.add(asset & ~performing, "non_performing", rsf["non_performing"], "NSF30.33")
    level = {k: is_in(frame, "hqla_level", k) for k in ("1", "2A", "2B")}
    d.add(asset & level["1"], "hqla_level_1", rsf["level1"], "NSF30.26(1)")
    d.add(asset & level["2A"], "hqla_level_2a", rsf["level2a"], "NSF30.27(1)")
    d.add(asset & level["2B"], "hqla_level_2b", rsf["level2b"], "NSF30.28(1)")


def financial_and_other_assets(d: Decisions, frame: pd.DataFrame, m: NsfrMasks, p: Mapping[str, Any]) -> None:
    """RSF of claims on financial institutions and of other assets by kind (NSF30.26(2)-30.33).

    Deposits held, assets under 1 year, listed equity, gold and securities of 1 year or more.
    """
    rsf, asset, fi = p["rsf"], m.asset, m.fi
    lt_6m, lt_1y = _asset_maturity(m, p)
    d.add(
        asset & fi & lt_6m & is_in(frame, "collateral_level", "1"),
        "fi_lt_6m_secured_by_level1",
        rsf["fi_lt_6m_secured_by_level1"],
        "NSF30.26(2)",
    )
    d.add(asset & fi & lt_6m, "fi_lt_6m_other", rsf["fi_lt_6m_other"], "NSF30.27(2)")
    d.add(
        asset & (fi | m.counterparty["central_bank"]) & lt_1y,
        "fi_and_central_bank_6m_to_1y",
        rsf["fi_and_central_bank_6m_to_1y"],
        "NSF30.29(3)",
    )
    d.add(asset & fi, "fi_ge_1y", rsf["fi_ge_1y"], "NSF30.33")
    d.add(
        asset & is_in(frame, "deposit_class", "operational"),
        "operational_deposit_held",
        rsf["operational_deposit_held"],
        "NSF30.29(2)",
    )
    d.add(
        asset & lt_1y & ~is_in(frame, "exposure_class", "equity", "other_assets"),
        "other_lt_1y",
        rsf["other_lt_1y"],
        "NSF30.29(4)",
    )
    d.add(
        asset & is_in(frame, "sub_class", "listed"),
        "listed_equity",
        rsf["securities_ge_1y_and_listed_equity"],
        "NSF30.31(3)",
    )
    d.add(asset & is_in(frame, "sub_class", "gold"), "commodities", rsf["commodities"], "NSF30.31(4)")
    securities = is_in(frame, "product", "government_bond", "covered_bond", "corporate_bond")
    d.add(asset & securities, "securities_ge_1y", rsf["securities_ge_1y_and_listed_equity"], "NSF30.31(3)")


def long_term_loans(d: Decisions, frame: pd.DataFrame, m: NsfrMasks, params: Mapping[str, Any]) -> None:
    """Loans of 1 year or more by their SA risk weight (NSF30.30, NSF30.31(2)), then other assets (NSF30.33).

    NSF30.15: the standardised risk weight applies even for IRB banks.
    """
    p = params["nsfr"]
    rsf = p["rsf"]
    loans = m.asset & ~d.decided & ~is_in(frame, "exposure_class", "equity", "other_assets")
    if loans.any():
        sa_rw = np.full(len(frame), np.nan)
        subset = frame[list(CREDIT_COLUMNS)].loc[loans]
        gross = (
            subset["drawn_amount"].to_numpy()
            + credit_conversion_factor(subset, params) * subset["off_balance_amount"].to_numpy()
        )
        sa_rw[loans] = standardised_risk_weights(subset, gross, params)[0]
        low = sa_rw <= p["low_risk_weight"]
        d.add(loans & low, "loans_ge_1y_rw_le_35", rsf["loans_ge_1y_low_risk_weight"], "NSF30.30")
        d.add(loans, "loans_ge_1y_rw_gt_35", rsf["loans_ge_1y_other"], "NSF30.31(2)")
    d.add(m.asset, "other_assets", rsf["other"], "NSF30.33")


def off_balance_funding(d: Decisions, frame: pd.DataFrame, m: NsfrMasks, p: Mapping[str, Any]) -> None:
    """RSF of off-balance items (NSF30.34 Table 1); derivatives get their net lines instead."""
    facility = ~is_in(frame, "facility_type", "none")
    d.add(m.off & facility, "committed_facility", p["off_balance"]["committed_facility"], "NSF30.34")
    d.add(m.off, "other_contingent", p["off_balance"]["other_contingent"], "NSF30.34 (national discretion)")
    d.add(np.ones(len(frame), dtype=bool), "not_in_nsfr", 0.0, "NSF30 (derivatives: see the net lines)")


def encumbrance_override(
    d: Decisions, frame: pd.DataFrame, m: NsfrMasks, p: Mapping[str, Any]
) -> tuple[np.ndarray, Any]:
    """Factors and rules after the encumbrance override (NSF30.20, methodology C.10).

    Assets encumbered for 1 year or more take 100%; for 6 months to 1 year at least 50%.
    """
    rsf = p["rsf"]
    encumbered_long = m.asset & is_in(frame, "encumbrance_bucket", "ge_1y")
    encumbered_medium = m.asset & is_in(frame, "encumbrance_bucket", "6m_to_1y")
    factor = np.where(encumbered_long, rsf["encumbered_ge_1y"], d.factor)
    factor = np.where(encumbered_medium, np.maximum(factor, rsf["encumbered_6m_to_1y_floor"]), factor)
    rule = _override_rule(d.rule.categorical(), encumbered_long | encumbered_medium, "NSF30.20 (encumbered)")
    return factor, rule


def nsfr_lines(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.DataFrame:
    """One row per position (and two for derivatives) with its ASF or RSF factor.

    Columns: ``section`` (asf, rsf, none), ``category``, ``maturity_bucket`` (lt_6m, 6m_to_1y,
    ge_1y, none), ``amount`` (carrying value, or undrawn amount off balance), ``factor``,
    ``weighted_amount`` and ``rule``. The first matching step wins, in the order of methodology
    7.1-7.3 (C.10); the encumbrance override follows.
    """
    p = params["nsfr"]
    m = nsfr_masks(frame)
    d = Decisions(len(frame))
    capital_and_liability_funding(d, frame, m, p)  # NSF30.10-30.14
    liquid_assets(d, frame, m, p)  # NSF30.25-30.28
    financial_and_other_assets(d, frame, m, p)  # NSF30.26(2)-30.31
    long_term_loans(d, frame, m, params)  # NSF30.30-30.33
    off_balance_funding(d, frame, m, p)  # NSF30.34
    factor, rule = encumbrance_override(d, frame, m, p)  # NSF30.20

    short_bound, long_bound = p["bucket_bounds"]
    maturity = m.maturity
    section = np.select([m.liability | m.equity, m.asset | m.off], [0, 1], default=2).astype(np.int8)
    bucket = np.select(
        [np.isnan(maturity), maturity < short_bound, maturity < long_bound], [3, 0, 1], default=2
    ).astype(np.int8)
    amount = np.where(m.off, frame["off_balance_amount"].to_numpy(), frame["drawn_amount"].to_numpy())
    lines = pd.DataFrame(
        {
            "position_id": frame["position_id"].array,
            "side": frame["side"].array,
            "product": frame["product"].array,
            "section": categorical(section, SECTIONS),
            "category": d.category.categorical(),
            "maturity_bucket": categorical(bucket, ("lt_6m", "6m_to_1y", "ge_1y", "none")),
            "amount": amount,
            "factor": factor,
            "weighted_amount": amount * factor,
            "rule": rule,
        }
    )
    derivatives = is_in(frame, "side", "derivative")
    if derivatives.any():
        lines = concat_categorical(
            [lines, _derivative_lines(frame.loc[derivatives], p)],
            ["side", "product", "section", "category", "maturity_bucket", "rule"],
        )
    return lines


def _override_rule(rule: Any, mask: np.ndarray, label: str) -> Any:
    categories = [*rule.categories, label] if label not in rule.categories else list(rule.categories)
    codes = rule.set_categories(categories).codes.copy()
    codes[mask] = categories.index(label)
    return categorical(codes, categories)


def _derivative_lines(trades: pd.DataFrame, p: Mapping[str, Any]) -> pd.DataFrame:
    """NSFR derivative assets and liabilities (NSF30.14, NSF30.33 and the gross-liability add-on).

    Per netting set, V = sum of MtM; derivative assets = sum of positive V, liabilities = sum of
    negative V (banksim does not net collateral here). If assets exceed liabilities the net is
    RSF 100%, otherwise the net liability gets ASF 0%; gross liabilities carry an RSF add-on.
    """
    sets, names = netting_set_codes(trades)
    value = np.bincount(sets, weights=trades["mtm"].to_numpy(), minlength=len(names))
    assets, liabilities = float(value[value > 0].sum()), float(-value[value < 0].sum())
    net = assets - liabilities
    rsf, asf = p["rsf"], p["asf"]
    return pd.DataFrame(
        {
            "position_id": pd.array(
                ["nsfr_net_derivatives", "nsfr_gross_derivative_liabilities"], dtype="str"
            ),
            "side": "derivative",
            "product": "derivative",
            "section": ["rsf" if net > 0 else "asf", "rsf"],
            "category": [
                "net_derivative_assets" if net > 0 else "net_derivative_liabilities",
                "gross_derivative_liabilities",
            ],
            "maturity_bucket": "none",
            "amount": [abs(net), liabilities],
            "factor": [
                rsf["net_derivative_assets"] if net > 0 else asf["net_derivative_liabilities"],
                rsf["gross_derivative_liabilities"],
            ],
            "weighted_amount": [
                abs(net) * (rsf["net_derivative_assets"] if net > 0 else asf["net_derivative_liabilities"]),
                liabilities * rsf["gross_derivative_liabilities"],
            ],
            "rule": ["NSF30.33" if net > 0 else "NSF30.14", "NSF30.33 (national discretion 5%-20%)"],
        }
    )


def nsfr_summary(lines: pd.DataFrame) -> NsfrSummary:
    """ASF, RSF (with their split by category) and the NSFR."""
    weighted = lines["weighted_amount"].to_numpy()
    asf, rsf = is_in(lines, "section", "asf"), is_in(lines, "section", "rsf")
    available, required = float(weighted[asf].sum()), float(weighted[rsf].sum())
    ratio = available / required if required > 0 else math.inf
    return {
        "asf": available,
        "rsf": required,
        "nsfr": ratio,
        "nsfr_minimum": 1.0,
        "nsfr_met": ratio >= 1.0,
        "asf_by_category": sums_by_category(lines, asf),
        "rsf_by_category": sums_by_category(lines, rsf),
    }

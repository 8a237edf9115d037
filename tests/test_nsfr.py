"""NSFR (methodology 7, C.2, C.10): one hand-worked EUR 1,000 line per ASF and RSF category, the
encumbrance override, off-balance items and derivatives, with the paragraph cited.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from builders import positions

import banksim as bs
from banksim.regulation import nsfr_lines, nsfr_summary, regulatory_parameters
from banksim.regulation._frame import Decisions
from banksim.regulation.lcr import LcrSummary
from banksim.regulation.liquidity import LiquiditySummary, liquidity
from banksim.regulation.nsfr import (
    NsfrSummary,
    capital_and_liability_funding,
    encumbrance_override,
    financial_and_other_assets,
    liquid_assets,
    long_term_loans,
    nsfr_masks,
    off_balance_funding,
)

PARAMS = regulatory_parameters()


def lines(*rows: dict[str, Any]) -> pd.DataFrame:
    result = nsfr_lines(positions(*rows), PARAMS)
    return result.set_index(result["position_id"].astype(str))


LIAB = {"side": "liability", "drawn_amount": 1000.0}
RETAIL = {**LIAB, "lcr_counterparty": "retail"}
T2 = {**LIAB, "product": "tier2_instrument", "lcr_counterparty": "other_legal_entity"}

ASF_CASES = [
    ({"side": "equity", "product": "cet1_capital", "drawn_amount": 1000.0}, 1000.0, "NSF30.10(1)"),
    ({"side": "equity", "product": "at1_instrument", "drawn_amount": 1000.0}, 1000.0, "NSF30.10(1)"),
    ({**T2, "residual_maturity": 2.0}, 1000.0, "NSF30.10(1)"),
    ({**T2, "residual_maturity": 0.7}, 500.0, "NSF30.13(4)"),
    ({**T2, "residual_maturity": 0.3}, 0.0, "NSF30.14"),
    ({**LIAB, "product": "issued_bond", "lcr_counterparty": "other_legal_entity", "residual_maturity": 3.0}, 1000.0, "NSF30.10(2)-(3)"),
    ({**RETAIL, "deposit_class": "stable"}, 950.0, "NSF30.11"),
    ({**RETAIL, "deposit_class": "stable_enhanced"}, 950.0, "NSF30.11"),
    ({**RETAIL, "deposit_class": "less_stable"}, 900.0, "NSF30.12"),
    ({**RETAIL, "deposit_class": "stable", "residual_maturity": 2.0, "withdrawal_penalty": True}, 1000.0, "NSF30.10(2)-(3)"),
    ({**RETAIL, "deposit_class": "stable", "residual_maturity": 2.0}, 950.0, "NSF30.11"),  # withdrawable now
    ({**LIAB, "lcr_counterparty": "non_financial_corporate", "deposit_class": "operational"}, 500.0, "NSF30.13(2)"),
    ({**LIAB, "lcr_counterparty": "non_financial_corporate", "deposit_class": "non_operational"}, 500.0, "NSF30.13(1),(3)"),
    ({**LIAB, "lcr_counterparty": "sovereign", "residual_maturity": 0.8}, 500.0, "NSF30.13(1),(3)"),
    ({**LIAB, "lcr_counterparty": "bank", "residual_maturity": 0.8}, 500.0, "NSF30.13(4)"),
    ({**LIAB, "lcr_counterparty": "central_bank", "residual_maturity": 0.3}, 0.0, "NSF30.14"),
    ({**LIAB, "lcr_counterparty": "financial_institution"}, 0.0, "NSF30.14"),
    ({**LIAB, "lcr_counterparty": "none", "product": "other_liability"}, 0.0, "NSF30.14"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "weighted", "rule"), ASF_CASES)
def test_asf_factor(line: dict[str, Any], weighted: float, rule: str) -> None:
    row = lines(line).loc["L1"]
    assert (row["section"], row["rule"]) == ("asf", rule)
    assert row["weighted_amount"] == pytest.approx(weighted)


ASSET = {"side": "asset", "drawn_amount": 1000.0}
SOV = {**ASSET, "exposure_class": "sovereign", "sub_class": "general", "rating": "AAA"}
BANK = {
    **ASSET,
    "exposure_class": "bank",
    "sub_class": "general",
    "scra_grade": "A",
    "lcr_counterparty": "bank",
}
CORP = {
    **ASSET,
    "exposure_class": "corporate",
    "sub_class": "general",
    "lcr_counterparty": "non_financial_corporate",
}
MORTGAGE = {**ASSET, "exposure_class": "residential_real_estate", "sub_class": "general", "counterparty_type": "individual",
            "lcr_counterparty": "retail", "residual_maturity": 20.0}  # fmt: skip

RSF_CASES = [
    ({**ASSET, "exposure_class": "other_assets", "sub_class": "cash", "hqla_level": "1", "hqla_asset_type": "cash"}, 0.0, "NSF30.25(1)-(2)"),
    ({**SOV, "hqla_level": "1", "hqla_asset_type": "central_bank_reserves", "lcr_counterparty": "central_bank"}, 0.0, "NSF30.25(1)-(2)"),
    ({**SOV, "lcr_counterparty": "central_bank", "residual_maturity": 0.3}, 0.0, "NSF30.25(3)"),
    ({**SOV, "lcr_counterparty": "central_bank", "residual_maturity": 0.8}, 500.0, "NSF30.29(3)"),
    ({**SOV, "hqla_level": "1", "hqla_asset_type": "sovereign", "residual_maturity": 5.0}, 50.0, "NSF30.26(1)"),
    ({**SOV, "hqla_level": "2A", "hqla_asset_type": "sovereign", "residual_maturity": 5.0}, 150.0, "NSF30.27(1)"),
    ({**CORP, "hqla_level": "2B", "hqla_asset_type": "corporate_bond", "residual_maturity": 5.0}, 500.0, "NSF30.28(1)"),
    ({**BANK, "collateral_level": "1", "residual_maturity": 0.2}, 100.0, "NSF30.26(2)"),
    ({**BANK, "residual_maturity": 0.2}, 150.0, "NSF30.27(2)"),
    ({**BANK, "residual_maturity": 0.8}, 500.0, "NSF30.29(3)"),
    ({**BANK, "residual_maturity": 2.0}, 1000.0, "NSF30.33"),
    ({**BANK, "residual_maturity": 0.8, "deposit_class": "operational", "lcr_counterparty": "non_financial_corporate"}, 500.0, "NSF30.29(2)"),
    ({**CORP, "residual_maturity": 0.5}, 500.0, "NSF30.29(4)"),
    ({**MORTGAGE, "ltv": 0.5}, 650.0, "NSF30.30"),  # SA RW 20% (CRE20.82) <= 35%
    ({**MORTGAGE, "ltv": 0.85}, 850.0, "NSF30.31(2)"),  # SA RW 40% > 35%
    ({**CORP, "residual_maturity": 3.0}, 850.0, "NSF30.31(2)"),  # unrated corporate 100%
    ({**CORP, "residual_maturity": 3.0, "performing": False}, 1000.0, "NSF30.33"),
    ({**CORP, "residual_maturity": 3.0, "product": "corporate_bond", "rating": "BB"}, 850.0, "NSF30.31(3)"),
    ({**ASSET, "exposure_class": "equity", "sub_class": "listed"}, 850.0, "NSF30.31(3)"),
    ({**ASSET, "exposure_class": "equity", "sub_class": "speculative_unlisted"}, 1000.0, "NSF30.33"),
    ({**ASSET, "exposure_class": "other_assets", "sub_class": "gold"}, 850.0, "NSF30.31(4)"),
    ({**ASSET, "exposure_class": "other_assets", "sub_class": "other"}, 1000.0, "NSF30.33"),
    # Encumbrance override (NSF30.20): >= 1y -> 100%; 6m-1y -> max(factor, 50%); < 6m as unencumbered.
    ({**SOV, "hqla_level": "1", "hqla_asset_type": "sovereign", "residual_maturity": 5.0, "encumbrance_bucket": "ge_1y"}, 1000.0, "NSF30.20 (encumbered)"),
    ({**SOV, "hqla_level": "2A", "hqla_asset_type": "sovereign", "residual_maturity": 5.0, "encumbrance_bucket": "6m_to_1y"}, 500.0, "NSF30.20 (encumbered)"),
    ({**SOV, "hqla_level": "1", "hqla_asset_type": "sovereign", "residual_maturity": 5.0, "encumbrance_bucket": "lt_6m"}, 50.0, "NSF30.26(1)"),
    # Off balance (NSF30.34 Table 1).
    ({"side": "off_balance", "off_balance_amount": 1000.0, "off_balance_type": "commitment", "facility_type": "credit",
      "exposure_class": "corporate", "sub_class": "general"}, 50.0, "NSF30.34"),
    ({"side": "off_balance", "off_balance_amount": 1000.0, "off_balance_type": "direct_credit_substitute",
      "exposure_class": "corporate", "sub_class": "general"}, 50.0, "NSF30.34 (national discretion)"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "weighted", "rule"), RSF_CASES)
def test_rsf_factor(line: dict[str, Any], weighted: float, rule: str) -> None:
    row = lines(line).loc["L1"]
    assert (row["section"], row["rule"]) == ("rsf", rule)
    assert row["weighted_amount"] == pytest.approx(weighted)


def test_derivatives_net_assets_and_gross_liability_add_on() -> None:
    """Sets with V = +300 and V = -100: NSFR derivative assets 300 > liabilities 100, so the net 200
    takes RSF 100%; the gross liabilities 100 take 5% (NSF30.33, national discretion)."""
    trade = {"side": "derivative", "counterparty_type": "bank", "rating": "A", "saccr_asset_class": "fx",
             "hedging_set": "EUR/USD", "trade_direction": "long", "notional": 1e4, "residual_maturity": 1.0}  # fmt: skip
    rows = lines({**trade, "netting_set": "A", "mtm": 300.0}, {**trade, "netting_set": "B", "mtm": -100.0})
    assert rows.loc["nsfr_net_derivatives", "weighted_amount"] == pytest.approx(200.0)
    assert rows.loc["nsfr_gross_derivative_liabilities", "weighted_amount"] == pytest.approx(5.0)


def test_nsfr_ratio() -> None:
    """ASF: CET1 1,000 + stable retail 950 = 1,950; RSF: corporate loan 3y 850 + L1 bond 50 = 900."""
    s = nsfr_summary(
        nsfr_lines(
            positions(
                {"side": "equity", "product": "cet1_capital", "drawn_amount": 1000.0},
                {**RETAIL, "deposit_class": "stable"},
                {**CORP, "residual_maturity": 3.0},
                {**SOV, "hqla_level": "1", "hqla_asset_type": "sovereign", "residual_maturity": 5.0},
            ),
            PARAMS,
        )
    )
    assert (s["asf"], s["rsf"]) == (pytest.approx(1950.0), pytest.approx(900.0))
    assert s["nsfr"] == pytest.approx(1950.0 / 900.0)
    assert s["nsfr_met"] is True


def test_tier2_without_maturity_is_an_error() -> None:
    with pytest.raises(bs.InputError) as error:
        lines(T2)
    assert error.value.argument == "positions['residual_maturity']"


# -- the steps of nsfr_lines, each on its own (methodology 7, C.10) ---------------------------------

NSFR = PARAMS["nsfr"]


def decided(d: Decisions) -> list[tuple[str, float, str]]:
    categories, rules = d.category.categorical(), d.rule.categorical()
    return [(str(c), float(f), str(r)) for c, f, r in zip(categories, d.factor, rules, strict=True)]


def test_nsfr_masks() -> None:
    """A bank loan is an asset to a financial institution; a corporate deposit non-financial funding."""
    frame = positions(
        {**BANK, "residual_maturity": 2.0}, {**LIAB, "lcr_counterparty": "non_financial_corporate"}
    )
    m = nsfr_masks(frame)
    assert (m.asset.tolist(), m.liability.tolist()) == ([True, False], [False, True])
    assert (m.fi.tolist(), m.non_financial.tolist()) == ([True, False], [False, True])
    assert m.maturity[0] == 2.0 and np.isnan(m.maturity[1])


def test_capital_and_liability_funding_alone() -> None:
    """CET1 100% (NSF30.10(1)), stable retail 95% (NSF30.11); an asset is left to the next steps."""
    frame = positions({"side": "equity", "product": "cet1_capital", "drawn_amount": 1.0},
                      {**RETAIL, "deposit_class": "stable"}, {**BANK, "residual_maturity": 2.0})  # fmt: skip
    d = Decisions(len(frame))
    capital_and_liability_funding(d, frame, nsfr_masks(frame), NSFR)
    assert decided(d)[:2] == [
        ("regulatory_capital", 1.0, "NSF30.10(1)"),
        ("stable_deposit", 0.95, "NSF30.11"),
    ]
    assert d.decided.tolist() == [True, True, False]


def test_asset_steps_in_order() -> None:
    """Level 1 HQLA 5% (liquid_assets); a 2-year bank loan 100% (financial_and_other_assets); a
    20-year mortgage at LTV 50% (SA RW 20% <= 35%) 65% (long_term_loans, NSF30.30)."""
    frame = positions({**SOV, "hqla_level": "1", "hqla_asset_type": "sovereign", "residual_maturity": 5.0},
                      {**BANK, "residual_maturity": 2.0}, {**MORTGAGE, "ltv": 0.5})  # fmt: skip
    m, d = nsfr_masks(frame), Decisions(len(frame))
    liquid_assets(d, frame, m, NSFR)
    assert d.decided.tolist() == [True, False, False]
    financial_and_other_assets(d, frame, m, NSFR)
    assert d.decided.tolist() == [True, True, False]
    long_term_loans(d, frame, m, PARAMS)
    assert decided(d) == [("hqla_level_1", 0.05, "NSF30.26(1)"), ("fi_ge_1y", 1.0, "NSF30.33"),
                          ("loans_ge_1y_rw_le_35", 0.65, "NSF30.30")]  # fmt: skip


def test_off_balance_funding_alone() -> None:
    """A committed credit facility 5% (NSF30.34); anything else reaching this step is not in the NSFR."""
    facility = {"side": "off_balance", "off_balance_amount": 1000.0, "off_balance_type": "commitment",
                "facility_type": "credit", "exposure_class": "corporate", "sub_class": "general"}  # fmt: skip
    frame = positions(facility, {**CORP, "residual_maturity": 3.0})
    d = Decisions(len(frame))
    off_balance_funding(d, frame, nsfr_masks(frame), NSFR)
    assert [c for c, _, _ in decided(d)] == ["committed_facility", "not_in_nsfr"]
    assert d.factor[0] == 0.05


def test_encumbrance_override_alone() -> None:
    """Encumbered >= 1y: 100%; 6m-1y: max(5%, 50%) = 50%; unencumbered keeps its 5% and its rule."""
    level1 = {**SOV, "hqla_level": "1", "hqla_asset_type": "sovereign", "residual_maturity": 5.0}
    frame = positions(
        {**level1, "encumbrance_bucket": "ge_1y"}, {**level1, "encumbrance_bucket": "6m_to_1y"}, level1
    )
    m, d = nsfr_masks(frame), Decisions(len(frame))
    liquid_assets(d, frame, m, NSFR)
    factor, rule = encumbrance_override(d, frame, m, NSFR)
    assert factor.tolist() == [1.0, 0.5, 0.05]
    assert list(rule.astype(str)) == ["NSF30.20 (encumbered)", "NSF30.20 (encumbered)", "NSF30.26(1)"]


def test_summary_keys_are_the_typed_keys() -> None:
    s = nsfr_summary(lines({"side": "equity", "product": "cet1_capital", "drawn_amount": 1.0}))
    assert type(s) is dict and set(s) == NsfrSummary.__required_keys__
    _, _, both = liquidity(positions({"side": "equity", "product": "cet1_capital", "drawn_amount": 1.0}))
    assert set(both) == LiquiditySummary.__required_keys__ == LcrSummary.__required_keys__ | set(s)

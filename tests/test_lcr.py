"""LCR (methodology 6, C.9): HQLA haircuts and caps, one case per outflow and inflow category, the
inflow cap, all worked by hand on EUR 1,000 lines unless stated.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from builders import positions

import banksim as bs
from banksim.regulation import lcr_lines, lcr_summary, liquidity, regulatory_parameters
from banksim.regulation._frame import Decisions
from banksim.regulation.lcr import (
    LcrSummary,
    hqla_stock,
    inflows,
    lcr_masks,
    retail_outflows,
    secured_funding_outflows,
    wholesale_outflows,
)

PARAMS = regulatory_parameters()
DAYS10 = 10 / 365


def lines(*rows: dict[str, Any]) -> pd.DataFrame:
    result = lcr_lines(positions(*rows), PARAMS)
    return result.set_index(result["position_id"].astype(str))


def summary(*rows: dict[str, Any]) -> dict[str, Any]:
    return lcr_summary(lcr_lines(positions(*rows), PARAMS), PARAMS)


def hqla(level: str, amount: float, asset_type: str = "sovereign", **kw: Any) -> dict[str, Any]:
    return {"side": "asset", "exposure_class": "sovereign", "sub_class": "general", "hqla_level": level,
            "hqla_asset_type": asset_type, "drawn_amount": amount, **kw}  # fmt: skip


# -- HQLA: haircuts (LCR30.40-45) and caps (LCR30.35-36) ------------------------------------------


@pytest.mark.parametrize(
    ("level", "asset_type", "value"),
    [("1", "sovereign", 1000.0), ("2A", "covered_bond", 850.0), ("2B", "rmbs", 750.0),
     ("2B", "corporate_bond", 500.0), ("2B", "equity", 500.0)],
)  # fmt: skip
def test_haircuts(level: str, asset_type: str, value: float) -> None:
    row = lines(hqla(level, 1000.0, asset_type)).loc["L1"]
    assert row["section"] == "hqla"
    assert row["weighted_amount"] == pytest.approx(value)


def test_encumbered_hqla_is_not_in_the_stock() -> None:
    row = lines(hqla("1", 1000.0, encumbrance_bucket="lt_6m")).loc["L1"]
    assert (row["section"], row["weighted_amount"]) == ("out_of_scope", 0.0)


def test_level2_cap_binds() -> None:
    """L1 100, L2A 200 at market (170 after 15%): Adj40 = 170 - 2/3 x 100 = 103.333; HQLA = 166.667 (L2 = 40%)."""
    s = summary(hqla("1", 100.0), hqla("2A", 200.0, "covered_bond"))
    assert s["adjustment_15_percent_cap"] == 0.0
    assert s["adjustment_40_percent_cap"] == pytest.approx(170.0 - 200.0 / 3)
    assert s["hqla"] == pytest.approx(100.0 / 0.6)


def test_level2b_cap_binds() -> None:
    """L1 100, L2B 100 at market (50): Adj15 = max(50 - 15/85 x 100, 50 - 15/60 x 100, 0) = 32.353;
    HQLA = 117.647, of which L2B 17.647 = 15%."""
    s = summary(hqla("1", 100.0), hqla("2B", 100.0, "corporate_bond"))
    assert s["adjustment_15_percent_cap"] == pytest.approx(50.0 - 1500.0 / 85)
    assert s["adjustment_40_percent_cap"] == 0.0
    assert s["hqla"] == pytest.approx(100.0 / 0.85)


def test_caps_not_binding() -> None:
    """L1 100, L2A 17 (20 at market), L2B 5 (10 at market): no adjustment, HQLA 122."""
    s = summary(hqla("1", 100.0), hqla("2A", 20.0, "covered_bond"), hqla("2B", 10.0, "equity"))
    assert (s["adjustment_15_percent_cap"], s["adjustment_40_percent_cap"]) == (0.0, 0.0)
    assert s["hqla"] == pytest.approx(122.0)


def test_caps_use_amounts_after_unwinding_secured_funding() -> None:
    """L1 100 and L2A 40 (after haircut): no cap on the stock as it stands. A 10-day repo of 50
    against L2A collateral unwinds to adjusted L1 = 50, adjusted L2A = 40 + 0.85 x 50 = 82.5:
    Adj40 = 82.5 - 2/3 x 50 = 49.1667, HQLA = 140 - 49.1667 = 90.8333 (LCR30.35, Annex 1)."""
    s = summary(
        hqla("1", 100.0),
        hqla("2A", 40.0 / 0.85, "covered_bond"),
        {"side": "liability", "lcr_counterparty": "bank", "collateral_level": "2A", "drawn_amount": 50.0,
         "residual_maturity": DAYS10},
    )  # fmt: skip
    assert (s["adjusted_level1"], s["adjusted_level2a"]) == (pytest.approx(50.0), pytest.approx(82.5))
    assert s["adjustment_40_percent_cap"] == pytest.approx(82.5 - 100.0 / 3)
    assert s["hqla"] == pytest.approx(140.0 - (82.5 - 100.0 / 3))
    assert s["outflows"] == pytest.approx(7.5)  # 15% run-off on L2A-backed secured funding (LCR40.48)


# -- unwinding before the caps (LCR30.35-39, methodology 6.1 and C.19) ----------------------------------
# Only secured funding, secured lending and collateral swaps that exchange HQLA within 30 days are
# unwound: the cash (or Level 1) leg leaves or returns to Level 1, the collateral returns to or leaves
# its level at market value after its haircut. Annex formula: Adj15 = max(aL2B - 15/85 (aL1 + aL2A),
# aL2B - 15/60 aL1, 0); Adj40 = max(aL2A + aL2B - Adj15 - 2/3 aL1, 0); HQLA = L1 + L2A + L2B - Adj15 - Adj40.

SECURED = {"lcr_counterparty": "bank", "residual_maturity": DAYS10}


def test_repo_against_level2a_unwinds_at_the_collateral_market_value() -> None:
    """Stock: L1 100, L2A 40 after the 15% haircut. A 10-day repo: cash 50 received against L2A
    bonds worth 60 (not 50). aL1 = 100 - 50 = 50; aL2A = 40 + 0.85 x 60 = 91 (LCR30.43);
    Adj15 = 0 (no 2B); Adj40 = 91 - 2/3 x 50 = 57.666667; HQLA = 100 + 40 - 57.666667 = 82.333333.
    At the cash leg it would have been aL2A = 82.5, HQLA 90.833333 (the test above)."""
    s = summary(
        hqla("1", 100.0),
        hqla("2A", 40.0 / 0.85, "covered_bond"),
        {**SECURED, "side": "liability", "collateral_level": "2A", "drawn_amount": 50.0,
         "collateral_market_value": 60.0},
    )  # fmt: skip
    assert s["adjusted_level1"] == pytest.approx(50.0, abs=1e-9)
    assert s["adjusted_level2a"] == pytest.approx(91.0, abs=1e-9)
    assert s["adjustment_15_percent_cap"] == 0.0
    assert s["adjustment_40_percent_cap"] == pytest.approx(91.0 - 100.0 / 3, abs=1e-9)
    assert s["hqla"] == pytest.approx(140.0 - (91.0 - 100.0 / 3), abs=1e-9)
    assert s["outflows"] == pytest.approx(0.15 * 50.0, abs=1e-9)  # LCR40.48 on the cash leg


@pytest.mark.parametrize("level", ["other", "domestic_sovereign_non_l1_l2a"])
def test_reverse_repo_against_non_hqla_is_not_unwound(level: str) -> None:
    """Stock: L1 100, L2A 68 (80 at market). A 10-day reverse repo lends cash 30 against collateral
    that is not HQLA (or not known to be: the domestic-sovereign level of LCR40.48 says only that it
    is not Level 1 or 2A): nothing to unwind, aL1 = 100, aL2A = 68; Adj40 = 68 - 2/3 x 100 = 1.333333;
    HQLA = 168 - 1.333333 = 166.666667. (Unwinding its cash would have made aL1 = 130, Adj40 = 0,
    HQLA 168.)"""
    s = summary(
        hqla("1", 100.0),
        hqla("2A", 80.0, "covered_bond"),
        {**REVERSE, "drawn_amount": 30.0, "collateral_level": level, "collateral_market_value": 45.0},
    )
    rows = lines({**REVERSE, "drawn_amount": 30.0, "collateral_level": level})
    assert (rows.loc["L1", "unwind_amount"], rows.loc["L1", "unwind_collateral"]) == (0.0, 0.0)
    assert rows.loc["L1", "unwind_level"] == "none"
    assert (s["adjusted_level1"], s["adjusted_level2a"]) == (100.0, pytest.approx(68.0, abs=1e-9))
    assert s["adjustment_40_percent_cap"] == pytest.approx(68.0 - 200.0 / 3, abs=1e-9)
    assert s["hqla"] == pytest.approx(168.0 - (68.0 - 200.0 / 3), abs=1e-9)


def test_reverse_repo_against_level2a_gives_the_collateral_back() -> None:
    """A 10-day reverse repo lends cash 100 against L2A bonds worth 110, held unencumbered in the
    stock (93.5 after 15%); own L1 50. Unwound: aL1 = 50 + 100 = 150, aL2A = 93.5 - 0.85 x 110 = 0;
    no cap: HQLA = 50 + 93.5 = 143.5. Not unwound, Adj40 = 93.5 - 2/3 x 50 = 60.166667 would cut
    it to 83.333333. Inflow LCR40.78-79: 15% x 100 = 15."""
    s = summary(
        hqla("1", 50.0),
        hqla("2A", 110.0, "covered_bond"),
        {**REVERSE, "drawn_amount": 100.0, "collateral_level": "2A", "collateral_market_value": 110.0},
    )
    assert s["adjusted_level1"] == pytest.approx(150.0, abs=1e-9)
    assert s["adjusted_level2a"] == pytest.approx(0.0, abs=1e-9)
    assert (s["adjustment_15_percent_cap"], s["adjustment_40_percent_cap"]) == (0.0, 0.0)
    assert s["hqla"] == pytest.approx(143.5, abs=1e-9)
    assert s["inflows"] == pytest.approx(15.0, abs=1e-9)


def test_collateral_swap_unwinds_and_the_15_percent_cap_binds() -> None:
    """A 20-day collateral swap: the bank lends Level 2B corporate bonds worth 120 and borrows Level 1
    sovereign bonds worth 100, held in the stock; a line of secured funding whose cash leg is the
    Level 1 leg (drawn_amount 100) and collateral_market_value 120 (methodology C.19).
    Stock: L1 150 (the borrowed 100 and own 50), L2B 20 (40 at market, 50%, LCR30.45(2)-(3)):
    caps not binding as it stands (20 <= 15/85 x 150 = 26.47).
    Unwound: aL1 = 150 - 100 = 50, aL2A = 0, aL2B = 20 + 0.50 x 120 = 80.
    Adj15 = max(80 - 15/85 x 50, 80 - 15/60 x 50, 0) = max(71.176471, 67.5, 0) = 71.176471;
    Adj40 = max(0 + 80 - 71.176471 - 2/3 x 50, 0) = 0; HQLA = 150 + 20 - 71.176471 = 98.823529.
    Outflow LCR40.48, other Level 2B: 50% x 100 = 50."""
    s = summary(
        hqla("1", 100.0),
        hqla("1", 50.0, "central_bank_reserves"),
        hqla("2B", 40.0, "corporate_bond"),
        {**SECURED, "side": "liability", "drawn_amount": 100.0, "collateral_level": "2B",
         "collateral_market_value": 120.0, "residual_maturity": 20 / 365},
    )  # fmt: skip
    adjustment15 = max(80.0 - 15 / 85 * 50.0, 80.0 - 15 / 60 * 50.0, 0.0)
    assert adjustment15 == pytest.approx(80.0 - 15 / 85 * 50.0)
    assert (s["adjusted_level1"], s["adjusted_level2b"]) == (pytest.approx(50.0), pytest.approx(80.0))
    assert s["adjustment_15_percent_cap"] == pytest.approx(adjustment15, abs=1e-9)
    assert s["adjustment_40_percent_cap"] == 0.0
    assert s["hqla"] == pytest.approx(170.0 - adjustment15, abs=1e-9)
    assert s["outflows"] == pytest.approx(50.0, abs=1e-9)
    # The same stock, nothing unwound: no cap binds, HQLA = 150 + 20 = 170.
    alone = summary(hqla("1", 150.0), hqla("2B", 40.0, "corporate_bond"))
    assert (alone["adjustment_15_percent_cap"], alone["hqla"]) == (0.0, 170.0)


def test_a_missing_collateral_market_value_is_the_cash_leg() -> None:
    """Blank and absent market values both mean the cash leg (methodology C.19): aL2A = 0.85 x 50."""
    repo = {**SECURED, "side": "liability", "collateral_level": "2A", "drawn_amount": 50.0}
    for line in (repo, {**repo, "collateral_market_value": math.nan}):
        assert summary(line)["adjusted_level2a"] == pytest.approx(42.5, abs=1e-9)
    with pytest.raises(bs.InputError) as error:
        positions({**repo, "collateral_market_value": -1.0})
    assert error.value.argument == "positions['collateral_market_value']"


# -- outflows (LCR40, methodology 6.2): EUR 1,000 each --------------------------------------------------

RETAIL = {"side": "liability", "lcr_counterparty": "retail", "drawn_amount": 1000.0}
SMALL = {"side": "liability", "lcr_counterparty": "small_business", "drawn_amount": 1000.0}
WHOLESALE = {"side": "liability", "drawn_amount": 1000.0}
REPO = {"side": "liability", "lcr_counterparty": "bank", "drawn_amount": 1000.0, "residual_maturity": DAYS10}
FACILITY = {"side": "off_balance", "off_balance_amount": 1000.0, "off_balance_type": "commitment",
            "exposure_class": "corporate", "sub_class": "general"}  # fmt: skip

OUTFLOWS = [
    ({**RETAIL, "deposit_class": "stable_enhanced"}, 30.0, "LCR40.7-12"),
    ({**RETAIL, "deposit_class": "stable"}, 50.0, "LCR40.7-12"),
    ({**RETAIL, "deposit_class": "less_stable"}, 100.0, "LCR40.13-15"),
    ({**RETAIL, "deposit_class": "stable", "residual_maturity": 0.5, "withdrawal_penalty": True}, 0.0, "LCR99.1, LCR40.14"),
    ({**RETAIL, "deposit_class": "less_stable", "residual_maturity": 0.5}, 100.0, "LCR40.13-15"),  # no penalty: withdrawable
    ({**SMALL, "deposit_class": "stable"}, 50.0, "LCR40.23-24"),
    ({**SMALL, "deposit_class": "less_stable"}, 100.0, "LCR40.23-24"),
    ({**WHOLESALE, "lcr_counterparty": "non_financial_corporate", "deposit_class": "operational"}, 250.0, "LCR40.26-36"),
    ({**WHOLESALE, "lcr_counterparty": "non_financial_corporate", "deposit_class": "operational", "deposit_insured": True}, 50.0, "LCR40.26-36"),
    ({**WHOLESALE, "lcr_counterparty": "bank", "deposit_class": "cooperative_network"}, 250.0, "LCR40.37-39"),
    ({**WHOLESALE, "lcr_counterparty": "non_financial_corporate", "deposit_class": "non_operational"}, 400.0, "LCR40.40"),
    ({**WHOLESALE, "lcr_counterparty": "sovereign"}, 400.0, "LCR40.40"),
    ({**WHOLESALE, "lcr_counterparty": "pse", "deposit_insured": True}, 200.0, "LCR40.41"),
    ({**WHOLESALE, "lcr_counterparty": "bank", "residual_maturity": DAYS10}, 1000.0, "LCR40.42-43"),
    ({**WHOLESALE, "lcr_counterparty": "other_legal_entity", "residual_maturity": DAYS10}, 1000.0, "LCR40.42-43"),
    ({**WHOLESALE, "lcr_counterparty": "bank", "residual_maturity": 0.5}, 0.0, "LCR40 (no contractual outflow within 30 days)"),
    ({**WHOLESALE, "lcr_counterparty": "none", "residual_maturity": DAYS10}, 1000.0, "LCR40.74"),
    ({**REPO, "collateral_level": "1"}, 0.0, "LCR40.47-48"),
    ({**REPO, "collateral_level": "2A"}, 150.0, "LCR40.47-48"),
    ({**REPO, "collateral_level": "domestic_sovereign_non_l1_l2a"}, 250.0, "LCR40.47-48"),
    ({**REPO, "collateral_level": "2B_rmbs"}, 250.0, "LCR40.47-48"),
    ({**REPO, "collateral_level": "2B"}, 500.0, "LCR40.47-48"),
    ({**REPO, "collateral_level": "other"}, 1000.0, "LCR40.47-48"),
    ({**REPO, "collateral_level": "other", "lcr_counterparty": "central_bank"}, 0.0, "LCR40.48"),
    ({**FACILITY, "lcr_counterparty": "retail", "facility_type": "credit"}, 50.0, "LCR40.64"),
    ({**FACILITY, "lcr_counterparty": "non_financial_corporate", "facility_type": "credit"}, 100.0, "LCR40.64"),
    ({**FACILITY, "lcr_counterparty": "non_financial_corporate", "facility_type": "liquidity"}, 300.0, "LCR40.64"),
    ({**FACILITY, "lcr_counterparty": "bank", "facility_type": "liquidity"}, 400.0, "LCR40.64"),
    ({**FACILITY, "lcr_counterparty": "financial_institution", "facility_type": "credit"}, 400.0, "LCR40.64"),
    ({**FACILITY, "lcr_counterparty": "financial_institution", "facility_type": "liquidity"}, 1000.0, "LCR40.64"),
    ({**FACILITY, "lcr_counterparty": "other_legal_entity", "facility_type": "credit"}, 1000.0, "LCR40.64"),
    ({**FACILITY, "off_balance_type": "short_term_trade_letter_of_credit"}, 50.0, "LCR40.71 (national discretion)"),
    ({**FACILITY, "off_balance_type": "direct_credit_substitute"}, 50.0, "LCR40.67-73 (national discretion)"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "weighted", "rule"), OUTFLOWS)
def test_outflow_category(line: dict[str, Any], weighted: float, rule: str) -> None:
    row = lines(line).loc["L1"]
    assert row["weighted_amount"] == pytest.approx(weighted)
    assert row["rule"] == rule
    assert row["section"] == ("outflow" if not rule.startswith("LCR40 (") else "out_of_scope")


# -- inflows (LCR40.75-93, methodology 6.3) ------------------------------------------------------------

LOAN = {"side": "asset", "exposure_class": "corporate", "sub_class": "general", "drawn_amount": 1000.0,
        "residual_maturity": DAYS10}  # fmt: skip
REVERSE = {**LOAN, "exposure_class": "bank", "scra_grade": "A", "lcr_counterparty": "bank"}

INFLOWS = [
    ({**LOAN, "lcr_counterparty": "retail", "exposure_class": "retail", "sub_class": "regulatory_retail"}, 500.0, "LCR40.86"),
    ({**LOAN, "lcr_counterparty": "small_business"}, 500.0, "LCR40.86"),
    ({**LOAN, "lcr_counterparty": "non_financial_corporate"}, 500.0, "LCR40.87(2)"),
    ({**LOAN, "lcr_counterparty": "bank", "exposure_class": "bank", "scra_grade": "A"}, 1000.0, "LCR40.87(1)"),
    ({**LOAN, "lcr_counterparty": "central_bank", "exposure_class": "sovereign"}, 1000.0, "LCR40.87(1)"),
    ({**REVERSE, "collateral_level": "1"}, 0.0, "LCR40.78-79"),
    ({**REVERSE, "collateral_level": "2A"}, 150.0, "LCR40.78-79"),
    ({**REVERSE, "collateral_level": "2B_rmbs"}, 250.0, "LCR40.78-79"),
    ({**REVERSE, "collateral_level": "2B"}, 500.0, "LCR40.78-79"),
    ({**REVERSE, "collateral_level": "other"}, 1000.0, "LCR40.78-79"),
    ({**LOAN, "lcr_counterparty": "bank", "exposure_class": "bank", "scra_grade": "A", "deposit_class": "operational"}, 0.0, "LCR40.31"),
    ({**LOAN, "lcr_counterparty": "non_financial_corporate", "performing": False}, 0.0, "LCR40.75 (only performing exposures)"),
    ({**LOAN, "lcr_counterparty": "non_financial_corporate", "residual_maturity": 0.5}, 0.0, "LCR40 (no contractual flow within 30 days)"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "weighted", "rule"), INFLOWS)
def test_inflow_category(line: dict[str, Any], weighted: float, rule: str) -> None:
    row = lines(line).loc["L1"]
    assert row["weighted_amount"] == pytest.approx(weighted)
    assert row["rule"] == rule


def test_inflow_cap_binds_and_does_not() -> None:
    """Outflows 2,500 x 40% = 1,000; inflows 900 are capped at 75% = 750: net 250, HQLA 500 -> LCR 200%.
    With inflows 600 (below the cap): net 400 -> LCR 125% (LCR40.77)."""
    base = [
        hqla("1", 500.0),
        {**WHOLESALE, "lcr_counterparty": "non_financial_corporate", "drawn_amount": 2500.0},
    ]
    capped = summary(*base, {**LOAN, "lcr_counterparty": "bank", "exposure_class": "bank", "scra_grade": "A",
                             "drawn_amount": 900.0})  # fmt: skip
    assert (capped["inflows"], capped["inflows_capped"], capped["inflow_cap_binding"]) == (900.0, 750.0, True)
    assert capped["lcr"] == pytest.approx(2.0)
    free = summary(*base, {**LOAN, "lcr_counterparty": "bank", "exposure_class": "bank", "scra_grade": "A",
                           "drawn_amount": 600.0})  # fmt: skip
    assert (free["inflows_capped"], free["inflow_cap_binding"]) == (600.0, False)
    assert free["lcr"] == pytest.approx(1.25)
    assert free["lcr_met"] is True


def test_no_outflows_gives_infinite_lcr() -> None:
    s = summary(hqla("1", 100.0))
    assert s["lcr"] == math.inf and s["lcr_met"] is True


def test_derivative_cash_flows_within_30_days_net_per_set() -> None:
    """Two trades in NS-1 maturing in 10 days, MtM -300 and +100: net outflow 200 (LCR40.49);
    a trade maturing in a year does not count."""
    trade = {"side": "derivative", "counterparty_type": "bank", "rating": "A", "netting_set": "NS-1",
             "saccr_asset_class": "fx", "hedging_set": "EUR/USD", "trade_direction": "long", "notional": 1e4}  # fmt: skip
    rows = lines({**trade, "mtm": -300.0, "residual_maturity": DAYS10}, {**trade, "mtm": 100.0, "residual_maturity": DAYS10},
                 {**trade, "mtm": -999.0, "residual_maturity": 1.0})  # fmt: skip
    assert (rows.loc["NS-1", "section"], rows.loc["NS-1", "weighted_amount"]) == ("outflow", 200.0)


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ({**RETAIL, "deposit_class": "none"}, "deposit_class"),
        ({**FACILITY, "facility_type": "credit", "lcr_counterparty": "none"}, "lcr_counterparty"),
        ({**RETAIL, "deposit_class": "stable", "drawn_amount": -5.0}, "drawn_amount"),
        ({**RETAIL, "deposit_class": "very_stable"}, "deposit_class"),
    ],
)
def test_bad_input(line: dict[str, Any], column: str) -> None:
    with pytest.raises(bs.InputError) as error:
        liquidity(pd.DataFrame([{"position_id": "BAD-1", "drawn_amount": 0.0, **line}]))
    assert error.value.argument == f"positions[{column!r}]"


# -- the generated bank -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_bank_lcr_and_nsfr_are_plausible_and_add_up(seed: int) -> None:
    """Issue 3: the baseline bank has LCR 110-250% and NSFR 100-140%; the lines add up to the summary."""
    bank = bs.generate_positions(20_000, seed=seed, include_derivatives=True)
    lcr, nsfr, s = liquidity(bank)
    assert 1.10 <= s["lcr"] <= 2.50
    assert 1.00 <= s["nsfr"] <= 1.40
    assert len(lcr) >= len(bank) and len(nsfr) == len(bank) + 2
    outflows = lcr.loc[lcr["section"] == "outflow", "weighted_amount"].sum()
    assert s["outflows"] == pytest.approx(outflows) == pytest.approx(sum(s["outflows_by_category"].values()))
    assert s["hqla_before_caps"] == pytest.approx(lcr.loc[lcr["section"] == "hqla", "weighted_amount"].sum())
    assert s["asf"] == pytest.approx(nsfr.loc[nsfr["section"] == "asf", "weighted_amount"].sum())
    assert s["rsf"] == pytest.approx(sum(s["rsf_by_category"].values()))
    assert s["lcr"] == pytest.approx(s["hqla"] / s["net_outflows"])


def test_compute_liquidity_is_cached(sqlite_store: bs.Store) -> None:
    bank = bs.generate_positions(2_000, seed=5)
    lcr, nsfr, s, hit = bs.compute_liquidity(bank)
    lcr2, nsfr2, s2, hit2 = bs.compute_liquidity(bank)
    assert (hit, hit2) == (False, True)
    pd.testing.assert_frame_equal(lcr, lcr2)
    pd.testing.assert_frame_equal(nsfr, nsfr2)
    assert s2["lcr"] == pytest.approx(s["lcr"], rel=1e-15)
    *_, s3, hit3 = bs.compute_liquidity(bank, parameters={"lcr": {"inflow_cap": 0.5}})
    assert hit3 is False
    assert s3["inflows_capped"] <= 0.5 * s3["outflows"] + 1e-6


# -- the steps of lcr_lines, each on its own (methodology 6, C.9) -----------------------------------

LCR = PARAMS["lcr"]


def decide(step: Any, *rows: dict[str, Any]) -> tuple[Decisions, pd.DataFrame]:
    """Run one step alone on a fresh decision list; returns it and the frame."""
    frame = positions(*rows)
    d = Decisions(len(frame))
    if step is hqla_stock:
        step(d, lcr_masks(frame, LCR), LCR)
    else:
        step(d, frame, lcr_masks(frame, LCR), LCR)
    return d, frame


def decided(d: Decisions) -> list[tuple[str, float, str]]:
    categories, rules = d.category.categorical(), d.rule.categorical()
    return [(str(c), float(f), str(r)) for c, f, r in zip(categories, d.factor, rules, strict=True)]


def test_lcr_masks() -> None:
    """A 10-day retail deposit is due and retail; an encumbered Level 1 bond is HQLA, not in the stock."""
    frame = positions({**RETAIL, "deposit_class": "stable", "residual_maturity": DAYS10},
                      hqla("1", 100.0, encumbrance_bucket="lt_6m"), {"side": "asset", "drawn_amount": 5.0})  # fmt: skip
    m = lcr_masks(frame, LCR)
    assert m.liability.tolist() == [True, False, False]
    assert (m.within.tolist(), m.due.tolist()) == ([True, False, False], [True, True, True])
    assert m.retail.tolist() == [True, False, False]
    assert (m.hqla.tolist(), m.stock.tolist()) == ([False, True, False], [False, False, False])
    assert m.loan.tolist() == [False, False, True]


def test_hqla_stock_alone() -> None:
    """Level 2A at 85% (LCR30.43); encumbered HQLA out of scope; a liability untouched by this step."""
    d, _ = decide(hqla_stock, hqla("2A", 100.0, "covered_bond"), hqla("1", 100.0, encumbrance_bucket="ge_1y"),
                  {**RETAIL, "deposit_class": "stable"})  # fmt: skip
    assert decided(d)[:2] == [("hqla_level_2a", 0.85, "LCR30.43"),
                              ("out_of_scope", 0.0, "LCR30.16-25 (encumbered: not HQLA)")]  # fmt: skip
    assert d.decided.tolist() == [True, True, False]


def test_secured_funding_alone() -> None:
    """10-day repos: with a central bank 0% (LCR40.48), with a bank on L2A collateral 15%; beyond 30 days out."""
    d, _ = decide(secured_funding_outflows, {**REPO, "lcr_counterparty": "central_bank", "collateral_level": "2B"},
                  {**REPO, "collateral_level": "2A"}, {**REPO, "collateral_level": "1", "residual_maturity": 0.5})  # fmt: skip
    assert decided(d) == [("secured_funding_central_bank", 0.0, "LCR40.48"),
                          ("secured_funding", 0.15, "LCR40.47-48"),
                          ("out_of_scope", 0.0, "LCR40.47 (matures after 30 days)")]  # fmt: skip


def test_retail_outflows_alone_and_an_unclassified_deposit() -> None:
    """Stable 5%, small business less stable 10% (LCR40.7-24); no stability class is an error."""
    d, _ = decide(
        retail_outflows, {**RETAIL, "deposit_class": "stable"}, {**SMALL, "deposit_class": "less_stable"}
    )
    assert decided(d) == [("retail_stable", 0.05, "LCR40.7-12"),
                          ("small_business_less_stable", 0.1, "LCR40.23-24")]  # fmt: skip
    with pytest.raises(bs.InputError, match="deposit_class"):
        decide(retail_outflows, {**RETAIL, "deposit_class": "operational"})


def test_wholesale_outflows_alone() -> None:
    """Unsecured financial funding due within 30 days runs off 100% (LCR40.42-43)."""
    d, _ = decide(wholesale_outflows, {**WHOLESALE, "lcr_counterparty": "bank", "residual_maturity": DAYS10})
    assert decided(d) == [("unsecured_financial", 1.0, "LCR40.42-43")]


def test_inflows_alone() -> None:
    """A performing 10-day loan to a bank flows in at 100% (LCR40.87(1)); a non-performing one is out."""
    loan = {"side": "asset", "exposure_class": "bank", "sub_class": "general", "counterparty_type": "bank",
            "lcr_counterparty": "bank", "drawn_amount": 100.0, "residual_maturity": DAYS10, "scra_grade": "A"}  # fmt: skip
    d, _ = decide(inflows, {**loan, "performing": True}, {**loan, "performing": False})
    assert decided(d) == [("inflow_financial", 1.0, "LCR40.87(1)"),
                          ("out_of_scope", 0.0, "LCR40.75 (only performing exposures)")]  # fmt: skip


def test_the_first_matching_step_wins() -> None:
    """A 10-day repo with a bank is secured funding (15% on L2A), never unsecured financial (100%):
    the secured step runs before the wholesale one."""
    row = lines({**REPO, "collateral_level": "2A"}).loc["L1"]
    assert (row["category"], row["factor"]) == ("secured_funding", 0.15)
    d, _ = decide(wholesale_outflows, {**REPO, "collateral_level": "2A"})
    assert decided(d) == [("unsecured_financial", 1.0, "LCR40.42-43")]


def test_summary_keys_are_the_typed_keys() -> None:
    s = summary(hqla("1", 100.0))
    assert type(s) is dict and set(s) == LcrSummary.__required_keys__

"""Credit risk mitigation (CRE22, CRE32): every haircut band, each approach and exception, worked by hand.

Each expected value is the rulebook arithmetic written out with its paragraph (methodology 9 and
C.25-C.29); comparisons are to a relative 1e-9. The published worked examples are reproduced.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from banksim.errors import InputError
from banksim.positions.protection import (
    checked_crm_lines,
    protection_markdown,
    validate_crm_lines,
    validate_protection,
)
from banksim.regulation.crm import credit_risk_mitigation
from banksim.regulation.crm_haircuts import haircut_maturity_band, holding_period_scaling
from banksim.regulation.crm_irb import firb_collateral_lgd
from banksim.regulation.irb import irb_capital_requirement
from banksim.regulation.parameters import DEFAULT_PARAMETERS

REL = 1e-9


def lines(*rows: dict[str, Any]) -> pd.DataFrame:
    base = {"exposure": 100.0, "risk_weight": 1.0, "residual_maturity": 5.0}
    return pd.DataFrame([{"position_id": f"p{i}", **base, **row} for i, row in enumerate(rows)])


def protection(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{"position_id": "p0", **row} for row in rows])


def bond(amount: float, issuer: str, rating: str, maturity: float, **kw: Any) -> dict[str, Any]:
    return {
        "protection_type": "debt_security",
        "amount": amount,
        "issuer_type": issuer,
        "rating": rating,
        "security_residual_maturity": maturity,
        **kw,
    }


def one(line: dict[str, Any], *items: dict[str, Any], approach: str = "comprehensive") -> pd.Series:
    return credit_risk_mitigation(lines(line), protection(*items), approach).lines.iloc[0]


# ---- CRE22.49 haircut table: every rating bucket, both sides of every maturity boundary --------------

CAPITAL_MARKET = {"transaction_type": "capital_market"}  # CRE22.57: T_M = 10, N_R = 1 -> scaling 1
EPS = 1e-6
HAIRCUT_CASES = [
    # (issuer, rating, residual maturity, 10-day haircut of CRE22.49; None = not eligible)
    ("sovereign", "AAA", 0.5, 0.005),
    ("sovereign", "AA-", 1.0, 0.005),  # <= 1 year, upper bound inclusive (methodology C.25)
    ("sovereign", "AA-", 1.0 * (1 + 5e-10), 0.005),  # within the relative 1e-9 tolerance
    ("sovereign", "AA", 1.0 + EPS, 0.02),
    ("sovereign", "AA", 3.0, 0.02),
    ("sovereign", "AA", 3.0 + EPS, 0.02),
    ("sovereign", "AA", 5.0, 0.02),
    ("sovereign", "AA", 5.0 + EPS, 0.04),
    ("sovereign", "AA", 10.0, 0.04),
    ("sovereign", "AA", 10.0 + EPS, 0.04),
    ("sovereign", "A+", 1.0, 0.01),
    ("sovereign", "BBB-", 1.0 + EPS, 0.03),
    ("sovereign", "BBB", 3.0 + EPS, 0.03),
    ("sovereign", "BBB", 5.0 + EPS, 0.06),
    ("sovereign", "BBB", 10.0 + EPS, 0.06),
    ("sovereign", "BB+", 0.5, 0.15),  # CRE22.49: BB+ to BB-, sovereigns, all maturities
    ("sovereign", "BB-", 20.0, 0.15),
    ("sovereign", "B+", 1.0, None),  # below BB-: not eligible (CRE22.34(3)(a))
    ("sovereign", "unrated", 1.0, None),
    ("mdb_zero_rw", "AAA", 2.0, 0.02),  # CRE22.51(1): 0%-RW MDBs in the sovereign column
    ("corporate", "AAA", 1.0, 0.01),
    ("corporate", "AA-", 1.0 + EPS, 0.03),
    ("corporate", "AA", 3.0, 0.03),
    ("corporate", "AA", 3.0 + EPS, 0.04),
    ("corporate", "AA", 5.0, 0.04),
    ("corporate", "AA", 5.0 + EPS, 0.06),
    ("corporate", "AA", 10.0, 0.06),
    ("corporate", "AA", 10.0 + EPS, 0.12),
    ("bank", "A+", 1.0, 0.02),
    ("bank", "A", 1.0 + EPS, 0.04),
    ("bank", "A-", 3.0, 0.04),
    ("bank", "BBB+", 3.0 + EPS, 0.06),
    ("bank", "BBB", 5.0, 0.06),
    ("bank", "BBB-", 5.0 + EPS, 0.12),
    ("pse", "BBB-", 10.0, 0.12),  # PSEs are other issuers (CRE22.51(2), methodology C.26)
    ("mdb", "BBB-", 10.0 + EPS, 0.20),
    ("corporate", "BB+", 1.0, None),  # other issuers: BBB- at least (CRE22.34(3)(a))
    ("corporate", "unrated", 1.0, None),
    ("securitisation", "AAA", 1.0, 0.02),
    ("securitisation", "AA-", 1.0 + EPS, 0.08),
    ("securitisation", "AA", 5.0, 0.08),
    ("securitisation", "AA", 5.0 + EPS, 0.16),
    ("securitisation", "AA", 10.0 + EPS, 0.16),
    ("securitisation", "A", 1.0, 0.04),
    ("securitisation", "BBB", 3.0, 0.12),
    ("securitisation", "BBB", 5.0, 0.12),
    ("securitisation", "BBB-", 10.0, 0.24),
    ("securitisation", "BBB-", 10.0 + EPS, 0.24),
    ("securitisation", "BB+", 1.0, None),
]


@pytest.mark.parametrize(("issuer", "rating", "maturity", "haircut"), HAIRCUT_CASES)
def test_haircut_table_bands(issuer: str, rating: str, maturity: float, haircut: float | None) -> None:
    # CRE22.46: E* = max(0, 100 - 50 x (1 - H)); not eligible: E* = 100.
    row = one(CAPITAL_MARKET, bond(50.0, issuer, rating, maturity))
    expected = 100.0 if haircut is None else 100.0 - 50.0 * (1 - haircut)
    assert row["exposure_after_crm"] == pytest.approx(expected, rel=REL)
    assert row["rwa"] == pytest.approx(expected * 1.0, rel=REL)


def test_unrated_bank_paper_of_cre22_34_3_b_takes_the_a_to_bbb_row() -> None:
    # CRE22.49: unrated senior bank securities of CRE22.34(3)(b) -> "A+ to BBB-" row; 2 years: 4%.
    row = one(CAPITAL_MARKET, bond(50.0, "bank", "unrated", 2.0, unrated_bank_senior_eligible=True))
    assert row["exposure_after_crm"] == pytest.approx(100 - 50 * (1 - 0.04), rel=REL)
    assert row["hc"] == pytest.approx(0.04, rel=REL)
    without_flag = one(CAPITAL_MARKET, bond(50.0, "bank", "unrated", 2.0))
    assert without_flag["exposure_after_crm"] == 100.0


def test_maturity_band_function_matches_the_table_bounds() -> None:
    maturities = np.array([0.0, 1.0, 1.0 + EPS, 3.0, 3.0 + EPS, 5.0, 5.0 + EPS, 10.0, 10.0 + EPS, 30.0])
    assert haircut_maturity_band(maturities).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


@pytest.mark.parametrize(
    ("item", "haircut"),
    [
        ({"protection_type": "gold"}, 0.20),  # CRE22.49
        ({"protection_type": "equity_main_index"}, 0.20),  # CRE22.49
        ({"protection_type": "equity_other_listed"}, 0.30),  # CRE22.49
        ({"protection_type": "ucits_fund", "fund_haircut": 0.06}, 0.06),  # CRE22.49, methodology C.26
        ({"protection_type": "cash"}, 0.0),  # CRE22.49: cash in the same currency
    ],
)
def test_other_collateral_haircuts(item: dict[str, Any], haircut: float) -> None:
    row = one(CAPITAL_MARKET, {"amount": 40.0, **item})
    assert row["exposure_after_crm"] == pytest.approx(100 - 40 * (1 - haircut), rel=REL)


# ---- CRE22.46-59 comprehensive approach ---------------------------------------------------------------


def test_comprehensive_worked_example_with_fx_mismatch() -> None:
    # Unrated corporate (100%), secured loan 1,000,000 with daily revaluation; USD corporate bond AA,
    # 4 years, 600,000. CRE22.49: 4%; CRE22.57/59: secured lending x sqrt((1 + 20 - 1)/10) = sqrt(2).
    # Hc = 0.04 sqrt 2 = 5.656854%, Hfx = 0.08 sqrt 2 = 11.313708% (CRE22.52);
    # E* = 1,000,000 - 600,000 x (1 - Hc - Hfx) = 1,000,000 - 498,176.62 = 501,823.38.
    row = one(
        {"exposure": 1_000_000.0, "risk_weight": 1.0},
        bond(600_000.0, "corporate", "AA", 4.0, currency="USD"),
    )
    hc, hfx = 0.04 * math.sqrt(2), 0.08 * math.sqrt(2)
    expected = 1_000_000 - 600_000 * (1 - hc - hfx)
    assert row["exposure_after_crm"] == pytest.approx(expected, rel=REL)
    assert row["rwa"] == pytest.approx(501_823.38, abs=0.005)
    assert row["hc"] == pytest.approx(hc, rel=REL)
    assert row["hfx"] == pytest.approx(hfx, rel=REL)
    assert row["crm_rule"] == "CRE22.46, CRE22.49, CRE22.52, CRE22.59"
    items = credit_risk_mitigation(
        lines({"exposure": 1_000_000.0}), protection(bond(600_000.0, "corporate", "AA", 4.0, currency="USD"))
    ).items.iloc[0]
    assert items["scaling"] == pytest.approx(math.sqrt(2), rel=REL)  # CRE22.59: sqrt((1 + 20 - 1)/10)
    assert items["haircut"] == pytest.approx(hc, rel=REL)
    assert items["fx_haircut"] == pytest.approx(hfx, rel=REL)
    assert items["adjusted_value"] == pytest.approx(600_000 * (1 - hc - hfx), rel=REL)
    assert items["maturity_factor"] == 1.0
    assert bool(items["recognised"]) is True


@pytest.mark.parametrize(
    ("transaction", "days", "factor"),
    [
        ("repo_style", 1, math.sqrt(0.5)),  # CRE22.59: (1 + 5 - 1)/10
        ("capital_market", 1, 1.0),  # (1 + 10 - 1)/10
        ("secured_lending", 1, math.sqrt(2.0)),  # (1 + 20 - 1)/10
        ("capital_market", 5, math.sqrt(1.4)),  # (5 + 10 - 1)/10
        ("repo_style", 3, math.sqrt(0.7)),  # (3 + 5 - 1)/10
        ("secured_lending", 20, math.sqrt(3.9)),  # (20 + 20 - 1)/10
    ],
)
def test_holding_period_and_remargining_scaling(transaction: str, days: int, factor: float) -> None:
    # CRE22.59: H = H10 x factor for Hc and Hfx; corporate AA 4y bond (4%) in USD on a EUR line.
    line = {"transaction_type": transaction, "remargining_days": days}
    row = one(line, bond(50.0, "corporate", "AA", 4.0, currency="USD"))
    expected = 100 - 50 * (1 - 0.04 * factor - 0.08 * factor)
    assert row["exposure_after_crm"] == pytest.approx(expected, rel=REL)
    assert holding_period_scaling(np.array([20.0]), np.array([20.0]))[0] == pytest.approx(math.sqrt(3.9))


def test_collateral_value_is_floored_at_zero() -> None:
    # Methodology C.26: C x max(0, 1 - Hc - Hfx); UCITS 30% x sqrt(3.9) + 8% x sqrt(3.9) > 1 -> 0.
    line = {"remargining_days": 20}
    row = one(line, {"protection_type": "ucits_fund", "amount": 50.0, "fund_haircut": 0.5, "currency": "USD"})
    assert 0.5 * math.sqrt(3.9) + 0.08 * math.sqrt(3.9) > 1
    assert row["exposure_after_crm"] == 100.0


def test_several_collateral_items_on_one_position_are_summed() -> None:
    # CRE22.55: E* = 1000 - [200 x (1 - 0) + 300 x (1 - 0.02) + 100 x (1 - 0.20)] (capital market, scaling 1)
    row = one(
        {"exposure": 1000.0, **CAPITAL_MARKET},
        {"protection_type": "cash", "amount": 200.0},
        bond(300.0, "sovereign", "AA", 2.0),
        {"protection_type": "equity_main_index", "amount": 100.0},
    )
    assert row["exposure_after_crm"] == pytest.approx(1000 - (200 + 300 * 0.98 + 100 * 0.80), rel=REL)
    # The basket haircut of CRE22.55: value-weighted, (0 x 200 + 0.02 x 300 + 0.20 x 100) / 600.
    assert row["hc"] == pytest.approx((0.02 * 300 + 0.20 * 100) / 600, rel=REL)


def test_collateral_beyond_the_exposure_gives_zero() -> None:
    row = one(CAPITAL_MARKET, {"protection_type": "cash", "amount": 150.0})  # E* = max(0, 100 - 150)
    assert row["exposure_after_crm"] == 0.0
    assert row["rwa"] == 0.0


def test_securities_lent_haircut_on_the_exposure() -> None:
    # CRE22.46, C.27: bank lends a corporate AA 4y bond worth 1000 in a repo (T_M 5) against 1000 cash:
    # He = 0.04 x sqrt(0.5); E* = 1000 x (1 + He) - 1000.
    line = {
        "exposure": 1000.0,
        "transaction_type": "repo_style",
        "lent_security_type": "debt_security",
        "lent_security_issuer_type": "corporate",
        "lent_security_rating": "AA",
        "lent_security_residual_maturity": 4.0,
    }
    row = one(line, {"protection_type": "cash", "amount": 1000.0})
    he = 0.04 * math.sqrt(0.5)
    assert row["he"] == pytest.approx(he, rel=REL)
    assert row["exposure_after_crm"] == pytest.approx(1000 * (1 + he) - 1000, rel=REL)
    # CRE22.54: a non-eligible instrument lent: He = 30% x sqrt(0.5).
    junk = one({**line, "lent_security_type": "non_eligible"}, {"protection_type": "cash", "amount": 1000.0})
    assert junk["exposure_after_crm"] == pytest.approx(1000 * 0.30 * math.sqrt(0.5), rel=REL)
    assert "CRE22.54" in junk["crm_rule"]


# ---- CRE22.10-14 maturity mismatch ---------------------------------------------------------------------


def test_collateral_maturity_mismatch_factor() -> None:
    # CRE22.13: exposure 4y, cash pledged 2y residual / 3y original: MF = (2 - 0.25)/(4 - 0.25).
    row = one(
        {"residual_maturity": 4.0, **CAPITAL_MARKET},
        {
            "protection_type": "cash",
            "amount": 60.0,
            "protection_residual_maturity": 2.0,
            "protection_original_maturity": 3.0,
        },
    )
    assert row["exposure_after_crm"] == pytest.approx(100 - 60 * (2 - 0.25) / (4 - 0.25), rel=REL)
    assert "CRE22.13" in row["crm_rule"]


@pytest.mark.parametrize(
    ("exposure_residual", "residual", "original", "factor"),
    [
        (4.0, 2.0, 3.0, (2 - 0.25) / (4 - 0.25)),  # the rulebook's first row: 0.4666667
        (8.0, 6.0, 7.0, 1.0),  # T = min(5, 8) = 5, t = min(5, 6) = 5 -> 1 although 6 < 8
        (3.0, 0.2, 2.0, 0.0),  # residual < 3 months: not recognised (CRE22.12)
        (3.0, 0.5, 0.9, 0.0),  # original < 1 year: not recognised (CRE22.12)
        (3.0, 0.25, 2.0, 0.0),  # residual exactly 3 months: recognised, (0.25 - 0.25)/(3 - 0.25) = 0
        (3.0, 0.5, 1.0, (0.5 - 0.25) / (3 - 0.25)),  # original exactly 1 year: recognised
        (3.0, 3.0, 3.0, 1.0),  # no mismatch
        (3.0, 5.0, 6.0, 1.0),  # protection longer than the exposure
    ],
)
def test_maturity_mismatch_rows(
    exposure_residual: float, residual: float, original: float, factor: float
) -> None:
    # CRE22.80 with CRE22.13: a sovereign AA guarantee (0%) of 100 on a 100% line: RWA = 100 x (1 - MF).
    row = one(
        {"residual_maturity": exposure_residual},
        {
            "protection_type": "guarantee",
            "amount": 100.0,
            "issuer_type": "sovereign",
            "rating": "AA",
            "protection_residual_maturity": residual,
            "protection_original_maturity": original,
        },
    )
    assert row["rwa"] == pytest.approx(100 * (1 - factor), rel=REL, abs=1e-12)


def test_guarantee_with_maturity_mismatch_worked_example() -> None:
    # Unrated corporate 100%, 1,000,000, 4y; bank A (CRE20.18: 30%) guarantee, 2y residual / 3y original:
    # Pa = 1,000,000 x 0.4666667 = 466,666.67; RWA = 466,666.67 x 30% + 533,333.33 x 100% = 673,333.33.
    row = one(
        {"exposure": 1_000_000.0, "residual_maturity": 4.0},
        {
            "protection_type": "guarantee",
            "amount": 1_000_000.0,
            "issuer_type": "bank",
            "rating": "A",
            "protection_residual_maturity": 2.0,
            "protection_original_maturity": 3.0,
        },
    )
    pa = 1_000_000 * (2 - 0.25) / (4 - 0.25)
    assert row["guaranteed"] == pytest.approx(pa, rel=REL)
    assert row["rwa"] == pytest.approx(pa * 0.30 + (1_000_000 - pa) * 1.0, rel=REL)
    assert row["rwa"] == pytest.approx(673_333.33, abs=0.005)
    assert row["crm_rule"] == "CRE22.13, CRE22.80"


def test_maturity_mismatch_input_errors() -> None:
    item = {"protection_type": "cash", "amount": 10.0, "protection_residual_maturity": 1.0}
    with pytest.raises(InputError, match="protection_original_maturity"):  # C.25: mismatch needs it
        one({"residual_maturity": 3.0}, item)
    with pytest.raises(InputError, match="protection_residual_maturity"):  # exposure without maturity
        one({"residual_maturity": np.nan}, {**item, "protection_original_maturity": 2.0})


# ---- CRE22.32-39 simple approach ----------------------------------------------------------------------


def test_simple_approach_worked_example() -> None:
    # Corporate BBB (75%), 2,000,000; A-rated bank bond (CRE20.18: 30%) worth 800,000:
    # RWA = 30% x 800,000 + 75% x 1,200,000 = 1,140,000 (without CRM 1,500,000).
    line = {"exposure": 2_000_000.0, "risk_weight": 0.75}
    row = one(line, bond(800_000.0, "bank", "A", 3.0), approach="simple")
    assert row["rwa"] == pytest.approx(0.30 * 800_000 + 0.75 * 1_200_000, rel=REL)
    assert row["rwa"] == pytest.approx(1_140_000.0, rel=REL)
    assert row["rwa_without_crm"] == pytest.approx(1_500_000.0, rel=REL)
    assert row["crm_rule"] == "CRE22.33"
    assert math.isnan(row["hc"])  # no haircuts in the simple approach
    assert row["exposure_after_crm"] == 2_000_000.0  # the exposure stays; its weight changes
    assert row["risk_weight_after_crm"] == pytest.approx(1_140_000 / 2_000_000, rel=REL)
    # The same with EUR cash (CRE22.39(1): 0%): RWA = 0% x 800,000 + 75% x 1,200,000 = 900,000.
    cash = one(line, {"protection_type": "cash", "amount": 800_000.0}, approach="simple")
    assert cash["rwa"] == pytest.approx(900_000.0, rel=REL)
    assert cash["crm_rule"] == "CRE22.39(1)"


@pytest.mark.parametrize(
    ("item", "rw"),
    [
        ({"protection_type": "cash", "currency": "USD"}, 0.20),  # CRE22.33: max(20%, 0%), other currency
        ({"protection_type": "gold"}, 0.20),  # CRE22.33 with CRE20.110: max(20%, 0%)
        (bond(0, "sovereign", "AA", 2.0, currency="USD"), 0.20),  # max(20%, 0%): no CRE22.39(2) in USD
        (bond(0, "mdb_zero_rw", "AAA", 2.0), 0.20),  # max(20%, 0%): not a sovereign or PSE
        (bond(0, "corporate", "AA", 2.0), 0.20),  # CRE20.42 Table 10: 20%
        (bond(0, "pse", "A", 2.0), 0.50),  # CRE20.11 Table 4: 50%
        (bond(0, "mdb", "A", 2.0), 0.30),  # CRE20.15 Table 5: 30%
        (bond(0, "sovereign", "BBB", 2.0), 0.50),  # CRE20.7 Table 1: 50%
        (bond(0, "sovereign", "BB-", 2.0), 1.00),  # Table 1 BB: 100%, eligible down to BB-
    ],
)
def test_simple_approach_floor_and_collateral_weights(item: dict[str, Any], rw: float) -> None:
    # Obligor 150%: RWA = 40 x RW_collateral + 60 x 150%.
    row = one({"risk_weight": 1.5}, {**item, "amount": 40.0}, approach="simple")
    assert row["rwa"] == pytest.approx(40 * rw + 60 * 1.5, rel=REL)


def test_simple_approach_equity_needs_an_obligor_above_250() -> None:
    item = {"protection_type": "equity_main_index", "amount": 40.0}
    assert one({"risk_weight": 1.5}, item, approach="simple")["rwa"] == pytest.approx(
        150.0
    )  # C.26: 250 > 150
    heavy = one({"risk_weight": 4.0}, item, approach="simple")  # CRE20.57: 250% < 400%
    assert heavy["rwa"] == pytest.approx(40 * 2.5 + 60 * 4.0, rel=REL)


def test_simple_approach_no_benefit_and_not_recognised_items() -> None:
    # Methodology C.26: collateral RW equal to the obligor's: not recognised (RWA 100 x 50%).
    assert one({"risk_weight": 0.5}, bond(40, "corporate", "A", 2.0), approach="simple")["rwa"] == 50.0
    for item in (
        bond(40, "securitisation", "AAA", 2.0),
        bond(40, "bank", "unrated", 2.0, unrated_bank_senior_eligible=True),
        {"protection_type": "equity_other_listed", "amount": 40.0},
        {"protection_type": "ucits_fund", "amount": 40.0, "fund_haircut": 0.1},
        {"protection_type": "residential_real_estate", "amount": 40.0},
    ):
        assert one({}, item, approach="simple")["rwa"] == 100.0, item


def test_simple_approach_maturity_mismatch_and_revaluation() -> None:
    cash = {"protection_type": "cash", "amount": 40.0}
    mismatched = {**cash, "protection_residual_maturity": 4.0, "protection_original_maturity": 6.0}
    assert one({}, mismatched, approach="simple")["rwa"] == 100.0  # CRE22.11, CRE22.33: not recognised
    assert one({"remargining_days": 131}, cash, approach="simple")["rwa"] == 100.0  # > six months (C.26)
    assert one({"remargining_days": 130}, cash, approach="simple")["rwa"] == pytest.approx(
        60.0
    )  # 0 x 40 + 60


def test_simple_approach_items_in_ascending_risk_weight() -> None:
    # Methodology C.26: cash (0%) before the A corporate bond (50%), total at most E:
    # RWA = 0 x 500 + 50% x 500 + 100% x 0 = 250 (the bond, listed first, covers only 500 of its 600).
    result = credit_risk_mitigation(
        lines({"exposure": 1000.0}),
        protection(bond(600.0, "corporate", "A", 2.0), {"protection_type": "cash", "amount": 500.0}),
        "simple",
    )
    assert result.lines["rwa"].iloc[0] == pytest.approx(0.5 * 500, rel=REL)
    assert result.items["covered"].tolist() == pytest.approx([500.0, 500.0])


@pytest.mark.parametrize(
    ("exposure", "obligor", "value", "expected"),
    [
        (1000.0, 0.75, 500.0, 0.75 * (1000 - 0.8 * 500)),  # (a) 0% on 400: 450 < (b) 0.2x500 + 0.75x500 = 475
        (1000.0, 1.5, 500.0, 0.2 * 500 + 1.5 * 500),  # (b) 850 < (a) 1.5 x 600 = 900
        (100.0, 0.75, 120.0, 0.75 * (100 - 96)),  # (a) 0% on min(100, 96): 3 < (b) 20% x 100 = 20
    ],
)
def test_simple_approach_sovereign_zero_weight_exception(
    exposure: float, obligor: float, value: float, expected: float
) -> None:
    # CRE22.39(2), methodology C.26: the lower of (a) 0% on min(E, 0.8 C) and (b) 20% on min(E, C).
    row = one(
        {"exposure": exposure, "risk_weight": obligor},
        bond(value, "sovereign", "AAA", 3.0),
        approach="simple",
    )
    assert row["rwa"] == pytest.approx(expected, rel=REL)


def test_simple_approach_two_sovereign_securities_take_the_cheapest_combination() -> None:
    # E = 1000 at 150%, sovereign AAA EUR securities of 500 and 600 (methodology C.26, all combinations):
    # (a,a) 0% on 400 + 480, 120 x 1.5 = 180; (a,b) 0% on 400, 20% on 600 = 120;
    # (b,a) 0% on 480, 20% on 500, 20 x 1.5 = 130; (b,b) 20% on 500 + 500 = 200 -> 120.
    result = credit_risk_mitigation(
        lines({"exposure": 1000.0, "risk_weight": 1.5}),
        protection(bond(500.0, "sovereign", "AAA", 3.0), bond(600.0, "sovereign", "AA", 2.0)),
        "simple",
    )
    assert result.lines["rwa"].iloc[0] == pytest.approx(0.2 * 600, rel=REL)
    assert result.items["risk_weight"].tolist() == [0.0, 0.2]
    assert result.lines["crm_rule"].iloc[0] == "CRE22.33, CRE22.39(2)"


def test_simple_approach_repo_exemption() -> None:
    # CRE22.38: a repo meeting CRE22.36 with EUR cash: 10% on the covered part; core participant 0%.
    repo = {"repo_cre22_36_conditions_met": True, "transaction_type": "repo_style"}
    cash = {"protection_type": "cash", "amount": 100.0}
    assert one(repo, cash, approach="simple")["rwa"] == pytest.approx(0.10 * 100, rel=REL)
    core = one({**repo, "core_market_participant": True}, cash, approach="simple")
    assert core["rwa"] == 0.0
    assert core["crm_rule"] == "CRE22.38"
    sovereign = one(repo, bond(100.0, "sovereign", "AA", 2.0), approach="simple")
    assert sovereign["rwa"] == pytest.approx(0.10 * 100, rel=REL)
    with pytest.raises(InputError, match="repo_cre22_36_conditions_met"):  # C.26: other collateral
        one(repo, bond(100.0, "corporate", "AA", 2.0), approach="simple")


# ---- CRE22.68-69 on-balance netting ----------------------------------------------------------------------


@pytest.mark.parametrize("approach", ["comprehensive", "simple"])
def test_netting_worked_example(approach: str) -> None:
    # CRE22.69: loan 500,000, deposit 200,000 -> E* = 300,000; in USD: 500,000 - 200,000 x 0.92 = 316,000.
    deposit = {"protection_type": "deposit_netting", "amount": 200_000.0}
    same = one({"exposure": 500_000.0}, deposit, approach=approach)
    assert same["exposure_after_netting"] == pytest.approx(300_000.0, rel=REL)
    assert same["rwa"] == pytest.approx(300_000.0, rel=REL)
    usd = one({"exposure": 500_000.0}, {**deposit, "currency": "USD"}, approach=approach)
    assert usd["rwa"] == pytest.approx(500_000 - 200_000 * (1 - 0.08), rel=REL)
    assert usd["crm_rule"] == "CRE22.69, CRE22.52"


def test_netting_with_maturity_mismatch_then_collateral_then_guarantee() -> None:
    # Methodology C.25 order. E = 1000 (100%, 4y); deposit 300, 2y/3y: netted 300 x 1.75/3.75 = 140;
    # cash collateral 360 (capital market): E* = 860 - 360 = 500; bank AA guarantee (20%) of 200:
    # RWA = 200 x 20% + 300 x 100% = 340.
    row = one(
        {"exposure": 1000.0, "residual_maturity": 4.0, **CAPITAL_MARKET},
        {
            "protection_type": "deposit_netting",
            "amount": 300.0,
            "protection_residual_maturity": 2.0,
            "protection_original_maturity": 3.0,
        },
        {"protection_type": "cash", "amount": 360.0},
        {"protection_type": "guarantee", "amount": 200.0, "issuer_type": "bank", "rating": "AA"},
    )
    netted = 300 * (2 - 0.25) / (4 - 0.25)
    assert row["exposure_after_netting"] == pytest.approx(1000 - netted, rel=REL)
    assert row["exposure_after_collateral"] == pytest.approx(1000 - netted - 360, rel=REL)
    assert row["rwa"] == pytest.approx(200 * 0.20 + (1000 - netted - 360 - 200) * 1.0, rel=REL)
    assert row["crm_rule"] == "CRE22.69, CRE22.46, CRE22.13, CRE22.80"


# ---- CRE22.70-84 guarantees and credit derivatives --------------------------------------------------------


def guarantee(amount: float, issuer: str, rating: str, **kw: Any) -> dict[str, Any]:
    return {"protection_type": "guarantee", "amount": amount, "issuer_type": issuer, "rating": rating, **kw}


def test_guarantee_worked_examples() -> None:
    # Unrated SME (85%), 600,000; sovereign AA- (0%) guarantees 450,000: RWA = 0 + 150,000 x 85% = 127,500.
    line = {"exposure": 600_000.0, "risk_weight": 0.85}
    row = one(line, guarantee(450_000.0, "sovereign", "AA-"))
    assert row["rwa"] == pytest.approx(127_500.0, rel=REL)
    assert row["guaranteed"] == pytest.approx(450_000.0, rel=REL)
    assert row["unprotected"] == pytest.approx(150_000.0, rel=REL)
    # Corporate BB (CRE20.42: 100%, not lower than 85%): no benefit, 600,000 x 85% = 510,000.
    higher = one(line, guarantee(450_000.0, "corporate", "BB"))
    assert higher["rwa"] == pytest.approx(510_000.0, rel=REL)
    assert higher["crm_rule"] == ""


@pytest.mark.parametrize(
    ("provider", "rw"),
    [
        ({"issuer_type": "pse", "rating": "unrated"}, 0.50),  # CRE20.11 Table 4
        ({"issuer_type": "mdb", "rating": "AA"}, 0.20),  # CRE20.15 Table 5
        ({"issuer_type": "mdb_zero_rw", "rating": "unrated"}, 0.0),  # CRE20.14
        ({"issuer_type": "bank", "rating": "unrated", "scra_grade": "A"}, 0.40),  # CRE20.21 Table 7
        ({"issuer_type": "bank", "rating": "BBB"}, 0.50),  # CRE20.18 Table 6
        ({"issuer_type": "corporate", "rating": "A"}, 0.50),  # CRE20.42 Table 10, rated only
        ({"issuer_type": "corporate", "rating": "unrated"}, 1.0),  # C.28: not eligible -> obligor 100%
        ({"issuer_type": "corporate", "rating": "A", "provider_risk_weight": 0.3}, 0.30),  # given RW
    ],
)
def test_guarantee_provider_weights(provider: dict[str, Any], rw: float) -> None:
    row = one({}, {"protection_type": "guarantee", "amount": 100.0, **provider})  # RWA = 100 x RW
    assert row["rwa"] == pytest.approx(100 * rw, rel=REL, abs=1e-12)


def test_credit_derivative_without_restructuring_and_fx() -> None:
    # CRE22.75: G' = 0.6 x min(G, E_g) = 0.6 x min(80, 100) = 48; with restructuring G' = 80.
    cds = {"protection_type": "credit_derivative", "amount": 80.0, "issuer_type": "bank", "rating": "AA"}
    assert one({}, cds)["rwa"] == pytest.approx(48 * 0.20 + 52 * 1.0, rel=REL)
    assert one({}, {**cds, "restructuring_covered": True})["rwa"] == pytest.approx(80 * 0.2 + 20, rel=REL)
    # CRE22.82-83: USD protection, revalued every 5 days: Hfx = 8% x sqrt((5 + 9)/10);
    # G_A = 80 x (1 - Hfx).
    hfx = 0.08 * math.sqrt(14 / 10)
    row = one({}, {**cds, "restructuring_covered": True, "currency": "USD", "revaluation_days": 5})
    assert row["rwa"] == pytest.approx(80 * (1 - hfx) * 0.20 + (100 - 80 * (1 - hfx)), rel=REL)
    assert row["crm_rule"] == "CRE22.80, CRE22.82"


def test_guarantee_covers_what_collateral_leaves_at_the_obligor_weight() -> None:
    # Methodology C.25: comprehensive E* = 100 - 30 = 70 (capital market, cash); a sovereign AA guarantee
    # of 100 covers at most 70: RWA = 0. Simple: cash covers 30 at 0%, the guarantee the other 70 at 0%.
    items = ({"protection_type": "cash", "amount": 30.0}, guarantee(100.0, "sovereign", "AA"))
    comprehensive = one(CAPITAL_MARKET, *items)
    assert comprehensive["guaranteed"] == pytest.approx(70.0, rel=REL)
    assert comprehensive["rwa"] == 0.0
    simple = one({}, bond(30.0, "corporate", "AA", 2.0), guarantee(50.0, "bank", "A"), approach="simple")
    assert simple["rwa"] == pytest.approx(30 * 0.20 + 50 * 0.30 + 20 * 1.0, rel=REL)  # CRE22.33, CRE22.80


def test_several_guarantees_in_ascending_provider_weight() -> None:
    # Methodology C.28: the bank A (30%) guarantee listed first, the sovereign (0%) one covers first:
    # sovereign 60, bank 40 of its 50: RWA = 60 x 0 + 40 x 30% = 12.
    row = one({}, guarantee(50.0, "bank", "A"), guarantee(60.0, "sovereign", "AAA"))
    assert row["rwa"] == pytest.approx(40 * 0.30, rel=REL)


def test_multiple_positions_and_items_of_other_positions() -> None:
    table = pd.concat(
        [
            protection({"protection_type": "cash", "amount": 10.0}),
            pd.DataFrame([{"position_id": "p1", "protection_type": "cash", "amount": 25.0}]),
            pd.DataFrame([{"position_id": "elsewhere", "protection_type": "cash", "amount": 99.0}]),
        ]
    )
    result = credit_risk_mitigation(lines(CAPITAL_MARKET, CAPITAL_MARKET, CAPITAL_MARKET), table)
    assert result.lines["rwa"].tolist() == pytest.approx([90.0, 75.0, 100.0])  # 100 - 10, 100 - 25, 100
    assert len(result.items) == 2


# ---- CRE32.6-14 F-IRB LGD* -----------------------------------------------------------------------------


def firb(*items: dict[str, Any], **line: Any) -> pd.Series:
    frame = pd.DataFrame([{"position_id": "p0", "exposure": 1_000_000.0, "residual_maturity": 3.0, **line}])
    return firb_collateral_lgd(frame, protection(*items)).lines.iloc[0]


def test_firb_worked_example() -> None:
    # Corporate PD 2%, E 1,000,000, LGD_U 40%, residential real estate 500,000:
    # E_S = 500,000 x (1 - 40%) = 300,000; E_U = 700,000; LGD* = (0.40 x 700,000 + 0.20 x 300,000)/1,000,000.
    row = firb({"protection_type": "residential_real_estate", "amount": 500_000.0})
    assert row["secured_exposure"] == pytest.approx(300_000.0, rel=REL)
    assert row["lgd_star"] == pytest.approx((0.40 * 700_000 + 0.20 * 300_000) / 1_000_000, rel=REL)
    assert row["lgd_star"] == pytest.approx(0.34, rel=REL)
    # CRE31 corporate formula at M = 2.5: K = 0.0694230, RWA = 867,787.51 (unsecured K = 0.0816741).
    k = irb_capital_requirement(
        np.array(["corporate", "corporate"]),
        np.array([0.02, 0.02]),
        np.array([row["lgd_star"], 0.40]),
        np.array([2.5, 2.5]),
        np.array([np.nan, np.nan]),
        np.array([False, False]),
        DEFAULT_PARAMETERS,
    )["k"]
    assert k[0] == pytest.approx(0.0694230, abs=5e-8)
    assert 12.5 * k[0] * 1_000_000 == pytest.approx(867_787.51, abs=0.005)
    assert k[1] == pytest.approx(0.0816741, abs=5e-8)


def test_firb_several_collateral_types_in_ascending_lgd_s_with_cap() -> None:
    # Methodology C.29: financial (LGD_S 0), then receivables (20%), then other physical (25%).
    # E 1,000,000, secured loan (T_M 20): cash USD 200,000: E_S = 200,000 x (1 - 0.08 sqrt 2);
    # other physical 2,000,000: 2,000,000 x (1 - 0.40) = 1,200,000; receivables 300,000 x 0.6 = 180,000;
    # order: cash, receivables, other physical capped at 1,000,000 - cash - 180,000 (CRE32.14).
    cash_s = 200_000 * (1 - 0.08 * math.sqrt(2))
    physical_s = 1_000_000 - cash_s - 180_000
    row = firb(
        {"protection_type": "other_physical", "amount": 2_000_000.0},
        {"protection_type": "cash", "amount": 200_000.0, "currency": "USD"},
        {"protection_type": "receivables", "amount": 300_000.0},
    )
    assert row["unsecured_exposure"] == pytest.approx(0.0, abs=1e-6)
    expected = (0.0 * cash_s + 0.20 * 180_000 + 0.25 * physical_s) / 1_000_000
    assert row["lgd_star"] == pytest.approx(expected, rel=REL)
    assert row["crm_rule"] == "CRE32.10, CRE32.12, CRE32.14"


def test_firb_unsecured_lgd_by_obligor_and_seniority() -> None:
    # CRE32.6-7: financial 45%, subordinated 75%; AA corporate bond 4y, 400,000, secured lending:
    # E_S = 400,000 x (1 - 0.04 sqrt 2); LGD* = LGD_U x (1,000,000 - E_S)/1,000,000.
    item = bond(400_000.0, "corporate", "AA", 4.0)
    e_s = 400_000 * (1 - 0.04 * math.sqrt(2))
    for line, lgd_u in (({"obligor_group": "financial"}, 0.45), ({"seniority": "subordinated"}, 0.75)):
        row = firb(item, **line)
        assert row["lgd_star"] == pytest.approx(lgd_u * (1_000_000 - e_s) / 1_000_000, rel=REL)


def test_firb_maturity_mismatch_and_netting_deposit() -> None:
    # CRE32.56 with CRE22.13: exposure 4y, EUR cash 400,000 pledged 2y residual / 3y original:
    # E_S = 400,000 x (1 - 0) x (2 - 0.25)/(4 - 0.25); a USD netting deposit of 100,000 (C.29: Hc 0,
    # Hfx 8% unscaled): E_S = 100,000 x 0.92; LGD* = 40% x (1,000,000 - both)/1,000,000.
    cash = {
        "protection_type": "cash",
        "amount": 400_000.0,
        "protection_residual_maturity": 2.0,
        "protection_original_maturity": 3.0,
    }
    deposit = {"protection_type": "deposit_netting", "amount": 100_000.0, "currency": "USD"}
    row = firb(cash, deposit, residual_maturity=4.0)
    secured = 400_000 * (2 - 0.25) / (4 - 0.25) + 100_000 * 0.92
    assert row["secured_exposure"] == pytest.approx(secured, rel=REL)
    assert row["lgd_star"] == pytest.approx(0.40 * (1_000_000 - secured) / 1_000_000, rel=REL)
    assert row["crm_rule"] == "CRE32.10, CRE32.12, CRE32.56"


def test_firb_guarantees_are_not_covered() -> None:
    with pytest.raises(InputError, match="F-IRB"):
        firb(guarantee(10.0, "sovereign", "AAA"))


# ---- bad protection tables --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "column"),
    [
        ([{"protection_type": "cash"}], "protection"),  # amount missing
        ([{"protection_type": "mortgage", "amount": 1.0}], "protection_type"),
        ([{"protection_type": "cash", "amount": -1.0}], "amount"),
        ([{"protection_type": "cash", "amount": "ten"}], "amount"),
        ([{"protection_type": "cash", "amount": np.inf}], "amount"),
        ([{"protection_type": "cash", "amount": np.nan}], "amount"),
        ([bond(1.0, "corporate", "A-1", 1.0)], "rating"),  # short-term ratings are input errors (C.26)
        ([bond(1.0, "corporate", "AA", np.nan)], "security_residual_maturity"),
        ([bond(1.0, "none", "AA", 1.0)], "issuer_type"),
        ([{"protection_type": "ucits_fund", "amount": 1.0}], "fund_haircut"),
        ([{"protection_type": "ucits_fund", "amount": 1.0, "fund_haircut": 1.5}], "fund_haircut"),
        ([guarantee(1.0, "securitisation", "AAA")], "issuer_type"),
        ([guarantee(1.0, "bank", "unrated")], "scra_grade"),
        (
            [
                {
                    "protection_type": "cash",
                    "amount": 1.0,
                    "protection_residual_maturity": 2.0,
                    "protection_original_maturity": 1.0,
                }
            ],
            "protection_original_maturity",
        ),
        ([{"protection_type": "cash", "amount": 1.0, "currency": "XYZ"}], "currency"),
        (
            [
                {
                    "protection_type": "credit_derivative",
                    "amount": 1.0,
                    "issuer_type": "bank",
                    "rating": "A",
                    "restructuring_covered": "maybe",
                }
            ],
            "restructuring_covered",
        ),
        (
            [
                {
                    "protection_type": "guarantee",
                    "amount": 1.0,
                    "issuer_type": "bank",
                    "rating": "A",
                    "revaluation_days": 0,
                }
            ],
            "revaluation_days",
        ),
        ([{"position_id": "", "protection_type": "cash", "amount": 1.0}], "position_id"),
    ],
)
def test_bad_protection_tables(rows: list[dict[str, Any]], column: str) -> None:
    with pytest.raises(InputError) as error:
        credit_risk_mitigation(lines({}), protection(*rows))
    assert error.value.argument in (f"protection[{column!r}]", column)


def test_unknown_position_and_bad_lines() -> None:
    table = protection({"protection_type": "cash", "amount": 1.0})
    with pytest.raises(InputError, match="names no position") as error:
        validate_protection(table, position_ids=["other"])
    assert error.value.failure_cases == ["row 0 (p0): 'p0'"]
    assert len(validate_protection(table, position_ids=["p0"])) == 1
    with pytest.raises(InputError, match="unique"):
        credit_risk_mitigation(pd.concat([lines({}), lines({})]), table)
    with pytest.raises(InputError, match="risk_weight"):
        credit_risk_mitigation(lines({}).drop(columns="risk_weight"), table)
    with pytest.raises(InputError, match="approach"):
        credit_risk_mitigation(lines({}), table, "foundation")
    with pytest.raises(InputError, match="lent_security_residual_maturity"):
        credit_risk_mitigation(
            lines({"lent_security_type": "debt_security", "lent_security_issuer_type": "bank"}), table
        )


def test_empty_tables() -> None:
    # No protection: every line keeps E x RW and no rule; no lines: empty results.
    empty = pd.DataFrame({"position_id": [], "protection_type": [], "amount": []})
    for approach in ("comprehensive", "simple"):
        result = credit_risk_mitigation(lines({}, {"risk_weight": 0.5}), empty, approach)
        assert result.lines["rwa"].tolist() == [100.0, 50.0]
        assert result.lines["crm_rule"].tolist() == ["", ""]
        assert len(result.items) == 0
    assert len(credit_risk_mitigation(lines({}).head(0), empty).lines) == 0
    firb_lines = pd.DataFrame({"position_id": ["p0"], "exposure": [10.0]})
    assert firb_collateral_lgd(firb_lines, empty).lines["lgd_star"].tolist() == [0.40]  # CRE32.6
    assert len(firb_collateral_lgd(firb_lines.head(0), empty).lines) == 0


def test_validation_normalises_and_the_doc_table_lists_every_column() -> None:
    table = validate_protection(
        pd.DataFrame(
            {
                "position_id": [1],
                "protection_type": ["gold"],
                "amount": ["5"],
                "restructuring_covered": ["yes"],
            }
        )
    )
    assert table["position_id"].tolist() == ["1"]
    assert table["amount"].tolist() == [5.0]
    assert bool(table["restructuring_covered"].iloc[0]) is True
    assert table["currency"].tolist() == ["EUR"]
    assert table["revaluation_days"].tolist() == [1.0]
    markdown = protection_markdown()
    for column in table.columns:
        assert f"| `{column}` |" in markdown


def test_items_find_their_lines_with_sorted_and_unsorted_ids() -> None:
    # Sorted fixed-width ids go through the binary search, others through the hash lookup; the result is
    # the same: each item on its line, items of unknown positions left out.
    cases = (
        ["POS-1", "POS-2", "POS-3"],  # sorted, one width: binary search on the last byte as an integer
        ["A-00000000001", "A-00000000002", "B-00000000001"],  # 12 bytes after the common prefix
        ["A1", "A2", "B1"],  # no common prefix, two bytes compared as an integer
        ["POS-3", "POS-1", "POS-2"],  # unsorted: hash lookup
        ["b", "a", "long-id"],
    )
    for ids in cases:
        frame = pd.DataFrame({"position_id": ids, "exposure": [100.0, 200.0, 300.0], "risk_weight": 1.0})
        table = pd.DataFrame(
            {
                "position_id": [ids[2], "nobody", ids[0]],
                "protection_type": "cash",
                "amount": [10.0, 5.0, 20.0],
            }
        )
        result = credit_risk_mitigation(frame.assign(transaction_type="capital_market"), table)
        assert result.lines["rwa"].tolist() == pytest.approx([80.0, 200.0, 290.0]), ids  # E - cash (CRE22.46)
        assert result.items["position_id"].tolist() == [ids[2], ids[0]]
        assert result.lines["crm_rule"].tolist() == ["CRE22.46", "", "CRE22.46"]


def test_lines_already_in_form_skip_the_second_check_and_give_the_same_table() -> None:
    raw = lines({"currency": "USD", "transaction_type": "repo_style"}, {"remargining_days": 3.0})
    validated = validate_crm_lines(raw, "sa")
    # in form: the same table, defaults added, nothing re-checked
    pd.testing.assert_frame_equal(
        checked_crm_lines(validated.drop(columns=["lent_security_type"])), validated
    )
    pd.testing.assert_frame_equal(checked_crm_lines(raw), validated)  # plain strings: the full check
    with pytest.raises(InputError, match=r"lines\['exposure'\]"):  # a value out of bounds: the full check
        checked_crm_lines(validated.assign(exposure=[-1.0, 100.0]))
    with pytest.raises(InputError, match=r"lines\['position_id'\].*unique"):
        checked_crm_lines(
            validate_crm_lines(lines({}, {})).assign(position_id=pd.array(["p", "p"], dtype="str"))
        )


ITEM = st.fixed_dictionaries(
    {
        "position_id": st.sampled_from(["p0", "p1"]),
        "protection_type": st.sampled_from(
            [
                "cash",
                "gold",
                "debt_security",
                "equity_main_index",
                "equity_other_listed",
                "deposit_netting",
                "guarantee",
                "credit_derivative",
                "residential_real_estate",
            ]
        ),
        "amount": st.floats(0, 300),
        "currency": st.sampled_from(["EUR", "USD"]),
        "issuer_type": st.sampled_from(["sovereign", "pse", "bank", "corporate", "mdb_zero_rw"]),
        "rating": st.sampled_from(["AAA", "A", "BBB-", "BB", "B"]),
        "scra_grade": st.just("B"),
        "security_residual_maturity": st.floats(0, 20),
        "protection_residual_maturity": st.sampled_from([np.nan, 0.1, 0.5, 2.0, 7.0]),
        "protection_original_maturity": st.just(8.0),
        "restructuring_covered": st.booleans(),
    }
)


@settings(max_examples=60, deadline=None)
@given(
    items=st.lists(ITEM, max_size=6),
    approach=st.sampled_from(["comprehensive", "simple"]),
    rw=st.sampled_from([0.2, 0.75, 1.5]),
)
def test_crm_never_raises_the_requirement(items: list[dict[str, Any]], approach: str, rw: float) -> None:
    # CRE22.3: a mitigant never raises the capital requirement; cover never exceeds the exposure.
    frame = lines({"risk_weight": rw}, {"risk_weight": rw, "exposure": 50.0})
    table = pd.DataFrame(items, columns=list(ITEM_COLUMNS))
    out = credit_risk_mitigation(frame, table, approach).lines
    assert (out["rwa"] <= out["rwa_without_crm"] * (1 + 1e-12)).all()
    assert (out["rwa"] >= 0).all()
    assert (out["unprotected"] >= -1e-9).all()
    assert (out["exposure_after_collateral"] <= out["exposure_after_netting"] + 1e-9).all()
    assert (out["guaranteed"] <= out["exposure_after_collateral"] + 1e-9).all()


ITEM_COLUMNS = (
    "position_id", "protection_type", "amount", "currency", "issuer_type", "rating", "scra_grade",
    "security_residual_maturity", "protection_residual_maturity", "protection_original_maturity",
    "restructuring_covered",
)  # fmt: skip

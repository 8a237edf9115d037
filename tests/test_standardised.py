"""Standardised approach for credit risk: every row of the methodology 2 tables, worked by hand.

Each case is one EUR 1,000,000 drawn line, so the expected RWA is 1,000,000 x the risk weight
read off the table cited in the case (methodology 2.2-2.11 and C.2).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from builders import positions, rwa_lines
from hypothesis import given, settings
from hypothesis import strategies as st

import banksim as bs
from banksim.positions.vocabulary import RATINGS
from banksim.regulation import risk_weighted_assets
from banksim.regulation.standardised import (
    RiskWeightAssignment,
    corporate_weights,
    currency_mismatch,
    defaulted_weights,
    ltv_band,
    rating_bucket,
    retail_weights,
    sovereign_pse_mdb_weights,
)

AMOUNT = 1_000_000.0


def case(rule: str, rw: float, **line: Any) -> Any:
    return pytest.param(line, rw, rule, id=f"{rule}-{'-'.join(str(v) for v in line.values())}-{rw}")


def sov(rating: str) -> dict[str, Any]:
    return {
        "exposure_class": "sovereign",
        "sub_class": "general",
        "counterparty_type": "sovereign",
        "rating": rating,
    }


BANK = {"exposure_class": "bank", "sub_class": "general", "counterparty_type": "bank"}
CORP = {"exposure_class": "corporate", "counterparty_type": "corporate"}
RRE = {"exposure_class": "residential_real_estate", "counterparty_type": "individual"}
CRE = {"exposure_class": "commercial_real_estate"}

MISMATCH = "; CRE20.92-93 (currency mismatch x1.5)"  # CRE20.92-93 as cited on a line (methodology C.45)
SA_CASES = [
    # CRE20.7 Table 1: sovereigns and central banks.
    case("CRE20.7", 0.0, **sov("AAA")),
    case("CRE20.7", 0.0, **sov("AA-")),
    case("CRE20.7", 0.20, **sov("A+")),
    case("CRE20.7", 0.50, **sov("BBB")),
    case("CRE20.7", 1.00, **sov("BB+")),
    case("CRE20.7", 1.00, **sov("B-")),
    case("CRE20.7", 1.50, **sov("CCC")),
    case("CRE20.7", 1.00, **sov("unrated")),
    # CRE20.10: BIS, IMF, ECB, EU, ESM, EFSF.
    case("CRE20.10", 0.0, exposure_class="sovereign", sub_class="international_organisation", rating="unrated"),
    # CRE20.11 Table 4 (option 2, the PSE's own rating).
    case("CRE20.11", 0.20, exposure_class="pse", sub_class="general", rating="AA"),
    case("CRE20.11", 0.50, exposure_class="pse", sub_class="general", rating="A"),
    case("CRE20.11", 0.50, exposure_class="pse", sub_class="general", rating="BBB-"),
    case("CRE20.11", 1.00, exposure_class="pse", sub_class="general", rating="BB"),
    case("CRE20.11", 1.00, exposure_class="pse", sub_class="general", rating="B"),
    case("CRE20.11", 1.50, exposure_class="pse", sub_class="general", rating="CCC+"),
    case("CRE20.11", 0.50, exposure_class="pse", sub_class="general", rating="unrated"),
    # CRE20.14-15 Table 5: MDBs.
    case("CRE20.14", 0.0, exposure_class="mdb", sub_class="eligible_mdb", rating="AAA"),
    case("CRE20.15", 0.20, exposure_class="mdb", sub_class="general", rating="AAA"),
    case("CRE20.15", 0.30, exposure_class="mdb", sub_class="general", rating="A-"),
    case("CRE20.15", 0.50, exposure_class="mdb", sub_class="general", rating="BBB+"),
    case("CRE20.15", 1.00, exposure_class="mdb", sub_class="general", rating="BB-"),
    case("CRE20.15", 1.00, exposure_class="mdb", sub_class="general", rating="B+"),
    case("CRE20.15", 1.50, exposure_class="mdb", sub_class="general", rating="C"),
    case("CRE20.15", 0.50, exposure_class="mdb", sub_class="general", rating="unrated"),
    # CRE20.18 Table 6: banks, ECRA base (original maturity 1 year).
    case("CRE20.18", 0.20, **BANK, rating="AA", original_maturity=1.0),
    case("CRE20.18", 0.30, **BANK, rating="A", original_maturity=1.0),
    case("CRE20.18", 0.50, **BANK, rating="BBB", original_maturity=1.0),
    case("CRE20.18", 1.00, **BANK, rating="BB", original_maturity=1.0),
    case("CRE20.18", 1.00, **BANK, rating="B", original_maturity=1.0),
    case("CRE20.18", 1.50, **BANK, rating="CCC", original_maturity=1.0),
    # CRE20.18-19: ECRA short-term (original maturity <= 3 months, methodology C.4).
    case("CRE20.19", 0.20, **BANK, rating="AA", original_maturity=0.25),
    case("CRE20.19", 0.20, **BANK, rating="A", original_maturity=0.25),
    case("CRE20.19", 0.20, **BANK, rating="BBB", original_maturity=0.25),
    case("CRE20.19", 0.50, **BANK, rating="BB", original_maturity=0.1),
    case("CRE20.19", 0.50, **BANK, rating="B", original_maturity=0.1),
    case("CRE20.19", 1.50, **BANK, rating="CCC", original_maturity=0.1),
    case("CRE20.18", 0.50, **BANK, rating="BBB", original_maturity=0.5),  # 6 months: not short-term
    # CRE20.21-22 Table 7: SCRA for unrated banks.
    case("CRE20.21", 0.40, **BANK, scra_grade="A", counterparty_cet1_ratio=0.12, counterparty_leverage_ratio=0.06),
    case("CRE20.22", 0.30, **BANK, scra_grade="A", counterparty_cet1_ratio=0.14, counterparty_leverage_ratio=0.05),
    case("CRE20.21", 0.40, **BANK, scra_grade="A", counterparty_cet1_ratio=0.14, counterparty_leverage_ratio=0.049),
    case("CRE20.21", 0.75, **BANK, scra_grade="B"),
    case("CRE20.21", 1.50, **BANK, scra_grade="C"),
    # CRE20.31: SCRA short-term; the 30% concession does not apply to short-term (methodology C.5).
    case("CRE20.31", 0.20, **BANK, scra_grade="A", original_maturity=0.2,
         counterparty_cet1_ratio=0.15, counterparty_leverage_ratio=0.06),
    case("CRE20.31", 0.50, **BANK, scra_grade="B", original_maturity=0.2),
    case("CRE20.31", 1.50, **BANK, scra_grade="C", original_maturity=0.2),
    # CRE20.38 Table 8: rated covered bonds.
    case("CRE20.38 Table 8", 0.10, exposure_class="covered_bond", sub_class="general", rating="AAA"),
    case("CRE20.38 Table 8", 0.20, exposure_class="covered_bond", sub_class="general", rating="A"),
    case("CRE20.38 Table 8", 0.20, exposure_class="covered_bond", sub_class="general", rating="BBB-"),
    case("CRE20.38 Table 8", 0.50, exposure_class="covered_bond", sub_class="general", rating="BB"),
    case("CRE20.38 Table 8", 0.50, exposure_class="covered_bond", sub_class="general", rating="B"),
    case("CRE20.38 Table 8", 1.00, exposure_class="covered_bond", sub_class="general", rating="CCC"),
    # CRE20.38 Table 9: unrated covered bonds from the issuer bank's RW.
    *[
        case("CRE20.38 Table 9", covered, exposure_class="covered_bond", sub_class="general", issuer_risk_weight=issuer)
        for issuer, covered in ((0.20, 0.10), (0.30, 0.15), (0.40, 0.20), (0.50, 0.25), (0.75, 0.35), (1.00, 0.50),
                                (1.50, 1.00))
    ],
    # CRE20.42-47 Table 10: corporates.
    case("CRE20.42", 0.20, **CORP, sub_class="general", rating="AA+"),
    case("CRE20.42", 0.50, **CORP, sub_class="general", rating="A"),
    case("CRE20.42", 0.75, **CORP, sub_class="general", rating="BBB"),
    case("CRE20.42", 1.00, **CORP, sub_class="general", rating="BB-"),
    case("CRE20.42", 1.50, **CORP, sub_class="general", rating="B+"),
    case("CRE20.42", 1.50, **CORP, sub_class="general", rating="CCC-"),
    case("CRE20.43", 1.00, **CORP, sub_class="general", rating="unrated"),
    case("CRE20.47", 0.85, **CORP, sub_class="sme", rating="unrated", annual_sales=20e6),
    case("CRE20.42", 0.75, **CORP, sub_class="sme", rating="BBB", annual_sales=20e6),
    case("CRE20.46", 0.65, **CORP, sub_class="investment_grade", rating="unrated"),
    # CRE20.50-52: specialised lending.
    case("CRE20.50", 1.00, exposure_class="specialised_lending", sub_class="object_finance", rating="BB"),
    case("CRE20.51", 1.00, exposure_class="specialised_lending", sub_class="object_finance"),
    case("CRE20.51", 1.00, exposure_class="specialised_lending", sub_class="commodities_finance"),
    case("CRE20.51", 1.30, exposure_class="specialised_lending", sub_class="project_finance_pre_operational"),
    case("CRE20.51", 1.00, exposure_class="specialised_lending", sub_class="project_finance_operational"),
    case("CRE20.51", 0.80, exposure_class="specialised_lending", sub_class="project_finance_high_quality_operational"),
    # CRE20.63-68: retail.
    case("CRE20.63-68", 0.45, exposure_class="retail", sub_class="regulatory_retail_transactor"),
    case("CRE20.63-68", 0.75, exposure_class="retail", sub_class="regulatory_retail"),
    case("CRE20.63-68", 1.00, exposure_class="retail", sub_class="other_retail"),
    # CRE20.92-93: currency mismatch x1.5, capped at 150% (individuals, unhedged).
    # The rule cites CRE20.92-93 on the lines whose weight the multiplier changed (methodology C.45).
    case(f"CRE20.63-68{MISMATCH}", 1.125, exposure_class="retail", sub_class="regulatory_retail",
         counterparty_type="individual", currency_mismatch_unhedged=True),
    case(f"CRE20.63-68{MISMATCH}", 0.675, exposure_class="retail", sub_class="regulatory_retail_transactor",
         counterparty_type="individual", currency_mismatch_unhedged=True),
    case(f"CRE20.63-68{MISMATCH}", 1.50, exposure_class="retail", sub_class="other_retail",
         counterparty_type="individual", currency_mismatch_unhedged=True),
    case("CRE20.63-68", 0.75, exposure_class="retail", sub_class="regulatory_retail", counterparty_type="sme",
         currency_mismatch_unhedged=True),
    case(f"CRE20.82{MISMATCH}", 0.30, **RRE, sub_class="general", ltv=0.5, currency_mismatch_unhedged=True),
    case(f"CRE20.84{MISMATCH}", 0.45, **RRE, sub_class="income_producing", ltv=0.40, currency_mismatch_unhedged=True),
    # ... but never ADC or other (non-regulatory) real estate (methodology C.2): 100% and 75% stay.
    case("CRE20.91", 1.00, **RRE, sub_class="adc_residential_qualifying", currency_mismatch_unhedged=True),
    case("CRE20.89", 0.75, **RRE, sub_class="non_regulatory", currency_mismatch_unhedged=True),
    # CRE20.82 Table 11: residential, not cash-flow dependent; bands include their upper bound (methodology C.6).
    case("CRE20.82", 0.20, **RRE, sub_class="general", ltv=0.50),
    case("CRE20.82", 0.25, **RRE, sub_class="general", ltv=0.55),
    case("CRE20.82", 0.25, **RRE, sub_class="general", ltv=0.60),
    case("CRE20.82", 0.30, **RRE, sub_class="general", ltv=0.80),
    case("CRE20.82", 0.40, **RRE, sub_class="general", ltv=0.85),
    case("CRE20.82", 0.40, **RRE, sub_class="general", ltv=0.90),
    case("CRE20.82", 0.50, **RRE, sub_class="general", ltv=1.00),
    case("CRE20.82", 0.70, **RRE, sub_class="general", ltv=1.01),
    # CRE20.84 Table 12: residential income-producing.
    case("CRE20.84", 0.30, **RRE, sub_class="income_producing", ltv=0.40),
    case("CRE20.84", 0.35, **RRE, sub_class="income_producing", ltv=0.60),
    case("CRE20.84", 0.45, **RRE, sub_class="income_producing", ltv=0.70),
    case("CRE20.84", 0.60, **RRE, sub_class="income_producing", ltv=0.90),
    case("CRE20.84", 0.75, **RRE, sub_class="income_producing", ltv=0.95),
    case("CRE20.84", 1.05, **RRE, sub_class="income_producing", ltv=1.20),
    # CRE20.85 Table 13: commercial, not dependent: min(60%, counterparty RW) up to 60% LTV (methodology C.7).
    case("CRE20.85", 0.60, **CRE, sub_class="general", counterparty_type="individual", ltv=0.50),
    case("CRE20.85", 0.50, **CRE, sub_class="general", counterparty_type="corporate", rating="A", ltv=0.60),
    case("CRE20.85", 1.00, **CRE, sub_class="general", counterparty_type="corporate", ltv=0.70),
    case("CRE20.85", 0.85, **CRE, sub_class="general", counterparty_type="sme", ltv=0.90),
    case("CRE20.85", 0.75, **CRE, sub_class="general", counterparty_type="individual", ltv=0.61),
    # CRE20.87 Table 14: commercial income-producing.
    case("CRE20.87", 0.70, **CRE, sub_class="income_producing", counterparty_type="corporate", ltv=0.60),
    case("CRE20.87", 0.90, **CRE, sub_class="income_producing", counterparty_type="corporate", ltv=0.80),
    case("CRE20.87", 1.10, **CRE, sub_class="income_producing", counterparty_type="corporate", ltv=0.81),
    # CRE20.88-91: ADC and other (non-regulatory) real estate.
    case("CRE20.90", 1.50, **CRE, sub_class="adc", counterparty_type="corporate"),
    case("CRE20.90", 1.50, **RRE, sub_class="adc"),
    case("CRE20.91", 1.00, **RRE, sub_class="adc_residential_qualifying"),
    case("CRE20.88", 1.50, **CRE, sub_class="non_regulatory", counterparty_type="corporate", cash_flow_dependent=True),
    case("CRE20.89", 0.75, **RRE, sub_class="non_regulatory"),
    case("CRE20.89", 0.20, **CRE, sub_class="non_regulatory", counterparty_type="sovereign", rating="A"),
    # CRE20.53-62, CRE20.109: equity and subordinated debt.
    case("CRE20.57", 2.50, exposure_class="equity", sub_class="general"),
    case("CRE20.57", 2.50, exposure_class="equity", sub_class="listed"),
    case("CRE20.58", 4.00, exposure_class="equity", sub_class="speculative_unlisted"),
    case("CRE20.59", 1.00, exposure_class="equity", sub_class="legislated_programme"),
    case("CRE20.61", 12.50, exposure_class="equity", sub_class="significant_investment"),
    case("CRE20.109", 2.50, exposure_class="equity", sub_class="threshold_deduction_item"),
    case("CRE20.60", 1.50, exposure_class="subordinated_debt", sub_class="general"),
    # CRE20.109-110: other assets.
    case("CRE20.109", 0.0, exposure_class="other_assets", sub_class="cash"),
    case("CRE20.109", 0.0, exposure_class="other_assets", sub_class="gold"),
    case("CRE20.109", 0.20, exposure_class="other_assets", sub_class="cash_items_in_collection"),
    case("CRE20.110", 1.00, exposure_class="other_assets", sub_class="other"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "risk_weight", "rule"), SA_CASES)
def test_sa_risk_weight_table_row(line: dict[str, Any], risk_weight: float, rule: str) -> None:
    row = rwa_lines({"drawn_amount": AMOUNT, **line}).loc["L1"]
    assert row["sa_risk_weight"] == pytest.approx(risk_weight, rel=1e-12, abs=1e-15)
    assert row["rwa"] == pytest.approx(AMOUNT * risk_weight, rel=1e-12, abs=1e-9)
    assert row["rule"] == rule


@pytest.mark.parametrize(
    ("off_balance_type", "ccf", "paragraph"),
    [
        ("direct_credit_substitute", 1.00, "CRE20.95"),
        ("repo_or_asset_sale_with_recourse", 1.00, "CRE20.95"),
        ("securities_lending", 1.00, "CRE20.95"),
        ("forward_asset_purchase", 1.00, "CRE20.95"),
        ("nif_ruf", 0.50, "CRE20.96"),
        ("transaction_related_contingent", 0.50, "CRE20.97"),
        ("commitment", 0.40, "CRE20.98"),
        ("short_term_trade_letter_of_credit", 0.20, "CRE20.99"),
        ("unconditionally_cancellable_commitment", 0.10, "CRE20.100"),
    ],
)
def test_ccf_of_every_off_balance_type(off_balance_type: str, ccf: float, paragraph: str) -> None:
    """CRE20.94-101: an unrated corporate (100%) with EUR 1m off-balance: RWA = CCF x 1m. The rule
    cites the item's CCF paragraph after the weight's (methodology 2.9, C.45)."""
    row = rwa_lines(
        {"side": "off_balance", **CORP, "sub_class": "general", "off_balance_amount": AMOUNT,
         "off_balance_type": off_balance_type}
    ).loc["L1"]  # fmt: skip
    assert row["ccf"] == ccf
    assert row["exposure"] == pytest.approx(ccf * AMOUNT)
    assert row["rwa"] == pytest.approx(ccf * AMOUNT)
    assert row["rule"] == row["sa_rule"] == f"CRE20.43; {paragraph} (CCF {ccf:.0%})"


def test_exposure_is_drawn_plus_converted_off_balance_minus_provisions() -> None:
    """methodology C.2: 500,000 + 40% x 1,000,000 - 100,000 = 800,000; unrated corporate 100%."""
    row = rwa_lines(
        {**CORP, "sub_class": "general", "drawn_amount": 500_000.0, "off_balance_amount": 1_000_000.0,
         "off_balance_type": "commitment", "specific_provisions": 100_000.0}
    ).loc["L1"]  # fmt: skip
    assert row["exposure"] == pytest.approx(800_000.0)
    assert row["rwa"] == pytest.approx(800_000.0)


def test_exposure_never_negative_when_provisions_exceed_the_amount() -> None:
    row = rwa_lines(
        {**CORP, "sub_class": "general", "drawn_amount": 100.0, "specific_provisions": 150.0}
    ).loc["L1"]
    assert row["exposure"] == 0.0
    assert row["rwa"] == 0.0


@pytest.mark.parametrize(
    ("provisions", "expected_rwa"),
    [
        (190_000.0, 810_000.0 * 1.50),  # 19% < 20%: 150% on the net 810,000
        (200_000.0, 800_000.0 * 1.00),  # exactly 20% (the boundary passes, methodology C.2): 100% on 800,000
        (600_000.0, 400_000.0 * 1.00),  # 60%: still 100% (the 50% national discretion is not applied)
    ],
)
def test_defaulted_provision_test(provisions: float, expected_rwa: float) -> None:
    """CRE20.104-108 with methodology C.8: provisions against the gross outstanding 1,000,000."""
    row = rwa_lines(
        {"exposure_class": "defaulted", "sub_class": "general", "counterparty_type": "corporate",
         "drawn_amount": AMOUNT, "specific_provisions": provisions, "is_defaulted": True}
    ).loc["L1"]  # fmt: skip
    assert row["rwa"] == pytest.approx(expected_rwa, rel=1e-12)


def test_defaulted_provisions_compare_with_gross_including_off_balance() -> None:
    """Gross = 800,000 + 40% x 500,000 = 1,000,000; provisions 190,000 are 19%: 150% on 810,000."""
    row = rwa_lines(
        {"exposure_class": "defaulted", "sub_class": "general", "drawn_amount": 800_000.0,
         "off_balance_amount": 500_000.0, "off_balance_type": "commitment", "specific_provisions": 190_000.0}
    ).loc["L1"]  # fmt: skip
    assert row["rwa"] == pytest.approx(810_000.0 * 1.5)


def test_defaulted_residential_not_dependent_is_100_percent() -> None:
    row = rwa_lines(
        {"exposure_class": "defaulted", "sub_class": "residential_re_not_dependent", "drawn_amount": AMOUNT,
         "specific_provisions": 50_000.0}
    ).loc["L1"]  # fmt: skip
    assert row["rwa"] == pytest.approx(950_000.0)


def test_trade_letter_of_credit_to_a_bank_is_short_term_up_to_six_months() -> None:
    """methodology C.2: goods-movement trade items are short-term if original maturity <= 0.5 years."""
    trade = {**BANK, "side": "off_balance", "rating": "BBB", "off_balance_amount": AMOUNT,
             "off_balance_type": "short_term_trade_letter_of_credit"}  # fmt: skip
    rows = rwa_lines({**trade, "original_maturity": 0.5}, {**trade, "original_maturity": 0.6})
    # CCF 20% x 1,000,000 = 200,000, at 20% (short-term BBB) and 50% (ECRA base BBB).
    assert rows.loc["L1", "rwa"] == pytest.approx(200_000.0 * 0.20)
    assert rows.loc["L2", "rwa"] == pytest.approx(200_000.0 * 0.50)


# -- bad input: a clear error naming the column and the positions, never a default weight ------------------------


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ({"exposure_class": "none"}, "exposure_class"),
        ({"exposure_class": "equity", "sub_class": "cash"}, "sub_class"),
        ({"exposure_class": "bank", "sub_class": "general"}, "scra_grade"),  # unrated bank, no SCRA grade
        ({"exposure_class": "residential_real_estate", "sub_class": "general"}, "ltv"),
        (
            {"exposure_class": "covered_bond", "sub_class": "general", "issuer_risk_weight": 0.35},
            "issuer_risk_weight",
        ),
        ({"exposure_class": "corporate", "sub_class": "sme", "annual_sales": 60e6}, "annual_sales"),
        (
            {"exposure_class": "corporate", "sub_class": "general", "off_balance_amount": 5.0},
            "off_balance_type",
        ),
        (
            {"exposure_class": "commercial_real_estate", "sub_class": "general", "ltv": 0.5},
            "counterparty_type",
        ),
        ({"exposure_class": "corporate", "sub_class": "general", "rating": "Baa1"}, "rating"),
        (
            {"exposure_class": "corporate", "sub_class": "general", "off_balance_type": "loan"},
            "off_balance_type",
        ),
        ({"exposure_class": "corporate", "sub_class": "general", "drawn_amount": -1.0}, "drawn_amount"),
        ({"exposure_class": "corporate", "sub_class": "general", "pd": 1.5}, "pd"),
        ({"exposure_class": "unknown_class"}, "exposure_class"),
    ],
)
def test_bad_input_names_the_column_and_position(line: dict[str, Any], column: str) -> None:
    frame = {"position_id": "BAD-1", "side": "asset", "drawn_amount": AMOUNT, **line}
    import pandas as pd

    with pytest.raises(bs.InputError) as error:
        risk_weighted_assets(pd.DataFrame([frame]))
    assert error.value.argument == f"positions[{column!r}]"
    assert "BAD-1" in str(error.value)


# -- properties ------------------------------------------------------------------------------------------------------

RATED_CLASSES = {
    "sovereign": {"exposure_class": "sovereign", "sub_class": "general"},
    "pse": {"exposure_class": "pse", "sub_class": "general"},
    "mdb": {"exposure_class": "mdb", "sub_class": "general"},
    "bank": {"exposure_class": "bank", "sub_class": "general", "original_maturity": 1.0},
    "covered_bond": {"exposure_class": "covered_bond", "sub_class": "general"},
    "corporate": {"exposure_class": "corporate", "sub_class": "general"},
}
RATED = [r for r in RATINGS if r != "unrated"]


@pytest.mark.parametrize("klass", sorted(RATED_CLASSES))
def test_risk_weight_never_falls_as_the_rating_worsens(klass: str) -> None:
    lines = [{**RATED_CLASSES[klass], "drawn_amount": AMOUNT, "rating": r} for r in RATED]
    weights = rwa_lines(*lines)["sa_risk_weight"].to_numpy()
    assert (np.diff(weights) >= 0).all()
    assert weights[0] < weights[-1]


@settings(max_examples=25, deadline=None)
@given(
    drawn=st.floats(0, 1e9),
    off_balance=st.floats(0, 1e9),
    provisions=st.floats(0, 1e8),
    scale=st.floats(0.01, 100),
    klass=st.sampled_from(sorted(RATED_CLASSES)),
    rating=st.sampled_from(RATINGS),
)
def test_rwa_is_non_negative_and_linear_in_amounts(
    drawn: float, off_balance: float, provisions: float, scale: float, klass: str, rating: str
) -> None:
    line = {**RATED_CLASSES[klass], "rating": rating, "scra_grade": "B", "issuer_risk_weight": 0.5,
            "off_balance_type": "commitment"}  # fmt: skip
    base = rwa_lines({**line, "drawn_amount": drawn, "off_balance_amount": off_balance,
                      "specific_provisions": provisions}).loc["L1"]  # fmt: skip
    scaled = rwa_lines({**line, "drawn_amount": drawn * scale, "off_balance_amount": off_balance * scale,
                        "specific_provisions": provisions * scale}).loc["L1"]  # fmt: skip
    assert base["rwa"] >= 0
    assert scaled["rwa"] == pytest.approx(base["rwa"] * scale, rel=1e-9, abs=1e-6)


def test_parameters_override_a_table_and_unknown_keys_are_errors() -> None:
    line = {**CORP, "sub_class": "general", "side": "off_balance", "off_balance_amount": AMOUNT,
            "off_balance_type": "commitment"}  # fmt: skip
    default = rwa_lines(line).loc["L1", "rwa"]
    overridden = rwa_lines(line, parameters={"sa": {"ccf": {"commitment": 0.5}}}).loc["L1", "rwa"]
    assert (default, overridden) == (pytest.approx(400_000.0), pytest.approx(500_000.0))
    with pytest.raises(bs.InputError, match=r"parameters\['sa'\]\['ccf'\]\['commitmnt'\]"):
        risk_weighted_assets(positions(line), parameters={"sa": {"ccf": {"commitmnt": 0.5}}})
    with pytest.raises(bs.InputError, match="expected a number"):
        risk_weighted_assets(positions(line), parameters={"sa": {"ccf": {"commitment": "high"}}})


# -- CRE20.101 and CRE20.32 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("off_balance_type", "underlying", "ccf", "cited"),
    [
        ("commitment", "direct_credit_substitute", 0.40, "CRE20.98 (CCF 40%)"),  # min(40%, 100%)
        ("unconditionally_cancellable_commitment", "direct_credit_substitute", 0.10,
         "CRE20.100 (CCF 10%)"),  # methodology 2.9
        # min(40%, 20%): the provided item's CCF, and CRE20.101 that took the lower one.
        ("commitment", "short_term_trade_letter_of_credit", 0.20,
         "CRE20.99 (CCF 20%); CRE20.101 (the lower of two CCFs)"),
        ("commitment", "transaction_related_contingent", 0.40, "CRE20.98 (CCF 40%)"),  # min(40%, 50%)
    ],
)  # fmt: skip
def test_commitment_to_provide_an_item_takes_the_lower_ccf(
    off_balance_type: str, underlying: str, ccf: float, cited: str
) -> None:
    """CRE20.101: an unrated corporate (100%) with EUR 1m undrawn: RWA = the lower CCF x 1m; CRE20.101
    is cited only where it changed the CCF (methodology C.45)."""
    row = rwa_lines({"side": "off_balance", **CORP, "sub_class": "general", "off_balance_amount": AMOUNT,
                     "off_balance_type": off_balance_type, "underlying_off_balance_type": underlying}).loc["L1"]  # fmt: skip
    assert row["ccf"] == ccf
    assert row["rwa"] == pytest.approx(ccf * AMOUNT)
    assert row["rule"] == f"CRE20.43; {cited}"


def test_underlying_item_only_on_commitments() -> None:
    with pytest.raises(bs.InputError) as error:
        rwa_lines({"side": "off_balance", **CORP, "sub_class": "general", "off_balance_amount": AMOUNT,
                   "off_balance_type": "direct_credit_substitute", "underlying_off_balance_type": "nif_ruf"})  # fmt: skip
    assert error.value.argument == "positions['underlying_off_balance_type']"


SCRA_A = {
    **BANK,
    "scra_grade": "A",
    "country": "IT",
    "original_maturity": 1.0,
}  # IT sovereign BBB by default: 50%


@pytest.mark.parametrize(
    ("line", "risk_weight", "rule"),
    [
        ({**SCRA_A, "currency": "USD"}, 0.50, "CRE20.32"),  # SCRA A 40% floored at the BBB sovereign's 50%
        ({**SCRA_A, "currency": "EUR"}, 0.40, "CRE20.21"),  # local currency: no floor
        ({**SCRA_A, "currency": "USD", "scra_grade": "B"}, 0.75, "CRE20.21"),  # 75% is above the floor
        ({**SCRA_A, "currency": "USD", "country": "DE"}, 0.40, "CRE20.21"),  # AAA sovereign: 0% floor
        ({**SCRA_A, "currency": "USD", "side": "off_balance", "drawn_amount": 0.0, "off_balance_amount": AMOUNT / 0.2,
          "off_balance_type": "short_term_trade_letter_of_credit", "original_maturity": 0.5}, 0.20,
         "CRE20.31; CRE20.99 (CCF 20%)"),
        ({**SCRA_A, "currency": "USD", "rating": "A"}, 0.30, "CRE20.18"),  # rated: ECRA, no SCRA floor
    ],
)  # fmt: skip
def test_scra_sovereign_floor(line: dict[str, Any], risk_weight: float, rule: str) -> None:
    """CRE20.32: under SCRA the RW is at least the sovereign's when the exposure is in a foreign currency,
    except short-term self-liquidating trade items (their 20% short-term weight stands)."""
    row = rwa_lines({"drawn_amount": AMOUNT, **line}).loc["L1"]
    assert (row["sa_risk_weight"], row["rule"]) == (pytest.approx(risk_weight), rule)


def test_sovereign_ratings_are_parameters() -> None:
    line = {**SCRA_A, "currency": "USD", "drawn_amount": AMOUNT}
    row = rwa_lines(line, parameters={"sa": {"sovereign_rating": {"IT": "B"}}}).loc["L1"]
    assert row["sa_risk_weight"] == pytest.approx(1.00)  # a B sovereign: 100% (Table 1)
    with pytest.raises(bs.InputError, match="sovereign_rating"):
        rwa_lines(line, parameters={"sa": {"sovereign_rating": {"IT": "Baa2"}}})


# -- the steps of standardised_risk_weights, each on its own (methodology 2.2-2.11) -----------------

SA_PARAMS = bs.regulation.regulatory_parameters()


def assigned(t: RiskWeightAssignment) -> list[tuple[float, str]]:
    return [(float(rw), str(rule)) for rw, rule in zip(t.rw, t.rules.categorical(), strict=True)]


def test_assignment_takes_a_number_or_an_array_read_at_the_mask() -> None:
    t = RiskWeightAssignment(positions(sov("AAA"), sov("AAA"), sov("AAA")))
    t.assign(np.array([True, False, False]), 0.5, "R1")
    t.assign(np.array([False, True, False]), np.array([9.0, 0.25, 9.0]), "R2")
    t.assign(np.zeros(3, dtype=bool), 7.0, "never")
    assert assigned(t)[:2] == [(0.5, "R1"), (0.25, "R2")]
    assert np.isnan(t.rw[2]) and "never" not in t.rules.labels


def test_sovereign_step_alone_leaves_other_classes() -> None:
    """AAA sovereign 0% (CRE20.7), A+ sovereign 20%; an unrated corporate is untouched by this step."""
    frame = positions(sov("AAA"), sov("A+"), {**CORP, "sub_class": "general"})
    t = RiskWeightAssignment(frame)
    sovereign_pse_mdb_weights(t, SA_PARAMS["sa"], rating_bucket(frame))
    assert assigned(t)[:2] == [(0.0, "CRE20.7"), (0.2, "CRE20.7")]
    assert np.isnan(t.rw[2])


def test_corporate_step_alone() -> None:
    """Rated A 50% (CRE20.42), unrated general 100% (CRE20.43), unrated SME 85% (CRE20.47)."""
    frame = positions({**CORP, "sub_class": "general", "rating": "A"}, {**CORP, "sub_class": "general"},
                      {**CORP, "sub_class": "sme", "annual_sales": 1e6})  # fmt: skip
    t = RiskWeightAssignment(frame)
    corporate_weights(t, SA_PARAMS, rating_bucket(frame))
    assert assigned(t) == [(0.5, "CRE20.42"), (1.0, "CRE20.43"), (0.85, "CRE20.47")]


def test_ltv_band_includes_its_upper_bound() -> None:
    """Bands (<=50%, <=60%, <=80%, ...): 50% is band 0, 50.01% band 1, 200% the last (methodology C.6)."""
    uppers = SA_PARAMS["sa"]["rre_ltv_upper"]
    assert ltv_band(np.array([0.0, 0.5, 0.5001, 0.8, 2.0]), uppers).tolist() == [0, 0, 1, 2, len(uppers) - 1]


def test_defaulted_step_alone() -> None:
    """Provisions 20% of gross: 100%; 10%: 150% (CRE20.104-108, methodology C.8)."""
    line = {"exposure_class": "defaulted", "sub_class": "general", "counterparty_type": "corporate"}
    frame = positions({**line, "specific_provisions": 200.0}, {**line, "specific_provisions": 100.0})
    t = RiskWeightAssignment(frame)
    defaulted_weights(t, SA_PARAMS["sa"], np.array([1000.0, 1000.0]))
    assert assigned(t) == [(1.0, "CRE20.104-108"), (1.5, "CRE20.104-108")]


def test_currency_mismatch_step_alone() -> None:
    """Retail 75% to an individual with an unhedged mismatch: 1.5 x 75% = 112.5% (CRE20.93); a
    corporate with the flag keeps its weight."""
    retail = {"exposure_class": "retail", "sub_class": "regulatory_retail", "counterparty_type": "individual"}
    frame = positions({**retail, "currency_mismatch_unhedged": True},
                      {**CORP, "sub_class": "general", "currency_mismatch_unhedged": True})  # fmt: skip
    t = RiskWeightAssignment(frame)
    retail_weights(t, SA_PARAMS["sa"])
    corporate_weights(t, SA_PARAMS, rating_bucket(frame))
    rw, mismatch = currency_mismatch(t, SA_PARAMS["sa"])
    assert mismatch.tolist() == [True, False]
    assert rw.tolist() == [pytest.approx(1.125), 1.0]

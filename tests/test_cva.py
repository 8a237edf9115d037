"""CVA capital (MAR50): hand-worked cases for the materiality alternative, reduced and full BA-CVA.

Every expected value is worked from the MAR50 formulas in the test (methodology 10); the public
worked example of methodology 10.5 is reproduced to its published cents and to 1e-9.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from banksim.errors import InputError
from banksim.regulation.cva import cva_capital, discount_factor, netting_set_maturities
from tests.builders import positions

INDUSTRIALS = "basic_materials_energy_industrials"


def df(m: float) -> float:
    return (1 - math.exp(-0.05 * m)) / (0.05 * m)  # MAR50.15


def sets(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{"netting_set": f"NS{i}", **row} for i, row in enumerate(rows, start=1)])


EXAMPLE = sets(
    {
        "counterparty_id": "A",
        "counterparty_sector": INDUSTRIALS,
        "counterparty_credit_quality": "IG",
        "ead": 10_000_000.0,
        "effective_maturity": 2.5,
    },
    {
        "counterparty_id": "B",
        "counterparty_sector": "financial",
        "counterparty_credit_quality": "HY",
        "ead": 5_000_000.0,
        "effective_maturity": 0.5,
    },
)
CDS_ON_B = pd.DataFrame(
    [
        {
            "hedge_id": "H1",
            "hedge_type": "single_name",
            "hedged_counterparty_id": "B",
            "relation": "direct",
            "notional": 3_000_000.0,
            "remaining_maturity": 1.0,
        }
    ]
)


def test_discount_factor_formula() -> None:
    # MAR50.15: DF(2.5) = (1 - e^-0.125) / 0.125 = 0.9400247793, DF(1) = 0.9754115100
    assert discount_factor(2.5) == pytest.approx(0.9400247793, abs=1e-10)
    assert discount_factor(1.0) == pytest.approx(0.9754115100, abs=1e-10)


def test_worked_example_reduced() -> None:
    result = cva_capital(EXAMPLE)
    # MAR50.15: SCVA_A = 0.03/1.4 x 2.5 x 10,000,000 x DF(2.5); B's M = max(1, 0.5) = 1 (CRE32.46).
    scva_a = 0.03 / 1.4 * 2.5 * 10_000_000 * df(2.5)
    scva_b = 0.12 / 1.4 * 1.0 * 5_000_000 * df(1.0)
    k_reduced = math.sqrt((0.5 * (scva_a + scva_b)) ** 2 + 0.75 * (scva_a**2 + scva_b**2))  # MAR50.14
    lines = result.counterparties.set_index("counterparty_id")
    assert lines.loc["A", "scva"] == pytest.approx(scva_a, rel=1e-12)
    assert lines.loc["B", "scva"] == pytest.approx(scva_b, rel=1e-12)
    assert lines.loc["B", "effective_maturity"] == 1.0
    assert lines.loc["B", "discount_factor"] == pytest.approx(df(1.0), rel=1e-12)
    assert list(lines["risk_weight"]) == [0.03, 0.12]
    assert result.k_reduced == pytest.approx(k_reduced, rel=1e-12)
    assert result.k_cva == pytest.approx(0.65 * k_reduced, rel=1e-12)
    assert result.rwa == pytest.approx(12.5 * 0.65 * k_reduced, rel=1e-12)
    # The published figures, to the cent.
    assert lines.loc["A", "scva"] == pytest.approx(503_584.70, abs=0.005)
    assert lines.loc["B", "scva"] == pytest.approx(418_033.50, abs=0.005)
    assert round(result.k_reduced, 2) == 730_484.23
    assert round(result.k_cva, 2) == 474_814.75
    assert round(result.rwa, 2) == 5_935_184.33
    assert result.rule == "MAR50.14" and set(result.counterparties["rule"]) == {"MAR50.15"}
    assert math.isnan(result.k_hedged) and math.isnan(result.k_full)


def test_worked_example_full_with_a_direct_cds() -> None:
    result = cva_capital(EXAMPLE, CDS_ON_B, approach="ba_cva_full")
    scva_a = 0.03 / 1.4 * 2.5 * 10_000_000 * df(2.5)
    scva_b = 0.12 / 1.4 * 1.0 * 5_000_000 * df(1.0)
    snh_b = 1.0 * 0.12 * 1.0 * 3_000_000 * df(1.0)  # MAR50.23, r = 100% (direct), HMA_B = 0
    k_reduced = math.sqrt((0.5 * (scva_a + scva_b)) ** 2 + 0.75 * (scva_a**2 + scva_b**2))
    net_b = scva_b - snh_b
    k_hedged = math.sqrt((0.5 * (scva_a + net_b)) ** 2 + 0.75 * (scva_a**2 + net_b**2))  # MAR50.21
    k_full = 0.25 * k_reduced + 0.75 * k_hedged  # MAR50.20
    assert result.k_hedged == pytest.approx(k_hedged, rel=1e-12)
    assert result.k_full == pytest.approx(k_full, rel=1e-12)
    assert result.rwa == pytest.approx(12.5 * 0.65 * k_full, rel=1e-12)
    lines = result.counterparties.set_index("counterparty_id")
    assert lines.loc["B", "snh"] == pytest.approx(snh_b, rel=1e-12) and lines.loc["B", "hma"] == 0.0
    assert lines.loc["B", "rule"] == "MAR50.15; MAR50.23"
    assert round(snh_b, 2) == 351_148.14 and lines.loc["B", "snh"] == pytest.approx(351_148.14, abs=0.005)
    assert round(result.k_hedged, 2) == 524_320.92
    assert round(result.k_full, 2) == 575_861.75
    assert round(result.k_cva, 2) == 374_310.14
    assert round(result.rwa, 2) == 4_678_876.69


def test_reduced_three_sectors_and_two_netting_sets_per_counterparty() -> None:
    # Sovereign HY (2.0%), tech IG (2.0%), healthcare NR (5.0%); C has two netting sets.
    frame = sets(
        {
            "counterparty_id": "S",
            "counterparty_sector": "sovereign",
            "rating": "BB+",
            "ead": 2_000_000.0,
            "effective_maturity": 7.0,
        },
        {
            "counterparty_id": "T",
            "counterparty_sector": "technology_telecom",
            "rating": "BBB-",
            "ead": 4_000_000.0,
            "effective_maturity": 3.0,
        },
        {
            "counterparty_id": "C",
            "counterparty_sector": "healthcare_utilities_professional",
            "ead": 1_000_000.0,
            "effective_maturity": 0.25,
        },
        {
            "counterparty_id": "C",
            "counterparty_sector": "healthcare_utilities_professional",
            "ead": 3_000_000.0,
            "effective_maturity": 12.0,
        },
    )
    result = cva_capital(frame)
    # C.30: quality from rating, BB+ -> HY, BBB- -> IG, unrated -> NR; M floored at 1, no cap.
    s = 0.02 / 1.4 * (7.0 * 2_000_000 * df(7.0))
    t = 0.02 / 1.4 * (3.0 * 4_000_000 * df(3.0))
    c = 0.05 / 1.4 * (1.0 * 1_000_000 * df(1.0) + 12.0 * 3_000_000 * df(12.0))
    # MAR50.14: rho = 50% on the sum, 1 - rho^2 = 75% on the squares.
    k = math.sqrt((0.5 * (s + t + c)) ** 2 + 0.75 * (s**2 + t**2 + c**2))
    lines = result.counterparties.set_index("counterparty_id")
    assert list(lines["credit_quality"]) == ["HY", "IG", "NR"]
    assert lines.loc["C", "netting_sets"] == 2
    assert lines.loc["C", "scva"] == pytest.approx(c, rel=1e-12)
    assert lines.loc["C", "effective_maturity"] == pytest.approx((1.0 * 1e6 + 12.0 * 3e6) / 4e6, rel=1e-12)
    assert result.k_reduced == pytest.approx(k, rel=1e-12)
    assert result.rwa == pytest.approx(12.5 * 0.65 * k, rel=1e-12)
    # Perfect correlation would give the plain sum; zero correlation the root of the squares.
    assert math.sqrt(s**2 + t**2 + c**2) < result.k_reduced < s + t + c
    assert result.netting_sets["maturity_used"].tolist() == [7.0, 3.0, 1.0, 12.0]


def test_full_with_a_legally_related_and_an_index_hedge() -> None:
    hedges = pd.DataFrame(
        [
            {
                "hedge_id": "SN",
                "hedge_type": "single_name",
                "hedged_counterparty_id": "A",
                "relation": "legally_related",
                "reference_sector": INDUSTRIALS,
                "reference_credit_quality": "HY",
                "notional": 4_000_000.0,
                "remaining_maturity": 2.0,
            },
            {
                "hedge_id": "IX",
                "hedge_type": "index",
                "index_constituents": "financial:IG:75; sovereign:IG:25",
                "notional": 2_000_000.0,
                "remaining_maturity": 5.0,
            },
            {
                "hedge_id": "IY",
                "hedge_type": "index",
                "reference_sector": "financial",
                "reference_credit_quality": "IG",
                "notional": 1_000_000.0,
                "remaining_maturity": 0.5,
            },
        ]
    )
    result = cva_capital(EXAMPLE, hedges, approach="ba_cva_full")
    scva_a = 0.03 / 1.4 * 2.5 * 10_000_000 * df(2.5)
    scva_b = 0.12 / 1.4 * 1.0 * 5_000_000 * df(1.0)
    x_sn = 0.07 * 2.0 * 4_000_000 * df(2.0)  # reference industrials HY: 7%
    snh_a = 0.8 * x_sn  # MAR50.26: legally related, r = 80%
    hma_a = (1 - 0.8**2) * x_sn**2  # MAR50.25
    rw_ix = 0.7 * (75 * 0.05 + 25 * 0.005) / 100  # MAR50.24(4): 0.7 x name-weighted average
    rw_iy = 0.7 * 0.05
    ih = rw_ix * 5.0 * 2_000_000 * df(5.0) + rw_iy * 0.5 * 1_000_000 * df(0.5)  # hedge M not floored
    net_a = scva_a - snh_a
    k_hedged = math.sqrt((0.5 * (net_a + scva_b) - ih) ** 2 + 0.75 * (net_a**2 + scva_b**2) + hma_a)
    k_reduced = math.sqrt((0.5 * (scva_a + scva_b)) ** 2 + 0.75 * (scva_a**2 + scva_b**2))
    k_full = 0.25 * k_reduced + 0.75 * k_hedged
    h = result.hedges.set_index("hedge_id")
    assert h.loc["IX", "risk_weight"] == pytest.approx(rw_ix, rel=1e-12)
    assert h.loc["SN", "hma"] == pytest.approx(hma_a, rel=1e-12)
    assert result.k_hedged == pytest.approx(k_hedged, rel=1e-12)
    assert result.k_cva == pytest.approx(0.65 * k_full, rel=1e-12)
    assert list(h["rule"]) == ["MAR50.23", "MAR50.24", "MAR50.24"]


def test_full_without_hedges_equals_reduced() -> None:
    # MAR50.20-21 with SNH = HMA = IH = 0: K_hedged = K_reduced, so K_full = K_reduced.
    full = cva_capital(EXAMPLE, approach="ba_cva_full")
    assert full.k_full == pytest.approx(full.k_reduced, rel=1e-12)
    assert full.k_cva == pytest.approx(cva_capital(EXAMPLE).k_cva, rel=1e-12)


def test_materiality_alternative() -> None:
    frame = EXAMPLE.assign(ccr_risk_weight=[0.75, 1.0])
    # MAR50.9, C.31: RWA_CVA = 100% of CCR RWA = 10,000,000 x 0.75 + 5,000,000 x 1.0 = 12,500,000.
    result = cva_capital(frame, approach="materiality_alternative", non_centrally_cleared_notional=100e9)
    assert result.rwa == pytest.approx(12_500_000.0, rel=1e-12)
    assert result.k_cva == pytest.approx(1_000_000.0, rel=1e-12)
    assert result.counterparties["ccr_rwa"].tolist() == [7_500_000.0, 5_000_000.0]
    assert set(result.counterparties["rule"]) == {"MAR50.9"}
    with pytest.raises(InputError, match=r"exceeds the MAR50\.9 threshold"):
        cva_capital(frame, approach="materiality_alternative", non_centrally_cleared_notional=100.001e9)
    with pytest.raises(InputError, match="non_centrally_cleared_notional"):
        cva_capital(frame, approach="materiality_alternative")
    with pytest.raises(InputError, match="ccr_risk_weight"):
        cva_capital(EXAMPLE, approach="materiality_alternative", non_centrally_cleared_notional=1e9)
    with pytest.raises(InputError, match="ba_cva_full"):
        cva_capital(frame, CDS_ON_B, approach="materiality_alternative", non_centrally_cleared_notional=1e9)


def test_netting_set_maturity_from_the_trades() -> None:
    trade = {
        "side": "derivative",
        "counterparty_type": "bank",
        "rating": "A",
        "saccr_asset_class": "interest_rate",
        "hedging_set": "EUR",
        "trade_direction": "long",
        "start_years": 0.0,
        "mtm": 0.0,
    }
    book = positions(
        {**trade, "netting_set": "NS-1", "notional": 30.0, "end_years": 4.0, "residual_maturity": 4.0},
        {**trade, "netting_set": "NS-1", "notional": 10.0, "end_years": 0.5, "residual_maturity": 0.5},
        {**trade, "netting_set": "NS-2", "notional": 5.0, "end_years": 0.5, "residual_maturity": 0.5},
    )
    got = netting_set_maturities(book).set_index("netting_set")["effective_maturity"]
    # C.30: (30 x 4 + 10 x 0.5) / 40 = 3.125; NS-2 0.5, floored to 1 only inside cva_capital.
    assert got["NS-1"] == pytest.approx(3.125, rel=1e-12)
    assert got["NS-2"] == pytest.approx(0.5, rel=1e-12)


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"counterparty_sector": ["financial", "banks"]}, "counterparty_sector"),
        ({"ead": [1.0, -1.0]}, "ead"),
        ({"effective_maturity": [1.0, np.nan]}, "effective_maturity"),
        ({"counterparty_credit_quality": ["IG", "BBB"]}, "counterparty_credit_quality"),
        ({"netting_set": ["N", "N"]}, "netting_set"),
    ],
)
def test_bad_netting_sets_are_rejected(change: dict[str, list[Any]], column: str) -> None:
    with pytest.raises(InputError) as error:
        cva_capital(EXAMPLE.assign(**change))
    assert column in error.value.argument


def test_counterparty_with_two_sectors_is_rejected() -> None:
    frame = pd.concat([EXAMPLE, EXAMPLE.iloc[[1]].assign(netting_set="NS3", counterparty_sector="sovereign")])
    with pytest.raises(InputError, match="property of the counterparty"):
        cva_capital(frame)


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"hedged_counterparty_id": "Z"}, "hedged_counterparty_id"),
        ({"relation": "none"}, "relation"),
        ({"remaining_maturity": 0.0}, "remaining_maturity"),
        ({"hedge_type": "index"}, "index_constituents"),
        ({"hedge_type": "index", "index_constituents": "financial:AA:3"}, "index_constituents"),
    ],
)
def test_bad_hedges_are_rejected(change: dict[str, Any], column: str) -> None:
    with pytest.raises(InputError) as error:
        cva_capital(EXAMPLE, CDS_ON_B.assign(**change), approach="ba_cva_full")
    assert column in error.value.argument


def test_hedges_need_the_full_approach_and_approach_is_checked() -> None:
    with pytest.raises(InputError, match="ba_cva_full"):
        cva_capital(EXAMPLE, CDS_ON_B)
    with pytest.raises(InputError, match="approach"):
        cva_capital(EXAMPLE, approach="sa_cva")


def test_fed_by_sa_ccr_netting_sets() -> None:
    """The SA-CCR rows and the trades' maturities feed cva_capital directly (methodology 10.1)."""
    from banksim.regulation import regulatory_parameters, saccr_netting_sets

    irs = {"side": "derivative", "counterparty_type": "bank", "rating": "A", "netting_set": "NS-1",
           "saccr_asset_class": "interest_rate", "hedging_set": "USD", "trade_direction": "long",
           "notional": 10_000_000.0, "start_years": 0.0, "end_years": 5.0, "residual_maturity": 5.0,
           "mtm": 150_000.0}  # fmt: skip
    book = positions(irs)
    sets = saccr_netting_sets(book, regulatory_parameters()).merge(
        netting_set_maturities(book), on="netting_set"
    )
    frame = sets[["netting_set", "ead", "effective_maturity"]].assign(
        counterparty_id="BANK-A", counterparty_sector="financial", rating=sets["rating"].astype(str)
    )
    result = cva_capital(frame)
    # methodology 4.4 A: EAD = 519,678.904; rating A -> IG, financial 5% (MAR50.16); M = 5.
    ead = 519_678.904
    assert float(sets["ead"].iloc[0]) == pytest.approx(ead, rel=2e-9)
    scva = 0.05 / 1.4 * 5.0 * ead * df(5.0)
    # One counterparty: K = sqrt((0.5 S)^2 + 0.75 S^2) = S (MAR50.14).
    assert result.k_reduced == pytest.approx(scva, rel=2e-9)
    assert result.rwa == pytest.approx(12.5 * 0.65 * scva, rel=2e-9)


def test_parameters_override_and_unknown_key() -> None:
    # DS = 1 instead of 0.65 (MAR50.14): K_CVA = K_reduced.
    result = cva_capital(EXAMPLE, parameters={"discount_scalar": 1.0})
    assert result.k_cva == pytest.approx(result.k_reduced, rel=1e-12)
    weights = cva_capital(EXAMPLE, parameters={"risk_weight": {"financial": {"IG": 0.05, "HY_NR": 0.24}}})
    assert weights.counterparties.set_index("counterparty_id").loc["B", "risk_weight"] == 0.24
    with pytest.raises(InputError, match="unknown CVA parameter"):
        cva_capital(EXAMPLE, parameters={"gamma": 1.0})

"""SA-CCR (CRE52): methodology 4.4 worked examples to 1e-9, the bcbs279 interest-rate example, and
hand-worked netting sets for margining and the credit, equity, commodity and FX add-ons.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import pytest
from builders import positions, rwa_lines

import banksim as bs
from banksim.regulation import regulatory_parameters, saccr_netting_sets

PARAMS = regulatory_parameters()
TRADE = {"side": "derivative", "counterparty_type": "bank", "rating": "A", "netting_set": "NS-1"}


def ead(*trades: dict[str, Any]) -> Any:
    sets = saccr_netting_sets(positions(*[{**TRADE, **t} for t in trades]), PARAMS)
    return sets.set_index("netting_set").loc["NS-1"]


IRS = {"saccr_asset_class": "interest_rate", "hedging_set": "USD", "trade_direction": "long",
       "notional": 10_000_000.0, "start_years": 0.0, "end_years": 5.0, "residual_maturity": 5.0, "mtm": 150_000.0}  # fmt: skip


def test_example_a_single_unmargined_irs() -> None:
    """methodology 4.4 A: SD 4.42398, AddOn 221,199.217, RC 150,000, EAD 519,678.904."""
    row = ead(IRS)
    assert row["add_on_interest_rate"] == pytest.approx(221_199.217, rel=2e-9)
    assert row["replacement_cost"] == 150_000.0
    assert row["multiplier"] == 1.0
    assert row["ead"] == pytest.approx(519_678.904, rel=2e-9)


def test_example_b_single_unmargined_fx_forward() -> None:
    """methodology 4.4 B: buy USD 10m vs EUR in 6m at 1.10; MtM -200,000: multiplier 0.680860, EAD 245,097.188."""
    row = ead({"saccr_asset_class": "fx", "hedging_set": "EUR/USD", "trade_direction": "long",
               "notional": 10_000_000 / 1.10, "residual_maturity": 0.5, "mtm": -200_000.0})  # fmt: skip
    assert row["add_on_fx"] == pytest.approx(257_129.739, rel=2e-9)
    assert row["replacement_cost"] == 0.0
    assert row["multiplier"] == pytest.approx(0.680860, rel=1e-6)
    assert row["pfe"] == pytest.approx(175_069.420, rel=2e-9)
    assert row["ead"] == pytest.approx(245_097.188, rel=2e-9)


def test_bcbs279_interest_rate_example() -> None:
    """methodology 4.4 cross-check: two USD swaps and a bought EUR swaption put: EAD 569.47 (published ~569)."""
    row = ead(
        {"saccr_asset_class": "interest_rate", "hedging_set": "USD", "trade_direction": "long", "notional": 10_000.0,
         "end_years": 10.0, "residual_maturity": 10.0, "mtm": 30.0},
        {"saccr_asset_class": "interest_rate", "hedging_set": "USD", "trade_direction": "short", "notional": 10_000.0,
         "end_years": 4.0, "residual_maturity": 4.0, "mtm": -20.0},
        {"saccr_asset_class": "interest_rate", "hedging_set": "EUR", "option_type": "put", "option_position": "bought",
         "notional": 5_000.0, "start_years": 1.0, "end_years": 11.0, "residual_maturity": 1.0, "option_expiry": 1.0,
         "underlying_price": 0.06, "strike_price": 0.05, "mtm": 50.0},
    )  # fmt: skip
    assert row["ead"] == pytest.approx(569.47, abs=0.005)
    # The same by hand: SD = (e^-0.05S - e^-0.05E)/0.05; delta of a bought put -N(-d) with sigma 50%.
    sd = [
        (1 - math.exp(-0.5)) / 0.05,
        (1 - math.exp(-0.2)) / 0.05,
        (math.exp(-0.05) - math.exp(-0.55)) / 0.05,
    ]
    d = (math.log(0.06 / 0.05) + 0.5 * 0.25) / 0.5
    delta = -NormalDist().cdf(-d)
    d3_usd, d2_usd = 10_000 * sd[0], -10_000 * sd[1]
    usd = 0.005 * math.sqrt(d2_usd**2 + d3_usd**2 + 1.4 * d2_usd * d3_usd)  # B2 and B3 (CRE52.57)
    eur = 0.005 * abs(5_000 * sd[2] * delta)
    assert row["add_on_interest_rate"] == pytest.approx(usd + eur, rel=1e-12)
    assert row["ead"] == pytest.approx(1.4 * (60 + usd + eur), rel=1e-12)


MARGIN = {"margined": True, "collateral_held": 100_000.0, "mpor_days": 10.0}


def test_margined_set_uses_the_mpor_maturity_factor() -> None:
    """CRE52.52: MF = 1.5 x sqrt(10/250) = 0.3; RC = max(150,000 - 100,000, 0 + 0 - 0, 0) = 50,000;
    AddOn = 221,199.217 x 0.3 = 66,359.765; EAD = 1.4 x 116,359.765 = 162,903.671 (below the
    unmargined 1.4 x (50,000 + 221,199.217) = 379,678.904)."""
    row = ead({**IRS, **MARGIN})
    assert row["replacement_cost"] == pytest.approx(50_000.0)
    assert row["add_on"] == pytest.approx(221_199.217 * 0.3, rel=2e-9)
    assert row["ead_unmargined"] == pytest.approx(379_678.904, rel=2e-9)
    assert row["ead"] == pytest.approx(1.4 * (50_000 + 221_199.217 * 0.3), rel=2e-9)


def test_margined_ead_is_capped_at_the_unmargined_ead() -> None:
    """CRE52.2: a threshold of 1,000,000 makes RC_margined 1,000,000; the unmargined EAD
    1.4 x (50,000 + 221,199.217) = 379,678.904 caps it (methodology C.2)."""
    row = ead({**IRS, **MARGIN, "threshold_amount": 1_000_000.0})
    assert row["replacement_cost"] == pytest.approx(1_000_000.0)
    assert row["ead"] == pytest.approx(379_678.904, rel=2e-9)


def test_the_margined_cap_is_cited_where_it_lowered_the_ead() -> None:
    """CRE52.2 in the rule of the set whose margined EAD the cap lowered: NS-CAP (threshold 1,000,000:
    1.4 x (1,000,000 + 66,359.765) = 1,492,903.671 capped at 379,678.904), not NS-MARGIN (margined
    162,903.671 < 379,678.904) nor NS-1 (unmargined); methodology C.45."""
    rows = rwa_lines({**TRADE, **IRS}, {**TRADE, **IRS, **MARGIN, "netting_set": "NS-MARGIN"},
                     {**TRADE, **IRS, **MARGIN, "threshold_amount": 1_000_000.0, "netting_set": "NS-CAP"})  # fmt: skip
    capped = "CRE52.1; CRE52.2 (margined EAD capped at the unmargined EAD)"
    assert rows.loc["NS-CAP", "exposure"] == pytest.approx(379_678.904, rel=2e-9)
    assert (rows.loc["NS-CAP", "rule"], rows.loc["NS-CAP", "sa_rule"]) == (capped, capped)
    assert rows.loc["NS-MARGIN", "exposure"] == pytest.approx(1.4 * (50_000 + 221_199.217 * 0.3), rel=2e-9)
    assert rows.loc["NS-MARGIN", "rule"] == rows.loc["NS-1", "rule"] == "CRE52.1"
    sets = saccr_netting_sets(positions(*[{**TRADE, **IRS, **MARGIN, "threshold_amount": t, "netting_set": name}
                                          for name, t in (("A", 0.0), ("B", 1e6))]), PARAMS)  # fmt: skip
    assert sets.set_index("netting_set")["margined_cap_binding"].to_dict() == {"A": False, "B": True}


def test_mpor_floors_and_nica() -> None:
    """MPOR 5 days is floored at 10 (CRE52.50), 20 if flagged (CRE52.51); TH + MTA - NICA enters RC."""
    base = {**IRS, **MARGIN, "mtm": 0.0, "collateral_held": 0.0}
    floored = ead({**base, "mpor_days": 5.0})
    assert floored["add_on"] == pytest.approx(221_199.217 * 1.5 * math.sqrt(10 / 250), rel=2e-9)
    extended = ead({**base, "mpor_days": float("nan"), "mpor_extended": True})
    assert extended["add_on"] == pytest.approx(221_199.217 * 1.5 * math.sqrt(20 / 250), rel=2e-9)
    rc = ead({**base, "threshold_amount": 40_000.0, "minimum_transfer_amount": 5_000.0, "nica": 15_000.0})
    assert rc["replacement_cost"] == pytest.approx(30_000.0)


def test_credit_add_on_with_single_name_and_index() -> None:
    """CRE52.60-69: X (A, SF 0.42%, rho 50%) long 1m 5y; Y (IG index, SF 0.38%, rho 80%) short 2m 5y."""
    sd = (1 - math.exp(-0.25)) / 0.05
    x, y = 0.0042 * 1_000_000 * sd, -0.0038 * 2_000_000 * sd
    expected = math.sqrt((0.5 * x + 0.8 * y) ** 2 + (1 - 0.25) * x**2 + (1 - 0.64) * y**2)
    row = ead(
        {"saccr_asset_class": "credit", "saccr_sub_class": "A", "hedging_set": "X", "trade_direction": "long",
         "notional": 1_000_000.0, "end_years": 5.0, "residual_maturity": 5.0},
        {"saccr_asset_class": "credit", "saccr_sub_class": "index_ig", "hedging_set": "Y",
         "trade_direction": "short", "notional": 2_000_000.0, "end_years": 5.0, "residual_maturity": 5.0},
    )  # fmt: skip
    assert row["add_on_credit"] == pytest.approx(expected, rel=1e-12)
    assert row["add_on_credit"] == pytest.approx(31_239.7, rel=1e-5)


def test_equity_add_on() -> None:
    """Single name 1m x 32% = 320,000 (rho 50%); index 1m x 20% = 200,000 (rho 80%):
    sqrt((160,000 + 160,000)^2 + 0.75 x 320,000^2 + 0.36 x 200,000^2) = 440,000."""
    row = ead(
        {"saccr_asset_class": "equity", "saccr_sub_class": "single_name", "hedging_set": "EQ-A",
         "trade_direction": "long", "notional": 1_000_000.0, "residual_maturity": 1.0},
        {"saccr_asset_class": "equity", "saccr_sub_class": "index", "hedging_set": "EQ-IDX",
         "trade_direction": "long", "notional": 1_000_000.0, "residual_maturity": 2.0},
    )  # fmt: skip
    assert row["add_on_equity"] == pytest.approx(440_000.0, rel=1e-12)


def test_commodity_add_on_by_hedging_set() -> None:
    """CRE52.70-71: energy = sqrt((0.4 x (180,000 + 200,000))^2 + 0.84 x (180,000^2 + 200,000^2))
    = 289,689.49; metals = 54,000 (one type); AddOn = 343,689.49."""
    row = ead(
        {"saccr_asset_class": "commodity", "saccr_sub_class": "oil_gas", "hedging_set": "brent",
         "trade_direction": "long", "notional": 1_000_000.0, "residual_maturity": 1.0},
        {"saccr_asset_class": "commodity", "saccr_sub_class": "electricity", "hedging_set": "power",
         "trade_direction": "long", "notional": 500_000.0, "residual_maturity": 1.0},
        {"saccr_asset_class": "commodity", "saccr_sub_class": "metals", "hedging_set": "gold",
         "trade_direction": "short", "notional": 300_000.0, "residual_maturity": 1.0},
    )  # fmt: skip
    energy = math.sqrt((0.4 * 380_000) ** 2 + 0.84 * (180_000**2 + 200_000**2))
    assert row["add_on_commodity"] == pytest.approx(energy + 54_000.0, rel=1e-12)
    assert row["add_on_commodity"] == pytest.approx(343_689.49, rel=1e-8)


def test_fx_full_offset_within_a_pair_and_sum_across_pairs() -> None:
    """CRE52.58-59: EUR/USD long 1m, short 0.4m -> 4% x 0.6m; EUR/GBP long 0.5m -> 4% x 0.5m; M >= 1y."""
    fx = {"saccr_asset_class": "fx", "residual_maturity": 2.0}
    row = ead(
        {**fx, "hedging_set": "EUR/USD", "trade_direction": "long", "notional": 1_000_000.0},
        {**fx, "hedging_set": "EUR/USD", "trade_direction": "short", "notional": 400_000.0},
        {**fx, "hedging_set": "EUR/GBP", "trade_direction": "long", "notional": 500_000.0},
    )
    assert row["add_on_fx"] == pytest.approx(0.04 * 600_000 + 0.04 * 500_000, rel=1e-12)


def test_sold_call_delta_and_short_maturity_floor() -> None:
    """CRE52.40: sold call -N(d), sigma 15% (FX); CRE52.48: M of 2 days floored at 10/250."""
    t = 0.5
    d = (math.log(1.10 / 1.00) + 0.5 * 0.15**2 * t) / (0.15 * math.sqrt(t))
    option = ead({"saccr_asset_class": "fx", "hedging_set": "EUR/USD", "option_type": "call",
                  "option_position": "sold", "notional": 1_000_000.0, "residual_maturity": 0.5, "option_expiry": t,
                  "underlying_price": 1.10, "strike_price": 1.00})  # fmt: skip
    assert option["add_on_fx"] == pytest.approx(
        0.04 * 1_000_000 * math.sqrt(0.5) * NormalDist().cdf(d), rel=1e-9
    )
    short = ead({"saccr_asset_class": "fx", "hedging_set": "EUR/USD", "trade_direction": "long",
                 "notional": 1_000_000.0, "residual_maturity": 2 / 250})  # fmt: skip
    assert short["add_on_fx"] == pytest.approx(0.04 * 1_000_000 * math.sqrt(10 / 250), rel=1e-12)


def test_netting_set_ead_is_risk_weighted_by_the_counterparty() -> None:
    """Example A's EAD 519,678.904 against an A-rated bank (ECRA 30%, CRE20.18)."""
    row = rwa_lines({**TRADE, **IRS}).loc["NS-1"]
    assert row["exposure"] == pytest.approx(519_678.904, rel=2e-9)
    assert row["risk_weight"] == 0.30
    assert row["rwa"] == pytest.approx(0.30 * 519_678.904, rel=2e-9)
    assert row["rule"] == "CRE52.1"


def test_trade_without_netting_set_is_its_own_set() -> None:
    rows = rwa_lines({**TRADE, **IRS, "netting_set": ""}, {**TRADE, **IRS, "netting_set": ""})
    assert sorted(rows[rows["risk_type"] == "counterparty"].index) == ["L1", "L2"]


@pytest.mark.parametrize(
    ("trades", "column"),
    [
        ([{**IRS, "hedging_set": "EUR/USD", "saccr_asset_class": "fx"},
          {**IRS, "hedging_set": "USD/EUR", "saccr_asset_class": "fx"}], "hedging_set"),
        ([IRS, {**IRS, "margined": True}], "margined"),
        ([IRS, {**IRS, "rating": "BBB"}], "rating"),
        ([{**IRS, "end_years": 0.0}], "end_years"),
        ([{**IRS, "trade_direction": "none"}], "trade_direction"),
        ([{**IRS, "saccr_asset_class": "credit"}], "saccr_sub_class"),
        ([{**IRS, "residual_maturity": float("nan")}], "residual_maturity"),
        ([{**IRS, "option_type": "call", "option_position": "bought"}], "underlying_price"),
    ],
)  # fmt: skip
def test_saccr_bad_input(trades: list[dict[str, Any]], column: str) -> None:
    with pytest.raises(bs.InputError) as error:
        ead(*trades)
    assert error.value.argument == f"positions[{column!r}]"


def test_commodity_hedging_sets_in_several_netting_sets() -> None:
    """Every commodity group (energy, metals, agricultural, other) in the last of two netting sets:
    four hedging sets of one type each, so the add-on is the sum of |SF x notional|:
    0.4 x 100 + 0.18 x (100 + 100 + 100) = 94; the other set holds one IR swap."""
    commodity = {
        "saccr_asset_class": "commodity",
        "trade_direction": "long",
        "notional": 100.0,
        "residual_maturity": 1.0,
    }
    trades = [
        {**TRADE, **IRS, "netting_set": "NS-0"},
        {**TRADE, **commodity, "saccr_sub_class": "electricity", "hedging_set": "power"},
        {**TRADE, **commodity, "saccr_sub_class": "metals", "hedging_set": "copper"},
        {**TRADE, **commodity, "saccr_sub_class": "agricultural", "hedging_set": "wheat"},
        {**TRADE, **commodity, "saccr_sub_class": "other", "hedging_set": "freight"},
    ]
    sets = saccr_netting_sets(positions(*trades), PARAMS).set_index("netting_set")
    assert sets.loc["NS-1", "add_on_commodity"] == pytest.approx(94.0, rel=1e-12)
    assert sets.loc["NS-0", "add_on_commodity"] == 0.0
    assert sets.loc["NS-0", "ead"] == pytest.approx(519_678.904, rel=2e-9)

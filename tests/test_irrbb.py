"""IRRBB standardised framework: shocks, floor, buckets, cash flows, ΔEVE, aggregation, outlier, ΔNII.

Every expected value is the arithmetic of methodology 13 and C.42-C.44 written out in the test
(continuous discounting at the bucket mid-points, shocks in bp / 10,000), compared to 1e-9.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from banksim.errors import InputError
from banksim.positions.repricing import validate_repricing
from banksim.regulation.irrbb import compute_irrbb, irrbb_parameters
from banksim.regulation.irrbb_cashflows import bucket_of, repricing_cash_flows
from banksim.regulation.irrbb_parameters import BUCKET_MIDPOINTS, SCENARIOS
from banksim.regulation.irrbb_shocks import shock_deltas, shocked_curves

REL = 1e-9
FLAT_2 = [0.02] * 19


def position(**overrides: Any) -> dict[str, Any]:
    """A EUR fixed bullet asset of 100, annual coupon 0, T = 5 (the zero-coupon bond of methodology 13.9)."""
    base: dict[str, Any] = {
        "position_id": "p",
        "side": "asset",
        "currency": "EUR",
        "repricing_type": "fixed",
        "drawn_amount": 100.0,
        "residual_maturity": 5.0,
        "interest_rate": 0.0,
        "payment_frequency": 1,
    }
    return {**base, **overrides}


def run(*rows: dict[str, Any], curve: Any = None, tier1: float = 1000.0, **parameters: Any) -> Any:
    table = pd.DataFrame([{**r, "position_id": r.get("position_id", f"p{i}")} for i, r in enumerate(rows)])
    currencies = set(table["currency"])
    curve = curve if curve is not None else {c: FLAT_2 for c in currencies}
    return compute_irrbb(table, curve, tier1, parameters or None)


def delta_eve(result: Any, currency: str = "EUR") -> dict[str, float]:
    eve = result.eve[result.eve["currency"] == currency]
    return dict(zip(eve["scenario"], eve["delta_eve"], strict=True))


# -- the worked example of methodology 13.9 -----------------------------------------------------------

E = math.exp(-4.5 / 4)  # S_short(4.5) = exp(-t/4), C.42
WORKED = {
    "parallel_up": 0.02,  # EUR parallel 200 bp
    "parallel_down": -0.02,
    "steepener": -0.65 * 0.025 * E + 0.90 * 0.01 * (1 - E),  # EUR short 250, long 100
    "flattener": 0.80 * 0.025 * E - 0.60 * 0.01 * (1 - E),
    "short_up": 0.025 * E,
    "short_down": -0.025 * E,
}
PRINTED = {
    "parallel_up": 7.866097,
    "parallel_down": -8.606881,
    "steepener": 0.329459,
    "flattener": 0.998400,
    "short_up": 3.277766,
    "short_down": -3.399694,
}


def test_worked_example_zero_coupon_bond_six_shocks() -> None:
    result = run(position())
    eve_0 = 100 * math.exp(-0.02 * 4.5)  # t = 5 is in bucket 11 (4Y, 5Y]: mid-point 4.5
    assert result.eve["eve_base"].iloc[0] == pytest.approx(eve_0, rel=REL)
    assert eve_0 == pytest.approx(91.393119, abs=5e-7)
    for scenario, shock in WORKED.items():
        expected = eve_0 - 100 * math.exp(-(0.02 + shock) * 4.5)
        assert delta_eve(result)[scenario] == pytest.approx(expected, rel=REL), scenario
        assert delta_eve(result)[scenario] == pytest.approx(PRINTED[scenario], abs=5e-7), scenario
    # Parallel down: 0% > LB(4.5) = -1.5% + 0.03% x 4.5 = -1.365%: the floor does not bind.
    assert not result.buckets["floor_binds"].any()
    measure = result.eve_risk_measure
    assert (measure.worst_scenario, measure.aggregation) == ("parallel_up", "basel")
    assert measure.measure == pytest.approx(PRINTED["parallel_up"], abs=5e-7)
    assert measure.ratio == pytest.approx(measure.measure / 1000.0, rel=REL) and not measure.outlier


def test_shape_example_at_three_and_a_half_years() -> None:
    # SRP31.92 with |short| = |long| = 100 bp (JPY) at t = 3.5: S_short = exp(-0.875) = 0.41686.
    params = irrbb_parameters()
    deltas = shock_deltas((0.01, 0.01, 0.01), np.array([3.5]), params)[:, 0] / 1e-4
    short = 100 * math.exp(-0.875)
    assert deltas[SCENARIOS.index("short_up")] == pytest.approx(short, rel=REL)  # +41.7 bp
    assert deltas[SCENARIOS.index("steepener")] == pytest.approx(-0.65 * short + 0.9 * (100 - short), rel=REL)
    assert deltas[SCENARIOS.index("flattener")] == pytest.approx(0.8 * short - 0.6 * (100 - short), rel=REL)
    assert round(deltas[SCENARIOS.index("steepener")], 1) == 25.4
    assert round(deltas[SCENARIOS.index("flattener")], 1) == -1.6


def test_bcbs2024_calibration_is_a_parameter() -> None:
    result = run(position(), irrbb_calibration="bcbs2024")
    # bcbs2024 EUR parallel 225 bp.
    expected = 100 * math.exp(-0.09) - 100 * math.exp(-(0.02 + 0.0225) * 4.5)
    assert delta_eve(result)["parallel_up"] == pytest.approx(expected, rel=REL)


# -- post-shock floor (methodology 13.3, C.42) -----------------------------------------------------------


def test_floor_binds_strictly_and_never_lifts_a_rate() -> None:
    base = np.array([0.005] * 18 + [-0.02])  # bucket 19 (t = 25) is already below its LB
    curves = shocked_curves("EUR", base, irrbb_parameters())
    down = SCENARIOS.index("parallel_down")
    t = np.array(BUCKET_MIDPOINTS)
    lower = np.minimum(-0.015 + 0.0003 * t, 0.0)  # LB(t)
    # Buckets 1-18: 0.5% - 2% = -1.5% < LB(t) = -1.5% + 0.03% t: floored at LB (binds).
    np.testing.assert_allclose(curves.shocked[down, :18], lower[:18], rtol=REL)
    assert curves.floor_binds[down, :18].all()
    # Bucket 19: R_0 = -2% < LB(25) = -0.75%: the bound is R_0 itself; -4% < -2% binds, the rate stays -2%.
    assert curves.shocked[down, 18] == -0.02 and curves.floor_binds[down, 18]
    assert not curves.floor_binds[SCENARIOS.index("parallel_up")].any()


def test_floor_options_zero_and_none() -> None:
    base = np.array([0.01] * 19)
    down = SCENARIOS.index("parallel_down")
    zero = shocked_curves("EUR", base, irrbb_parameters({"post_shock_floor": "zero"}))
    assert (zero.shocked[down] == 0.0).all() and zero.floor_binds[down].all()  # 1% - 2% < 0 -> 0
    none = shocked_curves("EUR", base, irrbb_parameters({"post_shock_floor": "none"}))
    np.testing.assert_allclose(none.shocked[down], -0.01, rtol=REL)
    assert not none.floor_binds.any()


def test_boundary_exactly_at_the_floor_does_not_bind() -> None:
    # C.42 floor "zero": R_0 = 2%, parallel down 200 bp gives exactly 0% = min(0, R_0): not below, no bind.
    curves = shocked_curves("EUR", np.full(19, 0.02), irrbb_parameters({"post_shock_floor": "zero"}))
    down = SCENARIOS.index("parallel_down")
    assert (curves.shocked[down] == 0.0).all() and not curves.floor_binds[down].any()


# -- buckets (methodology 13.4, C.42) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time", "bucket"),
    [(0.0, 1), (1 / 365, 1), (0.003, 2), (1 / 12, 2), (0.25, 3), (0.2500000001, 3), (0.5, 4), (0.75, 5),
     (1.0, 6), (1.25, 7), (10.0, 16), (10.01, 17), (20.0, 18), (20.0001, 19), (40.0, 19)],
)  # fmt: skip
def test_bucket_upper_bounds_are_inclusive(time: float, bucket: int) -> None:
    assert bucket_of(np.array([time]), irrbb_parameters())[0] == bucket


# -- cash flows (methodology 13.5-13.6, C.43) -------------------------------------------------------------


def flows_of(*rows: dict[str, Any], **overrides: Any) -> pd.DataFrame:
    table = validate_repricing(pd.DataFrame(list(rows) or [position(**overrides)]))
    return repricing_cash_flows(table, irrbb_parameters())


def test_fixed_bullet_coupons_counted_back_from_maturity() -> None:
    flows = flows_of(drawn_amount=1000.0, residual_maturity=1.75, interest_rate=0.04, payment_frequency=2)
    # C.43: coupons N c / f = 20 at 1.75, 1.25, 0.75, 0.25; N = 1000 at 1.75.
    coupons = flows[flows["kind"] == "coupon"]
    np.testing.assert_allclose(sorted(coupons["time"]), [0.25, 0.75, 1.25, 1.75], rtol=REL)
    np.testing.assert_allclose(coupons["amount"], 20.0, rtol=REL)
    assert sorted(coupons["bucket"]) == [3, 5, 7, 8]
    principal = flows[flows["kind"] == "principal"]
    assert (principal["time"].tolist(), principal["amount"].tolist()) == ([1.75], [1000.0])


def test_fixed_annuity_level_payments() -> None:
    flows = flows_of(
        drawn_amount=1000.0, residual_maturity=3.0, interest_rate=0.06, amortisation_type="annuity"
    )
    level = 1000 * 0.06 / (1 - 1.06**-3)  # C.43: A = N q / (1 - (1+q)^-M), q = 0.06, M = 3
    assert level == pytest.approx(374.109813, abs=1e-6)
    np.testing.assert_allclose(flows["time"], [1.0, 2.0, 3.0], rtol=REL)
    np.testing.assert_allclose(flows["amount"], level, rtol=REL)


def test_zero_rate_annuity_and_liability_sign() -> None:
    flows = flows_of(
        side="liability",
        drawn_amount=900.0,
        residual_maturity=1.5,
        original_maturity=1.5,
        payment_frequency=2,
        amortisation_type="annuity",
    )
    # C.43: c = 0 => A = N / M = 900 / 3 at 0.5, 1.0, 1.5; liabilities negative.
    np.testing.assert_allclose(flows["time"], [0.5, 1.0, 1.5], rtol=REL)
    np.testing.assert_allclose(flows["amount"], -300.0, rtol=REL)


def test_floater_reprices_at_next_reset_and_keeps_its_spread() -> None:
    flows = flows_of(
        repricing_type="floating", drawn_amount=1000.0, residual_maturity=1.0, interest_rate=0.03,
        payment_frequency=4, next_reset=0.25, spread=0.01,
    )  # fmt: skip
    # C.43: at t_r = 0.25: 1000 x 0.03 / 4 + 1000 = 1007.5; spread 1000 x 0.01 / 4 = 2.5 at 0.5, 0.75, 1.
    reset = flows[flows["kind"] == "reset"]
    assert reset["time"].tolist() == [0.25] and reset["amount"].iloc[0] == pytest.approx(1007.5, rel=REL)
    spread = flows[flows["kind"] == "spread"]
    np.testing.assert_allclose(spread["time"], [0.5, 0.75, 1.0], rtol=REL)
    np.testing.assert_allclose(spread["amount"], 2.5, rtol=REL)
    assert spread["bucket"].tolist() == [4, 5, 6]


@pytest.mark.parametrize(
    ("category", "share", "maturity", "core", "core_maturity", "core_bucket"),
    [
        ("retail_transactional", 0.95, 6.0, 0.90, 5.0, 11),  # caps 90%, 5 years
        ("retail_non_transactional", 0.80, 4.0, 0.70, 4.0, 10),  # caps 70%, 4.5 years
        ("wholesale", 0.40, 4.5, 0.40, 4.0, 10),  # caps 50%, 4 years
    ],
)
def test_nmd_caps(
    category: str, share: float, maturity: float, core: float, core_maturity: float, core_bucket: int
) -> None:
    flows = flows_of(
        side="liability", repricing_type="nmd", drawn_amount=1000.0, nmd_category=category,
        nmd_core_share=share, nmd_core_maturity=maturity,
    )  # fmt: skip
    non_core = flows[flows["kind"] == "nmd_non_core"].iloc[0]
    assert (non_core["time"], non_core["bucket"]) == (0.0, 1)
    assert non_core["amount"] == pytest.approx(-1000 * (1 - core), rel=REL)
    core_flow = flows[flows["kind"] == "nmd_core"].iloc[0]
    assert (core_flow["time"], core_flow["bucket"]) == (core_maturity, core_bucket)
    assert core_flow["amount"] == pytest.approx(-1000 * core, rel=REL)


def test_positions_without_repricing_are_left_out() -> None:
    equity = position(position_id="equity", side="equity", repricing_type="none", currency="XXX")
    assert set(flows_of(position(), equity)["position_id"]) == {"p"}
    assert set(run(position(), equity).cash_flows["currency"]) == {"EUR"}


def test_flows_are_netted_per_currency_and_bucket() -> None:
    rows = [
        position(position_id="a", drawn_amount=100.0, residual_maturity=4.5),  # bucket 11
        position(position_id="b", side="liability", drawn_amount=30.0, residual_maturity=5.0),  # bucket 11
        position(position_id="c", currency="USD", drawn_amount=10.0, residual_maturity=5.0),
    ]
    slotted = run(*rows, fx_to_reporting={"USD": 1.1}).cash_flows
    principal = slotted[slotted["kind"] == "principal"].set_index(["currency", "bucket"])["amount"]
    assert principal[("EUR", 11)] == pytest.approx(100.0 - 30.0, rel=REL)  # netted within the bucket
    assert principal[("USD", 11)] == pytest.approx(10.0, rel=REL)
    buckets = run(*rows, fx_to_reporting={"USD": 1.1}).buckets
    eur = buckets[
        (buckets["currency"] == "EUR") & (buckets["scenario"] == "parallel_up") & (buckets["bucket"] == 11)
    ]
    assert eur["cash_flow"].iloc[0] == pytest.approx(70.0, rel=REL)
    assert eur["delta_eve"].iloc[0] == pytest.approx(
        70 * (math.exp(-0.02 * 4.5) - math.exp(-0.04 * 4.5)), rel=REL
    )


# -- EVE across currencies, aggregation, outlier test (methodology 13.7, C.44) --------------------------


def two_currency_book() -> Any:
    rows = [
        position(position_id="eur_asset"),  # the 13.9 bond: loses in parallel up
        position(
            position_id="usd_deposit",
            side="liability",
            currency="USD",
            drawn_amount=200.0,
            residual_maturity=3.0,
        ),
    ]
    curve = {"EUR": FLAT_2, "USD": [0.04] * 19}
    return run(*rows, curve=curve, tier1=50.0, fx_to_reporting={"USD": 0.9})


def test_two_currencies_basel_and_eu_aggregation() -> None:
    result = two_currency_book()
    # USD liability of 200 at t = 3: bucket 9 (2Y, 3Y], mid-point 2.5; USD parallel 200 bp.
    usd = {
        "parallel_up": -200 * math.exp(-0.04 * 2.5) + 200 * math.exp(-0.06 * 2.5),  # EVE gain (< 0)
        "parallel_down": -200 * math.exp(-0.04 * 2.5) + 200 * math.exp(-0.02 * 2.5),  # loss
    }
    eur = {s: 100 * math.exp(-0.09) - 100 * math.exp(-(0.02 + WORKED[s]) * 4.5) for s in usd}
    for scenario in usd:
        assert delta_eve(result, "USD")[scenario] == pytest.approx(usd[scenario], rel=REL)
    by = result.eve_by_scenario.set_index("scenario")
    # C.44 Basel: losses only after fx; EU: gains at 50%.
    up_basel = max(0, eur["parallel_up"]) + max(0, 0.9 * usd["parallel_up"])
    up_eu = eur["parallel_up"] + 0.5 * 0.9 * usd["parallel_up"]
    down_basel = max(0, eur["parallel_down"]) + max(0, 0.9 * usd["parallel_down"])
    down_eu = 0.5 * eur["parallel_down"] + 0.9 * usd["parallel_down"]
    assert by.loc["parallel_up", "delta_eve_basel"] == pytest.approx(up_basel, rel=REL)
    assert by.loc["parallel_up", "delta_eve_eu_sot"] == pytest.approx(up_eu, rel=REL)
    assert by.loc["parallel_down", "delta_eve_basel"] == pytest.approx(down_basel, rel=REL)
    assert by.loc["parallel_down", "delta_eve_eu_sot"] == pytest.approx(down_eu, rel=REL)
    # 7.866 (EUR up) vs 0.9 x 200 (e^-0.05 - e^-0.1) = 0.9 x 19.3464 = 17.41 (USD down): parallel down is worst.
    basel = result.eve_outlier["basel"]
    assert basel.worst_scenario == "parallel_down"
    assert basel.measure == pytest.approx(max(by["delta_eve_basel"]), rel=REL)
    assert basel.measure == pytest.approx(down_basel, rel=REL)
    assert basel.outlier == (down_basel > 0.15 * 50.0)  # 17.41 > 7.5: outlier
    assert basel.outlier
    eu = result.eve_outlier["eu_sot"]
    assert eu.measure == pytest.approx(max(by["delta_eve_eu_sot"].max(), 0.0), rel=REL)
    line = result.eve[(result.eve["currency"] == "USD") & (result.eve["scenario"] == "parallel_down")].iloc[0]
    assert line["delta_eve_reporting"] == pytest.approx(0.9 * usd["parallel_down"], rel=REL)


def test_outlier_boundary_equality_is_not_an_outlier() -> None:
    measure = 100 * math.exp(-0.09) - 100 * math.exp(-0.04 * 4.5)  # parallel up of 13.9
    at = run(position(), tier1=measure / 0.15).eve_risk_measure
    assert at.ratio == pytest.approx(0.15, rel=REL) and not at.outlier  # C.44: equality is not an outlier
    above = run(position(), tier1=measure / 0.15 / (1 + 1e-6)).eve_risk_measure
    assert above.outlier


def test_eu_aggregation_as_the_headline() -> None:
    result = run(position(), eve_aggregation="eu_sot")
    assert result.eve_risk_measure.aggregation == "eu_sot"
    assert result.eve_risk_measure.measure == pytest.approx(PRINTED["parallel_up"], abs=5e-7)


# -- ΔNII (methodology 13.8, C.44) -------------------------------------------------------------------------


def nii_book(currency: str = "EUR") -> list[dict[str, Any]]:
    return [
        position(position_id=f"{currency}_floater", currency=currency, repricing_type="floating", drawn_amount=1000.0,
                 residual_maturity=2.0, interest_rate=0.03, payment_frequency=4, next_reset=0.25),
        position(position_id=f"{currency}_term", currency=currency, side="liability", drawn_amount=500.0,
                 residual_maturity=0.5, original_maturity=1.0, interest_rate=0.01),
        position(position_id=f"{currency}_nmd", currency=currency, side="liability", repricing_type="nmd",
                 drawn_amount=200.0, nmd_category="wholesale", nmd_core_share=0.5, nmd_core_maturity=0.5),
        position(position_id=f"{currency}_long", currency=currency, drawn_amount=300.0, residual_maturity=4.0,
                 interest_rate=0.05),  # reprices after the horizon: no event
    ]  # fmt: skip


def test_nii_parallel_shocks_by_hand() -> None:
    result = run(*nii_book())
    nii = result.nii.set_index("scenario")["delta_nii"]
    # C.44: floater 1000 x Δ x (1 - 0.25); term deposit -500 x Δ x (1 - 0.5); NMD non-core -100 x Δ x 1,
    # core -100 x Δ x (1 - 0.5). Δ = +2% (parallel up); down: 2% - 2% = 0% is above LB: Δ = -2%.
    weight = 1000 * 0.75 - 500 * 0.5 - 100 * 1.0 - 100 * 0.5
    assert nii["parallel_up"] == pytest.approx(0.02 * weight, rel=REL)  # = 7
    assert nii["parallel_down"] == pytest.approx(-0.02 * weight, rel=REL)
    assert set(result.nii_events["position_id"]) == {"EUR_floater", "EUR_term", "EUR_nmd"}


def test_nii_uses_the_shock_at_the_bucket_of_the_tenor() -> None:
    result = run(nii_book()[0])
    # Floater tenor 1/f = 0.25: bucket 3, mid-point 0.1667; short up 250 bp x exp(-0.1667/4).
    expected = 1000 * 0.025 * math.exp(-0.1667 / 4) * 0.75
    assert result.nii.set_index("scenario").loc["short_up", "delta_nii"] == pytest.approx(expected, rel=REL)


def test_nii_rollover_tenor_and_floor() -> None:
    curve = {"EUR": [0.005] * 19}
    result = run(nii_book()[1], curve=curve)
    # Term deposit rolled at 0.5 for its original maturity 1.0: bucket 6 (9M, 1Y], mid-point 0.875.
    # Parallel down: 0.5% - 2% = -1.5% < LB(0.875) = -1.5% + 0.03% x 0.875: floored, Δ_eff = LB - 0.5%.
    delta = (-0.015 + 0.0003 * 0.875) - 0.005
    down = result.nii.set_index("scenario").loc["parallel_down", "delta_nii"]
    assert down == pytest.approx(-500 * delta * 0.5, rel=REL)


def test_nii_eu_test_two_currencies() -> None:
    eur = nii_book("EUR")[:1]  # floater asset: gains when rates rise
    usd = [nii_book("USD")[1]]  # term deposit: loses when rates rise
    result = run(*eur, *usd, tier1=1.0, fx_to_reporting={"USD": 0.9})
    # Parallel up: EUR +1000 x 0.02 x 0.75 = 15; USD -500 x 0.02 x 0.5 = -5 -> x 0.9 = -4.5.
    by = result.nii_by_scenario.set_index("scenario")
    assert by.loc["parallel_up", "delta_nii_total"] == pytest.approx(15 - 4.5, rel=REL)
    assert by.loc["parallel_up", "delta_nii_eu_sot"] == pytest.approx(0.5 * 15 - 4.5, rel=REL)
    assert by.loc["parallel_down", "delta_nii_eu_sot"] == pytest.approx(-15 + 0.5 * 4.5, rel=REL)
    test = result.nii_test
    assert test.decline == pytest.approx(15 - 2.25, rel=REL)  # max(0, -min(3, -12.75))
    assert test.flagged == (12.75 > 0.05 * 1.0) and test.flagged
    assert not run(*eur, *usd, tier1=12.75 / 0.05, fx_to_reporting={"USD": 0.9}).nii_test.flagged  # equality


# -- bad inputs (methodology C.42-C.44) ------------------------------------------------------------------

BAD = [
    ({"side": "equity"}, "side"),
    ({"repricing_type": "variable"}, "repricing_type"),
    ({"amortisation_type": "balloon"}, "amortisation_type"),
    ({"payment_frequency": 0}, "payment_frequency"),
    ({"payment_frequency": 2.5}, "payment_frequency"),
    ({"residual_maturity": 0.0}, "residual_maturity"),
    ({"interest_rate": None}, "interest_rate"),
    ({"amortisation_type": "annuity", "residual_maturity": 2.3}, "residual_maturity"),
    ({"repricing_type": "floating", "next_reset": 0.3, "payment_frequency": 4}, "next_reset"),
    ({"repricing_type": "floating", "next_reset": 6.0}, "next_reset"),
    ({"repricing_type": "floating"}, "next_reset"),
    (
        {"repricing_type": "nmd", "nmd_category": "retail", "nmd_core_share": 0.5, "nmd_core_maturity": 1.0},
        "nmd_category",
    ),
    ({"repricing_type": "nmd", "nmd_category": "wholesale", "nmd_core_maturity": 1.0}, "nmd_core_share"),
    ({"residual_maturity": 0.5}, "original_maturity"),
]


@pytest.mark.parametrize(("overrides", "column"), BAD)
def test_bad_positions_are_rejected(overrides: dict[str, Any], column: str) -> None:
    with pytest.raises(InputError) as error:
        run(position(**overrides))
    assert error.value.argument == f"positions[{column!r}]"


def test_bad_curves_currencies_tier1_and_parameters_are_rejected() -> None:
    table = pd.DataFrame(
        {"currency": "EUR", "bucket": range(1, 20), "rate": 0.02, "midpoint": BUCKET_MIDPOINTS}
    )
    assert run(position(), curve=table).eve_risk_measure.measure == pytest.approx(
        PRINTED["parallel_up"], abs=5e-7
    )
    renamed = table.rename(columns={"rate": "zero_rate", "midpoint": "tenor"})
    assert run(position(), curve=renamed).eve_risk_measure.measure == pytest.approx(
        PRINTED["parallel_up"], abs=5e-7
    )
    with pytest.raises(InputError, match="midpoint"):
        run(position(), curve=table.assign(midpoint=[5.0] * 19))
    with pytest.raises(InputError, match="all 19"):
        run(position(), curve=table.iloc[:18])
    with pytest.raises(InputError, match="shock sizes"):
        run(position(currency="NOK"))
    with pytest.raises(InputError, match="fx_to_reporting"):
        run(position(currency="USD"))
    with pytest.raises(InputError, match="tier1"):
        run(position(), tier1=0.0)
    with pytest.raises(InputError, match="post_shock_floor"):
        run(position(), post_shock_floor="eba2018")
    with pytest.raises(InputError, match="unknown"):
        run(position(), shock_scale=2.0)


def test_slotted_totals_equal_the_flows_one_by_one() -> None:
    # The closed-form count per bucket (methodology C.42) slots exactly the flows that C.43 lists.
    rows = [
        position(position_id="bullet", drawn_amount=1000.0, residual_maturity=20.25, interest_rate=0.05, payment_frequency=12),
        position(position_id="annuity", drawn_amount=800.0, residual_maturity=7.5, interest_rate=0.04, payment_frequency=4,
                 amortisation_type="annuity", original_maturity=10.0),
        position(position_id="floater", side="liability", repricing_type="floating", drawn_amount=500.0, residual_maturity=10.0,
                 interest_rate=0.03, payment_frequency=2, next_reset=0.5, spread=0.004),
        position(position_id="short", drawn_amount=50.0, residual_maturity=0.25, interest_rate=0.02, payment_frequency=4,
                 original_maturity=1.0),
        position(position_id="nmd", side="liability", repricing_type="nmd", drawn_amount=300.0, nmd_category="wholesale",
                 nmd_core_share=0.5, nmd_core_maturity=2.0),
    ]  # fmt: skip
    one_by_one = (
        flows_of(*rows).groupby(["currency", "bucket", "kind"], observed=True)["amount"].agg(["sum", "size"])
    )
    slotted = run(*rows).cash_flows.set_index(["currency", "bucket", "kind"]).sort_index()
    assert len(one_by_one) == len(slotted)
    np.testing.assert_allclose(slotted["amount"], one_by_one["sum"].sort_index(), rtol=1e-12)
    assert (slotted["flows"].to_numpy() == one_by_one["size"].sort_index().to_numpy()).all()


def test_annuity_payment_of_a_three_year_million_at_five_percent() -> None:
    # C.43: A = 1,000,000 x 0.05 / (1 - 1.05^-3) = 367,208.56.
    flows = flows_of(
        drawn_amount=1_000_000.0, residual_maturity=3.0, interest_rate=0.05, amortisation_type="annuity"
    )
    np.testing.assert_allclose(flows["amount"], 1_000_000 * 0.05 / (1 - 1.05**-3), rtol=REL)
    assert flows["amount"].iloc[0] == pytest.approx(367_208.56, abs=5e-3)


# -- interest-rate swaps of a positions table: two legs each (SRP31.98-31.103; methodology 13.5, 13.10) --


def swap(**overrides: Any) -> dict[str, Any]:
    """A EUR swap receiving 3% fixed annually on 100 for 2 years, started (S = 0), no spread."""
    base: dict[str, Any] = {
        "position_id": "S", "side": "derivative", "product": "derivative", "saccr_asset_class": "interest_rate",
        "hedging_set": "EUR", "currency": "EUR", "notional": 100.0, "trade_direction": "short",
        "start_years": 0.0, "end_years": 2.0, "residual_maturity": 2.0, "interest_rate": 0.03,
        "payment_frequency": 1.0,
    }  # fmt: skip
    return {**base, **overrides}


def swap_run(*lines: dict[str, Any]) -> Any:
    """compute_irrbb of the positions' repricing table (as bs.compute_irrbb) on flat 2% base curves."""
    from builders import positions

    from banksim.regulation.irrbb_inputs import base_curves, repricing_positions
    from banksim.regulation.parameters import regulatory_parameters

    flat = {c: (0.02, 0.02) for c in ("EUR", "USD")}
    params = dict(regulatory_parameters({"irrbb": {"base_curve": flat}})["irrbb"])
    table = repricing_positions(positions(*lines), params)
    currencies = sorted(map(str, table["currency"].cat.categories))
    params["fx_to_reporting"] = dict.fromkeys(currencies, 1.0)
    return table, compute_irrbb(table, base_curves(currencies, params), 1000.0, params)


def bucket_flows(result: Any, currency: str = "EUR") -> dict[int, float]:
    flows = result.cash_flows[result.cash_flows["currency"] == currency]
    totals = flows.groupby("bucket", observed=True)["amount"].sum()
    return {int(k): float(v) for k, v in totals.items() if v != 0}


def test_a_receive_fixed_swap_is_a_fixed_asset_and_a_floating_liability() -> None:
    """Fixed leg (asset, SRP31.103(1)): 3 at t = 1, 3 + 100 at t = 2. Floating leg (liability,
    SRP31.103(2)): next reset on the annual grid ending at 2, t_r = 1, current coupon = the base rate at
    1/f = 2%: -(2 + 100) at t = 1. Buckets (C.42): t = 1 -> 6 (mid 0.875), t = 2 -> 8 (mid 1.75):
    CF(6) = 3 - 102 = -99, CF(8) = 103. Parallel up +200 bp: ΔEVE = EVE(2%) - EVE(4%)."""
    table, result = swap_run(swap())
    assert sorted(table["position_id"]) == ["S:fixed_leg", "S:floating_leg"]
    assert bucket_flows(result) == pytest.approx({6: -99.0, 8: 103.0}, rel=REL)

    def eve(rate: float) -> float:
        return -99 * math.exp(-rate * 0.875) + 103 * math.exp(-rate * 1.75)

    assert delta_eve(result)["parallel_up"] == pytest.approx(eve(0.02) - eve(0.04), rel=REL)


def test_a_pay_fixed_swap_has_the_opposite_flows() -> None:
    """trade_direction long pays fixed (delta +1 in SA-CCR, methodology 4.4): every flow changes sign;
    the floor binds nowhere at 2% (parallel down to 0%, LB(t) < 0), so every ΔEVE changes sign."""
    _, short = swap_run(swap())
    _, long = swap_run(swap(trade_direction="long"))
    assert bucket_flows(long) == pytest.approx({6: 99.0, 8: -103.0}, rel=REL)
    for scenario, value in delta_eve(short).items():
        assert delta_eve(long)[scenario] == pytest.approx(-value, rel=REL, abs=1e-12)


@pytest.mark.parametrize("start", [1.0, 0.6])
def test_a_forward_starting_swap_exchanges_the_notional_at_its_start(start: float) -> None:
    """S = 1, T = 3, receive 3%: coupons in (1, 3] and 100 at 3 (fixed leg), -100 at 1 (the floating
    leg's first reset, no coupon fixed yet). Fixed leg: 3 at 1, 2 and 103 at 3; its other leg a fixed
    bullet to S* = 1 on the liability side: -3 - 100 at 1. Net: t = 1 -> bucket 6: -100; t = 2 ->
    bucket 8: 3; t = 3 -> bucket 9: 103. S = 0.6 is off the annual grid ending at 3: S* = 3 - ⌊2.4⌋ = 1,
    the first grid date not before S (methodology 13.10), so the same flows."""
    table, result = swap_run(swap(start_years=start, end_years=3.0, residual_maturity=3.0 - start))
    assert sorted(table["position_id"]) == ["S:fixed_leg", "S:forward_start"]
    assert bucket_flows(result) == pytest.approx({6: -100.0, 8: 3.0, 9: 103.0}, rel=REL)


def test_a_swaps_floating_leg_reprices_within_the_year() -> None:
    """Semi-annual (f = 2) receive-fixed swap, T = 2: floating leg resets at 2 - ⌊4 - 1e-9⌋ / 2 = 0.5 for
    the tenor 1/f = 0.5 (bucket 4). ΔNII (C.44) = -100 x Δ x (1 - 0.5): parallel up -1.0, down +1.0
    (2% - 2% = 0% is above the floor); the fixed leg reprices after the horizon."""
    _, result = swap_run(swap(payment_frequency=2.0))
    nii = result.nii.set_index("scenario")["delta_nii"]
    assert nii["parallel_up"] == pytest.approx(-1.0, rel=REL)
    assert nii["parallel_down"] == pytest.approx(1.0, rel=REL)
    assert set(result.nii_events["position_id"]) == {"S:floating_leg"}


def test_a_swap_is_slotted_in_the_currency_of_its_hedging_set() -> None:
    """CRE52.45: an interest-rate trade's hedging set is its currency; here USD, whatever ``currency`` says."""
    _, result = swap_run(swap(hedging_set="USD"))
    assert bucket_flows(result, "USD") == pytest.approx({6: -99.0, 8: 103.0}, rel=REL)
    assert bucket_flows(result, "EUR") == {}


def test_options_other_derivatives_and_swaps_set_to_none_are_left_out() -> None:
    loan = {"position_id": "L", "side": "asset", "product": "corporate_loan", "exposure_class": "corporate",
            "drawn_amount": 100.0, "residual_maturity": 1.0, "interest_rate": 0.02}  # fmt: skip
    left_out = (
        swap(position_id="O", option_type="call", option_position="bought", trade_direction="none"),
        swap(position_id="F", saccr_asset_class="fx", hedging_set="EUR/USD"),
        swap(position_id="N", repricing_type="none"),
    )
    table, _ = swap_run(loan, *left_out)
    assert list(table["position_id"]) == ["L"]


def test_a_swap_without_a_direction_is_an_error() -> None:
    with pytest.raises(InputError) as error:
        swap_run(swap(trade_direction="none"))
    assert error.value.argument == "positions['trade_direction']"

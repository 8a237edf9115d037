"""RWA assembly: the output floor (RBC20.13, RBC90.1-90.2), summaries, the cached service and the generated bank."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from builders import positions

import banksim as bs
from banksim.regulation import floor_rate, output_floor, risk_weighted_assets, rwa_summary


def frame(pre_floor: float, standardised: float) -> pd.DataFrame:
    return pd.DataFrame({"rwa": [pre_floor], "rwa_standardised": [standardised]})


def test_rbc20_13_example_floor_binds() -> None:
    """RBC20.13: pre-floor RWA 76, standardised 140: 72.5% x 140 = 101.5."""
    floor = output_floor(frame(76.0, 140.0))
    assert floor["floored_rwa"] == pytest.approx(101.5)
    assert floor["floor_binding"] is True
    assert floor["floor_add_on"] == pytest.approx(25.5)


def test_floor_not_binding() -> None:
    floor = output_floor(frame(120.0, 140.0))
    assert (floor["floored_rwa"], floor["floor_binding"]) == (120.0, False)


@pytest.mark.parametrize(
    ("as_of", "rate"),
    [(dt.date(2022, 12, 31), 0.0), (dt.date(2023, 1, 1), 0.50), (dt.date(2026, 6, 30), 0.65),
     (dt.date(2027, 1, 1), 0.70), (dt.date(2031, 1, 1), 0.725)],
)  # fmt: skip
def test_phase_in_by_date(as_of: dt.date, rate: float) -> None:
    """RBC90.1: 50% in 2023 rising to 72.5% from 2028."""
    assert floor_rate(as_of) == rate
    assert output_floor(frame(76.0, 140.0), as_of=as_of)["floored_rwa"] == pytest.approx(
        max(76.0, rate * 140.0)
    )


CAP = {"output_floor": {"transitional_cap": 0.25}}


@pytest.mark.parametrize(
    ("as_of", "floored", "cap_binding"),
    [
        (dt.date(2027, 6, 30), 95.0, True),  # 70% x 140 = 98 > 76 x 1.25 = 95: capped at 95
        (dt.date(2025, 6, 30), 84.0, False),  # 60% x 140 = 84 < 95: the cap does not bind
        (dt.date(2028, 1, 1), 101.5, False),  # phase-in over: 72.5% x 140 = 101.5, no cap
        (None, 101.5, False),  # fully phased in
    ],
)
def test_rbc90_2_transitional_cap(as_of: dt.date | None, floored: float, cap_binding: bool) -> None:
    """RBC90.2 on the RBC20.13 bank (methodology 1.2): the floor may raise RWA by at most 25% of
    pre-floor RWA (76 x 1.25 = 95) during the phase-in, where a supervisor applies the cap."""
    floor = output_floor(frame(76.0, 140.0), as_of=as_of, parameters=CAP)
    assert floor["floored_rwa"] == pytest.approx(floored)
    assert floor["transitional_cap_binding"] is cap_binding
    assert floor["floor_add_on"] == pytest.approx(floored - 76.0)
    uncapped = output_floor(frame(76.0, 140.0), as_of=as_of)  # Basel default: no cap
    assert uncapped["transitional_cap_binding"] is False
    assert uncapped["floored_rwa"] == pytest.approx(max(76.0, floor_rate(as_of) * 140.0))


def test_floor_rate_is_validated() -> None:
    with pytest.raises(bs.InputError, match="floor"):
        output_floor(frame(1.0, 1.0), floor=1.5)


@pytest.fixture(scope="module")
def bank() -> pd.DataFrame:
    return bs.generate_positions(20_000, seed=7, config={"irb_share": 0.4}, include_derivatives=True)


@pytest.fixture(scope="module")
def bank_rwa(bank: pd.DataFrame) -> pd.DataFrame:
    return risk_weighted_assets(bank)


def test_every_line_has_a_rule_and_summary_adds_up(bank: pd.DataFrame, bank_rwa: pd.DataFrame) -> None:
    credit_lines = bank["side"].isin(["asset", "off_balance"]).sum()
    assert (bank_rwa["risk_type"] == "credit").sum() == credit_lines
    assert (bank_rwa["risk_type"] == "operational").sum() == 1
    assert (bank_rwa["rule"].astype(str) != "").all()
    assert (bank_rwa["rwa"] >= 0).all() and np.isfinite(bank_rwa["rwa"]).all()
    summary = rwa_summary(bank_rwa)
    assert summary["rwa"].sum() == pytest.approx(bank_rwa["rwa"].sum(), rel=1e-12)
    assert summary["lines"].sum() == len(bank_rwa)


def test_generated_bank_rwa_by_class_is_plausible(bank_rwa: pd.DataFrame) -> None:
    """Average SA risk weights by class sit where the CRE20 tables put them for this portfolio."""
    sa = (
        bank_rwa[bank_rwa["risk_type"] == "credit"]
        .groupby("exposure_class", observed=True)[["sa_exposure", "rwa_standardised"]]
        .sum()
    )
    density = sa["rwa_standardised"] / sa["sa_exposure"]
    assert density["sovereign"] < 0.15
    assert 0.2 < density["residential_real_estate"] < 0.5
    assert 0.6 < density["corporate"] < 1.1
    assert 0.6 < density["retail"] < 0.8
    assert 2.5 <= density["equity"] <= 4.0
    assert 1.0 <= density["defaulted"] <= 1.5


def test_generated_bank_cet1_ratio_is_plausible() -> None:
    """Issue 3: the baseline bank's CET1 ratio on floored RWA is within 10-18% for several seeds."""
    for seed in (1, 2, 3):
        bank = bs.generate_positions(20_000, seed=seed, include_derivatives=True)
        floor = output_floor(risk_weighted_assets(bank))
        assert 0.10 <= bs.own_funds(bank)["cet1"] / floor["floored_rwa"] <= 0.18


def test_compute_rwa_is_cached_and_keyed_by_parameters(sqlite_store: bs.Store) -> None:
    lines = positions(
        {"exposure_class": "corporate", "sub_class": "general", "side": "off_balance",
         "off_balance_amount": 1_000_000.0, "off_balance_type": "commitment"}
    )  # fmt: skip
    first, hit1 = bs.compute_rwa(lines)
    again, hit2 = bs.compute_rwa(lines)
    assert (hit1, hit2) == (False, True)
    pd.testing.assert_frame_equal(first, again)
    variant, hit3 = bs.compute_rwa(lines, parameters={"sa": {"ccf": {"commitment": 0.5}}})
    assert hit3 is False
    credit = variant["risk_type"] == "credit"
    assert variant.loc[credit, "rwa"].sum() == pytest.approx(500_000.0)


def test_bad_input_writes_nothing(sqlite_store: bs.Store) -> None:
    bad = pd.DataFrame([{"position_id": "X", "side": "asset", "drawn_amount": 1.0, "exposure_class": "none"}])
    with pytest.raises(bs.InputError):
        bs.compute_rwa(bad)
    assert sqlite_store.list_entries().empty


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("num_positions", [1, 50, 3_000])
def test_any_generated_bank_goes_through_the_pipeline(seed: int, num_positions: int) -> None:
    """Small and odd banks (one position, few netting sets) still give finite, non-negative results."""
    bank = bs.generate_positions(num_positions, seed, config={"irb_share": 0.3}, include_derivatives=True)
    rwa = risk_weighted_assets(bank)
    assert np.isfinite(rwa["rwa"]).all() and (rwa["rwa"] >= 0).all()
    *_, summary = bs.liquidity(bank)
    assert summary["hqla"] >= 0 and summary["rsf"] >= 0
    capital = bs.capital_adequacy(rwa, bs.own_funds(bank))
    assert capital["ratios"]["cet1_ratio"] > 0

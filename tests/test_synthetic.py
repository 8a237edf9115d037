"""The synthetic bank: balance-sheet identity, determinism, composition, profiles."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import banksim as bs
from banksim.hashing import frame_fingerprint
from banksim.positions.columns import POSITIONS_SCHEMA
from banksim.synthetic import DEFAULT_CONFIG, PROFILES, generate_positions


def cents(frame: pd.DataFrame, side: str) -> int:
    amounts = frame.loc[frame["side"] == side, "drawn_amount"]
    return int((amounts * 100).round().astype("int64").sum())


@pytest.mark.parametrize("num_positions", [1, 2, 7, 100, 10_000, 200_000])
@pytest.mark.parametrize("seed", [0, 42])
def test_the_balance_sheet_balances_to_the_cent(num_positions: int, seed: int) -> None:
    frame = generate_positions(num_positions, seed, include_derivatives=True)
    assert len(frame) == num_positions + 3
    assert cents(frame, "asset") == round(DEFAULT_CONFIG["total_assets"] * 100)
    assert cents(frame, "asset") == cents(frame, "liability") + cents(frame, "equity")
    assert frame["position_id"].is_unique


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_asset_and_liability_mix_follow_the_profile(profile: str) -> None:
    frame = generate_positions(100_000, 3, {"profile": profile})
    assets = frame[frame["side"] == "asset"].groupby("product", observed=True)["drawn_amount"].sum()
    expected = pd.Series(PROFILES[profile]["asset"])
    shares = (assets / assets.sum()).reindex(expected.index)
    np.testing.assert_allclose(shares.to_numpy(), expected.to_numpy() / expected.sum(), rtol=1e-9)
    funding = frame[(frame["side"] == "liability") & (frame["product"] != "tier2_instrument")]
    by_product = funding.groupby("product", observed=True)["drawn_amount"].sum()
    expected_funding = pd.Series(PROFILES[profile]["liability"])
    np.testing.assert_allclose(
        (by_product / by_product.sum()).reindex(expected_funding.index).to_numpy(),
        expected_funding.to_numpy() / expected_funding.sum(),
        rtol=1e-9,
    )


def test_own_funds_follow_the_configured_amounts() -> None:
    frame = generate_positions(5_000, 1, {"own_funds": {"cet1": 3e9, "at1": 5e8, "tier2": 7.5e8}})
    assert bs.own_funds(frame) == {"cet1": 3e9, "at1": 5e8, "tier2": 7.5e8}
    assert cents(frame, "liability") == round((50e9 - 3e9 - 5e8) * 100)


def test_same_inputs_give_identical_frames_in_another_process() -> None:
    frame = generate_positions(20_000, 7, {"profile": "wholesale"}, include_derivatives=True)
    script = (
        "from banksim.synthetic import generate_positions; from banksim.hashing import frame_fingerprint;"
        "print(frame_fingerprint(generate_positions(20_000, 7, {'profile': 'wholesale'}, True)).hex())"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == frame_fingerprint(frame).hex()
    assert frame_fingerprint(generate_positions(20_000, 8)) != frame_fingerprint(
        generate_positions(20_000, 7)
    )


def test_ratings_and_derivative_fields_are_coherent() -> None:
    frame = generate_positions(50_000, 5, include_derivatives=True)
    defaulted = frame[frame["is_defaulted"]]
    assert len(defaulted) and (defaulted["rating"] == "D").all() and (defaulted["pd"] == 1.0).all()
    assert (defaulted["exposure_class"] == "defaulted").all()
    assert (frame.loc[frame["product"] == "residential_mortgage", "ltv"] > 0).all()
    derivatives = frame[frame["side"] == "derivative"]
    assert len(derivatives) and (derivatives["netting_set"] != "").all()
    assert (derivatives["notional"] > 0).all() and set(derivatives["saccr_asset_class"]) <= {
        "interest_rate",
        "fx",
        "credit",
        "equity",
        "commodity",
    }
    ir = derivatives[derivatives["saccr_asset_class"] == "interest_rate"]
    assert (ir["end_years"] > ir["start_years"]).all()


@pytest.mark.parametrize(
    ("config", "argument"),
    [
        ({"colour": "blue"}, "config"),
        ({"profile": "casino"}, "config['profile']"),
        ({"total_assets": -1.0}, "config['total_assets']"),
        ({"irb_share": 1.5}, "config['irb_share']"),
        ({"rating_distribution": {"AAA": 1, "ZZZ": 1}}, "config['rating_distribution']"),
        ({"mix": {"lottery_tickets": 0.1}}, "config['mix']"),
        ({"own_funds": {"cet1": -5}}, "config['own_funds']['cet1']"),
        ({"own_funds": {"cet1": 1e12}}, "config['own_funds']"),
    ],
)
def test_bad_config_is_named(config: dict, argument: str) -> None:
    with pytest.raises(bs.InputError) as info:
        generate_positions(100, 1, config)
    assert info.value.argument == argument


@pytest.mark.parametrize(("n", "seed"), [(0, 1), (-5, 1), (1.5, 1), (True, 1), (10, -1), (10, "x")])
def test_bad_size_or_seed_is_named(n: object, seed: object) -> None:
    with pytest.raises(bs.InputError, match=r"num_positions|seed"):
        generate_positions(n, seed)  # type: ignore[arg-type]


def test_run_simulation_is_cached(sqlite_store: bs.Store) -> None:
    first, hit1 = bs.run_simulation(2_000, 9)
    second, hit2 = bs.run_simulation(num_positions=2_000, seed=9, config=None)
    assert (hit1, hit2) == (False, True)
    pd.testing.assert_frame_equal(first, second)
    _, hit3 = bs.run_simulation(2_000, 9, {"profile": "retail"})
    assert not hit3


def test_every_allowed_value_of_every_categorical_column_is_reachable() -> None:
    """One large universal bank with IRB lines and derivatives uses every value the schema allows."""
    bank = generate_positions(200_000, 1, config={"irb_share": 0.3}, include_derivatives=True)
    missing = {
        spec.name: sorted(set(spec.allowed) - set(bank[spec.name].astype(str).unique()))
        for spec in POSITIONS_SCHEMA
        if spec.dtype == "category"
    }
    assert {name: values for name, values in missing.items() if values} == {}


def test_generated_bank_composition_is_coherent() -> None:
    """Classes and attributes agree: sub-classes belong to their class, real estate has an LTV,
    unrated banks have an SCRA grade, retail deposits say how stable they are."""
    from banksim.regulation.standardised import SUB_CLASSES_BY_EXPOSURE_CLASS

    bank = generate_positions(50_000, 4, config={"irb_share": 0.2}, include_derivatives=True)
    credit = bank[bank["side"].isin(["asset", "off_balance"])]
    for klass, allowed in SUB_CLASSES_BY_EXPOSURE_CLASS.items():
        subs = set(credit.loc[credit["exposure_class"] == klass, "sub_class"].astype(str))
        assert subs <= set(allowed), klass
    real_estate = credit["exposure_class"].isin(["residential_real_estate", "commercial_real_estate"])
    assert (
        credit.loc[real_estate & credit["sub_class"].isin(["general", "income_producing"]), "ltv"]
        .notna()
        .all()
    )
    banks = credit[(credit["exposure_class"] == "bank") & (credit["rating"] == "unrated")]
    assert (banks["scra_grade"] != "none").all()
    retail = bank[(bank["side"] == "liability") & bank["lcr_counterparty"].isin(["retail", "small_business"])]
    assert retail["deposit_class"].isin(["stable_enhanced", "stable", "less_stable"]).all()


@pytest.mark.parametrize("include_derivatives", [False, True])
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_profile_yields_plausible_metrics(
    sqlite_store: bs.Store, profile: str, include_derivatives: bool
) -> None:
    """The ranges the synthetic bank promises (CET1 10-18%, LCR 110-250%, NSFR 100-140%) hold
    for every profile, with and without a derivatives book, and every minimum is met."""
    result = bs.run_pipeline(30_000, 11, config={"profile": profile}, include_derivatives=include_derivatives)
    cet1 = result.capital["ratios"]["cet1_ratio"]
    assert 0.10 <= cet1 <= 0.18, cet1
    assert 1.10 <= result.liquidity["lcr"] <= 2.50, result.liquidity["lcr"]
    assert 1.00 <= result.liquidity["nsfr"] <= 1.40, result.liquidity["nsfr"]
    assert result.liquidity["lcr_met"] and result.liquidity["nsfr_met"]

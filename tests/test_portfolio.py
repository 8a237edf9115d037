"""The synthetic bank: balance-sheet identity, determinism, composition, validation, readers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import banksim as bs
from banksim.hashing import frame_fingerprint
from banksim.portfolio import DEFAULT_CONFIG, POSITIONS_SCHEMA, PROFILES, generate_positions, schema_markdown


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
        "from banksim.portfolio import generate_positions; from banksim.hashing import frame_fingerprint;"
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


# -- validation -----------------------------------------------------------------------------------


def test_generated_frames_validate_unchanged() -> None:
    frame = generate_positions(10_000, 2, include_derivatives=True)
    pd.testing.assert_frame_equal(bs.validate_positions(frame), frame)


def test_a_table_with_only_the_required_columns_gets_the_defaults() -> None:
    frame = pd.DataFrame(
        {"position_id": ["a", "b"], "side": ["asset", "liability"], "drawn_amount": [10, 10]}
    )
    valid = bs.validate_positions(frame)
    assert list(valid.columns) == [spec.name for spec in POSITIONS_SCHEMA]
    assert list(valid["rating"]) == ["unrated", "unrated"] and list(valid["approach"]) == ["sa", "sa"]
    assert valid["ltv"].isna().all() and (valid["off_balance_amount"] == 0).all()
    assert valid["drawn_amount"].dtype == "float64"


def base_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "position_id": ["p1", "p2", "p3"],
            "side": ["asset"] * 3,
            "drawn_amount": [1.0, 2.0, 3.0],
            "rating": ["AA", "BBB", "A+"],
            "pd": [0.01, 0.02, 0.03],
            "note": ["kept", "as", "is"],
        }
    )


@pytest.mark.parametrize(
    ("change", "column", "offender"),
    [
        ({"rating": ["AA", "Baa1", "A+"]}, "rating", "p2: 'Baa1'"),
        ({"side": ["asset", "asset", "sideways"]}, "side", "p3: 'sideways'"),
        ({"drawn_amount": [1.0, -2.0, 3.0]}, "drawn_amount", "p2: -2.0"),
        ({"pd": [0.01, 1.2, 0.03]}, "pd", "p2: 1.2"),
        ({"drawn_amount": [1.0, "lots", 3.0]}, "drawn_amount", "p2: 'lots'"),
        ({"is_defaulted": ["yes", "maybe", "no"]}, "is_defaulted", "p2: 'maybe'"),
    ],
)
def test_validation_errors_name_column_positions_and_allowed_values(
    change: dict, column: str, offender: str
) -> None:
    frame = base_frame().assign(**change)
    with pytest.raises(bs.InputError) as info:
        bs.validate_positions(frame)
    assert info.value.argument == f"positions[{column!r}]"
    assert offender in info.value.failure_cases


def test_validation_of_structure() -> None:
    with pytest.raises(bs.InputError, match="missing required columns"):
        bs.validate_positions(base_frame().drop(columns="side"))
    with pytest.raises(bs.InputError, match="unique"):
        bs.validate_positions(base_frame().assign(position_id=["p1", "p1", "p3"]))
    with pytest.raises(bs.InputError, match="DataFrame"):
        bs.validate_positions([1, 2])  # type: ignore[arg-type]
    assert list(bs.validate_positions(base_frame())["note"]) == ["kept", "as", "is"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_readers_validate_like_in_memory_frames(tmp_path: Path, suffix: str) -> None:
    frame = generate_positions(500, 4, include_derivatives=True)
    path = tmp_path / f"positions{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path)
    loaded = bs.read_positions(path)
    pd.testing.assert_frame_equal(loaded, frame, check_exact=False, rtol=1e-12)
    with pytest.raises(bs.InputError, match="unsupported"):
        bs.read_positions(tmp_path / "positions.txt")


def test_schema_table_documents_every_column() -> None:
    table = bs.schema_table()
    assert list(table["column"]) == [spec.name for spec in POSITIONS_SCHEMA]
    assert (table["description"].str.len() > 10).all()
    docs = (Path(__file__).resolve().parent.parent / "docs" / "positions_schema.md").read_text()
    for name in table["column"]:
        assert f"`{name}`" in docs, f"docs/positions_schema.md does not document {name}"
    # The table in the docs is the one the code describes (regenerate with schema_markdown()).
    assert schema_markdown() in docs


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

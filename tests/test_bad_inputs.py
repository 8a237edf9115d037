"""Bad numbers and bad arguments: a clear InputError naming the column or argument, nothing stored.

Each case here was accepted silently, or failed with a message about something else, before
issue 15: a NaN drawn amount read as 0, inf amounts, NaN/negative/text RWA giving a plausible
CET1 ratio, seeds and flags the store cannot keep, empty tables, exports that made folders first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import banksim as bs


@pytest.fixture(scope="module")
def bank() -> pd.DataFrame:
    return bs.generate_positions(300, 11)


def with_value(frame: pd.DataFrame, column: str, row: int, value: Any) -> pd.DataFrame:
    changed = frame.copy()
    if value is not None and not isinstance(value, float):
        changed[column] = changed[column].astype(object)
    changed.loc[row, column] = value
    return changed


def error_of(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(bs.InputError) as info:
        call(*args, **kwargs)
    return str(info.value)


# -- positions --------------------------------------------------------------------------------------


def test_a_nan_drawn_amount_is_an_error_not_zero(bank: pd.DataFrame) -> None:
    bad = with_value(bank, "drawn_amount", 7, np.nan)
    message = error_of(bs.validate_positions, bad)
    assert "positions['drawn_amount']" in message and "NaN" in message
    assert str(bank.loc[7, "position_id"]) in message and "allowed: finite numbers" in message
    none = with_value(bank, "drawn_amount", 7, None)  # a blank cell read from a file
    assert "positions['drawn_amount']" in error_of(bs.validate_positions, none)
    # Optional columns keep their documented meaning: NaN where it means "not applicable" (ltv)
    # stays NaN, a blank optional amount is the column's default, as a missing column would be.
    frame = with_value(with_value(bank, "ltv", 2, np.nan), "off_balance_amount", 2, np.nan)
    checked = bs.validate_positions(frame)
    assert np.isnan(checked["ltv"].iloc[2]) and checked["off_balance_amount"].iloc[2] == 0.0


def test_a_missing_side_is_an_error_not_an_asset(bank: pd.DataFrame) -> None:
    """side is required like drawn_amount: a blank is not read as its default 'asset'."""
    for blank in (None, np.nan):
        message = error_of(bs.validate_positions, with_value(bank, "side", 4, blank))
        assert message.startswith("positions['side']: has missing values")
        assert str(bank.loc[4, "position_id"]) in message and "'liability'" in message


@pytest.mark.parametrize("value", [np.inf, -np.inf, "inf"])
@pytest.mark.parametrize("column", ["drawn_amount", "off_balance_amount", "mtm", "ltv"])
def test_infinite_numbers_are_an_error_in_every_numeric_column(
    bank: pd.DataFrame, column: str, value: Any
) -> None:
    message = error_of(bs.validate_positions, with_value(bank, column, 3, value))
    assert f"positions[{column!r}]" in message and "infinite" in message
    assert str(bank.loc[3, "position_id"]) in message


def test_an_infinite_drawn_amount_is_reported_as_the_drawn_amount(
    sqlite_store: bs.Store, bank: pd.DataFrame
) -> None:
    """It used to surface as business_indicator['interest_income'] (the op-risk proxy sums it)."""
    bad = with_value(bank, "drawn_amount", 5, np.inf)
    for service in (bs.compute_rwa, bs.compute_liquidity):
        message = error_of(service, bad)
        assert message.startswith("positions['drawn_amount']: has infinite values")
        assert "business_indicator" not in message
    assert sqlite_store.list_entries().empty


@pytest.mark.parametrize("service", ["compute_rwa", "compute_liquidity"])
def test_an_empty_positions_table_is_an_error(
    sqlite_store: bs.Store, bank: pd.DataFrame, service: str
) -> None:
    message = error_of(getattr(bs, service), bank.iloc[:0])
    assert message.startswith("positions: is empty") and "at least one row" in message
    assert sqlite_store.list_entries().empty


# -- run_simulation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "argument", "allowed"),
    [
        ({"num_positions": 5, "seed": 2**63}, "seed", "2**63 - 1"),
        ({"num_positions": 5, "seed": -1}, "seed", "2**63 - 1"),
        ({"num_positions": 5, "seed": 0.5}, "seed", "whole number"),
        (
            {"num_positions": 5, "seed": 1, "include_derivatives": "no"},
            "include_derivatives",
            "True or False",
        ),
        ({"num_positions": 5, "seed": 1, "include_derivatives": 1}, "include_derivatives", "True or False"),
        ({"num_positions": 5.0, "seed": 1}, "num_positions", "whole number from 1"),
        ({"num_positions": "many", "seed": 1}, "num_positions", "whole number from 1"),
        (
            {"num_positions": 5, "seed": 1, "config": {"own_funds": {"cet1_ratio": float("nan")}}},
            "config['own_funds']['cet1_ratio']",
            "finite number",
        ),
        (
            {"num_positions": 5, "seed": 1, "config": {"own_funds": {"cet1": float("inf")}}},
            "config['own_funds']['cet1']",
            "finite number",
        ),
    ],
)
def test_bad_simulation_arguments_are_named_and_store_nothing(
    sqlite_store: bs.Store, arguments: dict[str, Any], argument: str, allowed: str
) -> None:
    message = error_of(bs.run_simulation, **arguments)
    assert message.startswith(f"{argument}: ") and allowed in message
    assert sqlite_store.list_entries().empty and sqlite_store.stats().loc["(all)", "entries"] == 0


def test_seeds_are_limited_to_what_the_store_can_keep() -> None:
    """0 to 2**63 - 1, a signed 64-bit integer; numpy alone would take any size."""
    assert "seed: " in error_of(bs.generate_positions, 5, 2**63)
    frame = bs.generate_positions(5, 2**63 - 1, include_derivatives=True)
    assert len(frame) >= 8


def test_a_sweep_with_a_bad_bank_fails_once_up_front(sqlite_store: bs.Store) -> None:
    """Not one 'failed' row per scenario: the bank is the same for all of them."""
    message = error_of(bs.sweep, ["baseline", "mild_recession"], 50, 2**63, progress=False)
    assert message.startswith("seed: ")
    assert sqlite_store.list_entries().empty


# -- capital ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rwa_and_funds(bank: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    return bs.risk_weighted_assets(bank), bs.own_funds(bank)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("rwa", np.nan, "NaN"),
        ("rwa", -1e9, "negative"),
        ("rwa", np.inf, "infinite"),
        ("rwa_standardised", np.nan, "NaN"),
        ("leverage_exposure", -5.0, "negative"),
    ],
)
def test_nan_negative_or_infinite_rwa_is_an_error_not_a_ratio(
    sqlite_store: bs.Store,
    rwa_and_funds: tuple[pd.DataFrame, dict[str, float]],
    column: str,
    value: float,
    reason: str,
) -> None:
    rwa, funds = rwa_and_funds
    bad = rwa.copy()
    bad.loc[0, column] = value
    message = error_of(bs.compute_capital, bad, funds)
    assert message.startswith(f"rwa[{column!r}]: ") and reason in message
    assert str(rwa.loc[0, "position_id"]) in message and "allowed: finite numbers >= 0" in message
    assert sqlite_store.list_entries().empty


def test_text_rwa_is_named(
    sqlite_store: bs.Store, rwa_and_funds: tuple[pd.DataFrame, dict[str, float]]
) -> None:
    rwa, funds = rwa_and_funds
    message = error_of(bs.compute_capital, rwa.assign(rwa=rwa["rwa"].astype(str)), funds)
    assert message.startswith("rwa['rwa']: ") and "not numbers" in message
    assert sqlite_store.list_entries().empty


# -- scenarios --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "argument"),
    [
        (None, "scenario"),
        ({"name": None}, "scenario['name']"),
        ({"name": "x", "description": 3}, "scenario['description']"),
        ({1: "x", "colour": "y"}, "scenario"),  # unknown keys of mixed types: listed, not a TypeError
    ],
)
def test_bad_scenario_dicts_are_named(data: Any, argument: str) -> None:
    assert error_of(bs.Scenario.from_dict, data).startswith(f"{argument}: ")


# -- export -----------------------------------------------------------------------------------------


def test_export_to_an_existing_directory_names_path(tmp_path: Path, bank: pd.DataFrame) -> None:
    message = error_of(bs.export, bank, tmp_path)
    assert message.startswith("path: ") and "directory" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"result": [1, 2, 3]}, "result"),
        ({"result": {"a": 1}, "format": "csv"}, "format"),
        ({"path": None}, "path"),
    ],
)
def test_export_checks_every_argument_before_making_folders(
    tmp_path: Path, bank: pd.DataFrame, arguments: dict[str, Any], argument: str
) -> None:
    call = {"result": bank, "path": tmp_path / "new" / "deeper" / "out.parquet", **arguments}
    assert error_of(bs.export, **call).startswith(f"{argument}: ")
    assert not (tmp_path / "new").exists()


def test_export_below_a_file_names_path(tmp_path: Path, bank: pd.DataFrame) -> None:
    (tmp_path / "report").write_text("a file, not a folder")
    message = error_of(bs.export, bank, tmp_path / "report" / "rwa.csv", format="csv")
    assert message.startswith("path: ") and "is a file" in message


def test_export_that_cannot_encode_leaves_no_folder_and_no_file(tmp_path: Path) -> None:
    mixed = pd.DataFrame({"a": [1, "x", 2.5]})  # Parquet cannot type this column
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's own error; what matters is what is left
        bs.export(mixed, tmp_path / "new" / "out.parquet")
    assert not (tmp_path / "new").exists()
    done = bs.export(mixed.astype(str), tmp_path / "new" / "out.parquet")
    assert pd.read_parquet(done)["a"].tolist() == ["1", "x", "2.5"]
    assert [p.name for p in done.parent.iterdir()] == ["out.parquet"]  # no partial file left

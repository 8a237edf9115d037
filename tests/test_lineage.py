"""Lineage: a result names the stored results it was computed from, however the frames travelled."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import banksim as bs


def chain() -> dict[str, str]:
    """positions -> RWA -> capital, through the cached services; returns each call's key."""
    positions, _ = bs.run_simulation(1_500, 5)
    rwa, _ = bs.compute_rwa(positions)
    bs.compute_capital(rwa, bs.own_funds(positions))
    return {
        "positions": bs.run_simulation.key(1_500, 5),
        "rwa": bs.compute_rwa.key(positions),
        "capital": bs.compute_capital.key(rwa, bs.own_funds(positions)),
    }


def test_a_result_names_what_it_was_computed_from(store: bs.Store) -> None:
    keys = chain()
    upstream = bs.lineage(keys["capital"])
    assert upstream[["depth", "argument", "input_params_hash", "input_kind"]].to_dict("records") == [
        {"depth": 1, "argument": "rwa", "input_params_hash": keys["rwa"], "input_kind": "rwa"},
        {
            "depth": 2,
            "argument": "positions",
            "input_params_hash": keys["positions"],
            "input_kind": "positions",
        },
    ]
    assert list(upstream["input_function"]) == [
        "banksim.services.compute_rwa",
        "banksim.services.run_simulation",
    ]
    downstream = bs.used_by(keys["positions"])
    assert list(zip(downstream["depth"], downstream["params_hash"], strict=True)) == [
        (1, keys["rwa"]),
        (2, keys["capital"]),
    ]
    edges = bs.query("SELECT params_hash, argument, input_kind FROM inputs ORDER BY input_kind")
    assert edges.to_dict("records") == [
        {"params_hash": keys["rwa"], "argument": "positions", "input_kind": "positions"},
        {"params_hash": keys["capital"], "argument": "rwa", "input_kind": "rwa"},
    ]


def test_lineage_survives_a_trip_through_a_parquet_file(sqlite_store: bs.Store, tmp_path: Path) -> None:
    """Edges join on content: a frame exported, read back and passed on still links."""
    positions, _ = bs.run_simulation(1_000, 8)
    bs.export(positions, tmp_path / "positions.parquet")
    reread = pd.read_parquet(tmp_path / "positions.parquet")
    bs.compute_rwa(reread)
    upstream = bs.compute_rwa.lineage(reread)
    assert list(upstream["input_params_hash"]) == [bs.run_simulation.key(1_000, 8)]


def test_a_frame_banksim_never_stored_has_no_lineage(sqlite_store: bs.Store) -> None:
    positions = bs.generate_positions(1_000, 9)  # not through the cache
    bs.compute_rwa(positions)
    assert bs.compute_rwa.lineage(positions).empty
    assert bs.used_by(bs.compute_rwa.key(positions)).empty


def test_an_unknown_key_is_named(sqlite_store: bs.Store) -> None:
    with pytest.raises(bs.InputError, match="params_hash"):
        bs.lineage("0" * 64)

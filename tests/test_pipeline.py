"""The pipeline as one call, sweeps in several processes, and SQL across results on every backend."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import payload_files
import pytest
from sqlalchemy import text

import banksim as bs
from banksim import pipeline
from banksim.pipeline import HEADLINE_COLUMNS
from banksim.query import _view_name_ok
from banksim.scenarios import Shocks

SMALL = {"num_positions": 1_500, "seed": 3}


def misses(result: bs.PipelineResult) -> set[str]:
    """The steps a run computed (not loaded from the cache, not skipped)."""
    return {name for name, hit in result.hits().items() if hit is False}


def test_pipeline_recomputes_only_what_a_changed_shock_touches(sqlite_store: bs.Store) -> None:
    base = bs.SCENARIOS["severe_recession"]
    first = bs.run_pipeline(**SMALL, scenario=base)
    assert misses(first) == set(first.hits()) == {s.name for s in bs.STEPS}  # the scenario step too
    again = bs.run_pipeline(**SMALL, scenario=base)
    assert set(again.hits().values()) == {True}
    assert again.headline() == first.headline()
    # A buffer shock: only the capital statement is recomputed (IRRBB reads its Tier 1: unchanged).
    ccyb = bs.run_pipeline(**SMALL, scenario=base.with_shocks(countercyclical_rates={"DE": 0.02}))
    assert misses(ccyb) == {"capital"}
    assert ccyb.capital["buffers"]["countercyclical"] > 0
    # A run-off shock: only liquidity.
    run = bs.run_pipeline(**SMALL, scenario=base.with_shocks(deposit_run_off_multiplier={"stable": 3.0}))
    assert misses(run) == {"liquidity"}
    assert run.liquidity["lcr"] < first.liquidity["lcr"]
    # A balance-sheet shock: the shocked positions and everything after them (ECL and IRRBB too).
    hpi = bs.run_pipeline(**SMALL, scenario=base.with_shocks(house_price_change=-0.4))
    assert {"scenario", "rwa", "liquidity", "ecl", "capital", "irrbb"} <= misses(hpi)
    assert "positions" not in misses(hpi)
    assert hpi.capital["ratios"]["cet1_ratio"] < first.capital["ratios"]["cet1_ratio"]
    # A collateral shock: the protection table, RWA and capital; positions and liquidity are reused.
    fall = bs.run_pipeline(**SMALL, scenario=base.with_shocks(collateral_value_change={"cash": -0.5}))
    assert {"protection", "rwa", "capital"} <= misses(fall)
    assert not {"positions", "scenario", "liquidity", "ecl", "irrbb"} & misses(fall)
    assert fall.capital["rwa"]["credit"] > first.capital["rwa"]["credit"]


def test_baseline_skips_the_scenario_step(sqlite_store: bs.Store) -> None:
    result = bs.run_pipeline(**SMALL)
    assert result.steps["scenario"] == {"hit": None, "seconds": 0.0, "key": None}
    assert result.scenario.name == "baseline"
    with pytest.raises(bs.InputError, match="unknown scenario"):
        bs.run_pipeline(**SMALL, scenario="apocalypse")


def grid() -> list[bs.Scenario]:
    scenarios = bs.scenario_grid(pd_multiplier=[1.0, 2.0], house_price_change=[0.0, -0.2],
                                 deposit_run_off_multiplier=[{}, {"stable": 2.0}],
                                 dividend=[0.0, 0.1, 0.2])[:19]  # fmt: skip
    return [*scenarios, bs.Scenario("too_much_growth", bs.Shocks(product_growth={"corporate_loan": 9.0}))]


def test_sweep_in_two_processes_matches_a_serial_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """20 scenarios (one failing) on one store from two worker processes give the serial table."""
    scenarios = grid()
    assert len(scenarios) == 20
    with bs.open_store(f"sqlite:///{tmp_path / 'serial.db'}", artifact_path=tmp_path / "serial"):
        serial = bs.sweep(scenarios, **SMALL, progress=False)
    with bs.open_store(f"sqlite:///{tmp_path / 'shared.db'}", artifact_path=tmp_path / "shared"):
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(2, mp_context=context) as pool:
            parallel = bs.sweep(scenarios, **SMALL, executor=pool, progress=False)
        again = bs.sweep(scenarios, **SMALL, executor="process", progress=False)
    assert list(parallel["scenario"]) == [s.name for s in scenarios]
    # the unshocked scenario runs here first (every other one builds on it), the others on the workers
    assert scenarios[0].shocks == Shocks() and parallel["pid"].iloc[0] == os.getpid()
    assert parallel["pid"].iloc[1:].nunique() == 2 and os.getpid() not in set(parallel["pid"].iloc[1:])
    columns = ["scenario", "status", *HEADLINE_COLUMNS]
    pd.testing.assert_frame_equal(parallel[columns], serial[columns])
    failed = serial.set_index("scenario").loc["too_much_growth"]
    assert failed["status"] == "failed" and "central bank reserves" in failed["error"]
    assert (serial["status"] == "ok").sum() == 19
    ok = again[again["status"] == "ok"]
    assert ok["record"].all() and (ok["hits"] == ok["steps"]).all()  # re-run: served from the shared store
    assert set(ok["steps"]) == {sum(step.always for step in bs.STEPS), len(bs.STEPS)}  # scenario step or not


def test_a_sweep_hands_its_workers_runs_of_neighbouring_scenarios() -> None:
    """Every scenario once, in order, in runs of neighbours: two per worker, at most BATCH_MAX each."""
    names = [f"s{i}" for i in range(200)]
    batches = pipeline._batches(names, 2)  # type: ignore[arg-type]
    assert [name for batch in batches for name in batch] == names
    assert [len(batch) for batch in batches] == [50, 50, 50, 50]
    assert [len(b) for b in pipeline._batches(names[:7], 2)] == [2, 2, 2, 1]  # type: ignore[arg-type]
    assert [len(b) for b in pipeline._batches(names[:3], 8)] == [1, 1, 1]  # type: ignore[arg-type]
    many = pipeline._batches([f"s{i}" for i in range(1000)], 2)  # type: ignore[arg-type]
    assert {len(batch) for batch in many} == {pipeline.BATCH_MAX}


def test_sweep_counts_what_it_loaded(sqlite_store: bs.Store) -> None:
    """A stored run record is used only while every step result it names is stored; after the
    RWA results are purged the re-run recomputes RWA and reports one hit fewer per scenario."""
    scenarios = ["baseline", "severe_recession"]
    columns = ["hits", "steps", "record"]

    def run() -> pd.DataFrame:
        return bs.sweep(scenarios, **SMALL, progress=False).set_index("scenario")

    first = run()
    # a step whose key baseline's run computed is a hit for severe_recession (its positions at least)
    keys = {name: {k: v["key"] for k, v in bs.run_pipeline(**SMALL, scenario=name).steps.items()}
            for name in scenarios}  # fmt: skip
    ran = {name: sum(key is not None for key in keys[name].values()) for name in scenarios}
    shared = len(set(keys["severe_recession"].values()) & set(keys["baseline"].values()) - {None})
    assert ran["baseline"] == sum(step.always for step in bs.STEPS)
    assert shared >= 1
    assert first[columns].to_dict("index") == {
        "baseline": {"hits": 0, "steps": ran["baseline"], "record": False},
        "severe_recession": {"hits": shared, "steps": ran["severe_recession"], "record": False},
    }
    # the baseline computed every line; the recession, on the stored baseline, reused whole steps
    assert first.loc["baseline", "recomputed_share"] == 1.0
    assert 0.0 < first.loc["severe_recession", "recomputed_share"] < 1.0
    again = run()
    assert again[columns].to_dict("index") == {
        name: {"hits": ran[name], "steps": ran[name], "record": True} for name in scenarios
    }
    assert (again["recomputed_share"] == 0.0).all()  # read from the records: no line computed
    assert len(sqlite_store.purge("rwa")) == 2
    purged = run()
    assert purged[columns].to_dict("index") == {
        name: {"hits": ran[name] - 1, "steps": ran[name], "record": False} for name in scenarios
    }
    pd.testing.assert_frame_equal(purged[list(HEADLINE_COLUMNS)], first[list(HEADLINE_COLUMNS)])
    assert run()["record"].all()  # RWA stored again: the records serve once more


def test_queries_agree_with_the_results(store: bs.Store) -> None:
    """On every backend and payload mode, SQL over the store gives the numbers the pipeline returned."""
    runs = [bs.run_pipeline(**SMALL, scenario=name) for name in ("baseline", "mild_recession")]
    by_class = bs.rwa_by_class_across_scenarios()
    for run in runs:
        expected = run.rwa.groupby(run.rwa["exposure_class"].astype(str))["rwa"].sum()
        got = by_class[by_class["scenario"] == run.scenario.name].set_index("exposure_class")["rwa"]
        assert sorted(got.index) == sorted(expected.index)
        np.testing.assert_allclose(got[expected.index].to_numpy(), expected.to_numpy(), rtol=1e-12)
    headline = bs.headline_by_scenario().set_index("scenario")
    assert headline.loc["mild_recession", "cet1_ratio"] == pytest.approx(
        runs[1].capital["ratios"]["cet1_ratio"]
    )
    assert pd.api.types.is_integer_dtype(headline["seed"])  # typed, not text or float
    liquidity = bs.liquidity_by_scenario().set_index("scenario")
    assert liquidity.loc["baseline", "lcr"] == pytest.approx(runs[0].liquidity["lcr"])
    counts = bs.query("SELECT count(DISTINCT params_hash) AS runs FROM pipeline")
    assert counts["runs"].item() == 2
    shocks = bs.query("SELECT scenario_shocks_pd_multiplier AS pd FROM configurations WHERE kind = 'pipeline' "
                      "ORDER BY pd")  # fmt: skip
    assert list(shocks["pd"]) == [1.0, 1.5]
    assert np.isclose(
        bs.query("SELECT sum(rwa) AS s FROM rwa")["s"].item(), sum(r.rwa["rwa"].sum() for r in runs)
    )


def test_view_names_are_validated() -> None:
    assert _view_name_ok("rwa")
    for bad in ('rwa"; DROP TABLE x; --', "Rwa", "1rwa", "", "x" * 64, "inputs", "configurations"):
        assert not _view_name_ok(bad)
    with pytest.raises(bs.InputError, match="sql"):
        bs.query("   ")


def test_sql_leaves_out_a_damaged_payload_and_removes_it(
    store: bs.Store, caplog: pytest.LogCaptureFixture
) -> None:
    """DuckDB reads payload files itself, so query() checks each checksum before the view is built."""
    for key, amount in (("k1", 1.0), ("k2", 2.0)):
        store.save_dataframe("lines", key, pd.DataFrame({"amount": [amount] * 1_000}))
    if store.artifact_store == "file":
        payload_files.flip_a_byte(store, payload_files.data_path(store, "lines", "k2"))
    else:
        with store.transaction(write=True) as conn:
            conn.execute(
                text("UPDATE simulations SET data_blob = :b WHERE params_hash = 'k2'"), {"b": b"PAR1 x"}
            )
    with caplog.at_level(logging.WARNING, logger="banksim.store"):
        totals = bs.query("SELECT params_hash, sum(amount) AS total FROM lines GROUP BY ALL")
    assert totals.to_dict("records") == [{"params_hash": "k1", "total": 1_000.0}]
    assert "checksum" in caplog.text
    assert list(store.list_entries()["params_hash"]) == ["k1"]
    assert bs.query("SELECT count(*) AS n FROM lines")["n"].item() == 1_000  # checked files are remembered


def test_a_sweep_runs_the_unshocked_scenario_first(sqlite_store: bs.Store) -> None:
    """A sweep of shocked scenarios runs the unshocked one first (no row for it): each scenario, the
    first included, then builds on it and recomputes a share of its lines (methodology C.46)."""
    table = bs.sweep(["mild_recession", "severe_recession"], **SMALL, progress=False)
    assert list(table["scenario"]) == ["mild_recession", "severe_recession"]
    assert (table["status"] == "ok").all()
    assert ((table["recomputed_share"] > 0) & (table["recomputed_share"] < 1)).all()
    unshocked = bs.run_pipeline(**SMALL)
    assert all(step["hit"] for step in unshocked.steps.values() if step["key"] is not None)
    single = bs.sweep(["baseline"], **{**SMALL, "seed": SMALL["seed"] + 1}, progress=False)
    assert single["recomputed_share"].tolist() == [1.0]  # one scenario: nothing run before it


def test_a_sweep_on_threads_of_this_process_freezes_none_of_its_objects(sqlite_store: bs.Store) -> None:
    """Only the sweep's own worker processes exempt their long-lived objects from the garbage
    collector and give Arrow one thread: a pool of threads here leaves this process as it was."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa

    before = gc.get_freeze_count(), gc.get_threshold(), pa.cpu_count(), pa.io_thread_count()
    with ThreadPoolExecutor(2) as pool:
        table = bs.sweep(["mild_recession", "severe_recession"], **SMALL, executor=pool, progress=False)
    assert (table["status"] == "ok").all()
    assert (gc.get_freeze_count(), gc.get_threshold(), pa.cpu_count(), pa.io_thread_count()) == before


def test_an_unknown_executor_is_refused_before_anything_runs(sqlite_store: bs.Store) -> None:
    with pytest.raises(bs.InputError, match=r"^executor: expected an Executor, a Dask Client or 'process'"):
        bs.sweep(["baseline", "mild_recession"], **SMALL, executor="threads", progress=False)  # type: ignore[arg-type]
    assert sqlite_store.list_entries().empty  # nothing ran, nothing written

"""Jurisdictions through the pipeline: parameters reach every step and key; sweep workers get no password."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

import numpy as np
import pytest

import banksim as bs
from banksim import pipeline

SMALL: dict[str, Any] = {"num_positions": 1_000, "seed": 6}
# CRE20.65: regulatory retail 75%; a jurisdiction weighting it 100% instead.
RETAIL_100 = {"sa": {"retail": {"regulatory_retail": 1.0}}}


def test_an_override_changes_the_rwa_lines_it_touches_and_the_keys(sqlite_store: bs.Store) -> None:
    base = bs.run_pipeline(**SMALL)
    heavy = bs.run_pipeline(**SMALL, parameters=RETAIL_100)
    assert (base.parameters, heavy.parameters) == ("basel", "custom")
    assert heavy.steps["positions"]["key"] == base.steps["positions"]["key"]  # the bank is the same
    protection = base.outputs["protection"]
    ecl = base.outputs["ecl_lines"]  # their stage 3 allowances are the specific provisions (methodology 1.6)
    assert heavy.steps["rwa"]["key"] == bs.compute_rwa.key(
        base.positions, RETAIL_100, protection=protection, ecl_lines=ecl
    )
    assert base.steps["rwa"]["key"] == bs.compute_rwa.key(
        base.positions, protection=protection, ecl_lines=ecl
    )
    for name in ("rwa", "liquidity", "capital"):  # every step that takes parameters is keyed by them
        assert heavy.steps[name]["key"] != base.steps[name]["key"], name
    assert list(heavy.rwa["position_id"]) == list(base.rwa["position_id"])
    rules = base.rwa["rule"].astype(str).str.split("; ").str[0]  # the weight's paragraph (methodology C.45)
    retail = ((rules == "CRE20.63-68") & (base.rwa["risk_weight"] == 0.75)).to_numpy()
    assert retail.sum() > 20
    # CRE20.65 at 100% instead of 75%: each such line's risk weight 1.0 and its RWA x 1.0 / 0.75 = 4/3
    np.testing.assert_array_equal(heavy.rwa.loc[retail, "risk_weight"], 1.0)
    np.testing.assert_allclose(heavy.rwa.loc[retail, "rwa"], base.rwa.loc[retail, "rwa"] * 4 / 3, rtol=1e-9)
    untouched = (rules != "CRE20.63-68").to_numpy()
    np.testing.assert_allclose(heavy.rwa.loc[untouched, "rwa"], base.rwa.loc[untouched, "rwa"], rtol=1e-12)
    assert heavy.capital["rwa"]["credit"] > base.capital["rwa"]["credit"]
    assert heavy.headline()["cet1_ratio"] < base.headline()["cet1_ratio"]
    records = bs.query("SELECT parameters, headline_cet1_ratio AS cet1 FROM pipeline ORDER BY parameters")
    assert list(records["parameters"]) == ["basel", "custom"]  # one record each: the key holds the overrides
    assert records["cet1"].tolist() == [base.headline()["cet1_ratio"], heavy.headline()["cet1_ratio"]]
    runs = bs.headline_by_scenario().set_index("parameters")
    assert runs.loc["custom", "cet1_ratio"] == heavy.headline()["cet1_ratio"]


def test_basel_is_no_override_at_all(sqlite_store: bs.Store) -> None:
    default = bs.run_pipeline(**SMALL, scenario="severe_recession")
    named = bs.run_pipeline(**SMALL, scenario="severe_recession", parameters="basel")
    empty = bs.run_pipeline(**SMALL, scenario="severe_recession", parameters={})
    for run in (named, empty):
        assert run.parameters == "basel"
        assert all(hit is True for hit in run.hits().values())
        assert {n: s["key"] for n, s in run.steps.items()} == {n: s["key"] for n, s in default.steps.items()}
    assert bs.query("SELECT count(DISTINCT params_hash) AS n FROM pipeline")["n"].item() == 1


def test_the_run_s_liquidity_overrides_meet_the_scenario_s_the_scenario_winning(
    sqlite_store: bs.Store,
) -> None:
    jurisdiction = {"lcr": {"inflow_cap": 0.9, "retail_deposit": {"stable": 0.04}}}
    run_off = bs.Scenario("stable_run", bs.Shocks(deposit_run_off_multiplier={"stable": 2.0}))
    run = bs.run_pipeline(**SMALL, scenario=run_off, parameters=jurisdiction)
    lcr = bs.DEFAULT_PARAMETERS["lcr"]
    expected = {
        "lcr": {
            "inflow_cap": 0.9,  # the jurisdiction's, the scenario does not set it
            "retail_deposit": {
                "stable_enhanced": lcr["retail_deposit"]["stable_enhanced"],  # x 1: not shocked
                "stable": 0.08,  # the scenario's: the jurisdiction's 4% x 2
                "less_stable": lcr["retail_deposit"]["less_stable"],
            },
            "operational_deposit": lcr["operational_deposit"],
            "operational_deposit_insured": lcr["operational_deposit_insured"],
            "cooperative_network_deposit": lcr["cooperative_network_deposit"],
            "unsecured_non_financial": lcr["unsecured_non_financial"],
            "unsecured_non_financial_insured": lcr["unsecured_non_financial_insured"],
            "unsecured_financial": lcr["unsecured_financial"],
        }
    }
    assert run.steps["liquidity"]["key"] == bs.compute_liquidity.key(run.positions, expected)
    stable = run.lcr[run.lcr["category"] == "retail_stable"]
    assert len(stable) > 10
    np.testing.assert_array_equal(stable["factor"], 0.08)  # LCR40.7-12: 4% run-off, doubled
    np.testing.assert_allclose(stable["weighted_amount"], stable["amount"] * 0.08, rtol=1e-12)
    alone = bs.run_pipeline(**SMALL, parameters=jurisdiction)
    np.testing.assert_array_equal(alone.lcr.loc[alone.lcr["category"] == "retail_stable", "factor"], 0.04)


@pytest.mark.parametrize(
    ("parameters", "match"),
    [
        ("atlantis", "unknown jurisdiction preset 'atlantis'"),
        ({"sa": {"retail": {"nope": 1.0}}}, "is not a parameter"),
        (0.5, "expected a preset name or a dict"),
    ],
)
def test_bad_parameters_fail_before_anything_runs(
    sqlite_store: bs.Store, parameters: Any, match: str
) -> None:
    steps: list[str] = []
    with pytest.raises(bs.InputError, match=match) as error:
        bs.run_pipeline(**SMALL, parameters=parameters, on_step=lambda name, _: steps.append(name))
    assert error.value.argument.startswith("parameters")
    with pytest.raises(bs.InputError, match=match):
        bs.sweep(["baseline"], **SMALL, parameters=parameters, progress=False)
    assert steps == [] and sqlite_store.list_entries().empty


def test_sweep_passes_parameters_to_its_workers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    scenarios = ["baseline", "mild_recession"]
    with bs.open_store(f"sqlite:///{tmp_path / 'serial.db'}", artifact_path=tmp_path / "serial"):
        basel = bs.sweep(scenarios, **SMALL, progress=False).set_index("scenario")
        serial = bs.sweep(scenarios, **SMALL, parameters=RETAIL_100, progress=False).set_index("scenario")
        runs = {name: bs.run_pipeline(**SMALL, scenario=name, parameters=RETAIL_100) for name in scenarios}
    with (
        bs.open_store(f"sqlite:///{tmp_path / 'workers.db'}", artifact_path=tmp_path / "workers"),
        ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool,
    ):
        workers = bs.sweep(scenarios, **SMALL, executor=pool, parameters=RETAIL_100, progress=False)
    workers = workers.set_index("scenario")
    assert (workers["status"] == "ok").all() and not workers["record"].any()  # computed in the worker
    for name, run in runs.items():
        for table in (serial, workers):
            assert table.loc[name, "floored_rwa"] == pytest.approx(run.headline()["floored_rwa"], rel=1e-12)
            assert table.loc[name, "cet1_ratio"] == pytest.approx(run.headline()["cet1_ratio"], rel=1e-12)
        assert serial.loc[name, "credit_rwa"] > basel.loc[name, "credit_rwa"]  # not the Basel numbers


# -- the store spec a sweep sends to its workers -------------------------------------------------------


class CapturingExecutor(Executor):
    """Records what is submitted and answers each scenario of a batch with an 'ok' row, running nothing
    (a worker's warm-up, submitted first, answers None)."""

    def __init__(self) -> None:
        self.submitted: list[tuple[Any, ...]] = []  # the batches' arguments
        self.warm_ups: list[tuple[Any, ...]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        if fn is pipeline._warm_worker:
            self.warm_ups.append(args)
            future.set_result(None)
            return future
        self.submitted.append(args)
        future.set_result([{"scenario": s.name, "status": "ok", "error": ""} for s in args[1]])
        return future


def test_the_spec_sent_to_workers_holds_no_password(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql+psycopg://alice:s3cret@db.example:5432/risk?sslmode=require&password=t0ken&sslpassword=k3y"
    monkeypatch.setattr(sqlite_store, "url", url)
    monkeypatch.setattr(pipeline, "_run_unshocked", _no_unshocked_run)  # no database at that URL
    executor = CapturingExecutor()
    table = bs.sweep(["baseline", "mild_recession"], **SMALL, executor=executor, progress=False)
    assert list(table["status"]) == ["ok", "ok"]
    assert sum(len(batch) for _, batch, _ in executor.submitted) == 2
    sent = [(spec, arguments) for spec, _batch, arguments in executor.submitted]
    for spec, arguments in sent + [(spec, None) for spec, _own in executor.warm_ups]:
        assert spec[0] == "postgresql+psycopg://alice@db.example:5432/risk?sslmode=require"
        assert not any(s in repr((spec, arguments)) for s in ("s3cret", "t0ken", "k3y"))
        assert spec[1:] == (sqlite_store.artifact_store, str(sqlite_store.artifact_root))


def _no_unshocked_run(
    chosen: Any,
    spec: tuple[str, str, str],
    arguments: Any,
    executor: Any,
    warming: list[Any],
    own_pool: bool = False,
) -> dict[str, Any]:
    """The sweep's start without the unshocked run: only the workers' warm-ups are submitted."""
    warming += [
        executor.submit(pipeline._warm_worker, spec, own_pool)
        for _ in range(pipeline._worker_count(executor))
    ]
    return {}


@pytest.mark.parametrize(
    ("own", "opened"),
    [
        # the worker's DB_URL names the same database: its password is used
        ("postgresql+psycopg://alice:s3cret@db.example:5432/risk", "postgresql+psycopg://alice:s3cret@db.example:5432/risk"),
        # another database: the password-less URL, the driver finds the password (PGPASSWORD, ~/.pgpass)
        ("postgresql+psycopg://alice:s3cret@other.example:5432/risk", "postgresql+psycopg://alice@db.example:5432/risk"),
        ("postgresql+psycopg://bob:pw@db.example:5432/risk", "postgresql+psycopg://alice@db.example:5432/risk"),
    ],
)  # fmt: skip
def test_a_worker_opens_the_store_with_its_own_url_for_the_same_database(
    monkeypatch: pytest.MonkeyPatch, own: str, opened: str
) -> None:
    stores: list[tuple[Any, ...]] = []
    monkeypatch.setattr(pipeline, "Store", lambda *args: stores.append(args) or object())
    monkeypatch.setattr(pipeline, "_worker_stores", {})
    spec = ("postgresql+psycopg://alice@db.example:5432/risk", "file", "/tmp/artifacts")
    with bs.override_settings(db_url=own):
        first = pipeline._worker_store(spec)
        assert pipeline._worker_store(spec) is first  # one store per spec and process
    assert stores == [(opened, "file", "/tmp/artifacts")]


class DyingExecutor(CapturingExecutor):
    """A one-worker pool whose worker dies on the scenario named ``deadly``, taking its batch with it."""

    _max_workers = 1

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if fn is pipeline._sweep_task and any(s.name == "deadly" for s in args[1]):
            self.submitted.append(args)
            future: Future[Any] = Future()
            future.set_exception(RuntimeError("A process in the process pool was terminated abruptly"))
            return future
        return super().submit(fn, *args, **kwargs)


def test_a_dead_workers_batch_runs_again_one_scenario_at_a_time(sqlite_store: bs.Store) -> None:
    """Which scenario of a batch killed its worker is unknown: each runs again alone, and only the
    one that kills its worker again is a failed row."""
    names = ("first", "deadly", "third", "fourth")  # shocked: none is the unshocked run, run here first
    scenarios = [bs.Scenario(name, bs.Shocks(dividend=0.01 * (i + 1))) for i, name in enumerate(names)]
    executor = DyingExecutor()
    table = bs.sweep(scenarios, **SMALL, executor=executor, progress=False)
    assert list(table["scenario"]) == ["first", "deadly", "third", "fourth"]
    assert list(table["status"]) == ["ok", "failed", "ok", "ok"]
    assert "terminated abruptly" in table.set_index("scenario").loc["deadly", "error"]
    batches = [[s.name for s in batch] for _, batch, _ in executor.submitted]
    assert batches == [["first", "deadly"], ["third", "fourth"], ["first"], ["deadly"]]

"""The whole pipeline as one call, and sweeps of many scenarios through it.

``run_pipeline`` chains the cached steps (positions, scenario shocks, RWA, liquidity, capital) and
records the run; ``sweep`` runs many scenarios, serially, on any ``concurrent.futures`` executor or
on a Dask cluster sharing one store, and collects headline metrics, a failing scenario reported.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from banksim.cache import cached
from banksim.errors import InputError
from banksim.positions.own_funds import own_funds
from banksim.scenarios import (
    SCENARIOS,
    Scenario,
    position_shocks,
    scenario_buffers,
    scenario_parameters,
)
from banksim.services import (
    apply_scenario,
    compute_capital,
    compute_liquidity,
    compute_rwa,
    run_simulation,
)
from banksim.store import Store, get_store, use_store
from banksim.synthetic.config import check_bank_arguments

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["HEADLINE_COLUMNS", "PipelineResult", "run_pipeline", "sweep"]

HEADLINE_COLUMNS = (
    "cet1_ratio",
    "tier1_ratio",
    "total_capital_ratio",
    "leverage_ratio",
    "lcr",
    "nsfr",
    "floored_rwa",
    "credit_rwa",
    "counterparty_rwa",
    "operational_rwa",
    "hqla",
    "net_outflows",
    "asf",
    "rsf",
    "combined_buffer_requirement",
    "mda_quartile",
    "maximum_payout_ratio",
)
STEPS = ("positions", "scenario", "rwa", "liquidity", "capital")
STEP_FUNCTIONS = {
    "positions": run_simulation,
    "scenario": apply_scenario,
    "rwa": compute_rwa,
    "liquidity": compute_liquidity,
    "capital": compute_capital,
}


@dataclass(frozen=True)
class PipelineResult:
    """Everything one pipeline run produced, and how each step was obtained.

    ``steps`` maps a step name to ``{"hit": bool | None, "seconds": float, "key": str}``; a step a
    scenario does not need (no balance-sheet shock) has ``hit`` None and no key.
    """

    scenario: Scenario
    positions: pd.DataFrame
    rwa: pd.DataFrame
    lcr: pd.DataFrame
    nsfr: pd.DataFrame
    liquidity: dict[str, Any]
    capital: dict[str, Any]
    steps: dict[str, dict[str, Any]]

    def headline(self) -> dict[str, Any]:
        """The metrics a board asks for first, as one flat dict."""
        return headline(self.liquidity, self.capital)

    def hits(self) -> dict[str, bool | None]:
        """Step name -> cache hit (None for a step the scenario did not need)."""
        return {name: step["hit"] for name, step in self.steps.items()}


def headline(liquidity: Mapping[str, Any], capital: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "cet1_ratio": capital["ratios"]["cet1_ratio"],
        "tier1_ratio": capital["ratios"]["tier1_ratio"],
        "total_capital_ratio": capital["ratios"]["total_capital_ratio"],
        "leverage_ratio": capital["leverage"]["leverage_ratio"],
        "lcr": liquidity["lcr"],
        "nsfr": liquidity["nsfr"],
        "floored_rwa": capital["rwa"]["floored_rwa"],
        "credit_rwa": capital["rwa"]["credit"],
        "counterparty_rwa": capital["rwa"]["counterparty"],
        "operational_rwa": capital["rwa"]["operational"],
        "hqla": liquidity["hqla"],
        "net_outflows": liquidity["net_outflows"],
        "asf": liquidity["asf"],
        "rsf": liquidity["rsf"],
        "combined_buffer_requirement": capital["buffers"]["combined_buffer_requirement"],
        "mda_quartile": capital["mda"]["quartile"],
        "maximum_payout_ratio": capital["mda"]["maximum_payout_ratio"],
    }


def _scenario(scenario: Scenario | str | Mapping[str, Any] | None) -> Scenario:
    if scenario is None:
        return SCENARIOS["baseline"]
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str):
        if scenario not in SCENARIOS:
            raise InputError("scenario", f"unknown scenario {scenario!r}", allowed=sorted(SCENARIOS))
        return SCENARIOS[scenario]
    if isinstance(scenario, Mapping):
        return Scenario.from_dict(scenario)
    raise InputError(
        "scenario", f"expected a Scenario, a library name or a dict, got {type(scenario).__name__}"
    )


@cached(kind="pipeline", ignore=("outcome",))
def record_run(
    num_positions: int,
    seed: int,
    config: Mapping[str, Any] | None,
    include_derivatives: bool,
    scenario: Scenario,
    code_versions: Mapping[str, str],
    outcome: dict[str, Any],
) -> dict[str, Any]:
    """Store the record of a run: the step keys and the headline metrics.

    Keyed by the run's inputs and the code version of every step, so a record is never served
    after a rule changed; a sweep re-run reads it instead of loading every step's tables.
    """
    return outcome


def step_code_versions() -> dict[str, str]:
    """The code version of each cached step of the pipeline."""
    return {step.kind: step.code_version for step in STEP_FUNCTIONS.values()}


def run_pipeline(
    num_positions: int,
    seed: int,
    config: Mapping[str, Any] | None = None,
    scenario: Scenario | str | Mapping[str, Any] | None = None,
    include_derivatives: bool = True,
    use_cache: bool = True,
    on_step: Callable[[str, dict[str, Any]], None] | None = None,
) -> PipelineResult:
    """Generate a bank, apply a scenario and compute RWA, liquidity and capital, each step cached.

    Parameters
    ----------
    num_positions, seed, config, include_derivatives
        As :func:`banksim.run_simulation`.
    scenario : Scenario, str or dict, optional
        A :class:`~banksim.scenarios.Scenario`, the name of one in ``SCENARIOS``, or its dict
        form; by default the baseline.
    use_cache : bool
        ``False`` recomputes every step (and replaces the stored results).
    on_step : callable, optional
        Called after each step of ``STEPS`` (a step the scenario does not need included) with its
        name and ``{"hit", "seconds", "key"}``, e.g. to advance a progress bar.

    Returns
    -------
    PipelineResult
        Positions, RWA, LCR and NSFR lines, the liquidity summary, the capital statement, and per
        step whether it was a cache hit. Changing one shock recomputes only what depends on it.
    """
    chosen = _scenario(scenario)
    shocks = chosen.shocks
    steps: dict[str, dict[str, Any]] = {}

    def step(name: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        *values, hit = function(*args, use_cache=use_cache, **kwargs)
        info = function.last_call
        steps[name] = {"hit": hit, "seconds": info.seconds, "key": info.key}
        if on_step is not None:
            on_step(name, steps[name])
        return values[0] if len(values) == 1 else tuple(values)

    positions = step("positions", run_simulation, num_positions, seed, config, include_derivatives)
    moves = position_shocks(shocks)
    if any(value != getattr(SCENARIOS["baseline"].shocks, name) for name, value in moves.items()):
        positions = step("scenario", apply_scenario, positions, moves)
    else:
        steps["scenario"] = {"hit": None, "seconds": 0.0, "key": None}
        if on_step is not None:
            on_step("scenario", steps["scenario"])
    rwa = step("rwa", compute_rwa, positions)
    lcr, nsfr, liquidity = step(
        "liquidity", compute_liquidity, positions, scenario_parameters(shocks) or None
    )
    capital = step("capital", compute_capital, rwa, own_funds(positions), scenario_buffers(shocks) or None)
    outcome = {"scenario": chosen.name, "steps": steps, "headline": headline(liquidity, capital)}
    record_run(
        num_positions,
        seed,
        config,
        include_derivatives,
        chosen,
        step_code_versions(),
        outcome,
        use_cache=use_cache,
    )
    return PipelineResult(chosen, positions, rwa, lcr, nsfr, liquidity, capital, steps)


# -- sweeps -----------------------------------------------------------------------------------------

# The stores a worker process has opened, by (db url, artifact store, artifact root): one engine
# each, reused by every scenario the worker runs (a lock: a worker may run tasks in threads).
_worker_stores: dict[tuple[str, str, str], Store] = {}
_worker_stores_lock = threading.Lock()


def _sweep_task(
    store_spec: tuple[str, str, str], scenario: Scenario, arguments: dict[str, Any]
) -> dict[str, Any]:
    """Run one scenario on the store described by ``store_spec`` (in this or another process).

    The artifact root is a folder or an fsspec URL (``s3://...``); object-store credentials come
    from the worker's own environment, never from the spec.
    """
    started = time.perf_counter()
    try:
        with _worker_stores_lock:
            store = _worker_stores.get(store_spec)
            if store is None:
                store = _worker_stores[store_spec] = Store(*store_spec)
        with use_store(store):
            record = _recorded(scenario, arguments)
            if record is not None:  # every step result it names is stored intact: nothing to load
                row = {"scenario": scenario.name, "status": "ok", "error": "", **record["headline"]}
                row["steps"] = row["hits"] = sum(step["key"] is not None for step in record["steps"].values())
                row["record"] = True
            else:
                result = run_pipeline(scenario=scenario, **arguments)
                row = {"scenario": scenario.name, "status": "ok", "error": "", **result.headline()}
                row["hits"] = sum(step["hit"] is True for step in result.steps.values())
                row["steps"] = sum(step["key"] is not None for step in result.steps.values())
                row["record"] = False
    except Exception as exc:  # one bad scenario must not sink the batch
        row = {
            "scenario": scenario.name,
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=3),
        }
    row["seconds"] = time.perf_counter() - started
    row["pid"] = os.getpid()
    return row


def _recorded(scenario: Scenario, arguments: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored record of this run if every step result it names is still stored intact
    (checksums verified), else None: purged or damaged steps are recomputed, never assumed."""
    call: tuple[Any, ...] = (
        arguments["num_positions"],
        arguments["seed"],
        arguments["config"],
        arguments["include_derivatives"],
        scenario,
        step_code_versions(),
        {},
    )
    record = record_run.load(*call)
    if not record or not record.get("headline"):
        return None
    for name, step in record["steps"].items():
        if step["key"] is not None and not STEP_FUNCTIONS[name].is_stored(step["key"]):
            return None
    return record


def sweep(
    scenarios: Iterable[Scenario | str | Mapping[str, Any]],
    num_positions: int,
    seed: int,
    config: Mapping[str, Any] | None = None,
    include_derivatives: bool = True,
    executor: Executor | Client | str | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run many scenarios through :func:`run_pipeline` and collect their headline metrics.

    Parameters
    ----------
    scenarios : iterable
        Scenarios, library names or dicts (see :func:`banksim.scenarios.scenario_grid` for grids).
    num_positions, seed, config, include_derivatives
        The bank, as in :func:`run_pipeline`.
    executor : concurrent.futures.Executor, dask.distributed.Client or "process", optional
        Where to run: ``None`` runs serially here; ``"process"`` uses a process pool of one worker
        per core; any ``concurrent.futures`` executor works, and so does a Dask client, e.g.
        ``Client("tcp://scheduler:8786")`` (needs ``banksim[cluster]``). Every worker opens the
        active store from its database URL, payload mode and artifact root: it must reach the
        database and the payloads (a PostgreSQL URL and ``s3://...`` for workers on other
        machines), with object-store credentials in its own environment.
    progress : bool
        Show a progress bar (tqdm).

    Returns
    -------
    pandas.DataFrame
        One row per scenario in the given order: ``scenario``, ``status`` ('ok' or 'failed'),
        ``error``, the headline metrics, ``hits`` (steps not recomputed) out of ``steps`` (those
        the scenario runs: 4 without a balance-sheet shock, else 5), ``record`` (True if the
        headline came from the stored run record, every step result it names verified intact;
        otherwise the pipeline ran and ``hits`` counts the steps it loaded), ``seconds``, ``pid``.
    """
    check_bank_arguments(num_positions, seed, config, include_derivatives)  # one error, not one per row
    chosen = [_scenario(s) for s in scenarios]
    names = [s.name for s in chosen]
    if len(set(names)) != len(names):
        raise InputError(
            "scenarios",
            "names must be unique",
            failure_cases=sorted({n for n in names if names.count(n) > 1}),
        )
    store = get_store()
    spec = (store.url, store.artifact_store, str(store.artifact_root))
    arguments = {
        "num_positions": num_positions,
        "seed": seed,
        "config": config,
        "include_derivatives": include_derivatives,
    }
    from tqdm.auto import tqdm  # loaded on use: keeps `import banksim` light

    bar = tqdm(total=len(chosen), desc="scenarios", disable=not progress)
    rows: dict[str, dict[str, Any]] = {}
    owned = None
    if executor == "process":
        owned = executor = ProcessPoolExecutor(
            os.cpu_count() or 1, mp_context=multiprocessing.get_context("spawn")
        )
    try:
        if executor is None:
            for scenario in chosen:
                rows[scenario.name] = _sweep_task(spec, scenario, arguments)
                bar.update()
        elif isinstance(executor, Executor) or hasattr(executor, "submit"):
            submit, completed = _submit_and_completed(executor)
            futures = {submit(_sweep_task, spec, s, arguments): s for s in chosen}
            try:
                for future in completed(futures):
                    scenario = futures[future]
                    try:
                        rows[scenario.name] = future.result()
                    except Exception as exc:  # the worker itself died
                        rows[scenario.name] = {
                            "scenario": scenario.name,
                            "status": "failed",
                            "error": f"{type(exc).__name__}: {exc}",
                        }
                    bar.update()
            finally:  # interrupted: scenarios not started yet are dropped, not left running
                for future in futures:
                    if not future.done():
                        future.cancel()
        else:
            raise InputError(
                "executor", f"expected an Executor, a Dask Client or 'process', got {executor!r}"
            )
    finally:
        bar.close()
        if owned is not None:
            owned.shutdown()
    table = pd.DataFrame([rows[name] for name in names])
    columns = ["scenario", "status", "error", *HEADLINE_COLUMNS, "hits", "steps", "record", "seconds", "pid"]
    return table.reindex(columns=columns)


def _submit_and_completed(executor: Any) -> tuple[Callable[..., Any], Callable[[Any], Iterable[Any]]]:
    """How to submit a task to ``executor`` and iterate over its futures as they finish.

    A Dask client is recognised by its class's module, so dask is imported only when one is given;
    its tasks are impure (a re-run of the same scenario runs again, the store decides what to load).
    """
    if type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "gather"):
        from distributed import as_completed as dask_completed

        def submit(function: Callable[..., Any], *args: Any) -> Any:
            return executor.submit(function, *args, pure=False)

        return submit, dask_completed
    return executor.submit, as_completed

"""The whole pipeline as one call, and sweeps of many scenarios through it.

``run_pipeline`` chains the cached steps of :data:`banksim.steps.STEPS` (positions, scenario shocks,
RWA, liquidity, capital) under a jurisdiction's parameters and records the run; ``sweep`` runs many
scenarios, serially, on any ``concurrent.futures`` executor or on a Dask cluster sharing one store,
and collects headline metrics, a failing scenario reported.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from banksim import steps as registry
from banksim.cache import cached, code_versions_pinned, pinned_version
from banksim.collector import fewer_collections, freeze_long_lived
from banksim.errors import InputError
from banksim.regulation.jurisdictions import resolve_parameters
from banksim.scenarios import SCENARIOS, Scenario, Shocks
from banksim.settings import get_settings
from banksim.store import Store, get_store, use_store
from banksim.synthetic.config import check_bank_arguments

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["HEADLINE_COLUMNS", "PipelineResult", "run_pipeline", "sweep"]

log = logging.getLogger("banksim.pipeline")

# The headline metrics of the steps in banksim.steps.STEPS, step by step.
HEADLINE_COLUMNS = registry.headline_columns()


@dataclass(frozen=True)
class PipelineResult:
    """Everything one pipeline run produced, and how each step was obtained.

    ``steps`` maps a step name to ``{"hit": bool | None, "seconds": float, "key": str, "recomputed":
    int, "lines": int, "reuse": str}`` (``lines`` the rows of its line tables, ``recomputed`` those
    computed anew, ``reuse`` "stored", "baseline", "scenario" or "computed": methodology C.46); a step a
    scenario does not need (no balance-sheet shock) has ``hit`` None and no key. ``parameters``
    names the jurisdiction the run used: a preset's name, or "custom" for a dict of overrides.
    ``outputs`` holds every step's outputs by name (those of steps added to
    :data:`banksim.steps.STEPS` included).
    """

    scenario: Scenario
    positions: pd.DataFrame
    rwa: pd.DataFrame
    lcr: pd.DataFrame
    nsfr: pd.DataFrame
    liquidity: dict[str, Any]
    capital: dict[str, Any]
    steps: dict[str, dict[str, Any]]
    parameters: str = "basel"
    outputs: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def headline(self) -> dict[str, Any]:
        """The metrics a board asks for first, as one flat dict (every step's headline columns)."""
        outputs = {
            "positions": self.positions, "rwa": self.rwa, "lcr": self.lcr, "nsfr": self.nsfr,
            "liquidity": self.liquidity, "capital": self.capital, **self.outputs,
        }  # fmt: skip
        return registry.headline(outputs)

    def hits(self) -> dict[str, bool | None]:
        """Step name -> cache hit (None for a step the scenario did not need)."""
        return {name: step["hit"] for name, step in self.steps.items()}


def headline(liquidity: Mapping[str, Any], capital: Mapping[str, Any]) -> dict[str, Any]:
    """The headline metrics of a liquidity summary and a capital statement."""
    return registry.headline({"liquidity": liquidity, "capital": capital})


def _parameters(parameters: str | Mapping[str, Any] | None) -> tuple[dict[str, Any] | None, str]:
    """The overrides ``parameters`` stand for (checked against the parameter set) and the run's label
    for them: the preset's name, "custom" for a dict of overrides, "basel" for none."""
    overrides = resolve_parameters(parameters)
    if overrides is not None:
        from banksim.regulation.parameters import regulatory_parameters

        regulatory_parameters(overrides)  # an unknown key fails here, before any step runs
    if isinstance(parameters, str):
        return overrides, parameters
    return overrides, "basel" if overrides is None else "custom"


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
    parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Store the record of a run: the step keys and the headline metrics.

    Keyed by the run's inputs (the parameter overrides included) and the code version of every
    step, so a record is never served after a rule changed; a sweep re-run reads it instead of
    loading every step's tables.
    """
    return outcome


def _run_code() -> tuple[Any, ...]:
    """What a run executes around the steps' services: the registry and each step's argument,
    condition and headline code (and what they import on use). Never called for its value; its code
    version keys the run records beside the services' own, so a record is never served after that
    code changed."""
    return (
        registry.run_steps,
        registry.headline,
        *(step.arguments for step in registry.STEPS),
        *(step.needed for step in registry.STEPS),
    )


def step_code_versions() -> dict[str, str]:
    """The code version of each cached step of the pipeline (by the kind it stores), and of the
    code that runs them (``"run"``)."""
    versions = {step.function.kind: step.function.code_version for step in registry.STEPS}
    functions = [f for f in _run_code() if f is not None]
    versions["run"] = pinned_version(_RUN_CODE_VERSIONS, lambda: _RUN_CODE_VERSIONS.current(functions))
    return versions


class _RunCodeVersions:
    """The code versions of the functions :func:`_run_code` names, kept current (one
    :class:`~banksim.code_version.CodeVersion` each, re-checked on every call)."""

    def __init__(self) -> None:
        self._versions: dict[int, Any] = {}

    def current(self, functions: list[Any]) -> str:
        from banksim.code_version import CodeVersion
        from banksim.hashing import compute_params_hash

        parts = []
        for function in functions:
            version = self._versions.get(id(function))
            if version is None or version.func is not function:
                version = self._versions[id(function)] = CodeVersion(function)
            parts.append(version.current())
        return compute_params_hash({"run": parts})


_RUN_CODE_VERSIONS = _RunCodeVersions()


@code_versions_pinned()  # the code does not change under one run: each version checked once
def run_pipeline(
    num_positions: int,
    seed: int,
    config: Mapping[str, Any] | None = None,
    scenario: Scenario | str | Mapping[str, Any] | None = None,
    include_derivatives: bool = True,
    use_cache: bool = True,
    on_step: Callable[[str, dict[str, Any]], None] | None = None,
    parameters: str | Mapping[str, Any] | None = None,
    incremental: bool = True,
) -> PipelineResult:
    """Generate a bank, apply a scenario and compute RWA, liquidity and capital, each step cached.

    The steps are those of :data:`banksim.steps.STEPS`, in order.

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
        Called after each step (a step the scenario does not need included) with its name and
        ``{"hit", "seconds", "key"}``, e.g. to advance a progress bar.
    parameters : str or dict, optional
        The jurisdiction: the name of a preset in :data:`banksim.regulation.jurisdictions.PRESETS`
        (``"basel"``, the default, is the Basel Framework) or a dict of overrides of
        ``DEFAULT_PARAMETERS``. They reach every step that takes parameters (the scenario's own
        liquidity overrides win over them) and are part of every key they change.
    incremental : bool
        A shocked run builds a missed step from the unshocked run's stored result when the shock
        leaves that step's inputs unchanged (methodology C.46); the result is the same as a full
        computation. ``False`` computes every missed step by its service.

    Returns
    -------
    PipelineResult
        Positions, RWA, LCR and NSFR lines, the liquidity summary, the capital statement, and per
        step whether it was a cache hit. Changing one shock recomputes only what depends on it.
    """
    chosen = _scenario(scenario)
    overrides, jurisdiction = _parameters(parameters)
    inputs = {
        "num_positions": num_positions, "seed": seed, "config": config,
        "include_derivatives": include_derivatives, "scenario": chosen, "parameters": overrides,
    }  # fmt: skip
    values, steps = registry.run_steps(inputs, use_cache=use_cache, on_step=on_step, incremental=incremental)
    outputs = {name: value for name, value in values.items() if name not in registry.RUN_INPUTS}
    headline = registry.headline(outputs)
    outcome = {"scenario": chosen.name, "parameters": jurisdiction, "steps": steps, "headline": headline}
    record_run(
        num_positions, seed, config, include_derivatives, chosen, step_code_versions(), outcome,
        overrides, use_cache=use_cache,
    )  # fmt: skip
    return PipelineResult(
        chosen, outputs["positions"], outputs["rwa"], outputs["lcr"], outputs["nsfr"],
        outputs["liquidity"], outputs["capital"], steps, jurisdiction, outputs,
    )  # fmt: skip


# -- sweeps -----------------------------------------------------------------------------------------

# The stores a worker process has opened, by (db url without password, artifact store, artifact
# root): one engine each, reused by every scenario the worker runs (a lock: a worker may run tasks
# in threads).
_worker_stores: dict[tuple[str, str, str], Store] = {}
_worker_stores_lock = threading.Lock()


def _without_password(url: str) -> str:
    """``url`` with its secrets removed: the ``user:password@`` part and every query parameter
    named like a password (``password=``, ``sslpassword=``, ``passwd=``)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    secret = [name for name in parsed.query if "password" in name.lower() or name.lower() == "passwd"]
    # URL is a NamedTuple: _replace clears the password (URL.set takes None as "leave it")
    return (
        parsed._replace(password=None).difference_update_query(secret).render_as_string(hide_password=False)
    )


def _worker_url(url: str) -> str:
    """The database URL a worker opens for the password-less ``url`` of a sweep: its own settings'
    DB_URL (with its password) when that names the same database, else ``url`` itself (the driver
    then finds the password where it looks on its own, e.g. PGPASSWORD or ~/.pgpass)."""
    own = get_settings().db_url
    return own if _without_password(own) == url else url


def _worker_store(store_spec: tuple[str, str, str]) -> Store:
    with _worker_stores_lock:
        store = _worker_stores.get(store_spec)
        if store is None:
            url, artifact_store, artifact_root = store_spec
            store = _worker_stores[store_spec] = Store(_worker_url(url), artifact_store, artifact_root)
        return store


# A sweep hands its workers runs of neighbouring scenarios (see _sweep_task): about this many per
# worker, so that the last ones end together, and at most this many scenarios each, so that the
# progress bar moves.
BATCHES_PER_WORKER = 2
BATCH_MAX = 50


def _sweep_task(
    store_spec: tuple[str, str, str], scenarios: Sequence[Scenario], arguments: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run a batch of scenarios, in order, on the store described by ``store_spec`` (in this or
    another process); one row per scenario.

    A batch holds neighbouring scenarios of the sweep: each finds the results of the one before it
    in this process's memory (methodology C.46), and its writes (write-behind) overlap the next
    one's steps. Every result is stored before the rows are returned, a failed scenario's finished
    steps included. The spec holds no secret: the database URL comes without its password (see
    :func:`_worker_url`), and object-store credentials come from the worker's own environment.
    """
    try:
        store = _worker_store(store_spec)
    except Exception as exc:  # the store cannot be opened here: each scenario of the batch fails
        return [_failed_row(scenario, exc) for scenario in scenarios]
    try:  # the code does not change under a batch: each version checked once (its first scenario)
        with use_store(store), code_versions_pinned(), fewer_collections():
            return [_sweep_row(scenario, arguments) for scenario in scenarios]
    finally:
        store.flush()


def _sweep_row(scenario: Scenario, arguments: dict[str, Any]) -> dict[str, Any]:
    """One scenario's row of the sweep table, on the active store."""
    from banksim.incremental import recomputed_share

    started = time.perf_counter()
    try:
        with code_versions_pinned():  # the record's check and the run: each code version checked once
            record = _recorded(scenario, arguments)
            if record is not None:  # every step result it names is stored intact: nothing to load
                row = {"scenario": scenario.name, "status": "ok", "error": "", **record["headline"]}
                row["steps"] = row["hits"] = sum(step["key"] is not None for step in record["steps"].values())
                row["recomputed_share"] = 0.0  # read from the stored record: no line computed
                row["record"] = True
            else:
                result = run_pipeline(scenario=scenario, **arguments)
                row = {"scenario": scenario.name, "status": "ok", "error": "", **result.headline()}
                row["hits"] = sum(step["hit"] is True for step in result.steps.values())
                row["steps"] = sum(step["key"] is not None for step in result.steps.values())
                row["recomputed_share"] = recomputed_share(result.steps)
                row["record"] = False
    except Exception as exc:  # one bad scenario must not sink the batch
        row = _failed_row(scenario, exc)
    row["seconds"] = time.perf_counter() - started
    row["pid"] = os.getpid()
    return row


def _failed_row(scenario: Scenario, exc: Exception, with_traceback: bool = True) -> dict[str, Any]:
    """The sweep row of a scenario that failed with ``exc`` (raised in this process, for its
    traceback, unless ``with_traceback`` is False)."""
    row = {"scenario": scenario.name, "status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    if with_traceback:
        row["traceback"] = traceback.format_exc(limit=3)
    return row


def _batches(scenarios: Sequence[Scenario], workers: int) -> list[list[Scenario]]:
    """``scenarios`` cut into runs of neighbours: about :data:`BATCHES_PER_WORKER` per worker (so
    that a slow batch does not leave the others idle at the end), at most :data:`BATCH_MAX` each."""
    size = max(1, min(BATCH_MAX, -(-len(scenarios) // (workers * BATCHES_PER_WORKER))))
    return [list(scenarios[start : start + size]) for start in range(0, len(scenarios), size)]


def _recorded(scenario: Scenario, arguments: Mapping[str, Any]) -> dict[str, Any] | None:
    """The stored record of this run if every step result it names is still stored intact
    (checksums verified) by a step of the registry, else None: purged or damaged steps, and records
    of steps no longer in the pipeline, are recomputed, never assumed."""
    overrides, _ = _parameters(arguments.get("parameters"))
    record = record_run.load(
        arguments["num_positions"],
        arguments["seed"],
        arguments["config"],
        arguments["include_derivatives"],
        scenario,
        step_code_versions(),
        {},
        overrides,
    )
    if not record or not record.get("headline"):
        return None
    functions = {step.name: step.function for step in registry.STEPS}
    if set(record["steps"]) != set(functions):
        return None
    for name, step in record["steps"].items():
        if step["key"] is not None and not functions[name].is_stored(step["key"]):
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
    parameters: str | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Run many scenarios through :func:`run_pipeline` and collect their headline metrics.

    With more than one scenario, the unshocked one runs first, in this process, on the active store
    (the first scenario of no shock in ``scenarios``, else :data:`~banksim.scenarios.SCENARIOS`
    ``["baseline"]``, which gets no row): every other scenario builds its results from it
    (methodology C.46), and a pool's workers start meanwhile. This process must reach the store
    as the workers do.

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
        machines). The database URL is sent without its password: a worker uses its own
        ``DB_URL`` when that names the same database, else finds the password as its driver does
        (``PGPASSWORD``, ``~/.pgpass``); object-store credentials come from its own environment.
        Workers get the scenarios in runs of neighbours, in the given order (about two runs per
        worker, at most :data:`BATCH_MAX` scenarios each): a scenario next to the one before it
        finds most of its lines in the worker's memory, and its RWA is spliced onto that
        scenario's lines when fewer changed since (methodology C.46), so order a grid with its
        most alike scenarios side by side, as :func:`~banksim.scenarios.scenario_grid` does.
        The progress bar moves by runs. A run whose worker died is run again one scenario at a time
        (only a scenario that kills its worker again is a ``failed`` row); an interrupted sweep
        drops the runs not started and lets those under way finish.
    progress : bool
        Show a progress bar (tqdm).
    parameters : str or dict, optional
        The jurisdiction of every run, as in :func:`run_pipeline`; checked before any runs.

    Returns
    -------
    pandas.DataFrame
        One row per scenario in the given order: ``scenario``, ``status`` ('ok' or 'failed'),
        ``error``, the headline metrics (``HEADLINE_COLUMNS``), ``hits`` (steps not recomputed)
        out of ``steps`` (those of :data:`banksim.steps.STEPS` the scenario runs: the scenario
        step only with a balance-sheet shock), ``recomputed_share`` (the lines computed anew over
        the lines of the steps that ran, methodology C.46; 0 for a record), ``record`` (True if the
        headline came from the stored run record, every step result it names verified intact;
        otherwise the pipeline ran and ``hits`` counts the steps it loaded), ``seconds``, ``pid``.
    """
    check_bank_arguments(num_positions, seed, config, include_derivatives)  # one error, not one per row
    _parameters(parameters)
    chosen = [_scenario(s) for s in scenarios]
    names = [s.name for s in chosen]
    if len(set(names)) != len(names):
        raise InputError(
            "scenarios",
            "names must be unique",
            failure_cases=sorted({n for n in names if names.count(n) > 1}),
        )
    if not (
        executor is None
        or executor == "process"
        or isinstance(executor, Executor)
        or hasattr(executor, "submit")
    ):
        raise InputError("executor", f"expected an Executor, a Dask Client or 'process', got {executor!r}")
    store = get_store()
    spec = (_without_password(store.url), store.artifact_store, str(store.artifact_root))
    arguments = {
        "num_positions": num_positions,
        "seed": seed,
        "config": config,
        "include_derivatives": include_derivatives,
        "parameters": parameters,
    }
    from tqdm.auto import tqdm  # loaded on use: keeps `import banksim` light

    bar = tqdm(total=len(chosen), desc="scenarios", disable=not progress)
    rows: dict[str, dict[str, Any]] = {}
    owned = None
    if executor == "process":
        owned = executor = ProcessPoolExecutor(
            os.cpu_count() or 1, mp_context=multiprocessing.get_context("spawn")
        )
    warming: list[Any] = []  # the workers' warm-ups: a Dask client cancels a task whose future is gone
    try:
        if len(chosen) > 1:  # every scenario then finds the unshocked run (methodology C.46)
            rows.update(_run_unshocked(chosen, spec, arguments, executor, warming, owned is not None))
            bar.update(len(rows))
        rest = [scenario for scenario in chosen if scenario.name not in rows]
        if executor is None:
            for scenario in rest:
                rows[scenario.name] = _sweep_task(spec, [scenario], arguments)[0]
                bar.update()
        else:
            submit, completed = _submit_and_completed(executor)
            run = functools.partial(_run_batches, submit, completed, spec, arguments, rows, bar)
            again = run(_batches(rest, _worker_count(executor)))
            run([[scenario] for scenario in again])  # a dead worker's batch: its scenarios one by one
    finally:
        bar.close()
        if owned is not None:
            owned.shutdown()
    table = pd.DataFrame([rows[name] for name in names])
    metrics = registry.headline_columns()
    counts = ["hits", "steps", "recomputed_share", "record", "seconds", "pid"]
    columns = ["scenario", "status", "error", *metrics, *counts]
    return table.reindex(columns=columns)


def _run_unshocked(
    chosen: Sequence[Scenario],
    spec: tuple[str, str, str],
    arguments: dict[str, Any],
    executor: Any,
    warming: list[Any],
    own_pool: bool = False,
) -> dict[str, dict[str, Any]]:
    """Run the unshocked scenario here, on the active store, before a sweep's other scenarios, and
    return its row if it is one of them (a scenario of no shock: the first such). Every other scenario
    then builds its results from it (methodology C.46), instead of the first one of each worker
    computing everything in full. A pool's workers start meanwhile (:func:`_warm_worker`, their
    futures added to ``warming``; ``own_pool``: the sweep's own processes, whose long-lived objects
    it may freeze). An unshocked run outside the sweep that fails is logged: the scenarios then run
    as they can."""
    if executor is not None:  # submitted ahead of the scenarios' tasks
        submit, _ = _submit_and_completed(executor)
        warming += [submit(_warm_worker, spec, own_pool) for _ in range(_worker_count(executor))]
    unshocked = next((scenario for scenario in chosen if scenario.shocks == Shocks()), None)
    store = get_store()
    try:
        if unshocked is not None:
            with fewer_collections():
                return {unshocked.name: _sweep_row(unshocked, arguments)}
        try:
            with code_versions_pinned(), fewer_collections():
                run_pipeline(scenario=SCENARIOS["baseline"], **arguments)
        except Exception as exc:
            log.warning(
                "the unshocked run before the sweep failed (%s: %s); scenarios run without it",
                type(exc).__name__,
                exc,
            )
        return {}
    finally:
        store.flush()  # stored before any worker looks for it


# What a scenario's steps load on first use, beyond their own modules (which step_code_versions
# imports): a miss's lease (and the ORM tables it writes with), and SciPy's normal distribution (the
# IRB, SA-CCR and option formulas).
WARM_IMPORTS = ("banksim.store.leases", "banksim.models", "scipy.special")


def _warm_worker(store_spec: tuple[str, str, str], own_process: bool = False) -> None:
    """In a worker, while the sweep runs the unshocked scenario: open the sweep's store, import and
    version the steps' code, and find the columns each step reads, so that its first scenario does
    not (they are the most of a first scenario's cost).

    ``own_process``, in a process the sweep started for itself (never in another's, whose objects
    and threads are its owner's): exempt all that from the garbage collector's scans
    (:func:`banksim.collector.freeze_long_lived`), and give Arrow one thread (the sweep runs as
    many processes as cores: more threads in each only contend for them).
    """
    with contextlib.suppress(Exception):  # the scenarios' own tasks report what fails
        _worker_store(store_spec)
        step_code_versions()
        from banksim.incremental import learn_reads

        learn_reads()
        for module in WARM_IMPORTS:
            importlib.import_module(module)
    if own_process:
        import pyarrow as pa

        pa.set_cpu_count(1)
        pa.set_io_thread_count(1)
        freeze_long_lived()


def _run_batches(
    submit: Callable[..., Any],
    completed: Callable[[Any], Iterable[Any]],
    spec: tuple[str, str, str],
    arguments: dict[str, Any],
    rows: dict[str, dict[str, Any]],
    bar: Any,
    batches: list[list[Scenario]],
) -> list[Scenario]:
    """Run ``batches`` on the executor, filling ``rows``; return the scenarios of batches of more
    than one whose worker died (which of them it died on is unknown: they are run again alone)."""
    futures = {submit(_sweep_task, spec, batch, arguments): batch for batch in batches}
    again: list[Scenario] = []
    try:
        for future in completed(futures):
            batch = futures[future]
            try:
                rows.update((row["scenario"], row) for row in future.result())
            except Exception as exc:  # the worker itself died
                if len(batch) > 1:
                    again += batch
                    continue
                rows[batch[0].name] = _failed_row(batch[0], exc, with_traceback=False)
            bar.update(len(batch))
    finally:  # interrupted: batches not started yet are dropped, not left running
        for future in futures:
            if not future.done():
                future.cancel()
    return again


def _worker_count(executor: Any) -> int:
    """How many scenarios ``executor`` runs at once: a pool's workers, a Dask cluster's threads."""
    count = getattr(executor, "_max_workers", None)  # concurrent.futures' pools
    if count is None and callable(getattr(executor, "nthreads", None)):  # a Dask client
        count = sum(executor.nthreads().values())
    return max(1, int(count or os.cpu_count() or 1))


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

"""Benchmark of the pipeline end to end: a cold run against its computations, and a scenario grid.

Run: ``.venv/bin/python bench/bench_pipeline.py [--positions 1000000] [--grid-positions 100000]
[--scenarios 200] [--repeats 3]``. Side by side in one process (warm: imports done), each repeat
in a fresh store with the in-memory tier off:

- direct: every step's function called on the previous steps' results, nothing hashed or stored;
- cold pipeline: ``run_pipeline`` in an empty store, write-behind on (the default): when the
  result is returned, and when the store has written everything (``flush``);
- the same with write-behind off (``WRITE_BEHIND_MB=0``): every result written before returning.

Then a grid of scenarios (PD multiplier x house prices x LGD multiplier) swept on the process pool
from an empty store (worker start-up included), with the time per scenario, the share of lines each
step recomputed and the bytes stored, and the same sweep again, fully cached; then the same grid with
shared columns off (``SHARE_COLUMNS=false``: every table stored whole), side by side.

``--baseline DIR`` (another copy of the package, e.g. a ``git worktree`` of the code before a change)
measures instead the CPU a scenario costs: the grid's first scenarios swept serially (``executor``
None: one after another, each stored before the next) in one process per copy, after the unshocked
run, both copies at the same time (so that the machine's drifting speed hits them alike),
``--rounds`` times; printed per scenario: the whole process's CPU (the steps and the write-behind
thread) and the steps' thread's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import banksim as bs
from banksim import steps as registry
from banksim.scenarios import SCENARIOS, scenario_grid


def direct(num_positions: int, seed: int) -> None:
    """The pipeline's computations alone: each step's function on the earlier steps' results."""
    values: dict[str, Any] = {
        "num_positions": num_positions, "seed": seed, "config": None, "include_derivatives": True,
        "scenario": SCENARIOS["baseline"], "parameters": None,
    }  # fmt: skip
    for step in registry.STEPS:
        if step.is_needed(values):
            results = step.function.func(*step.call_arguments(values))
            results = results if len(step.outputs) > 1 else (results,)
            values.update(zip(step.outputs, results, strict=True))


def in_fresh_store(run: Callable[[bs.Store], None], write_behind_mb: int | None) -> tuple[float, float]:
    """Seconds until ``run`` returned, and until its store had written everything."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = bs.open_store(
            f"sqlite:///{root / 'bench.db'}", artifact_path=root / "artifacts", memory_cache_mb=0,
            write_behind_mb=write_behind_mb,
        )  # fmt: skip
        with bs.use_store(store):
            started = time.perf_counter()
            run(store)
            returned = time.perf_counter() - started
            store.flush()
            written = time.perf_counter() - started
        store.close()
    return returned, written


def cold_pipeline(num_positions: int, repeats: int) -> None:
    seed = 11
    direct(10_000, seed)  # warm-up: imports and first-call costs out of the figures
    in_fresh_store(lambda store: bs.run_pipeline(10_000, seed), None)
    times: dict[str, list[float]] = {}
    for _ in range(repeats):  # round-robin, so load hits every variant alike
        started = time.perf_counter()
        direct(num_positions, seed)
        times.setdefault("direct", []).append(time.perf_counter() - started)
        returned, written = in_fresh_store(lambda store: bs.run_pipeline(num_positions, seed), None)
        times.setdefault("pipeline, write-behind: returned", []).append(returned)
        times.setdefault("pipeline, write-behind: all written", []).append(written)
        returned, _ = in_fresh_store(lambda store: bs.run_pipeline(num_positions, seed), 0)
        times.setdefault("pipeline, write-behind off", []).append(returned)
    base = statistics.median(times["direct"])
    print(
        f"cold pipeline, {num_positions:,} positions, medians of {repeats} (warm process, fresh store each):"
    )
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<38} {median:7.2f} s  {median / base:5.2f}x direct")


def grid(num_positions: int, scenarios: int, share_columns: bool = True) -> None:
    chosen = _grid_scenarios()[:scenarios]
    setting = os.environ.get("SHARE_COLUMNS")
    os.environ["SHARE_COLUMNS"] = "true" if share_columns else "false"  # the workers' setting too
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            store = bs.open_store(f"sqlite:///{root / 'grid.db'}", artifact_path=root / "artifacts")
            with bs.use_store(store):
                _sweep_and_report(chosen, num_positions, share_columns, store)
            store.close()
    finally:
        if setting is None:
            os.environ.pop("SHARE_COLUMNS")
        else:
            os.environ["SHARE_COLUMNS"] = setting


def _sweep_and_report(chosen: list[Any], num_positions: int, share_columns: bool, store: bs.Store) -> None:
    started = time.perf_counter()
    table = bs.sweep(chosen, num_positions, 1, executor="process", progress=False)
    seconds = time.perf_counter() - started
    failed = int((table["status"] != "ok").sum())
    each = seconds / len(chosen)
    print(
        f"grid of {len(chosen)} scenarios, {num_positions:,} positions, process pool, shared columns "
        f"{'on' if share_columns else 'off'}: {seconds:.1f} s ({each:.3f} s each, {failed} failed; "
        "empty store, pool start in)"
    )
    shares = table["recomputed_share"]
    print(
        f"  lines recomputed per scenario (methodology C.46): median {shares.median():.1%}, "
        f"min {shares.min():.1%}, max {shares.max():.1%}"
    )
    stored = store.stats()["bytes"].sum() / 2**20
    print(f"  payloads stored: {stored:,.0f} MiB ({stored / len(chosen):.1f} MiB per scenario)")
    started = time.perf_counter()
    bs.sweep(chosen, num_positions, 1, executor="process", progress=False)
    print(f"  the same sweep again, fully cached: {time.perf_counter() - started:.1f} s")


def _grid_scenarios() -> list[Any]:
    return scenario_grid(
        pd_multiplier=[1.0, 1.25, 1.5, 2.0, 3.0],
        house_price_change=[0.0, -0.05, -0.1, -0.15, -0.2, -0.25, -0.3, -0.4],
        lgd_multiplier=[1.0, 1.1, 1.2, 1.3, 1.5],
    )


def scenario_cpu_child(num_positions: int, scenarios: int) -> None:
    """In a child process: the grid's first ``scenarios`` swept serially in a fresh store (the first,
    the unshocked run, computed before: left out of the figures); print the CPU per scenario as JSON."""
    chosen = _grid_scenarios()[:scenarios]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = bs.open_store(f"sqlite:///{root / 'cpu.db'}", artifact_path=root / "artifacts")
        with bs.use_store(store):
            bs.run_pipeline(num_positions, 1, scenario=chosen[0])
            store.flush()
            process, thread = time.process_time(), time.thread_time()
            table = bs.sweep(chosen[1:], num_positions, 1, progress=False)  # serial: in this process
            steps = time.thread_time() - thread
            store.flush()  # the writes of those scenarios count too
            total = time.process_time() - process
        store.close()
    if (table["status"] != "ok").any():
        raise SystemExit(f"failed scenarios: {table.loc[table['status'] != 'ok', 'error'].tolist()}")
    each = len(chosen) - 1
    print(json.dumps({"process": total / each, "steps": steps / each}))


def scenario_cpu(num_positions: int, scenarios: int, baseline: str, rounds: int) -> None:
    """CPU per scenario of this copy and of ``baseline``, both run at the same time, ``rounds`` times."""
    copies = {"this": str(Path(__file__).resolve().parents[1]), "baseline": baseline}
    figures: dict[str, list[dict[str, float]]] = {name: [] for name in copies}
    for _ in range(rounds):
        children = {
            name: subprocess.Popen(
                [sys.executable, __file__, "--cpu-child", str(num_positions), str(scenarios)],
                env=os.environ | {"PYTHONPATH": folder},
                stdout=subprocess.PIPE,
                text=True,
            )
            for name, folder in copies.items()
        }
        for name, child in children.items():
            out, _ = child.communicate()  # waits: every child has ended when the round ends
            if child.returncode != 0:
                raise SystemExit(f"the {name} copy failed (exit {child.returncode})")
            figures[name].append(json.loads(out.strip().splitlines()[-1]))
    print(
        f"CPU per scenario, grid's first {scenarios - 1} scenarios after the unshocked run, "
        f"{num_positions:,} positions, both copies at once, medians of {rounds} rounds:"
    )
    medians = {
        name: {part: statistics.median(f[part] for f in found) for part in ("process", "steps")}
        for name, found in figures.items()
    }
    for name, median in medians.items():
        ratio = median["process"] / medians["baseline"]["process"]
        print(
            f"  {name:<9} {median['process'] * 1000:6.0f} ms (steps' thread {median['steps'] * 1000:4.0f} ms)"
            f"  {ratio:5.2f}x baseline"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=1_000_000)
    parser.add_argument("--grid-positions", type=int, default=100_000)
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", help="another copy of the package: CPU per scenario side by side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cpu-child", nargs=2, type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.cpu_child:
        scenario_cpu_child(*arguments.cpu_child)
        return
    if arguments.baseline:
        scenario_cpu(
            arguments.grid_positions, min(arguments.scenarios, 40), arguments.baseline, arguments.rounds
        )
        return
    cold_pipeline(arguments.positions, arguments.repeats)
    grid(arguments.grid_positions, arguments.scenarios)
    grid(arguments.grid_positions, arguments.scenarios, share_columns=False)


if __name__ == "__main__":
    main()

"""Incremental scenarios: seconds per grid scenario with and without reuse of the baseline's results.

Run ``python bench/bench_incremental.py [positions] [scenarios]``. Two temporary stores each hold the
bank's baseline run; the same grid scenarios (pd_multiplier x house_price_change x lgd_multiplier,
spread over the 200 of the benchmark grid) then run in this process on both, alternately, through
``run_steps``: incremental on one, ``incremental=False`` on the other (methodology C.46). Prints
the median wall seconds per scenario, each step's median seconds, and the share of lines recomputed.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from typing import Any

import banksim as bs
from banksim import steps as registry

GRID = {
    "pd_multiplier": [1.0, 1.25, 1.5, 2.0, 3.0],
    "house_price_change": [0.0, -0.1, -0.2, -0.3, -0.4, -0.5, -0.6, -0.7],
    "lgd_multiplier": [1.0, 1.1, 1.2, 1.35, 1.5],
}


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 100_000
    wanted = int(argv[1]) if len(argv) > 1 else 12
    grid = bs.scenario_grid(**GRID)
    chosen = grid[1 :: max(1, len(grid) // wanted)][:wanted]  # grid[0] is the baseline itself
    bank = {"num_positions": count, "seed": 1, "config": None, "include_derivatives": True}
    with tempfile.TemporaryDirectory(prefix="bench-incremental-") as folder:
        stores = {
            mode: bs.Store(f"sqlite:///{folder}/{mode}.db", "file", f"{folder}/{mode}")
            for mode in ("incremental", "full")
        }
        for store in stores.values():
            with bs.use_store(store):
                bs.run_pipeline(**bank)
        walls: dict[str, list[float]] = {mode: [] for mode in stores}
        steps: dict[str, dict[str, list[float]]] = {mode: {} for mode in stores}
        shares: dict[str, list[float]] = {}
        compute: dict[str, dict[str, list[float]]] = {mode: {} for mode in stores}
        for scenario in chosen:
            for mode, store in stores.items():
                with bs.use_store(store):
                    started = time.perf_counter()
                    _, info = registry.run_steps(
                        {**bank, "scenario": scenario, "parameters": None}, incremental=mode == "incremental"
                    )
                    walls[mode].append(time.perf_counter() - started)
                record(info, steps[mode], shares if mode == "incremental" else None)
                for step in registry.STEPS:  # the computation alone (no hashing, lookup or storing)
                    call = step.function.last_call
                    if info[step.name]["key"] is not None and call is not None:
                        computing = call.compute_seconds if not call.hit else 0.0
                        compute[mode].setdefault(step.name, []).append(computing or 0.0)
        for store in stores.values():
            store.close()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cores = os.cpu_count()
    print(f"{count:,} positions, {len(chosen)} grid scenarios, load average {load:.1f} on {cores} cores")
    for mode in stores:
        print(f"{mode:12s} median {statistics.median(walls[mode]):.3f} s per scenario (wall, run_steps)")
    for mode in stores:
        total = [sum(values[i] for values in compute[mode].values()) for i in range(len(chosen))]
        print(f"{mode:12s} median {statistics.median(total):.3f} s of computation per scenario")
    print("per step, median s (wall of the call; computation alone) and mean share of lines recomputed:")
    print(f"{'step':14s} {'full':>7s} {'incr.':>7s} {'full':>7s} {'incr.':>7s} {'recomputed':>11s}")
    for name in steps["full"]:
        share = statistics.mean(shares[name]) if shares.get(name) else float("nan")
        wall = [statistics.median(steps[mode][name]) for mode in stores]
        alone = [statistics.median(compute[mode].get(name) or [0.0]) for mode in stores]
        print(f"{name:14s} {wall[1]:7.3f} {wall[0]:7.3f} {alone[1]:7.3f} {alone[0]:7.3f} {share:11.1%}")


def record(info: dict[str, dict[str, Any]], seconds: dict[str, list[float]], shares: Any) -> None:
    for name, step in info.items():
        seconds.setdefault(name, []).append(step["seconds"])
        if shares is not None and step.get("lines"):
            shares.setdefault(name, []).append(step["recomputed"] / step["lines"])


if __name__ == "__main__":
    main(sys.argv[1:])

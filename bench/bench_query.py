"""Benchmark of SQL across cached results and of a cached sweep re-run.

Run: ``.venv/bin/python bench/bench_query.py``. Targets: a query aggregating RWA by exposure class
across 100 cached runs of 100k positions < 1 s; a sweep re-run with everything cached at least
20x faster than the first run. Medians of repeated runs in one process.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import banksim as bs

AGGREGATE = "SELECT params_hash, exposure_class, SUM(rwa) AS rwa FROM rwa GROUP BY ALL"


def main(runs: int = 100, size: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with bs.open_store(f"sqlite:///{root / 'bench.db'}", artifact_path=root / "artifacts"):
            start = time.perf_counter()
            for seed in range(runs):
                positions = bs.generate_positions(size, seed)
                bs.compute_rwa(positions)
            print(f"stored {runs} RWA results of {size:,} positions in {time.perf_counter() - start:.0f} s")
        # A fresh store object has checked no payload yet: its first query reads every file once.
        with bs.open_store(f"sqlite:///{root / 'bench.db'}", artifact_path=root / "artifacts"):
            start = time.perf_counter()
            bs.query(AGGREGATE)
            first = time.perf_counter() - start
            times = []
            for _ in range(5):
                start = time.perf_counter()
                table = bs.query(AGGREGATE)
                times.append(time.perf_counter() - start)
            print(
                f"query RWA by class across {table['params_hash'].nunique()} runs ({len(table)} rows): "
                f"first {first * 1e3:.0f} ms (every payload's checksum verified), then median "
                f"{statistics.median(times) * 1e3:.0f} ms (views built and query run)"
            )

        with bs.open_store(f"sqlite:///{root / 'sweep.db'}", artifact_path=root / "sweep"):
            scenarios = list(bs.SCENARIOS.values()) + bs.scenario_grid(
                pd_multiplier=[1.5, 2.0], dividend=[0.1, 0.2]
            )
            start = time.perf_counter()
            bs.sweep(scenarios, 20_000, 1, progress=False)
            first = time.perf_counter() - start
            again = []
            for _ in range(3):
                start = time.perf_counter()
                table = bs.sweep(scenarios, 20_000, 1, progress=False)
                again.append(time.perf_counter() - start)
            cached = statistics.median(again)
            print(
                f"sweep of {len(scenarios)} scenarios x 20k positions: first {first:.1f} s, "
                f"re-run {cached:.2f} s, first/re-run = {first / cached:.0f}x; re-run: "
                f"{table['hits'].sum()} of {table['steps'].sum()} steps not recomputed, "
                f"{table['record'].sum()} of {len(table)} headlines from run records (step results verified)"
            )


if __name__ == "__main__":
    main()

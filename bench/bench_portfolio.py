"""Benchmark of the positions generator: rows/s by size, and a cache hit against generating.

Run: ``.venv/bin/python bench/bench_portfolio.py [sizes...]``. Prints medians; the generate/hit
ratios are measured side by side in one run, for a hit that reads the stored Parquet payload
(what a fresh process does) and one served by the store's in-memory tier (a repeated call).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import banksim as bs
from banksim.synthetic import generate_positions


def median_seconds(run, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000, 5_000_000)) -> None:
    generate_positions(1_000, 0)  # warm-up
    for size in sizes:
        repeat = 5 if size <= 1_000_000 else 3
        seconds = median_seconds(lambda n=size: generate_positions(n, 1), repeat=repeat)
        rate = size / seconds / 1e3
        print(f"generate {size:>9,} positions: {seconds * 1e3:8.1f} ms  = {rate:8.0f} k rows/s")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        url, artifacts = f"sqlite:///{root / 'bench.db'}", root / "artifacts"
        # Two views of one store: one reads the Parquet payload on every hit (a fresh process),
        # the other keeps what it read in memory (a notebook calling again).
        from_disk = bs.open_store(url, artifact_path=artifacts, memory_cache_mb=0)
        in_memory = bs.open_store(url, artifact_path=artifacts)
        with bs.use_store(from_disk):
            bs.run_simulation(1_000_000, 1)  # store it
        variants = {
            "generate": lambda: generate_positions(1_000_000, 1),
            "hit, payload read": lambda: _hit(from_disk),
            "hit, in memory": lambda: _hit(in_memory),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(7):  # round-robin, so noise hits all alike
            for name, run in variants.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
        from_disk.close()
        in_memory.close()
    medians = {name: statistics.median(values) for name, values in times.items()}
    generate = medians.pop("generate")
    print(f"1M positions: generate {generate * 1e3:.0f} ms (median of 7)")
    for name, seconds in medians.items():
        print(f"  cache {name:18s} {seconds * 1e3:7.1f} ms   generate/hit = {generate / seconds:6.1f}x")


def _hit(store: bs.Store) -> None:
    with bs.use_store(store):
        _, hit = bs.run_simulation(1_000_000, 1)
    assert hit


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (10_000, 100_000, 1_000_000, 5_000_000))

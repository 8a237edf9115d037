"""Benchmark of the positions generator: rows/s by size, and a cache hit against generating.

Run: ``.venv/bin/python bench/bench_portfolio.py``. Prints medians; the hit/generate ratio is
measured side by side in one run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import banksim as bs
from banksim.portfolio import generate_positions


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
        with bs.open_store(f"sqlite:///{root / 'bench.db'}", artifact_path=root / "artifacts"):
            bs.run_simulation(1_000_000, 1)  # store it
            generate = []
            hit = []
            for _ in range(5):  # round-robin, so noise hits both alike
                start = time.perf_counter()
                generate_positions(1_000_000, 1)
                generate.append(time.perf_counter() - start)
                start = time.perf_counter()
                bs.run_simulation(1_000_000, 1)
                hit.append(time.perf_counter() - start)
    g, h = statistics.median(generate), statistics.median(hit)
    print(f"1M positions: generate {g * 1e3:.0f} ms, cache hit {h * 1e3:.0f} ms, generate/hit = {g / h:.1f}x")


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (10_000, 100_000, 1_000_000, 5_000_000))

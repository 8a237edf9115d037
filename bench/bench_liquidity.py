"""Benchmark of LCR plus NSFR: rows/s for 1M positions, and a cache hit against computing.

Run: ``.venv/bin/python bench/bench_liquidity.py``. Medians of 5 runs measured round-robin in one
run; target: LCR + NSFR for 1M positions < 1 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import banksim as bs
from banksim.regulation import liquidity


def main() -> None:
    bank = bs.generate_positions(1_000_000, 1, include_derivatives=True)
    liquidity(bank.head(1_000))  # warm-up
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with bs.open_store(f"sqlite:///{root / 'bench.db'}", artifact_path=root / "artifacts"):
            bs.compute_liquidity(bank)
            compute, hit = [], []
            for _ in range(5):
                start = time.perf_counter()
                liquidity(bank)
                compute.append(time.perf_counter() - start)
                start = time.perf_counter()
                bs.compute_liquidity(bank)
                hit.append(time.perf_counter() - start)
    c, h = statistics.median(compute), statistics.median(hit)
    print(f"LCR + NSFR, {len(bank):,} positions: {c * 1e3:.0f} ms = {len(bank) / c / 1e3:.0f} k rows/s")
    print(
        f"compute_liquidity: compute {c * 1e3:.0f} ms, cache hit {h * 1e3:.0f} ms, compute/hit = {c / h:.1f}x"
    )


if __name__ == "__main__":
    main()

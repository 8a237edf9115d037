"""Benchmark of the management workbook: build time and size for 100k positions, and a cache hit.

Run: ``.venv/bin/python bench/bench_reporting.py``. Target: the hit at least 20x faster than
building (medians, measured side by side in one run).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import banksim as bs
from banksim.reporting import excel_workbook


def main(size: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with bs.open_store(f"sqlite:///{root / 'bench.db'}", artifact_path=root / "artifacts"):
            run = bs.run_pipeline(size, 1)
            args = (run.positions, run.rwa, run.lcr, run.nsfr, run.capital, run.liquidity)
            start = time.perf_counter()
            workbook, _ = bs.create_excel_export(*args)
            first = time.perf_counter() - start
            build, hit = [], []
            for _ in range(3):
                start = time.perf_counter()
                excel_workbook(*args)
                build.append(time.perf_counter() - start)
                start = time.perf_counter()
                bs.create_excel_export(*args)
                hit.append(time.perf_counter() - start)
    b, h = statistics.median(build), statistics.median(hit)
    print(
        f"workbook for {size:,} positions ({len(run.rwa):,} RWA lines): build {b:.1f} s "
        f"(first call {first:.1f} s), {len(workbook) / 1e6:.1f} MB"
    )
    print(
        f"create_excel_export cache hit {h * 1e3:.0f} ms (inputs hashed included): build/hit = {b / h:.0f}x"
    )


if __name__ == "__main__":
    main()

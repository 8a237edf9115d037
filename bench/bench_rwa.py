"""Benchmark of credit and counterparty RWA: rows/s for 1M positions and 100k derivative trades.

Run: ``.venv/bin/python bench/bench_rwa.py``. Prints medians of 5 runs, measured round-robin in
one run so that machine noise hits every variant alike; targets: 1M credit lines < 1 s, 100k
SA-CCR trades < 1 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import banksim as bs
from banksim.regulation import regulatory_parameters, risk_weighted_assets, saccr_netting_sets
from banksim.synthetic import PROFILES


def round_robin(runs: dict[str, Callable[[], Any]], repeat: int = 5) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    params = regulatory_parameters()
    sa_bank = bs.generate_positions(1_000_000, 1)
    irb_bank = bs.generate_positions(1_000_000, 1, config={"irb_share": 0.3})
    book = bs.generate_positions(3_600_000, 2, config={"mix": dict.fromkeys(PROFILES["universal"]
                                                                            ["off_balance"], 0.0)},
                                 include_derivatives=True)  # fmt: skip
    trades = book[book["side"] == "derivative"].head(100_000).reset_index(drop=True)
    risk_weighted_assets(sa_bank.head(1000))  # warm-up (imports, caches)
    medians = round_robin(
        {
            "credit RWA, 1M positions, all SA": lambda: risk_weighted_assets(sa_bank),
            "credit RWA, 1M positions, 30% IRB": lambda: risk_weighted_assets(irb_bank),
            f"SA-CCR, {len(trades):,} trades": lambda: saccr_netting_sets(trades, params),
        }
    )
    sizes = {
        "credit RWA, 1M positions, all SA": len(sa_bank),
        "credit RWA, 1M positions, 30% IRB": len(irb_bank),
    }
    for name, seconds in medians.items():
        rows = sizes.get(name, len(trades))
        print(f"{name:<36} {seconds * 1e3:8.1f} ms = {rows / seconds / 1e3:8.0f} k rows/s")

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with bs.open_store(f"sqlite:///{root / 'bench.db'}", artifact_path=root / "artifacts"):
            bs.compute_rwa(irb_bank)
            cached = round_robin(
                {"compute": lambda: risk_weighted_assets(irb_bank), "hit": lambda: bs.compute_rwa(irb_bank)}
            )
    print(
        f"compute_rwa 1M: compute {cached['compute'] * 1e3:.0f} ms, cache hit {cached['hit'] * 1e3:.0f} ms "
        f"(hashing the positions included), compute/hit = {cached['compute'] / cached['hit']:.1f}x"
    )


if __name__ == "__main__":
    main()

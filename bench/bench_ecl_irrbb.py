"""ECL and IRRBB of a 1M-position synthetic bank: wall and CPU time of the computation (no store).

Run ``python bench/bench_ecl_irrbb.py [positions] [repeats]``. Times the positions adapter plus the
rule module (what ``bs.compute_ecl`` / ``bs.compute_irrbb`` compute on a cache miss, without writing
the result), median of the repeats. The machine these run on is shared and loaded: compare the
CPU medians, and the two metrics with each other, rather than the wall times with a target.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import banksim as bs
from banksim.positions.validation import validate_positions
from banksim.regulation.ecl import compute_ecl
from banksim.regulation.ecl_inputs import ecl_exposures
from banksim.regulation.irrbb import compute_irrbb
from banksim.regulation.irrbb_inputs import base_curves, repricing_positions
from banksim.regulation.parameters import regulatory_parameters


def measure(function: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``repeats`` calls (one warm-up call first)."""
    function()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 1_000_000
    repeats = int(argv[1]) if len(argv) > 1 else 5
    positions = validate_positions(bs.generate_positions(count, 1))
    params = regulatory_parameters()

    def ecl() -> Any:
        return compute_ecl(ecl_exposures(positions, params["ecl"]), None, params["ecl"])

    def irrbb() -> Any:
        irrbb_params = dict(params["irrbb"])
        table = repricing_positions(positions, irrbb_params)
        currencies = sorted(map(str, table["currency"].cat.categories))
        irrbb_params["fx_to_reporting"] = dict.fromkeys(currencies, 1.0)
        return compute_irrbb(table, base_curves(currencies, irrbb_params), 1e10, irrbb_params)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{count:,} positions, median of {repeats}, load average {load:.1f} on {os.cpu_count()} cores")
    for name, function in (("ECL", ecl), ("IRRBB", irrbb)):
        wall, cpu = measure(function, repeats)
        print(f"{name:6s} wall {wall:6.3f} s   CPU {cpu:6.3f} s   target 1 s")


if __name__ == "__main__":
    main(sys.argv[1:])

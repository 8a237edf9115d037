"""Benchmark of the live code-version check that runs on every call of a cached function.

Run: ``.venv/bin/python bench/bench_code_version.py``. Target: the per-call check under 1 ms for a
function with a dozen dependencies. Side by side, for the real ``bs.compute_rwa`` and a synthetic
function with 12 dependencies (6 helpers, 6 constants: a 1,000-entry dict, a nested table, a list,
a 1,000-row DataFrame, a tuple, a float): the full walk (what the old code paid once per function
object; cold = first in the process, warm = after an edit, code digests memoised) and the
per-call check (median of a warm process), next to a cache hit of ``compute_rwa`` for scale. A
mutable DataFrame constant is re-hashed on every call (in-place edits must miss), as a DataFrame
argument is: the last row swaps in a 1M-row frame to show that cost.
"""

from __future__ import annotations

import importlib
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import banksim as bs
import banksim.code_version as cv

SYNTHETIC = """
import pandas as pd

import banksim as bs

RATES = {f"r{i}": i / 1000 for i in range(1000)}
TABLE = {"sa": {"corporate": {"a": 0.5, "bbb": 0.75, "bb": 1.0}, "retail": 0.75}}
WEIGHTS = [0.1 * i for i in range(50)]
FRAME = pd.DataFrame({"bucket": range(1000), "factor": [i / 7 for i in range(1000)]})
NAMES = ("a", "bbb", "bb")
LIMIT = 1.5


def rate(i):
    return RATES[f"r{i}"]


def weight(i):
    return WEIGHTS[i % len(WEIGHTS)]


def corporate(name):
    return TABLE["sa"]["corporate"][name]


def factor(i):
    return float(FRAME["factor"].iloc[i])


def capped(x):
    return min(x, LIMIT)


def grade(i):
    return NAMES[i % len(NAMES)]


@bs.cached(kind="synthetic")
def compute(n: int) -> pd.DataFrame:
    rows = [capped(rate(i) * weight(i) * corporate(grade(i)) * factor(i)) for i in range(n)]
    return pd.DataFrame({"value": rows})
"""


def median_seconds(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def full_walk(func: Callable[..., Any], cold: bool) -> float:
    if cold:
        cv._CODE_DIGESTS.clear()
        cv._CLASS_DIGESTS.clear()
        cv._FILE_DIGESTS.clear()
        cv._COMPILED.clear()
    start = time.perf_counter()
    cv.code_version(func)
    return time.perf_counter() - start


def row(label: str, cached: Any) -> None:
    cold = full_walk(cached.func, cold=True)
    warm = statistics.median(full_walk(cached.func, cold=False) for _ in range(5))
    cached.code_version  # noqa: B018 - the first check walks; the rest only re-check
    state = cached._code._state
    per_call = median_seconds(lambda: cached.code_version, 2000)
    watch = state.watch
    print(
        f"{label:<26} {len(watch.codes):>5} {len(watch.bindings):>8} {len(watch.constants):>9} "
        f"{cold * 1e3:>10.1f} {warm * 1e3:>10.1f} {per_call * 1e6:>12.0f}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "bench_synthetic.py").write_text(textwrap.dedent(SYNTHETIC))
        sys.path.insert(0, str(root))
        synthetic = importlib.import_module("bench_synthetic")
        print(
            f"{'function':<26} {'funcs':>5} {'bindings':>8} {'mutables':>9} "
            f"{'walk cold':>10} {'walk warm':>10} {'per call':>12}"
        )
        print(f"{'':<26} {'':>5} {'':>8} {'':>9} {'ms':>10} {'ms':>10} {'us':>12}")
        row("bs.compute_rwa", bs.compute_rwa)
        row("synthetic, 12 dependencies", synthetic.compute)
        synthetic.FRAME = pd.DataFrame({"bucket": range(1_000_000), "factor": np.linspace(0, 1, 1_000_000)})
        row("same, 1M-row frame constant", synthetic.compute)
        with bs.open_store(f"sqlite:///{root / 'bench.db'}", artifact_path=root / "artifacts"):
            positions, _ = bs.run_simulation(10_000, 1)
            bs.compute_rwa(positions)
            hit = median_seconds(lambda: bs.compute_rwa(positions), 20)
            check = median_seconds(lambda: bs.compute_rwa.code_version, 2000)
            print(
                f"\ncompute_rwa hit on 10k positions: {hit * 1e3:.1f} ms, of which the code-version "
                f"check {check * 1e6:.0f} us ({check / hit:.1%})"
            )
        sys.path.remove(str(root))


if __name__ == "__main__":
    main()

"""The ``banksim demo`` job: run a synthetic bank through the whole cached pipeline twice.

The first pass computes and stores every step of :data:`banksim.steps.STEPS` the baseline needs
(positions, RWA, liquidity, the capital statement); the second loads each from the store. Each
call is printed once, here (the cache's own log line for it is held back), with the headline
ratios, the lineage and the cache statistics.
"""

from __future__ import annotations

import contextlib
import logging
import textwrap
import time
from collections.abc import Iterator
from typing import Any

from banksim import steps as registry
from banksim.cli import stats_lines
from banksim.lineage import lineage
from banksim.regulation.rwa import rwa_summary
from banksim.scenarios import SCENARIOS
from banksim.services import run_simulation
from banksim.settings import mask_url
from banksim.store import get_store


def run_demo(num_positions: int = 10_000, seed: int = 42) -> None:
    """Run the demo and print what happened, one line per event."""
    store = get_store()
    print(f"database: {mask_url(store.url)}")
    print(f"payloads: {mask_url(str(store.artifact_root))} ({store.artifact_store})")
    steps = registry.STEPS
    started = time.perf_counter()
    for step in steps:  # once per process; a call then only re-checks them (see banksim.code_version)
        _ = step.function.code_version
    print(f"code versions of the {len(steps)} cached steps: {time.perf_counter() - started:.3f} s")
    run_inputs: dict[str, Any] = {
        "num_positions": num_positions, "seed": seed, "config": None, "include_derivatives": True,
        "scenario": SCENARIOS["baseline"], "parameters": None,
    }  # fmt: skip
    with _cache_log_held_back():
        for attempt in ("first", "second"):
            print(f"{attempt} pass:")
            values, info = registry.run_steps(run_inputs, steps)
            for step in steps:
                call = step.function.last_call
                if info[step.name]["key"] is not None and call is not None:  # a step not needed did not run
                    print(f"  {call.describe()}")
    positions, rwa, liquidity, capital = (
        values[name] for name in ("positions", "rwa", "liquidity", "capital")
    )
    by_side = positions.groupby("side", observed=True)[["drawn_amount", "off_balance_amount"]].sum()
    print("\nbalance sheet (EUR):")
    print(by_side.map(lambda amount: f"{amount:,.2f}").to_string())
    summary = rwa_summary(rwa).groupby("risk_type", observed=True)[["exposure", "rwa"]].sum()
    print("\nRWA by risk type (EUR):")
    print(summary.map(lambda amount: f"{amount:,.0f}").to_string())
    ratios = capital["ratios"]
    print(
        f"\nCET1 {ratios['cet1_ratio']:.2%}  Tier 1 {ratios['tier1_ratio']:.2%}  "
        f"Total {ratios['total_capital_ratio']:.2%}  leverage {capital['leverage']['leverage_ratio']:.2%}  "
        f"LCR {liquidity['lcr']:.0%}  NSFR {liquidity['nsfr']:.0%}  "
        f"max payout {capital['mda']['maximum_payout_ratio']:.0%}"
    )
    trail = lineage(info["capital"]["key"])  # the stored tables it came from, level by level
    levels = [", ".join(dict.fromkeys(group["input_kind"])) for _, group in trail.groupby("depth", sort=True)]
    text = "lineage: " + " <- ".join(["capital", *levels])
    print("\n" + textwrap.fill(text, 100, subsequent_indent="  ", break_on_hyphens=False))
    print(f"\n{run_simulation.explain(num_positions, seed + 1, include_derivatives=True)}")
    print("\ncache statistics:")
    print("\n".join(stats_lines(store.stats())))


@contextlib.contextmanager
def _cache_log_held_back() -> Iterator[None]:
    """The demo prints each call's line itself: the cache's INFO line for it would say it twice.
    Warnings (a damaged payload, say) still come through."""
    cache_log = logging.getLogger("banksim.cache")
    level = cache_log.level
    cache_log.setLevel(max(logging.WARNING, cache_log.getEffectiveLevel()))
    try:
        yield
    finally:
        cache_log.setLevel(level)

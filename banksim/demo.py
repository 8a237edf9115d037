"""The ``banksim demo`` job: run a synthetic bank through the whole cached pipeline twice.

The first pass computes and stores positions, RWA, liquidity and the capital statement; the
second loads every step from the store. Each call is printed once, here (the cache's own log
line for it is held back), with the headline ratios, the lineage and the cache statistics.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

from banksim.cli import stats_lines
from banksim.lineage import lineage
from banksim.positions.own_funds import own_funds
from banksim.regulation.rwa import rwa_summary
from banksim.services import compute_capital, compute_liquidity, compute_rwa, run_simulation
from banksim.settings import mask_url
from banksim.store import get_store

STEPS = (run_simulation, compute_rwa, compute_liquidity, compute_capital)


def run_demo(num_positions: int = 10_000, seed: int = 42) -> None:
    """Run the demo and print what happened, one line per event."""
    store = get_store()
    print(f"database: {mask_url(store.url)}")
    print(f"payloads: {mask_url(str(store.artifact_root))} ({store.artifact_store})")
    started = time.perf_counter()
    for step in STEPS:  # once per process; a call then only re-checks them (see banksim.code_version)
        _ = step.code_version
    print(f"code versions of the {len(STEPS)} cached steps: {time.perf_counter() - started:.3f} s")
    with _cache_log_held_back():
        for attempt in ("first", "second"):
            print(f"{attempt} pass:")
            positions, _ = run_simulation(num_positions, seed, include_derivatives=True)
            rwa, _ = compute_rwa(positions)
            *_, liquidity, _ = compute_liquidity(positions)
            capital, _ = compute_capital(rwa, own_funds(positions))
            for step in STEPS:
                assert step.last_call is not None
                print(f"  {step.last_call.describe()}")
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
    trail = lineage(compute_capital.key(rwa, own_funds(positions)))
    inputs = zip(trail["input_kind"], trail["argument"], strict=True)
    print("\nlineage: " + " <- ".join(["capital", *(f"{kind} ({argument})" for kind, argument in inputs)]))
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

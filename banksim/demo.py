"""The ``banksim demo`` job: generate a bank twice on the configured store and show the cache.

The first call computes and stores the positions, the second loads them; the balance sheet and
the cache statistics are printed.
"""

from __future__ import annotations

from banksim.portfolio import own_funds
from banksim.services import run_simulation
from banksim.store import get_store


def run_demo(num_positions: int = 10_000, seed: int = 42) -> None:
    """Run the demo and print what happened."""
    store = get_store()
    print(f"store: {store!r}")
    for attempt in ("first", "second"):
        positions, hit = run_simulation(num_positions, seed, include_derivatives=True)
        assert run_simulation.last_call is not None
        print(f"{attempt} call: {run_simulation.last_call.describe()} (cache hit: {hit})")
    by_side = positions.groupby("side", observed=True)[["drawn_amount", "off_balance_amount"]].sum()
    print("\nbalance sheet (EUR):")
    print(by_side.map(lambda amount: f"{amount:,.2f}").to_string())
    capital = own_funds(positions)
    print("\nown funds (EUR): " + ", ".join(f"{name} {amount:,.0f}" for name, amount in capital.items()))
    print(f"\n{run_simulation.explain(num_positions, seed + 1, include_derivatives=True)}")
    print("\ncache statistics:")
    print(store.stats().to_string())

"""Benchmark of compute_rwa with credit risk mitigation: 1M positions, ~30% collateralised, ~10% guaranteed.

Run: ``.venv/bin/python bench/bench_rwa_crm.py``. Prints wall and CPU medians of 5 runs (round-robin,
so machine noise hits every variant alike) of the computation ``bs.compute_rwa`` caches, with and
without a protection table, on an all-SA bank and on one with 30% IRB lines; target: < 0.5 s with
protection. The machine is shared: the load average is printed beside the numbers.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from bench_crm import round_robin  # this folder is on the path when a benchmark runs

import banksim as bs
from banksim.positions.protection import ISSUER_TYPES, PROTECTION_TYPES
from banksim.positions.vocabulary import CURRENCIES, RATINGS


def categorical(codes: np.ndarray, categories: tuple[str, ...]) -> Any:
    return pd.Categorical.from_codes(codes.astype(np.int16), dtype=pd.CategoricalDtype(list(categories)))


def protection_for(positions: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """30% of the credit lines with one collateral item (cash or a bond), 10% with a guarantee."""
    rng = np.random.default_rng(seed)
    credit = np.flatnonzero(positions["side"].isin(["asset", "off_balance"]).to_numpy())
    drawn = positions["drawn_amount"].to_numpy() + positions["off_balance_amount"].to_numpy()
    collateral = credit[rng.random(len(credit)) < 0.30]
    guaranteed = credit[rng.random(len(credit)) < 0.10]
    owners = np.concatenate([collateral, guaranteed])
    m, c = len(owners), len(collateral)
    kinds = np.where(np.arange(m) < c, np.where(rng.random(m) < 0.5, "cash", "debt_security"), "guarantee")
    issuers = np.where(kinds == "cash", "none", rng.choice(["sovereign", "bank", "corporate"], m))
    order = np.argsort(owners, kind="stable")
    table = pd.DataFrame(
        {
            "position_id": positions["position_id"].to_numpy()[owners],
            "protection_type": categorical(pd.Index(PROTECTION_TYPES).get_indexer(kinds), PROTECTION_TYPES),
            "amount": drawn[owners] * rng.uniform(0.2, 0.8, m),
            "currency": categorical(rng.choice([0, 0, 0, 1], m), CURRENCIES),
            "issuer_type": categorical(pd.Index(ISSUER_TYPES).get_indexer(issuers), ISSUER_TYPES),
            "rating": categorical(
                np.where(kinds == "cash", RATINGS.index("unrated"), rng.choice([0, 3, 5], m)), RATINGS
            ),
            "security_residual_maturity": rng.uniform(0.5, 12.0, m),
        }
    )
    return table.take(order).reset_index(drop=True)


def main() -> None:
    compute = bs.compute_rwa.func  # what the service computes on a miss (no hashing, no store)
    sa_bank = bs.generate_positions(1_000_000, 1)
    irb_bank = bs.generate_positions(1_000_000, 1, config={"irb_share": 0.3})
    sa_protection, irb_protection = protection_for(sa_bank), protection_for(irb_bank)
    compute(sa_bank.head(2000), protection=protection_for(sa_bank.head(2000)))  # warm-up
    medians = round_robin(
        {
            "all SA, no protection": lambda: compute(sa_bank),
            "all SA, with protection": lambda: compute(sa_bank, protection=sa_protection),
            "30% IRB, no protection": lambda: compute(irb_bank),
            "30% IRB, with protection": lambda: compute(irb_bank, protection=irb_protection),
        }
    )
    print(
        f"1,000,000 positions; protection items: SA bank {len(sa_protection):,}, "
        f"IRB bank {len(irb_protection):,}"
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine)")
    for name, (wall, cpu) in medians.items():
        print(f"compute_rwa {name:<26} {wall * 1e3:8.1f} ms wall {cpu * 1e3:8.1f} ms CPU")


if __name__ == "__main__":
    main()

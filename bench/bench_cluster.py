"""Sweep throughput on Dask LocalClusters of 1, 2 and 4 worker processes; prints scenarios/s and ratios.

Run: ``.venv/bin/python bench/bench_cluster.py [scenarios] [positions] [rounds]``. The three
clusters take turns in one run (round-robin, so machine noise hits them alike); every sweep, the
warm-ups included, is on a bank seed no other sweep used, so nothing comes from the cache. The
store: a temporary PostgreSQL database on the server of TEST_PG_URL (or of a postgresql DB_URL),
dropped at the end, else a temporary SQLite file; payloads in a temporary folder.
"""

from __future__ import annotations

import itertools
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text

import banksim as bs

WORKERS = (1, 2, 4)


@contextmanager
def database(folder: str) -> Iterator[str]:
    """A fresh PostgreSQL database when a server is configured, else a SQLite file; its URL."""
    server = os.environ.get("TEST_PG_URL") or os.environ.get("DB_URL", "")
    if not server.startswith("postgresql"):
        yield f"sqlite:///{folder}/bench.db"
        return
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"banksim_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def scenarios(count: int) -> list[bs.Scenario]:
    """Up to 32 scenarios, each with its own balance-sheet shock: all five steps run for each,
    only the bank's positions are shared."""
    grid = bs.scenario_grid(
        pd_multiplier=[1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0],
        house_price_change=[-0.05, -0.1, -0.2, -0.3],
    )
    return grid[:count]


def main(count: int = 16, positions: int = 10_000, rounds: int = 3) -> None:
    from distributed import Client, LocalCluster

    batch = scenarios(count)
    seeds = itertools.count(int(time.time()) % 100_000 * 100)  # fresh banks, run after run
    with tempfile.TemporaryDirectory(prefix="banksim-bench-cluster-") as folder, database(folder) as url:
        store = bs.Store(url, "file", f"{folder}/artifacts")
        clusters = {
            n: LocalCluster(
                n_workers=n,
                processes=True,
                threads_per_worker=1,
                dashboard_address=":0",  # any free port: other clusters may hold 8787
                silence_logs=logging.ERROR,  # no connection-closed noise at shutdown
                local_directory=f"{folder}/dask-{n}",
            )
            for n in WORKERS
        }
        clients = {n: Client(cluster) for n, cluster in clusters.items()}
        seconds: dict[int, list[float]] = {n: [] for n in WORKERS}
        busy: dict[int, list[float]] = {n: [] for n in WORKERS}  # scenario-seconds per second
        hits: set[int] = set()
        try:
            with bs.use_store(store):
                for n, client in clients.items():  # warm-up: imports, store connections, code versions
                    bs.sweep(batch[: 2 * n], positions, next(seeds), executor=client, progress=False)
                for _ in range(rounds):
                    for n, client in clients.items():
                        start = time.perf_counter()
                        table = bs.sweep(batch, positions, next(seeds), executor=client, progress=False)
                        seconds[n].append(time.perf_counter() - start)
                        busy[n].append(table["seconds"].sum() / seconds[n][-1])
                        failed = table[table["status"] != "ok"]
                        assert failed.empty, failed[["scenario", "error"]]
                        # a fresh bank: no stored run record, and the same steps loaded in every sweep
                        # (the positions and steps whose inputs repeat within the batch)
                        assert not table["record"].any(), "a sweep was served from the cache"
                        hits.add(int(table["hits"].sum()))
        finally:
            for client in clients.values():
                client.close()
            for cluster in clusters.values():
                cluster.close()
            store.close()
    assert len(hits) == 1, f"sweeps of the same batch loaded different numbers of steps: {hits}"
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(f"sweep of {count} scenarios, {positions:,} positions, {rounds} rounds, {backend} store,")
    print(f"{os.cpu_count()} cores; each sweep loads {hits.pop()} of {5 * count} steps (shared in the batch)")
    print(f"{'workers':>8} {'median s':>9} {'scen/s':>7} {'vs 1':>6} {'busy':>5}   all runs (s)")
    base = statistics.median(seconds[1])
    for n in WORKERS:
        median = statistics.median(seconds[n])
        runs = " ".join(f"{s:.1f}" for s in seconds[n])
        load = statistics.median(busy[n])
        print(f"{n:>8} {median:>9.2f} {count / median:>7.2f} {base / median:>5.2f}x {load:>5.2f}   {runs}")
    print("busy: the scenarios' own seconds per wall second (tasks in flight, waits for a lease included)")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))

"""Sweeps on a Dask cluster: four worker processes on one PostgreSQL store with payloads on S3.

The S3 is moto's server (``s3_bucket``), the database a fresh PostgreSQL one (``pg_database_url``);
the workers are spawned after the fixtures set the AWS_* variables, so they inherit them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pandas as pd
import psutil
import pytest
from sqlalchemy import select, text

import banksim as bs
from banksim.store import ARTIFACTS, SIMULATIONS

pytestmark = pytest.mark.slow

BANK = {"num_positions": 1_000, "seed": 21}


def grid() -> list[bs.Scenario]:
    """40 scenarios: 4 PD multipliers x 2 house-price shocks x 5 dividends, one bank."""
    return bs.scenario_grid(
        pd_multiplier=[1.0, 1.5, 2.0, 3.0],
        house_price_change=[0.0, -0.1],
        dividend=[0.0, 0.05, 0.1, 0.15, 0.2],
    )


@pytest.fixture
def team_store(pg_database_url: str, s3_bucket: str) -> Iterator[bs.Store]:
    """An empty PostgreSQL store whose payloads go to a fresh prefix of the S3 bucket."""
    store = bs.Store(pg_database_url, "file", f"{s3_bucket}/cluster-{uuid.uuid4().hex[:12]}")
    with store.transaction(write=True) as conn:  # other tests of the session share this database
        for table in ("simulations", "artifacts", "configurations"):
            conn.execute(text(f"DELETE FROM {table}"))
    with bs.use_store(store):
        yield store
    store.close()


@pytest.fixture
def cluster_client(tmp_path) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A client of a LocalCluster of 4 worker processes; afterwards no worker process is left."""
    from distributed import Client, LocalCluster

    before = {child.pid for child in psutil.Process().children(recursive=True)}
    cluster = LocalCluster(
        n_workers=4,
        processes=True,
        threads_per_worker=1,
        dashboard_address=":0",
        local_directory=str(tmp_path / "dask"),
    )
    client = Client(cluster)
    try:
        workers = set(client.run(os.getpid).values())
        assert len(workers) == 4
        yield client
    finally:
        client.close()
        cluster.close()
    started = [child for child in psutil.Process().children(recursive=True) if child.pid not in before]
    _gone, alive = psutil.wait_procs(started, timeout=10)
    # multiprocessing's resource tracker lives as long as this process; nothing else may stay
    alive = [child for child in alive if "resource_tracker" not in " ".join(child.cmdline())]
    assert alive == [], f"processes left running: {alive}"
    assert not any(psutil.pid_exists(pid) for pid in workers)


def test_sweep_on_a_dask_cluster_with_postgresql_and_s3(
    team_store: bs.Store,
    cluster_client: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenarios = grid()
    assert len(scenarios) == 40
    table = bs.sweep(scenarios, **BANK, executor=cluster_client, progress=True)

    # every scenario once, in order, computed fine: the unshocked one first, here (every other builds
    # on it), the others by several worker processes; progress shown
    assert list(table["scenario"]) == [s.name for s in scenarios]
    assert (table["status"] == "ok").all(), table.loc[table["status"] != "ok", ["scenario", "error"]]
    assert scenarios[0].shocks == bs.Shocks() and table["pid"].iloc[0] == os.getpid()
    workers = set(table["pid"].iloc[1:])
    assert len(workers) > 1 and os.getpid() not in workers
    assert "40/40" in capsys.readouterr().err

    # every scenario's run record stored once; no (kind, key) stored twice
    runs = bs.query(
        "SELECT scenario_name, count(*) AS n FROM configurations WHERE kind = 'pipeline' GROUP BY ALL"
    )
    assert dict(zip(runs["scenario_name"], runs["n"], strict=True)) == {s.name: 1 for s in scenarios}
    entries = team_store.list_entries()
    assert not entries.duplicated(["kind", "params_hash"]).any()

    # no orphan objects: the objects under the prefix are exactly the files the rows point at
    with team_store.transaction() as conn:
        paths = [p for t in (SIMULATIONS, ARTIFACTS) for (p,) in conn.execute(select(t.c.data_path))]
    files = [p for p in paths if p is not None]  # the others are small payloads in their rows (INLINE_KB)
    assert len(paths) == len(entries) and 0 < len(files) < len(paths)
    assert sorted(relative for relative, _ in team_store.files.listing()) == sorted(files)
    no_grace = dt.timedelta(0)  # no process writes now: any unreferenced object is old enough
    assert team_store.remove_orphans(dry_run=True, grace=no_grace) == []
    stray = "kind=rwa/params_hash=stray/left-by-a-crash.parquet"  # the same check finds a real orphan
    team_store.files.fs.pipe_file(f"{team_store.files.root}/{stray}", b"partial")
    assert team_store.remove_orphans(grace=no_grace) == [stray]

    # the shared positions computed once (by the unshocked run, here): every worker loaded them
    positions_key = bs.run_pipeline(**BANK, scenario=scenarios[0]).steps["positions"]["key"]
    assert team_store.configuration(positions_key)["miss_count"] == 1
    misses = bs.query("SELECT kind, params_hash, misses FROM configurations WHERE misses <> 1")
    assert misses.empty, f"keys computed more than once:\n{misses}"

    # SQL over the S3 payloads gives the tables the workers computed, loaded here directly
    expected = []
    for scenario in scenarios:
        result = bs.run_pipeline(**BANK, scenario=scenario)
        assert set(result.hits().values()) <= {True, None}, result.hits()  # all loaded from the store
        summary = bs.rwa_summary(result.rwa).astype({"exposure_class": str})
        by_class = summary.groupby("exposure_class")["rwa"].sum().reset_index()
        expected.append(by_class.assign(scenario=scenario.name))
    in_memory = pd.concat(expected).sort_values(["scenario", "exposure_class"], ignore_index=True)
    from_sql = bs.rwa_by_class_across_scenarios()[["scenario", "exposure_class", "rwa"]]
    from_sql = from_sql.sort_values(["scenario", "exposure_class"], ignore_index=True)
    pd.testing.assert_frame_equal(from_sql, in_memory[from_sql.columns], check_dtype=False)
    one = bs.run_pipeline(**BANK, scenario=scenarios[-1])
    lines = bs.query(
        f"SELECT * EXCLUDE (params_hash) FROM rwa WHERE params_hash = '{one.steps['rwa']['key']}'"
    )
    order = ["position_id", "risk_type"]
    pd.testing.assert_frame_equal(
        lines.sort_values(order, ignore_index=True),
        one.rwa.reset_index(drop=True).sort_values(order, ignore_index=True)[lines.columns],
        check_dtype=False,
        check_categorical=False,
    )


def test_a_failing_scenario_on_dask_is_reported_not_fatal(sqlite_store: bs.Store) -> None:
    """A scenario that raises on a worker is one failed row; the others complete."""
    from distributed import Client, LocalCluster

    scenarios = [
        "baseline",
        bs.Scenario("too_much_growth", bs.Shocks(product_growth={"corporate_loan": 9.0})),
    ]
    with (
        LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        table = bs.sweep(scenarios, **BANK, executor=client, progress=False).set_index("scenario")
    assert table.loc["baseline", "status"] == "ok"
    assert table.loc["too_much_growth", "status"] == "failed"
    assert "central bank reserves" in table.loc["too_much_growth", "error"]


def test_import_banksim_does_not_load_dask() -> None:
    script = "import json, sys, banksim; print(json.dumps([m for m in ('dask', 'distributed') if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []

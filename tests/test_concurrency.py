"""Reliability: several processes hammering overlapping keys, and a writer killed mid-write."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

import banksim as bs

WORKERS = 4
KEYS = 6
ROUNDS = 12


def frame_for(key: int) -> pd.DataFrame:
    """Every writer writes the same content for a key, so any winner is the right answer."""
    rng = np.random.default_rng(key)
    return pd.DataFrame({"key": key, "value": rng.random(2000), "label": [f"k{key}"] * 2000})


@bs.cached(kind="hammered")
def hammered(key: int) -> pd.DataFrame:
    return frame_for(key)


def worker(url: str, artifact_path: str, mode: str, worker_id: int) -> list[str]:
    errors: list[str] = []
    store = bs.Store(url, mode, artifact_path, inline_kb=0)  # file mode: every payload a file, counted
    with bs.use_store(store):
        for round_ in range(ROUNDS):
            key = (worker_id + round_) % KEYS
            try:
                store.save_dataframe("hammer", f"k{key}", frame_for(key))
                loaded = store.load_dataframe("hammer", f"k{(key + 1) % KEYS}")
                if loaded is not None and not loaded.equals(frame_for((key + 1) % KEYS)):
                    errors.append(f"wrong content for k{(key + 1) % KEYS}")
                result, _ = hammered(key, use_cache=round_ % 3 != 0)
                if not result.equals(frame_for(key)):
                    errors.append(f"wrong cached result for {key}")
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
    store.close()
    return errors


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["file", "db"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_writing_overlapping_keys_never_error_or_duplicate(
    backend: str, mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        url = request.getfixturevalue("pg_database_url")
    store = bs.Store(url, mode, tmp_path / "artifacts", inline_kb=0)  # also brings the schema to head
    with store.transaction(write=True) as conn:
        for table in ("simulations", "artifacts", "configurations"):
            conn.execute(text(f"DELETE FROM {table}"))
    context = mp.get_context("spawn")
    with context.Pool(WORKERS) as pool:
        results = pool.starmap(worker, [(url, str(tmp_path / "artifacts"), mode, i) for i in range(WORKERS)])
    assert [e for errors in results for e in errors] == []
    with store.transaction() as conn:
        counts = conn.execute(
            text("SELECT kind, params_hash, count(*) FROM simulations GROUP BY kind, params_hash")
        ).all()
    assert len(counts) == 2 * KEYS and all(n == 1 for _, _, n in counts)
    for key in range(KEYS):
        assert store.load_dataframe("hammer", f"k{key}").equals(frame_for(key))
    if mode == "file":  # a table, or the columns it shares with another (banksim.store.shared)
        files = [p for p in (tmp_path / "artifacts").rglob("*") if p.suffix in (".parquet", ".columns")]
        assert len(files) == 2 * KEYS, "replaced payload files are removed"
    store.close()


KILLED_WRITER = """
import sys, numpy as np, pandas as pd, banksim as bs
store = bs.Store(sys.argv[1], "file", sys.argv[2])
frame = pd.DataFrame({"x": np.arange(3_000_000, dtype="float64")})
print("ready", flush=True)
while True:
    store.save_dataframe("big", "victim", frame)
"""


@pytest.mark.slow
def test_a_writer_killed_mid_write_never_leaves_a_half_written_result(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    store = bs.Store(url, "file", tmp_path / "artifacts")
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, url, str(tmp_path / "artifacts")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    time.sleep(1.5)  # several saves, the kill lands in one of them
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    loaded = store.load_dataframe("big", "victim")
    if loaded is not None:  # either the last committed value, complete, or nothing
        assert len(loaded) == 3_000_000 and loaded["x"].iloc[-1] == 2_999_999
    with store.transaction() as conn:
        assert conn.execute(text("SELECT count(*) FROM simulations")).scalar_one() <= 1
    store.save_dataframe("big", "victim", pd.DataFrame({"x": [1.0]}))  # the store still works
    assert store.load_dataframe("big", "victim").equals(pd.DataFrame({"x": [1.0]}))
    store.close()


def test_threads_sharing_a_store_and_a_small_memory_tier_get_right_answers(tmp_path: Path) -> None:
    """Eight threads, six keys, a tier that holds about two frames: constant eviction, no mix-ups."""
    from concurrent.futures import ThreadPoolExecutor

    store = bs.Store(f"sqlite:///{tmp_path / 's.db'}", "file", tmp_path / "a", memory_cache_mb=0)
    frame_bytes = int(frame_for(0).memory_usage(index=True).sum())
    store.recent.limit_bytes = 2 * frame_bytes + 1

    def run(worker_id: int) -> list[str]:
        errors = []
        with bs.use_store(store):
            for round_ in range(ROUNDS):
                key = (worker_id + round_) % KEYS
                got, _ = hammered(key)
                if not got.equals(frame_for(key)):
                    errors.append(f"thread {worker_id} round {round_}: wrong frame for key {key}")
                got.loc[0, "value"] = -1.0  # a caller changing its copy must not reach the others
        return errors

    with ThreadPoolExecutor(8) as pool:
        errors = [e for found in pool.map(run, range(8)) for e in found]
    assert errors == []
    assert store.recent.hits > 0 and store.recent.size_bytes <= store.recent.limit_bytes
    store.close()

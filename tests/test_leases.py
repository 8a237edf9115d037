"""One computation per key: processes that miss the same key wait for the one holding its lease;
a killed holder's lease expires and another process takes over; use_cache=False bypasses it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

import banksim as bs

SLOW = """
import os, sys, time
import pandas as pd
import banksim as bs

COUNTER = os.environ["BANKSIM_TEST_COUNTER"]

@bs.cached(kind="slow_square", ignore=("pause",))  # one key, however long it takes
def slow_square(n: int, pause: float) -> pd.DataFrame:
    with open(COUNTER, "a") as handle:
        handle.write(f"start {os.getpid()}\\n")
    time.sleep(pause)
    with open(COUNTER, "a") as handle:
        handle.write(f"done {os.getpid()}\\n")
    return pd.DataFrame({"n": [n], "square": [n * n]})

if __name__ == "__main__":
    url, artifacts, n, pause, lease_seconds = sys.argv[1:6]
    with bs.Store(url, "file", artifacts, lease_seconds=float(lease_seconds)) as store:
        with open(COUNTER, "a") as handle:
            handle.write(f"ready {os.getpid()}\\n")  # imported and opened: the next thing is the call
        frame, hit = slow_square(int(n), float(pause))
        print(f"{int(frame['square'].iloc[0])} {hit}")
"""


@pytest.fixture
def slow_module(tmp_path: Path) -> Path:
    path = tmp_path / "slow_module.py"
    path.write_text(textwrap.dedent(SLOW))
    return path


def _start(
    module: Path, url: str, tmp_path: Path, pause: float, lease_seconds: float = 30.0
) -> subprocess.Popen:
    env = {
        **os.environ,
        "BANKSIM_TEST_COUNTER": str(tmp_path / "calls.log"),
        "PYTHONPATH": str(module.parent),
    }
    command = [
        sys.executable,
        str(module),
        url,
        str(tmp_path / "artifacts"),
        "12",
        str(pause),
        str(lease_seconds),
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _events(tmp_path: Path) -> list[str]:
    """What the processes did, in order, without their "ready" lines."""
    path = tmp_path / "calls.log"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line.split()[0] for line in lines if not line.startswith("ready")]


def _ready(tmp_path: Path) -> int:
    path = tmp_path / "calls.log"
    return sum(line.startswith("ready") for line in path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    from conftest import _clear

    url = request.getfixturevalue("pg_database_url")
    store = bs.Store(url, "file", tmp_path / "artifacts")
    _clear(store)
    store.close()
    return url


@pytest.mark.slow
def test_eight_processes_missing_one_key_compute_it_once(slow_module: Path, url: str, tmp_path: Path) -> None:
    bs.Store(url, "file", tmp_path / "artifacts").close()  # migrated once, before the race
    workers = [_start(slow_module, url, tmp_path, pause=1.5) for _ in range(8)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), [err for _, err in outputs]
    assert _events(tmp_path) == ["start", "done"]  # one computation
    answers = sorted(out.split()[1] for out, _ in outputs)
    assert [out.split()[0] for out, _ in outputs] == ["144"] * 8
    assert answers == ["False"] + ["True"] * 7  # seven were served the one result
    with bs.Store(url, "file", tmp_path / "artifacts") as store:
        entries = store.list_entries()
        assert len(entries) == 1
        assert store.configuration(entries["params_hash"].iloc[0])["miss_count"] == 1


LEASE = 5.0  # seconds; renewed every LEASE / 3, with room for a loaded machine


@pytest.mark.slow
def test_a_killed_holders_lease_expires_and_another_process_computes(
    slow_module: Path, url: str, tmp_path: Path
) -> None:
    bs.Store(url, "file", tmp_path / "artifacts").close()
    holder = _start(slow_module, url, tmp_path, pause=60, lease_seconds=LEASE)
    deadline = time.monotonic() + 60
    while _events(tmp_path) != ["start"]:
        assert time.monotonic() < deadline and holder.poll() is None, (
            holder.stderr.read() if holder.stderr else ""
        )
        time.sleep(0.05)
    waiter = _start(slow_module, url, tmp_path, pause=0, lease_seconds=LEASE)
    while _ready(tmp_path) < 2:  # the waiter is imported and about to call
        assert time.monotonic() < deadline and waiter.poll() is None
        time.sleep(0.05)
    time.sleep(LEASE * 1.5)  # longer than a lease: only the holder's renewals keep the waiter waiting
    assert waiter.poll() is None, "the waiter computed while a live lease was held"
    assert _events(tmp_path) == ["start"]
    os.kill(holder.pid, signal.SIGKILL)  # no release: the lease must expire by itself
    holder.wait(10)
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, err
    assert out.split() == ["144", "False"]
    assert _events(tmp_path) == ["start", "start", "done"]


@bs.cached(kind="counted_here")
def counted_here(n: int) -> pd.DataFrame:
    calls.append(n)
    return pd.DataFrame({"n": [n]})


calls: list[int] = []


def test_use_cache_false_does_not_wait_for_a_lease(store: bs.Store) -> None:
    calls.clear()
    lease = store.claim(counted_here.key(3))
    assert lease is not None
    try:
        assert store.claim(counted_here.key(3)) is None  # held: nobody else may claim it
        _, hit = counted_here(3, use_cache=False)  # computes at once, no waiting
        assert not hit and calls == [3]
    finally:
        lease.release()
    again = store.claim(counted_here.key(3))
    assert again is not None
    again.release()


def test_an_expired_lease_can_be_taken_over(sqlite_store: bs.Store) -> None:
    sqlite_store.lease_seconds = 2.0
    first = sqlite_store.claim("k")
    assert first is not None
    first.abandon()  # what a crash does: no more renewal, no release
    assert sqlite_store.claim("k") is None  # not yet expired
    time.sleep(2.5)
    second = sqlite_store.claim("k")
    assert second is not None
    first.release()  # the old owner's release does not remove the new owner's lease
    assert sqlite_store.claim("k") is None
    second.release()
    third = sqlite_store.claim("k")
    assert third is not None
    third.release()


def test_a_held_lease_is_renewed_beyond_its_first_expiry(sqlite_store: bs.Store) -> None:
    sqlite_store.lease_seconds = 1.5
    lease = sqlite_store.claim("k")
    assert lease is not None
    time.sleep(4.0)  # well past 1.5 s: only renewal (every 0.5 s) keeps it
    assert sqlite_store.claim("k") is None
    lease.release()


@pytest.mark.parametrize("seconds", [0, -1, float("inf"), float("nan"), "30"])
def test_lease_seconds_is_a_positive_duration(seconds: object, tmp_path: Path) -> None:
    with pytest.raises(bs.InputError, match="lease_seconds"):
        bs.Store(f"sqlite:///{tmp_path / 's.db'}", "file", tmp_path / "a", lease_seconds=seconds)  # type: ignore[arg-type]


def test_one_thread_renews_every_lease_a_store_holds(sqlite_store: bs.Store) -> None:
    before = set(threading.enumerate())  # other stores' renewing threads may still be there
    held = [sqlite_store.claim(f"k{i}") for i in range(5)]
    assert all(lease is not None for lease in held)
    started = [t for t in threading.enumerate() if t not in before]
    assert [t.name for t in started] == ["banksim-leases"]
    for lease in held:
        assert lease is not None
        lease.release()


def test_a_computed_result_takes_its_lease_away_in_its_own_commit(
    sqlite_store: bs.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lease row goes in the transaction that commits the result: no separate release writes."""
    from banksim.store import leases

    separate: list[str] = []
    real = leases.Lease.release

    def counting(lease: leases.Lease, *, deleted: bool = False) -> None:
        if not deleted:
            separate.append(lease.params_hash)
        real(lease, deleted=deleted)

    monkeypatch.setattr(leases.Lease, "release", counting)
    counted_here(11)
    sqlite_store.flush()
    assert separate == []
    with sqlite_store.transaction() as conn:
        assert conn.execute(text("SELECT count(*) FROM leases")).scalar() == 0
    assert sqlite_store.claim(counted_here.key(11)) is not None  # free for the next claim

"""Write-behind: a miss returns once computed; the store writes it after, and keeps every guarantee.

Each guarantee of issue 21 has its test: rows only after whole payloads (kill -9 included, on SQLite
and PostgreSQL), a pending key served from memory or waited for and never recomputed, a snapshot
the caller cannot change, a bound on bytes in flight, draining on flush and at exit, logged errors
that leave no row, and the setting that turns it off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import banksim as bs
from banksim.store.core import Store
from conftest import new_pg_database

calls: list[int] = []


@bs.cached(kind="wb_block")
def block(n: int) -> pd.DataFrame:
    calls.append(n)
    return pd.DataFrame({"x": np.arange(n, dtype="float64"), "y": np.arange(n) % 7})


class Gate:
    """Holds the writer thread before each write until opened (patches ``Store._write_result``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = threading.Event()
        self.entered = threading.Event()
        real = Store._write_result

        def held(store: Store, *args: Any, **kwargs: Any) -> None:
            self.entered.set()
            assert self.open.wait(30), "the test never opened the gate"
            real(store, *args, **kwargs)

        monkeypatch.setattr(Store, "_write_result", held)


@pytest.fixture(params=["sqlite", "postgresql"])
def wb_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store with write-behind on, on SQLite and on PostgreSQL (a database of its own)."""
    calls.clear()
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'wb.db'}"
        else:
            url = stack.enter_context(new_pg_database("banksim_test_wb"))
        store = Store(url, "file", tmp_path / "artifacts", write_behind_mb=64)
        with bs.use_store(store):
            yield store
        store.close()


def _row_count(store: Store, key: str) -> int:
    from sqlalchemy import text

    with store.transaction() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM configurations WHERE params_hash = :k"), {"k": key}
            ).scalar()
        )


def test_a_miss_returns_before_its_row_is_written_and_flush_writes_it(
    wb_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    frame, hit = block(1000)
    assert not hit and len(frame) == 1000
    assert gate.entered.wait(10)  # the writer has it, and is held
    key = block.key(1000)
    assert _row_count(wb_store, key) == 0 and wb_store.pending(key) is not None
    gate.open.set()
    assert wb_store.flush(timeout=30)
    assert _row_count(wb_store, key) == 1 and wb_store.pending(key) is None
    wb_store.recent.clear()  # read it back from its file, not from memory
    again, hit = block(1000)
    assert hit and calls == [1000]
    pd.testing.assert_frame_equal(again, frame)


def test_a_second_call_for_a_pending_key_is_served_from_memory_never_recomputed(
    wb_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    block(500)
    second, hit = block(500)
    assert hit and calls == [500]  # not computed again
    second.loc[0, "x"] = -1.0  # the copy served is the caller's own
    third, hit = block(500)
    assert hit and third.loc[0, "x"] == 0.0
    gate.open.set()
    wb_store.flush()
    assert wb_store.stats().loc["wb_block", "hits"] == 2  # hits on the pending result are counted


def test_the_caller_changing_its_result_in_place_does_not_change_what_is_stored(
    wb_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    frame, _ = block(300)
    frame.loc[:, "x"] = 99.0  # while the write is still pending
    frame["y"] = 0
    gate.open.set()
    wb_store.flush()
    wb_store.recent.clear()
    stored, hit = block(300)
    assert hit and stored["x"].tolist() == [float(i) for i in range(300)]
    assert stored["y"].tolist() == [i % 7 for i in range(300)]


def test_the_bound_on_bytes_in_flight_blocks_the_caller_until_the_writer_catches_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls.clear()
    store = Store(f"sqlite:///{tmp_path / 'b.db'}", "file", tmp_path / "a", write_behind_mb=1)
    gate = Gate(monkeypatch)
    rows = 50_000  # two float/int columns: 800 kB, so two do not fit in 1 MiB
    with bs.use_store(store):
        block(rows)
        assert store.write_queue is not None and store.write_queue.bytes_in_flight >= 800_000
        done = threading.Event()

        def call_second() -> None:
            with bs.use_store(store):
                block(rows + 1)
            done.set()

        second = threading.Thread(target=call_second)
        second.start()
        assert not done.wait(0.5)  # blocked: the first result is still in flight
        assert calls == [rows, rows + 1]  # computed, then waiting to queue its result
        gate.open.set()
        second.join(30)
        assert done.is_set()
        store.flush()
        assert _row_count(store, block.key(rows)) == 1 and _row_count(store, block.key(rows + 1)) == 1
    store.close()


def test_another_store_on_the_same_database_waits_for_the_pending_result(
    wb_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    expected, _ = block(2000)  # computed; its lease is held until its row commits
    other = Store(wb_store.url, "file", tmp_path / "artifacts", write_behind_mb=0, memory_cache_mb=0)
    got: list[pd.DataFrame] = []

    def from_other() -> None:
        with bs.use_store(other):
            frame, hit = block(2000)
            assert hit
            got.append(frame)

    waiter = threading.Thread(target=from_other)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive() and not got  # waiting for the lease holder, not computing
    gate.open.set()
    waiter.join(30)
    assert calls == [2000] and len(got) == 1
    pd.testing.assert_frame_equal(got[0], expected)
    other.close()


def test_a_write_error_is_logged_with_its_key_and_leaves_no_row(
    wb_store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from banksim import payloads

    def broken(frame: pd.DataFrame, argument: str = "df", **_: object) -> payloads.Payload:
        raise OSError("disk on fire")

    monkeypatch.setattr(payloads, "encode_dataframe", broken)
    with caplog.at_level(logging.ERROR, logger="banksim.store"):
        frame, hit = block(10)
        wb_store.flush()
    key = block.key(10)
    assert not hit and len(frame) == 10
    assert f"wb_block {key[:12]} was not stored" in caplog.text and "disk on fire" in caplog.text
    assert _row_count(wb_store, key) == 0 and wb_store.pending(key) is None
    assert not any(path.is_file() for path in Path(wb_store.artifact_root).rglob("*"))
    monkeypatch.undo()
    _, hit = block(10)  # nothing was stored: computed again, and stored this time
    wb_store.flush()
    assert not hit and calls == [10, 10] and _row_count(wb_store, key) == 1


def test_the_setting_turns_it_off(tmp_path: Path) -> None:
    calls.clear()
    with bs.override_settings(write_behind_mb=0):
        store = Store(f"sqlite:///{tmp_path / 'off.db'}", "file", tmp_path / "a")
    assert store.write_queue is None
    with bs.use_store(store):
        block(100)
        assert _row_count(store, block.key(100)) == 1  # written before the call returned
    store.close()
    with pytest.raises(bs.InputError, match="WRITE_BEHIND_MB"):
        bs.Settings(write_behind_mb=-1)


# -- other processes: exit drains the queue, kill -9 never leaves a row without its payload ----------

CHILD_MODULE = """
import sys, time
import numpy as np, pandas as pd
import banksim as bs


@bs.cached(kind="wb_child")
def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(n, dtype="float64")})


def main(url, artifacts, slow, ending):
    from banksim.store import backends
    from banksim.store.core import Store

    real_write = backends.LocalFiles.write

    def half_then_rest(self, relative, payload):  # a slow write, half-done midway
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.parent / ("half-" + target.name), "wb") as handle:
            handle.write(memoryview(payload.data)[: payload.size_bytes // 2])
        time.sleep(slow)
        return real_write(self, relative, payload)

    backends.LocalFiles.write = half_then_rest
    store = Store(url, "file", artifacts, write_behind_mb=512, lease_seconds=1.0, inline_kb=0)  # files to watch
    with bs.use_store(store):
        for n in range(1, 6):
            frame(1000 * n)
        from pathlib import Path

        while not any(Path(artifacts).rglob("half-*")):  # the first write is under way
            time.sleep(0.005)
        print("returned", flush=True)
        if ending == "exit":
            sys.exit(0)  # no flush: process exit must drain the queue
        time.sleep(60)
"""


def _child(url: str, folder: Path, slow: float, ending: str) -> subprocess.Popen[str]:
    (folder / "wb_child_module.py").write_text(CHILD_MODULE)
    script = (
        f"import wb_child_module as m; m.main({url!r}, {str(folder / 'artifacts')!r}, {slow}, {ending!r})"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), *sys.path])}
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'child.db'}"
    else:
        with new_pg_database("banksim_test_wb") as url:
            yield url


def _stored_rows(url: str, artifacts: Path) -> tuple[int, pd.DataFrame]:
    store = Store(url, "file", artifacts, write_behind_mb=0, memory_cache_mb=0)
    try:
        entries = store.list_entries("wb_child")
        damaged = store.verify("wb_child", dry_run=True)
        return len(entries), damaged
    finally:
        store.close()


def test_process_exit_drains_pending_writes(database_url: str, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    child = _child(database_url, tmp_path, 0.2, "exit")
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "returned"
        assert child.wait(60) == 0
    finally:
        child.kill()
        child.wait()
    count, damaged = _stored_rows(database_url, artifacts)
    assert count == 5 and damaged.empty


def test_kill_9_during_pending_writes_loses_them_and_never_leaves_a_partial_payload(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifacts = tmp_path / "artifacts"
    child = _child(database_url, tmp_path, 1.0, "sleep")
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "returned"
        os.kill(child.pid, signal.SIGKILL)  # while the first write is half-done
    finally:
        child.kill()
        child.wait()
    count, damaged = _stored_rows(database_url, artifacts)
    assert count < 5 and damaged.empty  # pending writes lost, none half-committed
    assert any(path.name.startswith("half-") for path in artifacts.rglob("*"))  # it was mid-write
    monkeypatch.syspath_prepend(str(tmp_path))
    import wb_child_module  # the child's own function: the same keys

    store = Store(database_url, "file", artifacts, write_behind_mb=0, lease_seconds=1.0)
    hits = []
    with bs.use_store(store):
        for n in range(1, 6):  # every key comes back right: loaded, or recomputed once its lease expired
            result, hit = wb_child_module.frame(1000 * n)
            hits.append(hit)
            assert result["x"].tolist() == [float(i) for i in range(1000 * n)]
    store.close()
    assert sum(hits) == count  # what was committed is whole and loads; the rest was recomputed
    sys.modules.pop("wb_child_module", None)


def test_a_payload_not_written_whole_leaves_no_row(
    wb_store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Each file is checked to hold every byte of its payload before a row may point at it."""
    from banksim import payloads

    monkeypatch.setattr(wb_store, "inline_bytes", 0)  # a file, even for this small result
    monkeypatch.setattr(payloads.Payload, "size_bytes", property(lambda self: len(self.as_bytes()) + 1))
    with caplog.at_level(logging.ERROR, logger="banksim.store"):
        block(50)
        wb_store.flush()
    assert "was not stored" in caplog.text and "bytes" in caplog.text
    assert _row_count(wb_store, block.key(50)) == 0
    assert not any(path.is_file() for path in Path(wb_store.artifact_root).rglob("*"))


@bs.cached(kind="wb_unstorable")
def unstorable(kind: str) -> pd.DataFrame | dict:
    calls.append(0)
    if kind == "duplicate labels":
        return pd.DataFrame([[1, 2]], columns=["a", "a"])
    if kind == "mixed objects":
        return pd.DataFrame({"a": np.array([1, "x", 2.5], dtype=object)})
    return {1: "a key that is not a string"}


@pytest.mark.parametrize("kind", ["duplicate labels", "mixed objects", "dict key"])
def test_a_result_the_store_cannot_keep_is_an_error_at_once_not_a_later_log(
    wb_store: Store, kind: str
) -> None:
    """With write-behind on, a result that cannot be encoded fails the call, as it did before: it
    is never served from memory as a hit and then lost by the writer."""
    with pytest.raises(bs.InputError, match="unstorable result"):
        unstorable(kind)
    assert wb_store.pending(unstorable.key(kind)) is None and not unstorable.is_cached(kind)


@bs.cached(kind="wb_plain")
def plain(n: int) -> pd.DataFrame:  # no call log: its key is the same in every process
    return pd.DataFrame({"x": np.arange(n, dtype="float64")})


def _compute_in_child(url: str, artifacts: str) -> None:
    import time

    real = Store._write_result

    def slow(store: Store, *args: Any, **kwargs: Any) -> None:  # still writing when the child's work is done
        time.sleep(0.5)
        real(store, *args, **kwargs)

    Store._write_result = slow  # type: ignore[method-assign]
    store = Store(url, "file", artifacts, write_behind_mb=64)
    with bs.use_store(store):
        plain(4321)  # returns at once; the child then ends (multiprocessing: os._exit, no atexit)


def test_a_forked_worker_drains_its_pending_writes_before_it_exits(tmp_path: Path) -> None:
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'fork.db'}"
    child = multiprocessing.get_context("fork").Process(
        target=_compute_in_child, args=(url, str(tmp_path / "artifacts"))
    )
    child.start()
    child.join(60)
    assert child.exitcode == 0
    store = Store(url, "file", tmp_path / "artifacts", write_behind_mb=0)
    assert _row_count(store, plain.key(4321)) == 1
    store.close()


def _count_hashes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """The shapes of the tables hashed from now on (every table's hash reads its columns through
    ``_frame_digests``: the key's, and the store's comparison with tables stored earlier)."""
    from banksim import hashing

    hashed: list[tuple[int, ...]] = []
    real = hashing._frame_digests

    def counting(frame: pd.DataFrame, path: str) -> tuple[hashing.FrameDigests, list[object]]:
        hashed.append(frame.shape)
        return real(frame, path)

    monkeypatch.setattr(hashing, "_frame_digests", counting)
    return hashed


def test_a_result_written_before_returning_is_hashed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from banksim import hashing

    hashed = _count_hashes(monkeypatch)
    store = Store(f"sqlite:///{tmp_path / 'sync.db'}", "file", tmp_path / "a", write_behind_mb=0)
    with bs.use_store(store):
        frame, hit = block(4_321)
        key = hashing.compute_params_hash(frame)  # the next step's key
    store.close()
    assert hit is False and hashed.count((4_321, 2)) == 1
    assert key == hashing.compute_params_hash(frame.copy(deep=True))


@pytest.mark.parametrize("caller_first", [True, False])
def test_a_result_is_hashed_once_by_the_caller_or_the_writer(
    wb_store: Store, monkeypatch: pytest.MonkeyPatch, caller_first: bool
) -> None:
    """The writer's copy and the caller's table share their content key: the table is hashed once,
    by whichever needs its key first (the next step taking it as an argument, or the writer), and
    the stored row's content hash is that key."""
    from banksim import hashing

    hashed = _count_hashes(monkeypatch)
    gate = Gate(monkeypatch)
    frame, hit = block(4_321)
    assert hit is False
    if caller_first:
        key = hashing.compute_params_hash(frame)  # as the next step's key would, before the write
        gate.open.set()
        wb_store.flush()
    else:
        gate.open.set()
        wb_store.flush()
        assert hashing.known_frame_key(frame) is not None  # the writer's hash reached the caller's table
        key = hashing.compute_params_hash(frame)
    assert hashed.count((4_321, 2)) == 1
    from sqlalchemy import select

    from banksim.store.rows import SIMULATIONS

    with wb_store.transaction() as conn:
        stored = conn.execute(select(SIMULATIONS.c.content_hash).where(SIMULATIONS.c.kind == "wb_block"))
        assert list(stored.scalars()) == [key]

"""Write-behind: a cached result is encoded, written and committed on a background thread.

The caller has its result as soon as it is computed; a bounded queue (bytes in flight) holds what
is still being written, and serves a second call for the same key from memory meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PendingWrite", "Writer"]

log = logging.getLogger("banksim.store")


@dataclass(eq=False)
class PendingWrite:
    """One result on its way to the store.

    Attributes
    ----------
    key : str
        The cached call's key (``params_hash``).
    values : tuple
        The result's parts, as the caller got them (snapshots the caller cannot change).
    configuration : dict
        The ``configurations`` row the write commits (its ``result_layout`` included).
    nbytes : int
        Memory the values hold (what counts against the writer's bound).
    write : callable
        Encodes, writes, verifies and commits the result; runs on the writer thread.
    describe : str
        How log lines name the result, e.g. ``rwa 3f2a9c1b0d4e``.
    done : threading.Event
        Set once the write has committed or failed.
    hits : int
        Calls served these values from memory before the write finished.
    on_hits : callable, optional
        Called with ``hits`` once the write has committed (the hit count then has a row).
    """

    key: str
    values: tuple[Any, ...]
    configuration: dict[str, Any]
    nbytes: int
    write: Callable[[], None]
    describe: str
    done: threading.Event = field(default_factory=threading.Event)
    hits: int = 0
    on_hits: Callable[[int], None] | None = None


class Writer:
    """A queue of pending writes and the thread that performs them, in order.

    Parameters
    ----------
    limit_bytes : int
        Most bytes of results waiting to be written; :meth:`submit` blocks while a new result
        would exceed it (a result larger than the bound waits until the queue is empty).

    Notes
    -----
    A write commits its rows only after its payload is written whole and its checksum known, as
    a synchronous write does (:meth:`Store._commit`), so a killed process loses its pending
    writes and never leaves a row pointing at a partial payload. A failed write is logged with
    its key and leaves no row. The thread is a daemon; :meth:`flush` (called by ``Store.flush``,
    ``Store.close`` and at process exit) waits for the queue to drain.
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self._reset()

    def _reset(self) -> None:
        self._queue: deque[PendingWrite] = deque()
        self._pending: dict[str, PendingWrite] = {}
        self._in_flight = 0
        self._busy = False
        self._changed = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        """Writes submitted and not finished."""
        with self._changed:
            return len(self._queue) + self._busy

    @property
    def bytes_in_flight(self) -> int:
        """Bytes of results submitted and not yet written."""
        return self._in_flight

    def submit(self, pending: PendingWrite) -> None:
        """Queue a write; block while the bytes in flight would exceed the bound (never on the
        writer thread itself, which would wait for itself)."""
        with self._changed:
            while (
                self._in_flight
                and self._in_flight + pending.nbytes > self.limit_bytes
                and not self.on_writer_thread()
            ):
                self._changed.wait()
            if self._thread is None or not self._thread.is_alive():
                # Started before the job is registered: if it cannot start, nothing is queued. It
                # waits for this lock, so it sees the job.
                thread = threading.Thread(target=self._run, name="banksim-writer", daemon=True)
                thread.start()
                self._thread = thread
            self._pending[pending.key] = pending
            self._queue.append(pending)
            self._in_flight += pending.nbytes
            self._changed.notify_all()

    def on_writer_thread(self) -> bool:
        """True on the writer thread itself (a write's callback)."""
        return self._thread is not None and threading.current_thread() is self._thread

    def pending(self, key: str, *, hit: bool = False) -> PendingWrite | None:
        """The newest write of ``key`` not finished yet, or None; ``hit`` counts a call it served."""
        with self._changed:
            found = self._pending.get(key)
            if found is not None and hit:
                found.hits += 1
            return found

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every write submitted so far has finished; False if ``timeout`` ran out, or
        if called on the writer thread (from a write's callback), which cannot wait for itself."""
        with self._changed:
            if self.on_writer_thread():
                return not self._queue and not self._busy
            return self._changed.wait_for(lambda: not self._queue and not self._busy, timeout)

    def after_fork(self) -> None:
        """In a forked child: forget the parent's queue (the parent writes it) and its thread."""
        self._reset()

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._queue:
                    self._thread = None
                    return
                job = self._queue.popleft()
                self._busy = True
            stored = False
            try:
                job.write()
                stored = True
            except BaseException as exc:  # logged with its key; the write left no row
                log.error("%s was not stored: %s", job.describe, exc)
            finally:
                with self._changed:  # no more hits on it once it is out of the pending map
                    if self._pending.get(job.key) is job:
                        del self._pending[job.key]
                    hits = job.hits
            if stored and hits and job.on_hits is not None:
                try:
                    job.on_hits(hits)
                except Exception as exc:  # statistics: never worth failing a write for
                    log.debug("%s: hit count not recorded: %s", job.describe, exc)
            with self._changed:
                self._in_flight -= job.nbytes
                self._busy = False
                job.done.set()
                self._changed.notify_all()

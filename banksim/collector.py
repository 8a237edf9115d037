"""The cyclic garbage collector during a sweep: collected less often, and nothing long-lived scanned.

A scenario makes hundreds of thousands of short-lived pandas objects, freed by reference counting; each
collection of Python's first generation scans the objects still alive, so a sweep spends about a
tenth of its CPU in collections at Python's default threshold (700 allocations).
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Iterator

__all__ = ["SWEEP_THRESHOLD", "fewer_collections", "freeze_long_lived"]

# The first generation's threshold while a sweep's scenarios run (Python's default: 700). Measured
# with bench/bench_pipeline.py --baseline: about a tenth of a scenario's CPU less, the same peak memory.
SWEEP_THRESHOLD = 10_000

_lock = threading.Lock()
_active = 0  # sweeps running in this process (threads of one worker may each run one)
_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the first generation's threshold to :data:`SWEEP_THRESHOLD` (if lower, and not 0: no
    automatic collection) inside the block; the process's own thresholds are back once the last such
    block in it has ended."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            if 0 < _saved[0] < SWEEP_THRESHOLD:  # 0: the process collects only when asked; kept
                gc.set_threshold(SWEEP_THRESHOLD, *_saved[1:])
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None


def _after_fork() -> None:
    """In a forked child: a new lock (another thread may have held the parent's at the fork)."""
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def freeze_long_lived() -> None:
    """Collect, then exempt every object alive now (modules, code, caches) from later collections: a
    sweep's worker, once its code is loaded, scans only what its scenarios make."""
    gc.collect()
    gc.freeze()

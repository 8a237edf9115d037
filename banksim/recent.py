"""An in-process tier of recently read payloads, so a repeated cache hit skips the Parquet read.

Entries are keyed by a payload row's id and checksum. The store still looks the row up on every
hit, so a purged or replaced result is never served, and a match means the bytes are identical.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any

import pandas as pd

__all__ = ["RecentPayloads", "footprint", "private_copy"]


def _copy_on_write() -> bool:
    """True when pandas copies a shared column before writing to it (always from pandas 3)."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return bool(pd.get_option("mode.copy_on_write") is True)


def private_copy(value: Any) -> Any:
    """A copy the caller may change without changing ``value``.

    A DataFrame is copied shallowly under copy-on-write (its columns are shared until someone
    writes to them, and pandas then copies first) and deeply otherwise; a dict deeply; bytes
    are immutable and returned as they are.
    """
    if isinstance(value, pd.DataFrame):
        from banksim.hashing import remember_frame_copy

        copied = value.copy(deep=not _copy_on_write())
        remember_frame_copy(value, copied)  # the copy's key is the original's: not hashed again
        return copied
    if isinstance(value, dict):
        return copy.deepcopy(value)
    return value


def footprint(value: Any, stored_bytes: int) -> int:
    """Bytes ``value`` holds in memory (DataFrames by their buffers, others by stored size)."""
    if isinstance(value, pd.DataFrame):
        # The blocks' buffers: what ``memory_usage(index=True, deep=False).sum()`` counts, without
        # building its Series of one entry per column (a few ms for a wide table).
        blocks = getattr(getattr(value, "_mgr", None), "blocks", None)
        if blocks is None:
            return int(value.memory_usage(index=True, deep=False).sum())
        return int(sum(block.values.nbytes for block in blocks) + value.index.nbytes)
    if isinstance(value, bytes):
        return len(value)
    return stored_bytes


class RecentPayloads:
    """Decoded payloads kept in memory, least recently used first out, within ``limit_bytes``.

    Parameters
    ----------
    limit_bytes : int
        Most bytes held; 0 keeps nothing. A value larger than the limit is not kept.

    Notes
    -----
    :meth:`get` and :meth:`put` hand out private copies (see :func:`private_copy`), so what a
    caller does to a result never reaches the next caller. Thread-safe.
    """

    def __init__(self, limit_bytes: int) -> None:
        if limit_bytes < 0:
            raise ValueError(f"limit_bytes must be >= 0, got {limit_bytes}")
        self.limit_bytes = limit_bytes
        self.size_bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[str, str], tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        """True if ``(row_id, checksum)`` is held (without counting a hit)."""
        return key in self._entries

    def __repr__(self) -> str:
        return (
            f"RecentPayloads({len(self)} entries, {self.size_bytes / 2**20:.1f} of "
            f"{self.limit_bytes / 2**20:.0f} MiB, {self.hits} hits, {self.misses} misses)"
        )

    def get(self, row_id: str, checksum: str) -> Any | None:
        """A private copy of the value read for ``(row_id, checksum)``, or None."""
        with self._lock:
            entry = self._entries.get((row_id, checksum))
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end((row_id, checksum))
            self.hits += 1
        return private_copy(entry[0])

    def put(self, row_id: str, checksum: str, value: Any, nbytes: int) -> Any:
        """Keep ``value`` (if it fits) and return a private copy of it for the caller."""
        if nbytes > self.limit_bytes:
            return value
        kept = private_copy(value)
        with self._lock:
            previous = self._entries.pop((row_id, checksum), None)
            if previous is not None:
                self.size_bytes -= previous[1]
            self._entries[(row_id, checksum)] = (kept, nbytes)
            self.size_bytes += nbytes
            while self.size_bytes > self.limit_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.size_bytes -= dropped
        return value

    def clear(self) -> None:
        """Forget every entry (the counters stay)."""
        with self._lock:
            self._entries.clear()
            self.size_bytes = 0

    def reset_after_fork(self) -> None:
        """In a forked child: a new lock (another thread may have held the old one at the fork)
        and no entries (that thread may have been half-way through changing them)."""
        self._lock = threading.Lock()
        self._entries = OrderedDict()
        self.size_bytes = 0

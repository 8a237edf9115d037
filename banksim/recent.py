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

__all__ = ["RecentPayloads", "SharedBytes", "buffers", "footprint", "private_copy"]


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


def buffers(value: Any, stored_bytes: int = 0) -> dict[int, int]:
    """The memory ``value`` holds, by allocation: start address -> bytes.

    A table's columns are counted by the allocation they view (a column of a stressed table that is
    the baseline's, or one column of a 2-D block, counts as the whole allocation it keeps alive),
    so that a buffer shared by several tables can be counted once (:class:`SharedBytes`). Bytes
    count their length; any other value ``stored_bytes`` (keyed by its identity)."""
    spans: dict[int, int] = {}
    if isinstance(value, pd.DataFrame):
        for block in value._mgr.blocks:
            _spans(block.values, spans)
        _spans(value.index, spans)
    elif isinstance(value, tuple):
        for item in value:
            for address, size in buffers(item).items():
                spans[address] = max(spans.get(address, 0), size)
    else:
        spans[id(value)] = len(value) if isinstance(value, bytes) else stored_bytes
    return spans


def _spans(array: Any, spans: dict[int, int]) -> None:
    """Add the allocations ``array`` (a block's or an index's values) keeps alive to ``spans``."""
    import numpy as np

    if isinstance(array, np.ndarray):
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        address = root.__array_interface__["data"][0]
        spans[address] = max(spans.get(address, 0), root.nbytes)
        return
    parts = [getattr(array, name, None) for name in ("_ndarray", "_data", "_mask", "_codes")]
    found = [part for part in parts if isinstance(part, np.ndarray)]
    arrow = getattr(array, "_pa_array", None)
    if isinstance(array, pd.Index) and not isinstance(array, pd.RangeIndex):
        _spans(array.array, spans)
    elif found:
        for part in found:
            _spans(part, spans)
        if isinstance(array, pd.Categorical):
            spans[id(array.categories)] = int(array.categories.nbytes)
    elif arrow is not None:
        for chunk in arrow.chunks:
            for buffer in chunk.buffers():
                if buffer is not None:
                    spans[buffer.address] = max(spans.get(buffer.address, 0), buffer.size)
    else:
        spans[id(array)] = int(getattr(array, "nbytes", 0))


class SharedBytes:
    """The memory a set of kept values holds, a buffer several of them share counted once
    (:func:`buffers`). Not thread-safe: its owner's lock guards it."""

    def __init__(self) -> None:
        self.total = 0
        self._held: dict[int, list[int]] = {}  # address -> [values holding it, bytes]

    def added(self, spans: dict[int, int]) -> int:
        """The bytes keeping a value with these ``spans`` would add."""
        return sum(size for address, size in spans.items() if address not in self._held)

    def add(self, spans: dict[int, int]) -> tuple[int, ...]:
        """Count a kept value's ``spans``; returns what :meth:`remove` takes when it goes."""
        for address, size in spans.items():
            held = self._held.get(address)
            if held is None:
                self._held[address] = [1, size]
                self.total += size
            else:
                held[0] += 1
                if size > held[1]:
                    self.total += size - held[1]
                    held[1] = size
        return tuple(spans)

    def remove(self, addresses: tuple[int, ...]) -> None:
        """A value counted by :meth:`add` is no longer kept."""
        for address in addresses:
            held = self._held[address]
            held[0] -= 1
            if held[0] == 0:
                del self._held[address]
                self.total -= held[1]

    def clear(self) -> None:
        self.total = 0
        self._held.clear()


class RecentPayloads:
    """Decoded payloads kept in memory, least recently used first out, within ``limit_bytes``.

    Parameters
    ----------
    limit_bytes : int
        Most bytes held, a buffer shared by several values (a stressed table's columns that are
        the baseline's) counted once; 0 keeps nothing. A value adding more than the limit is not
        kept.

    Notes
    -----
    :meth:`get` and :meth:`put` hand out private copies (see :func:`private_copy`), so what a
    caller does to a result never reaches the next caller. Thread-safe.
    """

    def __init__(self, limit_bytes: int) -> None:
        if limit_bytes < 0:
            raise ValueError(f"limit_bytes must be >= 0, got {limit_bytes}")
        self.limit_bytes = limit_bytes
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Any, tuple[Any, tuple[int, ...]]] = OrderedDict()
        self._bytes = SharedBytes()
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        """The bytes the kept values hold (shared buffers once)."""
        return self._bytes.total

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
        found = self.get_kept((row_id, checksum))
        return None if found is None else private_copy(found)

    def get_kept(self, key: Any) -> Any | None:
        """The value kept under ``key`` itself (not a copy: the caller copies what it hands out)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
        return entry[0]

    def put(self, row_id: str, checksum: str, value: Any, nbytes: int) -> Any:
        """Keep ``value`` (if it fits) and return a private copy of it for the caller; ``nbytes``
        counts a value that is neither a table nor bytes."""
        self.keep((row_id, checksum), private_copy(value), nbytes)
        return value

    def keep(self, key: Any, kept: Any, nbytes: int = 0) -> None:
        """Keep ``kept`` (the caller's private copy) under ``key`` if it fits, least recent out."""
        spans = buffers(kept, nbytes)
        with self._lock:
            self._drop(key)
            if self._bytes.added(spans) > self.limit_bytes:
                return
            self._entries[key] = (kept, self._bytes.add(spans))
            while self._bytes.total > self.limit_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes.remove(dropped)

    def pop(self, key: Any) -> None:
        """Forget the value kept under ``key``, if any."""
        with self._lock:
            self._drop(key)

    def _drop(self, key: Any) -> None:
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._bytes.remove(previous[1])

    def clear(self) -> None:
        """Forget every entry (the counters stay)."""
        with self._lock:
            self._entries.clear()
            self._bytes.clear()

    def reset_after_fork(self) -> None:
        """In a forked child: a new lock (another thread may have held the old one at the fork)
        and no entries (that thread may have been half-way through changing them)."""
        self._lock = threading.Lock()
        self._entries = OrderedDict()
        self._bytes = SharedBytes()

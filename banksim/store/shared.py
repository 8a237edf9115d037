"""Shared columns: a table stored as the columns that differ from a table stored whole.

A stressed scenario's tables repeat most of the unstressed run's columns; such a table is written as
those it changes, with its row pointing at the full table (its base) for the rest (README, Architecture).
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from banksim import payloads
from banksim.errors import BanksimError
from banksim.hashing import FrameDigests, known_frame_key, remember_frame_key, remembered_digests

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Connection

__all__ = [
    "BASE_KEY",
    "FORMAT",
    "Base",
    "BaseGone",
    "Bases",
    "check_base",
    "decode",
    "delete_dependents",
    "described_base",
    "encode",
    "plain",
    "shared_columns",
]

FORMAT = "parquet+base"
BASE_KEY = b"banksim.base"  # the Parquet metadata naming the base: its checksum and the column order
# A table is stored against a base only if it takes more than this share of its columns from it, and
# has at least this many rows (a small table costs little to write whole, and reads in one file).
MIN_SHARED = 0.5
MIN_ROWS = 1000
# Candidate bases remembered per kind, most recent first (each is a few digests, or a weak reference).
PER_KIND = 2


class BaseGone(Exception):
    """The base a payload was encoded against was removed or rewritten before its row was committed."""


@dataclass(frozen=True)
class Base:
    """A full table stored in the row ``row_id`` (its payload's ``checksum``), by its digests."""

    row_id: str
    checksum: str
    digests: FrameDigests


class _Candidate:
    """A candidate base: its digests, or the table read from it, held weakly, whose digests are
    taken when first needed (a table read from the store is not hashed on the caller's path)."""

    __slots__ = ("checksum", "digests", "frame", "key", "row_id")

    def __init__(
        self, row_id: str, checksum: str, digests: FrameDigests | None, frame: Any = None, key: str = ""
    ) -> None:
        self.row_id, self.checksum, self.digests, self.key = row_id, checksum, digests, key
        self.frame = weakref.ref(frame) if frame is not None else None

    def shape(self) -> tuple[int, int] | None:
        """The shape of its table (None if it is gone), without hashing it."""
        if self.digests is not None:
            return self.digests.shape
        frame = self.frame() if self.frame is not None else None
        return None if frame is None else frame.shape

    def base(self) -> Base | None:
        """The candidate's digests, taken now if needed; None if its table is gone or was written to
        since it was read (the hashing memo no longer knows it as the stored content)."""
        if self.digests is None:
            frame = self.frame() if self.frame is not None else None
            if frame is None or known_frame_key(frame) != self.key:
                return None
            try:
                digests = remembered_digests(frame)
            except BanksimError:
                return None
            if digests.key() != self.key:
                return None
            self.digests, self.frame = digests, None
        return Base(self.row_id, self.checksum, self.digests)


class Bases:
    """The tables this store wrote or read whole lately, by kind: the candidate bases of the tables
    it writes next (of any kind: a stressed run's positions share the baseline's). Thread-safe;
    :data:`PER_KIND` of each kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kinds: dict[str, OrderedDict[str, _Candidate]] = {}

    def wrote(self, kind: str, row_id: str, checksum: str, digests: FrameDigests) -> None:
        """A full table of ``kind`` with these digests is stored in ``row_id``."""
        self._add(kind, _Candidate(row_id, checksum, digests))

    def read(self, kind: str, row_id: str, checksum: str, frame: pd.DataFrame, key: str | None) -> None:
        """``frame`` was decoded from the full table in ``row_id``, whose content hash is ``key``; its
        digests are taken when needed, if it is still alive and unchanged (held weakly: a table
        nobody keeps is no base)."""
        if key is not None and len(frame) >= MIN_ROWS and known_frame_key(frame) == key and plain(frame):
            self._add(kind, _Candidate(row_id, checksum, None, frame, key))

    def _add(self, kind: str, candidate: _Candidate) -> None:
        with self._lock:
            kind_bases = self._kinds.setdefault(kind, OrderedDict())
            kind_bases[candidate.row_id] = candidate
            kind_bases.move_to_end(candidate.row_id, last=False)
            while len(kind_bases) > PER_KIND:
                kind_bases.popitem()

    def forget(self, row_id: str) -> None:
        """The row is gone or changed: never a base again."""
        with self._lock:
            for kind_bases in self._kinds.values():
                kind_bases.pop(row_id, None)

    def clear(self) -> None:
        with self._lock:
            self._kinds.clear()

    def after_fork(self) -> None:
        """In a forked child: a new lock (another thread may have held the parent's at the fork)."""
        self._lock = threading.Lock()

    def choose(self, kind: str, digests: FrameDigests) -> tuple[Base, list[int]] | None:
        """The candidate base sharing the most columns with a table of ``kind`` with these digests
        (those of its own kind first among equals), and the positions of the table's columns it
        does not share; None if none shares enough."""
        with self._lock:
            own = list(self._kinds.get(kind, {}).values())
            candidates = own + [
                c for name, found in self._kinds.items() if name != kind for c in found.values()
            ]
        best = None
        for candidate in candidates:
            if candidate.shape() != digests.shape:
                continue
            base = candidate.base()  # may hash a table read earlier: outside the lock
            if base is None:
                self.forget(candidate.row_id)
                continue
            changed = shared_columns(base.digests, digests)
            if changed is not None and (best is None or len(changed) < len(best[1])):
                best = (base, changed)
        return best


def plain(frame: pd.DataFrame) -> bool:
    """A table with nothing outside its rows, columns and index (no ``attrs``, no name on its column
    labels): what a shared-columns payload keeps (its key does not cover the rest either)."""
    return not frame.attrs and frame.columns.name is None


def shared_columns(base: FrameDigests, table: FrameDigests) -> list[int] | None:
    """The positions of ``table``'s columns that differ from ``base``'s (values or dtype), if the two
    have the same rows, index and column labels in the same order and more than :data:`MIN_SHARED`
    of their columns alike, with at least :data:`MIN_ROWS` rows; else None."""
    if base.shape != table.shape or table.shape[0] < MIN_ROWS:
        return None
    if (base.index, base.index_digests) != (table.index, table.index_digests):
        return None
    if [label for label, _, _ in base.columns] != [label for label, _, _ in table.columns]:
        return None
    changed = [i for i, (a, b) in enumerate(zip(base.columns, table.columns, strict=True)) if a != b]
    if len(changed) >= (1 - MIN_SHARED) * len(table.columns):  # shares no more than MIN_SHARED
        return None
    return changed


def encode(frame: pd.DataFrame, base: Base, changed: list[int], digests: FrameDigests) -> payloads.Payload:
    """``frame`` as the Parquet of its ``changed`` columns (no index), naming its base's checksum
    and the full column order; its content hash is the whole frame's."""
    part = frame.iloc[:, changed]
    metadata = {"base_checksum": base.checksum, "columns": list(frame.columns), "rows": len(frame)}
    kept = {BASE_KEY: json.dumps(metadata).encode(), **(payloads.digests_metadata(digests) or {})}
    buffer = payloads.parquet_bytes(part, index=False, metadata=kept)
    checksum = payloads.checksum_of(buffer)
    return payloads.Payload(
        FORMAT, buffer, checksum, len(frame), digests.key(), base_id=base.row_id, base_checksum=base.checksum
    )


def described_base(data: Any) -> dict[str, Any]:
    """What a shared-columns payload says of its base: ``base_checksum``, ``columns``, ``rows``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    metadata = pq.read_schema(pa.BufferReader(data)).metadata or {}
    return dict(json.loads(metadata[BASE_KEY]))


def decode(data: Any, base: pd.DataFrame, base_exact: bool, content_hash: str | None) -> pd.DataFrame:
    """The table of a shared-columns payload: ``base`` (its decoded base, left unchanged) with the
    payload's columns in their places. Raises ``ValueError`` if the two do not fit together.

    ``base_exact``: ``base`` is exactly the table that was stored (then so is the result, which is
    seeded with ``content_hash``).
    """
    described = described_base(data)
    if described["columns"] != list(base.columns) or described["rows"] != len(base):
        raise ValueError("its base has other columns or rows than it was stored against")
    part, exact, digests = payloads.decode_table_with_digests(data)  # the whole table's digests
    frame = base.copy(deep=False)  # copy-on-write: the base's columns are shared, never written
    frame.attrs = {}  # the stored table was plain (see :func:`plain`), whatever its base's
    if frame.columns.name is not None:
        frame.columns = frame.columns.rename(None)
    positions = {name: i for i, name in enumerate(base.columns)}
    for name in part.columns:
        frame.isetitem(positions[name], part[name].array)
    if content_hash is not None and base_exact and (exact or part.shape[1] == 0):
        remember_frame_key(frame, content_hash, digests)
    return frame


def check_base(conn: Connection, payload: payloads.Payload, writing: set[tuple[str, str]]) -> None:
    """In a write transaction: the base of a shared-columns payload is still stored whole, as it was
    when chosen, and is not one of the rows the transaction rewrites (``writing``: their kinds and
    keys); it stays so until the commit (PostgreSQL: the row is locked against deletion)."""
    from .statements import row_checked_as_base

    found = conn.execute(row_checked_as_base(), {"b_id": payload.base_id}).first()
    if (
        found is None
        or found.checksum != payload.base_checksum
        or found.base_id is not None
        or (found.kind, found.params_hash) in writing
    ):
        raise BaseGone(f"base {payload.base_id} of a shared-columns payload is gone or changed")


def delete_dependents(conn: Connection, row_ids: Sequence[str]) -> list[str | None]:
    """In a write transaction: delete the shared-columns rows whose base is one of ``row_ids``
    (unreadable without it), and the configuration of a call left with no part; return their payload
    paths, to remove after the commit. A call left with other parts reads as incomplete: a miss."""
    from sqlalchemy import delete, select

    from .rows import SIMULATIONS, delete_configuration_if_empty

    if not row_ids:
        return []
    paths: list[str | None] = []
    calls: set[str] = set()
    for start in range(0, len(row_ids), 500):
        chunk = list(row_ids[start : start + 500])
        dependents = SIMULATIONS.c.base_id.in_(chunk)
        for row in conn.execute(select(SIMULATIONS.c.data_path, SIMULATIONS.c.params_hash).where(dependents)):
            paths.append(row.data_path)
            calls.add(row.params_hash)
        conn.execute(delete(SIMULATIONS).where(dependents))
    for params_hash in calls:
        delete_configuration_if_empty(conn, params_hash)
    return paths

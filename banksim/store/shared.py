"""Shared columns: a table stored as the columns that differ from a table stored whole, or as a patch.

A stressed scenario's tables repeat most of the unstressed run's columns; such a table is written as
those it changes (a patch: only the rows where they differ), with its row pointing at the full table
(its base) for the rest (README, Architecture).
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from banksim import payloads
from banksim.errors import BanksimError
from banksim.hashing import (
    FrameDigests,
    column_copy,
    column_values,
    known_frame_key,
    remember_frame_key,
    remembered_digests,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlalchemy import Connection

__all__ = [
    "BASE_KEY",
    "FORMAT",
    "Base",
    "BaseGone",
    "Bases",
    "check_base",
    "completed",
    "decode",
    "delete_dependents",
    "described_base",
    "encode",
    "plain",
    "same_dtype",
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
# The changed columns are stored as the rows they change (a patch) when those are at most this share
# of the rows and the base's table is still in memory to find them (a stressed scenario changes the
# RWA of a few classes' lines: whole columns would store the unchanged rows again).
PATCH_MAX = 0.5
PATCH_ROWS = "__banksim_rows__"  # the index of a patch: the positions of its rows in the table


class BaseGone(Exception):
    """The base a payload was encoded against was removed or rewritten before its row was committed."""


@dataclass(frozen=True)
class Base:
    """A full table stored in the row ``row_id`` (its payload's ``checksum``), by its digests."""

    row_id: str
    checksum: str
    digests: FrameDigests
    # The table itself if it is still in memory (unverified: see _changed_rows), else None.
    frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)


class _Candidate:
    """A candidate base: its digests and its table, held weakly; the digests of a table read from
    the store are taken when first needed (it is not hashed on the caller's path)."""

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
        """The candidate's digests, taken now if needed, and its table if it is alive; None if its
        digests are not known and its table is gone or was written to since it was read (the
        hashing memo no longer knows it as the stored content)."""
        frame = self.frame() if self.frame is not None else None
        if self.digests is None:
            if frame is None or known_frame_key(frame) != self.key:
                return None
            try:
                digests = remembered_digests(frame)
            except BanksimError:
                return None
            if digests.key() != self.key:
                return None
            self.digests = digests
        return Base(self.row_id, self.checksum, self.digests, frame)


class Bases:
    """The tables this store wrote or read whole lately, by kind: the candidate bases of the tables
    it writes next (of any kind: a stressed run's positions share the baseline's). Thread-safe;
    :data:`PER_KIND` of each kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kinds: dict[str, OrderedDict[str, _Candidate]] = {}

    def wrote(
        self, kind: str, row_id: str, checksum: str, digests: FrameDigests, frame: pd.DataFrame | None = None
    ) -> None:
        """A full table of ``kind`` with these digests is stored in ``row_id`` (``frame``, held weakly)."""
        self._add(kind, _Candidate(row_id, checksum, digests, frame))

    def read(self, kind: str, row_id: str, checksum: str, frame: pd.DataFrame, key: str | None) -> None:
        """``frame`` was read (decoded, or copied from the memory tier) from the full table in
        ``row_id``, whose content hash is ``key``; its digests are taken when needed, if it is still
        alive and unchanged (held weakly: a table nobody keeps is no base, nor a patch's reference)."""
        if key is None or len(frame) < MIN_ROWS or known_frame_key(frame) != key or not plain(frame):
            return
        with self._lock:
            kind_bases = self._kinds.get(kind)
            known = None if kind_bases is None else kind_bases.get(row_id)
        digests = known.digests if known is not None and known.checksum == checksum else None
        self._add(kind, _Candidate(row_id, checksum, digests, frame, key))

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
    """``frame`` as the Parquet of its ``changed`` columns, naming its base's checksum and the full
    column order; its content hash is the whole frame's. The columns are whole (no index), or, as a
    patch, the rows where they differ from the base's, with those rows' positions as the index."""
    try:
        rows = _changed_rows(frame, base, changed, digests)
    except Exception:  # the base's table, the caller's, reshaped while it was read: whole columns
        rows = None
    metadata: dict[str, Any] = {
        "base_checksum": base.checksum,
        "columns": list(frame.columns),
        "rows": len(frame),
    }
    if rows is None:
        part = frame.iloc[:, changed]
    else:
        part = frame.iloc[rows, changed]
        part.index = pd.Index(rows, dtype=np.int64, name=PATCH_ROWS)
        metadata["patch"] = True
    kept = {BASE_KEY: json.dumps(metadata).encode(), **(payloads.digests_metadata(digests) or {})}
    buffer = payloads.parquet_bytes(part, index=rows is not None, metadata=kept, delta=(PATCH_ROWS,))
    checksum = payloads.checksum_of(buffer)
    return payloads.Payload(
        FORMAT, buffer, checksum, len(frame), digests.key(), base_id=base.row_id, base_checksum=base.checksum
    )


def _changed_rows(
    frame: pd.DataFrame, base: Base, changed: list[int], digests: FrameDigests
) -> np.ndarray | None:
    """The positions of the rows in which ``frame``'s ``changed`` columns differ from its base's, if
    they are few enough for a patch (:data:`PATCH_MAX`); None if they are not, or cannot be found:
    the base's table is not in memory as it was stored (each column is checked by its digest), or
    a column changed its dtype or is not one a patch keeps (NumPy numbers, booleans, dates and
    categoricals, compared bit for bit or code for code)."""
    if base.frame is None or base.frame.shape != frame.shape or not changed or PATCH_ROWS in frame.columns:
        return None
    differ = np.zeros(len(frame), dtype=bool)
    for position in changed:
        stored = base.digests.columns[position][1:]
        if stored[0] != digests.columns[position][1]:
            return None
        # A copy of its own, checked: the caller may write to its table while this thread reads it.
        copied = column_copy(base.frame, position)
        after = column_values(frame, position)
        if copied is None or after is None or copied[1] != stored or not _patchable(copied[0], after):
            return None
        differ |= _differs(copied[0], after)
        if np.count_nonzero(differ) > PATCH_MAX * len(frame):  # too many already: whole columns
            return None
    rows = np.flatnonzero(differ)
    return rows if len(rows) else None


def same_dtype(a: Any, b: Any) -> bool:
    """The same dtype, categories in the same order (pandas counts unordered categoricals with the
    same categories in another order as equal dtypes, but the same codes then mean other values), of
    two columns or of their values (arrays, Categoricals)."""
    x, y = a.dtype, b.dtype
    if x != y:
        return False
    return not isinstance(x, pd.CategoricalDtype) or bool(x.categories.equals(y.categories))


def _patchable(before: Any, after: Any) -> bool:
    """Two columns' values (:func:`~banksim.hashing.column_values`) a patch keeps: of one dtype
    (:func:`same_dtype`), categoricals or NumPy numbers, booleans and dates."""
    if not same_dtype(before, after):
        return False
    dtype = after.dtype
    return isinstance(after, pd.Categorical) or (
        dtype.kind in "biufmM" and dtype != np.dtype("datetime64[s]")
    )


def _differs(before: Any, after: Any) -> np.ndarray:
    """Where two columns' values of one patchable dtype differ: categorical codes, or bits (so -0.0
    differs from 0.0, and a NaN from itself only if its bits do)."""
    if isinstance(after, pd.Categorical):
        return np.asarray(before.codes != after.codes)
    a, b = np.ascontiguousarray(before), np.ascontiguousarray(after)
    bits = np.dtype(f"u{a.dtype.itemsize}") if a.dtype.itemsize in (1, 2, 4, 8) else None
    if bits is not None:
        return np.asarray(a.view(bits) != b.view(bits))
    return np.asarray(
        (a.view(np.uint8).reshape(len(a), -1) != b.view(np.uint8).reshape(len(b), -1)).any(axis=1)
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
    rows = _patch_rows(part.index.to_numpy(), len(base)) if described.get("patch") else None
    frame = base.copy(deep=False)  # copy-on-write: the base's columns are shared, never written
    frame.attrs = {}  # the stored table was plain (see :func:`plain`), whatever its base's
    if frame.columns.name is not None:
        frame.columns = frame.columns.rename(None)
    positions = {name: i for i, name in enumerate(base.columns)}
    for name in part.columns:
        column = part[name]
        position = positions[name]
        frame.isetitem(
            position, column.array if rows is None else _patched(base.iloc[:, position], column, rows)
        )
    if content_hash is not None and base_exact and (exact or part.shape[1] == 0):
        remember_frame_key(frame, content_hash, digests)
    return frame


def _patch_rows(rows: np.ndarray, count: int) -> np.ndarray:
    """A patch's row positions, checked: increasing integers within the base's ``count`` rows."""
    if rows.dtype.kind not in "iu" or (
        len(rows) and (rows[0] < 0 or rows[-1] >= count or bool((np.diff(rows) <= 0).any()))
    ):
        raise ValueError("its patch's rows are not increasing positions within its base's rows")
    return rows


def _patched(column: pd.Series, values: pd.Series, rows: np.ndarray) -> Any:
    """A copy of the base's ``column`` with ``values`` put in at ``rows`` (its dtype kept)."""
    if not same_dtype(column, values):
        raise ValueError(f"its patch of column {column.name!r} has another dtype than its base's")
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().copy()
        codes[rows] = values.cat.codes.to_numpy()
        return pd.Categorical.from_codes(codes, dtype=column.dtype)
    patched = column.to_numpy(copy=True)
    patched[rows] = values.to_numpy()
    return patched


def completed(base: pa.Table, data: Any) -> pa.Table:
    """The table of a shared-columns payload as Arrow: ``base`` (its base, read as Arrow) with the
    payload's columns, or its patch of them, in their places."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    part = pq.read_table(pa.BufferReader(data))
    names = base.column_names
    if not described_base(data).get("patch"):
        return pa.table(
            [part.column(n) if n in part.column_names else base.column(n) for n in names], names=names
        )
    if PATCH_ROWS not in part.column_names:
        raise ValueError("its patch has no row positions")
    rows = _patch_rows(part.column(PATCH_ROWS).to_numpy(), base.num_rows)
    taken = np.arange(base.num_rows)
    taken[rows] = base.num_rows + np.arange(len(rows))  # the patch's rows follow the base's
    columns = []
    for name in names:
        column = base.column(name)
        if name in part.column_names:
            values = part.column(name).cast(column.type)
            column = pa.chunked_array([*column.chunks, *values.chunks], type=column.type).take(taken)
        columns.append(column)
    return pa.table(columns, names=names)


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

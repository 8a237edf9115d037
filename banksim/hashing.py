"""Content hashing: deterministic cache keys for call parameters, DataFrames included.

``compute_params_hash`` is the SHA-256 of a canonical, type-tagged, length-prefixed encoding
(scheme ``banksim-key-v1``); DataFrames enter it through a per-column xxh3-128 fingerprint that
depends on values, dtypes, column labels and order and the index, never on memory layout. A
frame's fingerprint is remembered by identity (see :func:`remember_frame_key`): a frame passed
from one cached step to the next is hashed once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
import logging
import math
import os
import struct
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import xxhash

from banksim.errors import InputError, UnhashableArgumentError
from banksim.recent import _copy_on_write

__all__ = [
    "FRAME_MEMO_SIZE",
    "FrameDigests",
    "KEY_SCHEME",
    "column_copy",
    "column_values",
    "column_signatures",
    "compute_params_hash",
    "digests_as_of",
    "forget_frame",
    "frame_digests",
    "frame_fingerprint",
    "content_marked",
    "frame_checked",
    "frame_state",
    "key_as_of",
    "known_digests",
    "known_frame_key",
    "mark_content",
    "mark_frame",
    "marked_value",
    "remember_frame_copy",
    "remember_frame_key",
    "remember_key_as_of",
    "remembered_digests",
    "series_fingerprint",
]

log = logging.getLogger(__name__)

KEY_SCHEME = "banksim-key-v1"
_NAN_BITS = struct.pack("<d", math.nan)
# Exact types whose encoding cannot fail: their path (for an error message) is never built.
_SIMPLE = frozenset({type(None), bool, int, float, str})
# Digests of short strings used as dict keys and dataclass field names, which repeat (the fields of
# every ColumnSpec): the same bytes as hashing them again, bounded in count and length.
_KEY_DIGESTS: dict[str, bytes] = {}
_KEY_DIGESTS_MAX = 50_000


class _Encoder:
    """Streams a canonical encoding of a value into a hash object."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink

    def tag(self, code: bytes, payload: bytes) -> None:
        self.sink.update(code + len(payload).to_bytes(8, "little") + payload)

    def encode(self, value: Any, path: str) -> None:
        kind = type(value)  # the commonest exact types first: the same tags as the checks below
        if kind is str:
            self.tag(b"S", value.encode("utf-8"))
        elif kind is float:
            self.tag(b"F", _NAN_BITS if value != value else struct.pack("<d", value))
        elif kind is int:
            self.tag(b"I", str(value).encode())
        elif kind is dict:
            self._encode_mapping(value, path)
        elif kind is tuple:
            self._encode_sequence(b"U", value, path)
        elif kind is list:
            self._encode_sequence(b"L", value, path)
        elif value is None:
            self.tag(b"N", b"")
        elif isinstance(value, bool | np.bool_):
            self.tag(b"B", b"1" if value else b"0")
        elif isinstance(value, int | np.integer):
            self.tag(b"I", str(int(value)).encode())
        elif isinstance(value, float | np.floating):
            x = float(value)
            self.tag(b"F", _NAN_BITS if math.isnan(x) else struct.pack("<d", x))
        elif isinstance(value, str):
            self.tag(b"S", value.encode("utf-8"))
        elif isinstance(value, bytes | bytearray | memoryview):
            self.tag(b"Y", bytes(value))
        elif isinstance(value, Decimal):
            self.tag(b"D", str(value).encode())
        elif isinstance(value, pd.Timestamp):
            self.tag(b"P", f"{value.isoformat()}|{value.tz}".encode())
        elif isinstance(value, dt.datetime):
            self.tag(b"T", f"{value.isoformat()}|{value.tzinfo}".encode())
        elif isinstance(value, dt.date):
            self.tag(b"d", value.isoformat().encode())
        elif isinstance(value, dt.time):
            self.tag(b"t", value.isoformat().encode())
        elif isinstance(value, dt.timedelta | pd.Timedelta):
            self.tag(b"G", str(pd.Timedelta(value).value).encode())
        elif isinstance(value, np.datetime64 | np.timedelta64):
            self.tag(b"g", f"{value.dtype}|{value.astype('int64')}".encode())
        elif isinstance(value, enum.Enum):
            self.tag(b"E", _qualname(type(value)).encode())
            self.encode(value.value, f"{path}.value")
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            self.tag(b"C", _qualname(type(value)).encode())
            self.encode({name: getattr(value, name) for name in _field_names(type(value))}, path)
        elif isinstance(value, Mapping):
            self._encode_mapping(value, path)
        elif isinstance(value, list):
            self._encode_sequence(b"L", value, path)
        elif isinstance(value, tuple):
            self._encode_sequence(b"U", value, path)
        elif isinstance(value, set | frozenset):
            digests = sorted(_digest(item, f"{path}{{...}}") for item in value)
            self.tag(b"Z", b"".join(digests))
        elif isinstance(value, pd.DataFrame):
            self.tag(b"X", _FRAMES.fingerprint(value, path))
        elif isinstance(value, pd.Series):
            self.tag(b"R", series_fingerprint(value, path=path))
        elif isinstance(value, pd.Index):
            self.tag(b"Q", series_fingerprint(value.to_series(index=pd.RangeIndex(len(value))), path=path))
        elif isinstance(value, np.ndarray):
            self.tag(b"A", _array_fingerprint(value, path))
        else:
            raise UnhashableArgumentError(path, _qualname(type(value)))

    def _encode_mapping(self, value: Mapping[Any, Any], path: str) -> None:
        entries = []
        for key, item in value.items():
            entries.append((_key_digest(key, path), key, item))
        entries.sort(key=lambda entry: entry[0])
        self.tag(b"M", str(len(entries)).encode())
        for key_digest, key, item in entries:
            self.sink.update(key_digest)
            self.encode(item, path if type(item) in _SIMPLE else f"{path}[{key!r}]")

    def _encode_sequence(self, code: bytes, value: list[Any] | tuple[Any, ...], path: str) -> None:
        self.tag(code, str(len(value)).encode())
        for i, item in enumerate(value):
            self.encode(item, path if type(item) in _SIMPLE else f"{path}[{i}]")


def _field_names(cls: type) -> tuple[str, ...]:
    """The field names of a dataclass, in order (fixed when the class is made: remembered)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(field.name for field in dataclasses.fields(cls))
    return names


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _digest(value: Any, path: str) -> bytes:
    sink = hashlib.sha256()
    _Encoder(sink).encode(value, path)
    return sink.digest()


def _key_digest(key: Any, path: str) -> bytes:
    """The digest of a mapping's key (remembered for short strings)."""
    if type(key) is not str or len(key) > 64:
        return _digest(key, f"{path} key {key!r}")
    known = _KEY_DIGESTS.get(key)
    if known is None:
        known = _digest(key, path)
        if len(_KEY_DIGESTS) < _KEY_DIGESTS_MAX:
            _KEY_DIGESTS[key] = known
    return known


def compute_params_hash(params: Any, *, path: str = "params") -> str:
    """Return the cache key of ``params``: 64 hex characters of SHA-256.

    The encoding is canonical and type-tagged: ``1``, ``1.0``, ``True`` and ``"1"`` differ;
    dict order does not matter; DataFrames count by content (see :func:`frame_fingerprint`).
    The key is the same in every process and on every machine.

    Parameters
    ----------
    params : Any
        Scalars, containers, dataclasses, enums, numpy arrays, pandas objects, nested freely.
    path : str
        How to name ``params`` in an error message.

    Raises
    ------
    UnhashableArgumentError
        If some value has no canonical encoding; the message names where it sits.
    """
    if isinstance(params, pd.DataFrame):
        return _FRAMES.key(params, path)
    sink = hashlib.sha256()
    encoder = _Encoder(sink)
    encoder.tag(b"V", KEY_SCHEME.encode())
    encoder.encode(params, path)
    return sink.hexdigest()


# -- DataFrames -----------------------------------------------------------------------------------


def _check_label(label: Any, path: str) -> str:
    if isinstance(label, str | int | np.integer | float | bool | None.__class__):
        return repr(label)
    if isinstance(label, tuple):
        return "(" + ",".join(_check_label(part, path) for part in label) + ")"
    raise UnhashableArgumentError(
        f"{path} label {label!r}", _qualname(type(label)), "labels must be str, int, float or tuples"
    )


def _string_streams(array: pa.ChunkedArray | pa.Array) -> bytes:
    """Hash Arrow string data from its offsets, so chunking and slicing do not matter."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    data, lengths, validity = xxhash.xxh3_128(), xxhash.xxh3_128(), xxhash.xxh3_128()
    has_nulls = False
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            chunk = chunk.cast(pa.large_string())
        offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        _, offsets_buf, data_buf = chunk.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=offset_type)[chunk.offset : chunk.offset + len(chunk) + 1]
        start, stop = int(offsets[0]), int(offsets[-1])
        if data_buf is not None and stop > start:
            data.update(memoryview(data_buf)[start:stop])
        lengths.update(np.diff(offsets).astype(np.int64).tobytes())
        if chunk.null_count:
            has_nulls = True
        validity.update(np.asarray(chunk.is_valid()).tobytes())
    out = data.digest() + lengths.digest()
    return out + validity.digest() if has_nulls else out


def _xxh(values: Any) -> bytes:
    """xxh3-128 of an array's raw bytes (any dtype, any memory layout)."""
    return xxhash.xxh3_128(np.ascontiguousarray(values).view(np.uint8).data).digest()


def _values_digest(series: pd.Series, path: str) -> bytes:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _categorical_digest(series.array, path)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return _xxh(series.array.asi8)
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
        return _xxh(series.to_numpy())
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        try:
            arrow = pa.array(series.array, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return _object_digest(series, path)
        return _string_streams(arrow)
    if isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    ):
        return _string_streams(pa.array(series.array))
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(series.array, "_mask"):
        # Nullable Int/Float/boolean: the values with NA filled, then the mask.
        mask = series.isna().to_numpy()
        numpy_dtype = np.dtype(getattr(dtype, "numpy_dtype", "float64"))
        values = series.to_numpy(dtype=numpy_dtype, na_value=numpy_dtype.type(0))
        return _xxh(values) + xxhash.xxh3_128(mask.tobytes()).digest()
    raise UnhashableArgumentError(path, f"column of dtype {dtype}")


# Digests of categoricals' categories by the identity of their Index (immutable, and shared by every
# column of the same dtype: a table's copies, selections and the steps' results); each entry holds
# its Index, so an id is never reused while it is here. Bounded, oldest out.
_CATEGORIES: OrderedDict[int, tuple[pd.Index, Any, bytes]] = OrderedDict()
_CATEGORIES_MAX = 4096
_CATEGORIES_BY_VALUE: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_CATEGORIES_LOCK = threading.Lock()


def _categories_digest(categories: pd.Index, path: str) -> bytes:
    """``series_fingerprint`` of a categorical's categories, remembered by the Index's identity
    (with its name, the one part of an Index that can be set in place), and a short list of string
    categories by its values too (a step's result makes its categories anew each time; oldest out)."""
    with _CATEGORIES_LOCK:
        known = _CATEGORIES.get(id(categories))
    if known is not None and known[0] is categories and known[1] == categories.name:  # name: settable
        return known[2]
    values = _short_strings(categories)
    with _CATEGORIES_LOCK:
        digest = None if values is None else _CATEGORIES_BY_VALUE.get(values)
    if digest is None:
        digest = series_fingerprint(pd.Series(categories), path=f"{path}.categories")
    with _CATEGORIES_LOCK:
        _CATEGORIES[id(categories)] = (categories, categories.name, digest)
        while len(_CATEGORIES) > _CATEGORIES_MAX:
            _CATEGORIES.popitem(last=False)
        if values is not None:
            _CATEGORIES_BY_VALUE[values] = digest
            while len(_CATEGORIES_BY_VALUE) > _CATEGORIES_MAX:
                _CATEGORIES_BY_VALUE.popitem(last=False)
    return digest


def _short_strings(categories: pd.Index) -> tuple[Any, ...] | None:
    """What a short Index of strings is made of (dtype, name, values), as a dict key; else None."""
    if len(categories) > 256 or not isinstance(categories.dtype, pd.StringDtype):
        return None
    values = categories.tolist()
    if not all(type(value) is str for value in values) or not isinstance(categories.name, str | None):
        return None
    return (
        str(categories.dtype),
        categories.dtype.storage,
        categories.dtype.na_value is np.nan,
        categories.name,
        *values,
    )


def _object_digest(series: pd.Series, path: str) -> bytes:
    """Mixed object columns: each element through the canonical encoder (slow, rare)."""
    sink = xxhash.xxh3_128()
    encoder = _Encoder(sink)
    for i, item in enumerate(series.to_numpy()):
        encoder.encode(None if item is pd.NA or item is pd.NaT else item, f"{path}[{i}]")
    return sink.digest()


def _index_header(index: pd.Index, path: str) -> tuple[str, list[pd.Series]]:
    names = ",".join(_check_label(name, f"{path}.index") for name in index.names)
    if isinstance(index, pd.RangeIndex):
        return f"range({index.start},{index.stop},{index.step})|{names}", []
    levels = [index.get_level_values(i) for i in range(index.nlevels)]
    as_series = [pd.Series(level, index=pd.RangeIndex(len(level))) for level in levels]
    dtypes = ",".join(str(level.dtype) for level in levels)
    return f"index[{dtypes}]|{names}", as_series


@dataclasses.dataclass(frozen=True, slots=True)
class FrameDigests:
    """A frame's fingerprint by its parts (:func:`frame_digests`): its shape, each column's label,
    dtype and values digest in order, and its index (a description and its levels' digests)."""

    shape: tuple[int, int]
    columns: tuple[tuple[str, str, bytes], ...]  # (label as encoded, dtype, values digest)
    index: str
    index_digests: tuple[bytes, ...]

    def fingerprint(self) -> bytes:
        """:func:`frame_fingerprint` of the frame."""
        header = [
            f"shape={self.shape}",
            *(f"{label}:{dtype}" for label, dtype, _ in self.columns),
            self.index,
        ]
        sink = xxhash.xxh3_128("\x1f".join(header).encode())
        for _, _, digest in self.columns:
            sink.update(digest)
        for digest in self.index_digests:
            sink.update(digest)
        return sink.digest()

    def key(self) -> str:
        """``compute_params_hash`` of the frame."""
        return _key_of(self.fingerprint())

    def to_json(self) -> str:
        """The digests as JSON (kept beside a stored table: see :meth:`from_json`)."""
        return json.dumps(
            {
                "shape": list(self.shape),
                "columns": [[label, dtype, digest.hex()] for label, dtype, digest in self.columns],
                "index": self.index,
                "index_digests": [digest.hex() for digest in self.index_digests],
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> FrameDigests | None:
        """The digests :meth:`to_json` wrote, or None if ``text`` is not such JSON."""
        try:
            data = json.loads(text)
            return cls(
                (int(data["shape"][0]), int(data["shape"][1])),
                tuple(
                    (str(label), str(dtype), bytes.fromhex(digest))
                    for label, dtype, digest in data["columns"]
                ),
                str(data["index"]),
                tuple(bytes.fromhex(digest) for digest in data["index_digests"]),
            )
        except (ValueError, KeyError, TypeError, IndexError):
            return None

    def describe(self, frame: pd.DataFrame) -> bool:
        """Whether these could be ``frame``'s digests: its shape, column labels and dtypes, index
        (a cheap check of the frame's make-up, not of its values)."""
        return (
            self.shape == frame.shape
            and [(label, dtype) for label, dtype, _ in self.columns]
            == [(_check_label(label, "frame"), str(dtype)) for label, dtype in frame.dtypes.items()]
            and self.index == _index_header(frame.index, "frame")[0]
        )


def frame_digests(frame: pd.DataFrame, *, path: str = "frame") -> FrameDigests:
    """Return ``frame``'s fingerprint by its parts, one digest per column (see :class:`FrameDigests`):
    two frames with the same rows share the digests of the columns they hold alike.

    A column whose data is that of a column of a frame the memo holds digests for, unchanged since
    (a shallow copy's, or the columns a step did not replace), takes that column's digest unread."""
    return _frame_digests(frame, path)[0]


def _frame_digests(frame: pd.DataFrame, path: str) -> tuple[FrameDigests, list[Any]]:
    """:func:`frame_digests` and the columns' :func:`_column_signature` (None: not comparable)."""
    signatures = column_signatures(frame)
    inherited = _FRAMES.inherited(signatures)
    columns = []
    for position, (label, signature) in enumerate(zip(frame.columns, signatures, strict=True)):
        digest = inherited.get(signature)
        if digest is None:  # read
            digest = _column_digest(frame, position, f"{path}[{label!r}]")
        columns.append((_check_label(label, path), str(_column_dtype(frame, position)), digest))
    index_text, index_columns = _index_header(frame.index, path)
    index_digests = tuple(
        _values_digest(level, f"{path}.index[{i}]") for i, level in enumerate(index_columns)
    )
    return FrameDigests(frame.shape, tuple(columns), index_text, index_digests), signatures


def _column_digest(frame: pd.DataFrame, position: int, path: str) -> bytes:
    """:func:`_values_digest` of the column at ``position``, a NumPy or categorical column read from
    its block (no Series made: that costs more than hashing a column of a few thousand rows)."""
    manager = frame._mgr
    values = manager.blocks[manager.blknos[position]].values
    if isinstance(values, np.ndarray) and values.dtype.kind in "biufcmM":
        return _xxh(values[manager.blklocs[position]] if values.ndim == 2 else values)
    if isinstance(values, pd.Categorical):
        return _categorical_digest(values, path)
    return _values_digest(frame.iloc[:, position], path)


def column_values(frame: pd.DataFrame, position: int) -> np.ndarray | pd.Categorical | None:
    """The values of the NumPy (dates and durations without a time zone included) or categorical
    column at ``position`` of ``frame``, read from its block (no Series made); None for a column of
    another kind."""
    manager = frame._mgr
    values = manager.blocks[manager.blknos[position]].values
    if isinstance(values, pd.Categorical):
        return values
    if isinstance(values, pd.arrays.DatetimeArray | pd.arrays.TimedeltaArray) and isinstance(
        values.dtype, np.dtype
    ):  # no time zone: their NumPy values
        values = values._ndarray
    if isinstance(values, np.ndarray) and values.dtype.kind in "biufcmM":
        return values[manager.blklocs[position]] if values.ndim == 2 else values
    return None


def column_copy(frame: pd.DataFrame, position: int) -> tuple[Any, tuple[str, bytes]] | None:
    """A copy of :func:`column_values`, and its dtype (as :class:`FrameDigests` writes it) and values
    digest taken on the copy: what the column held when copied, whoever writes to ``frame``
    meanwhile. None for a column of another kind."""
    values = column_values(frame, position)
    if values is None:
        return None
    dtype = str(_column_dtype(frame, position))
    if isinstance(values, pd.Categorical):
        codes = values.copy()
        return codes, (dtype, _categorical_digest(codes, f"frame[{frame.columns[position]!r}]"))
    copied = np.array(values, copy=True)
    return copied, (dtype, _xxh(copied))


def _categorical_digest(values: pd.Categorical, path: str) -> bytes:
    """A categorical column's digest: its categories', its codes' and whether it is ordered."""
    categories = _categories_digest(values.categories, path)
    return categories + _xxh(values.codes) + (b"o" if values.ordered else b"u")


def _column_dtype(frame: pd.DataFrame, position: int) -> Any:
    """The dtype of the column at ``position``, from its block (no Series made)."""
    manager = frame._mgr
    return manager.blocks[manager.blknos[position]].dtype


def _signed(
    frame: pd.DataFrame, digests: FrameDigests, signatures: list[Any] | None = None
) -> dict[Any, bytes]:
    """Each column's digest by its signature (``signatures``: the frame's, if taken already)."""
    if signatures is None:
        signatures = column_signatures(frame)
    pairs = zip(signatures, digests.columns, strict=True)
    return {signature: digest for signature, (_, _, digest) in pairs if signature is not None}


# Below this many rows a column is read: looking for it among recent frames costs about as much.
INHERIT_MIN_ROWS = 1000


def column_signatures(frame: pd.DataFrame) -> list[Any]:
    """Per column, where its data lives (:func:`_column_signature`); all None for a frame of fewer
    than :data:`INHERIT_MIN_ROWS` rows (its columns are read, and lend to no other)."""
    if len(frame) < INHERIT_MIN_ROWS:
        return [None] * frame.shape[1]
    manager = frame._mgr
    blocks = manager.blocks
    signatures = []
    for number, place in zip(manager.blknos, manager.blklocs, strict=True):
        block = blocks[number]
        signature = _column_signature(block.values, place)
        # pandas' own record of the blocks sharing this data: only data shared through pandas counts
        # (a write through pandas to any of them copies first), not an array handed to two frames.
        signatures.append(None if signature is None else (id(block.refs), *signature))
    return signatures


def _column_signature(values: Any, place: int) -> Any:
    """The memory a column's values occupy (address, strides, shape, dtype) or the immutable Arrow
    array holding them, with what else its digest depends on; None for other kinds of column.

    Two columns with the same signature (and the same pandas references, see the caller) hold the
    same values while the memory is not written: pandas' Copy-on-Write copies before a write through
    pandas as long as a snapshot of the frame that hashed it holds the data (see below); a write
    behind pandas' back is not seen, as for the frame itself (:func:`forget_frame`)."""
    if isinstance(values, np.ndarray):
        column = values[place] if values.ndim == 2 else values
        return ("n", column.__array_interface__["data"][0], column.strides, column.shape, column.dtype.str)
    if isinstance(values, pd.Categorical):
        codes, categories = values.codes, values.categories
        address = codes.__array_interface__["data"][0]
        return (
            "c",
            address,
            codes.strides,
            codes.shape,
            codes.dtype.str,
            id(categories),
            categories.name,
            values.ordered,
        )
    arrow = getattr(values, "_pa_array", None)
    if arrow is not None:  # immutable: held alive by the snapshot, its id stays its own
        return ("a", id(arrow), len(values), str(values.dtype))
    array = getattr(values, "_ndarray", None)  # datetimes, timedeltas (2-D in their block)
    if isinstance(array, np.ndarray) and array.ndim in (1, 2):
        column = array[place] if array.ndim == 2 else array
        address = column.__array_interface__["data"][0]
        return ("d", address, column.strides, column.shape, column.dtype.str, str(values.dtype))
    return None


def frame_fingerprint(frame: pd.DataFrame, *, path: str = "frame") -> bytes:
    """Return a 16-byte content fingerprint of ``frame``.

    It covers the shape, every column label in order, every dtype, every value (bitwise for
    floats) and the index (a RangeIndex by its bounds, any other index by its values and names).
    Copies, column re-selections, Arrow chunking and a Parquet round trip give the same bytes.
    """
    return frame_digests(frame, path=path).fingerprint()


def series_fingerprint(series: pd.Series, *, path: str = "series") -> bytes:
    """Return a 16-byte content fingerprint of a Series (name, dtype, values, index)."""
    name = _check_label(series.name, path)
    frame_print = frame_fingerprint(series.to_frame(name="_"), path=path)
    return xxhash.xxh3_128(name.encode() + b"\x1f" + frame_print).digest()


def _array_fingerprint(array: np.ndarray, path: str) -> bytes:
    header = f"{array.dtype.str}|{array.shape}".encode()
    if array.dtype.kind in "biufcmM":
        return xxhash.xxh3_128(header + _xxh(array)).digest()
    if array.dtype.kind in "OUS":
        sink = xxhash.xxh3_128(header)
        encoder = _Encoder(sink)
        for i, item in enumerate(array.ravel().tolist()):
            encoder.encode(item, f"{path}[{i}]")
        return sink.digest()
    raise UnhashableArgumentError(path, f"numpy array of dtype {array.dtype}")


# -- the frame memo -------------------------------------------------------------------------------
# A frame's fingerprint is remembered by identity, beside a snapshot of what the frame is made of:
# its block manager, blocks, block values (and an Arrow-backed column's Arrow array), placements,
# dtypes, column and index objects and index names, all held strongly so that ``is`` compares
# live objects (no reused id() can match). The entry also holds a shallow copy of the manager: its
# blocks are references to the frame's data, so under Copy-on-Write every write that pandas makes
# to the frame (indexers, column assignment, ``inplace=True`` methods, ``update``, ...) copies the
# block first and gives the frame new block values, and the snapshot no longer matches: the frame
# is hashed again. A hit costs a few microseconds whatever the frame's size.
# Not seen: writes behind pandas' back, which Copy-on-Write does not see either: through
# ``Series.array`` (or ``.values`` of an extension column), which pandas 3 still hands out as the
# frame's own writable array (an Arrow-backed column is the exception: its array is immutable and a
# write replaces it, which the snapshot sees), or through a NumPy array the frame was built on
# without a copy. ``forget_frame`` is the remedy after such a write.

FRAME_MEMO_SIZE = 256
"""How many frames the memo remembers at most, least recently used first out (read at each
store; 0 remembers nothing). An entry goes as soon as its frame is collected."""


class _FrameRef(weakref.ref):
    """A weak reference to a remembered frame that knows its memo slot."""

    __slots__ = ("slot",)
    slot: int


@dataclasses.dataclass(slots=True)
class _Entry:
    ref: _FrameRef
    parts: tuple[Any, ...]  # compared by identity
    names: tuple[Any, ...]  # the index names, compared by value (settable in place)
    anchor: Any  # the shallow copy of the manager; see above
    fingerprint: bytes | None
    key: str | None
    checks: tuple[Any, ...] = ()  # tokens of the checks the frame passed as it is (``mark_frame``)
    digests: FrameDigests | None = None  # the fingerprint by parts, when the frame was hashed here
    signatures: dict[Any, bytes] | None = None  # column signature -> digest (see _column_signature)


def _parts(frame: pd.DataFrame) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """What the frame is made of: the objects its snapshot compares by identity, and its index names."""
    manager = frame._mgr
    blocks = manager.blocks
    parts: list[Any] = [manager, blocks, manager.axes[0], manager.axes[1]]
    for block in blocks:
        values = block.values
        # An Arrow-backed array is immutable; setting values through Series.array swaps _pa_array.
        parts += (block, values, values.dtype, block.mgr_locs, getattr(values, "_pa_array", None))
    return tuple(parts), tuple(frame.index.names)


def _matches(entry: _Entry, frame: pd.DataFrame) -> bool:
    parts, names = _parts(frame)
    return (
        len(parts) == len(entry.parts)
        and all(a is b for a, b in zip(parts, entry.parts, strict=True))
        and names == entry.names
    )


def _same_parts(a: _Entry, b: _Entry) -> bool:
    """Two snapshots of one frame with nothing written in between (the same objects throughout)."""
    return (
        len(a.parts) == len(b.parts)
        and all(x is y for x, y in zip(a.parts, b.parts, strict=True))
        and a.names == b.names
    )


def _key_of(fingerprint: bytes) -> str:
    """``compute_params_hash(frame)`` from the frame's fingerprint."""
    sink = hashlib.sha256()
    encoder = _Encoder(sink)
    encoder.tag(b"V", KEY_SCHEME.encode())
    encoder.tag(b"X", fingerprint)
    return sink.hexdigest()


class _FrameMemo:
    """Fingerprints and keys of live DataFrames by identity; bounded, thread-safe."""

    def __init__(self) -> None:
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._by_signature: dict[Any, int] = {}  # column signature -> memo slot (see inherited)
        self._indexed = 0  # its size when last rebuilt
        self._lock = threading.Lock()
        self._owner: int | None = None  # the thread inside the lock
        self._dead: list[_FrameRef] = []
        # Bound here: a frame collected while the interpreter shuts down calls back into the memo
        # after module globals (``threading`` among them) have been cleared.
        self._get_ident = threading.get_ident

    def __len__(self) -> int:
        return len(self._entries)

    def _locked(self) -> _Locked:
        return _Locked(self)

    def _purge(self) -> None:
        while self._dead:
            self._drop(self._dead.pop())

    def _drop(self, ref: _FrameRef) -> None:
        entry = self._entries.get(ref.slot)
        if entry is not None and entry.ref is ref:
            del self._entries[ref.slot]

    def _died(self, ref: _FrameRef) -> None:
        """A remembered frame was collected: drop its entry (and the blocks the entry holds) now."""
        if self._owner == self._get_ident():
            self._dead.append(ref)  # collected while this thread holds the lock: dropped on release
            return
        # Only attributes of self from here: at interpreter shutdown module globals are cleared.
        with self._lock:
            self._owner = self._get_ident()
            try:
                self._drop(ref)
            finally:
                self._owner = None

    def lookup(self, frame: pd.DataFrame) -> tuple[bytes | None, str | None]:
        """The remembered fingerprint and key of ``frame`` (None, None if unknown or changed).

        Nothing is ever remembered without pandas' copy-on-write (pandas 2 with it off writes into
        a frame's blocks in place, which the guard cannot see)."""
        entry = self._current(frame)
        return (None, None) if entry is None else (entry.fingerprint, entry.key)

    def _current(self, frame: pd.DataFrame) -> _Entry | None:
        """The entry of ``frame`` if it still matches the frame as it is (else dropped: None)."""
        if not _copy_on_write():
            return None
        with self._locked():
            entry = self._entries.get(id(frame))
            if entry is None:
                return None
            if entry.ref() is not frame or not _matches(entry, frame):
                del self._entries[id(frame)]
                return None
            self._entries.move_to_end(id(frame))
            return entry

    def inherited(self, signatures: list[Any]) -> dict[Any, bytes]:
        """Digests of columns with these signatures, taken from frames the memo holds unchanged
        since they were hashed: their snapshots hold the data the signatures point at, so that
        memory is theirs and unwritten (Copy-on-Write copies before a write)."""
        if not _copy_on_write() or not any(signature is not None for signature in signatures):
            return {}
        with self._locked():
            holders: dict[Any, _Entry] = {}
            for signature in signatures:
                slot = self._by_signature.get(signature) if signature is not None else None
                entry = None if slot is None else self._entries.get(slot)
                if entry is not None and entry.signatures and signature in entry.signatures:
                    holders[signature] = entry
        found: dict[Any, bytes] = {}
        valid: dict[int, bool] = {}
        for signature, entry in holders.items():
            if id(entry) not in valid:
                source = entry.ref()
                valid[id(entry)] = source is not None and _matches(entry, source)
            if valid[id(entry)]:
                found[signature] = entry.signatures[signature]  # type: ignore[index]
        return found

    def _index(self, entry: _Entry) -> None:
        """Note where ``entry``'s columns can be found by signature (memo slots, not entries: the
        index keeps no frame's data alive); rebuilt from the live entries once it has grown to twice
        its size at the last rebuild (the signatures of dropped entries pile up)."""
        if not entry.signatures:
            return
        for signature in entry.signatures:
            self._by_signature[signature] = entry.ref.slot
        if len(self._by_signature) > 2 * self._indexed + 4096:  # most of it left by dropped entries
            self._by_signature = {
                signature: slot
                for slot, live in self._entries.items()
                for signature in (live.signatures or ())
            }
            self._indexed = len(self._by_signature)

    def checked(self, frame: pd.DataFrame, token: Any) -> bool:
        """Whether ``frame``, as it is now, passed the check ``token`` (compared by identity)."""
        entry = self._current(frame)
        return entry is not None and any(check is token for check in entry.checks)

    def check(self, frame: pd.DataFrame, token: Any, state: _Entry | None = None) -> None:
        """Remember that ``frame`` passed the check ``token``: as it is now, or as it was at
        ``state`` (a :meth:`snapshot` taken before the check) if it has not changed since."""
        if state is not None and not _matches(state, frame):
            return  # written to while it was being checked: what passed is not what it holds
        entry = self._current(frame)
        if entry is None:
            entry = state if state is not None else self.snapshot(frame)
        elif any(check is token for check in entry.checks):
            return
        entry.checks = (*entry.checks, token)
        self.store(entry)

    def snapshot(self, frame: pd.DataFrame) -> _Entry:
        """An entry for ``frame`` as it is now, to fill and :meth:`store` once hashed.

        Taken before hashing: a write while hashing gives the frame new blocks, so the entry
        never matches a frame whose content differs from what was hashed.
        """
        parts, names = _parts(frame)
        anchor = frame._mgr.copy(deep=False)
        ref = _FrameRef(frame, self._died)
        ref.slot = id(frame)
        return _Entry(ref, parts, names, anchor, None, None)

    def store(self, entry: _Entry) -> None:
        size = FRAME_MEMO_SIZE
        if not _copy_on_write():
            return
        with self._locked():
            if size <= 0 or entry.ref() is None:
                return
            self._entries[entry.ref.slot] = entry
            self._entries.move_to_end(entry.ref.slot)
            self._index(entry)
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def forget(self, frame: pd.DataFrame) -> None:
        """Drop ``frame``'s entry and those of the frames remembered as sharing its columns' data."""
        shared = {signature for signature in column_signatures(frame) if signature is not None}
        with self._locked():
            entry = self._entries.get(id(frame))
            if entry is not None and entry.ref() is frame:
                del self._entries[id(frame)]
            for slot in {self._by_signature.get(signature) for signature in shared} - {None}:
                other = self._entries.get(slot)  # type: ignore[arg-type]
                if other is not None and other.signatures and shared.intersection(other.signatures):
                    del self._entries[slot]  # type: ignore[arg-type]

    def clear(self) -> None:
        with self._locked():
            self._entries.clear()
            self._by_signature.clear()
            self._indexed = 0

    def after_fork(self) -> None:
        """In a forked child: a new lock (another thread may have held the parent's at the fork)."""
        self._lock = threading.Lock()
        self._owner = None

    def fingerprint(self, frame: pd.DataFrame, path: str) -> bytes:
        """``frame_fingerprint(frame)``, remembered."""
        known, seeded = self.lookup(frame)
        if known is not None:
            return known
        fingerprint = self._hash(frame, path, seeded).fingerprint
        assert fingerprint is not None  # set by _hash
        return fingerprint

    def key(self, frame: pd.DataFrame, path: str) -> str:
        """``compute_params_hash(frame)``, remembered (or seeded)."""
        known, key = self.lookup(frame)
        if key is not None:
            return key
        if known is not None:
            return _key_of(known)
        key = self._hash(frame, path, None).key
        assert key is not None  # set by _hash
        return key

    def digests(self, frame: pd.DataFrame, path: str) -> FrameDigests:
        """``frame_digests(frame)``, remembered (a frame whose key alone was seeded is hashed once more)."""
        entry = self._current(frame)
        if entry is not None and entry.digests is not None:
            return entry.digests
        digests = self._hash(frame, path, None if entry is None else entry.key).digests
        assert digests is not None  # set by _hash
        return digests

    def _hash(self, frame: pd.DataFrame, path: str, seeded: str | None) -> _Entry:
        known = self._current(frame)
        entry = self.snapshot(frame)
        if known is not None and _same_parts(known, entry):  # unchanged between the two looks
            entry.checks = known.checks
        digests, signatures = _frame_digests(frame, path)
        entry.signatures = _signed(frame, digests, signatures)
        fingerprint = digests.fingerprint()
        key = _key_of(fingerprint)
        if seeded is not None and seeded != key:
            log.warning("%s was seeded with key %s but hashes to %s", path, seeded[:12], key[:12])
        entry.fingerprint, entry.key, entry.digests = fingerprint, key, digests
        self.store(entry)
        return entry


class _Locked:
    """The memo's lock, noting which thread holds it (see ``_FrameMemo._died``)."""

    __slots__ = ("memo",)

    def __init__(self, memo: _FrameMemo) -> None:
        self.memo = memo

    def __enter__(self) -> None:
        self.memo._lock.acquire()
        self.memo._owner = self.memo._get_ident()

    def __exit__(self, *exc: object) -> None:
        try:
            self.memo._purge()
        finally:
            self.memo._owner = None
            self.memo._lock.release()


_FRAMES = _FrameMemo()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_FRAMES.after_fork)


def key_as_of(frame: pd.DataFrame, state: Any) -> str | None:
    """``compute_params_hash(frame)`` as the frame was at ``state`` (:func:`frame_state`), if the
    memo knows it and nothing was written to the frame since; else None. Never reads the data."""
    entry = _FRAMES._current(frame)
    if entry is None or entry.key is None or not _same_parts(entry, state):
        return None
    return entry.key


def remembered_digests(frame: pd.DataFrame) -> FrameDigests:
    """:func:`frame_digests` of ``frame``, from the memo if it holds them (and remembered there, with
    the frame's key, if not): a table hashed here is not hashed again as the next step's argument."""
    return _FRAMES.digests(frame, "frame")


def known_digests(frame: pd.DataFrame) -> FrameDigests | None:
    """:func:`frame_digests` of ``frame`` if the memo holds them for it as it is now, else None;
    never reads the frame's data."""
    entry = _FRAMES._current(frame)
    return None if entry is None else entry.digests


def digests_as_of(frame: pd.DataFrame, state: Any) -> FrameDigests | None:
    """:func:`frame_digests` of ``frame`` as it was at ``state`` (:func:`frame_state`), if the memo
    holds them (the frame was hashed here) and nothing was written to it since; else None."""
    entry = _FRAMES._current(frame)
    if entry is None or entry.digests is None or not _same_parts(entry, state):
        return None
    return entry.digests


def remember_key_as_of(
    frame: pd.DataFrame, state: Any, key: str, digests: FrameDigests | None = None
) -> None:
    """Seed the memo: ``frame`` as it was at ``state`` (:func:`frame_state`) hashes to ``key``; nothing
    is seeded if the frame was written to since, or its key is known already.

    For a table whose copy was hashed (the store's writer hashes its own copy of a result): the copy's
    key is the original's, as it was when copied.
    """
    if not _matches(state, frame):
        return
    known = _FRAMES._current(frame)
    if known is not None and known.key is not None:
        return
    if known is not None and _same_parts(known, state):
        state.checks = known.checks
    state.key, state.digests = key, digests
    if digests is not None and digests.key() == key:
        state.signatures = _signed(frame, digests)
    _FRAMES.store(state)


def remember_frame_key(frame: pd.DataFrame, key: str, digests: FrameDigests | None = None) -> None:
    """Seed the memo: ``compute_params_hash(frame)`` is ``key``, without hashing ``frame``.

    For a frame whose key is already known, such as a table just decoded from the store with the
    ``content_hash`` recorded beside its payload. The seed is correct, and must only be given,
    when all of these hold:

    - ``key`` is what ``compute_params_hash(frame)`` returns for ``frame`` as it is at this call
      (same ``KEY_SCHEME``); for a decoded payload, when the stored hash was taken of the frame
      that was encoded and decoding gives a frame with the same fingerprint (same column labels
      and order, dtypes, values and index);
    - nothing has written to ``frame``'s data since it was made except through pandas;
    - ``frame`` is the object that will be passed on (a copy or a re-selection is another object).

    Later writes through pandas are detected as for a hashed frame: the seed is then forgotten.
    Only the key (and the digests) is seeded: ``frame`` nested inside another argument (a list, a
    dict) is hashed once, and a key seed that disagrees with that hash is logged as a warning and
    replaced (seeded digests are taken as they are: they come from the store's own payloads).

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame the key belongs to.
    key : str
        Its ``compute_params_hash``: 64 lowercase hexadecimal characters.
    digests : FrameDigests, optional
        Its :func:`frame_digests`, under the same conditions (kept beside a stored table): seeded
        too when they give ``key`` and describe the frame's make-up, else left out.

    Raises
    ------
    InputError
        If ``frame`` is not a DataFrame, ``key`` is not 64 hex characters, or ``frame`` was
        hashed (unchanged since) to another key.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError("frame", f"expected a pandas DataFrame, got {type(frame).__name__}")
    if not (isinstance(key, str) and len(key) == 64 and all(c in "0123456789abcdef" for c in key)):
        raise InputError("key", f"expected 64 lowercase hexadecimal characters, got {key!r}")
    known, _ = _FRAMES.lookup(frame)
    if known is not None and _key_of(known) != key:
        raise InputError("key", f"frame was hashed to {_key_of(known)}, not {key}")
    entry = _FRAMES.snapshot(frame)
    entry.fingerprint, entry.key = known, key
    if digests is not None and digests.key() == key and digests.describe(frame):
        entry.fingerprint, entry.digests = digests.fingerprint(), digests
        entry.signatures = _signed(frame, digests)
    _FRAMES.store(entry)


def remember_frame_copy(original: pd.DataFrame, copy: pd.DataFrame) -> bool:
    """Give ``copy`` the key the memo knows for ``original``, if it knows one; no hashing.

    For a copy just made (``original.copy()``, shallow or deep), whose content is therefore the
    original's: the store's private copies of a cached result. The same conditions as for
    :func:`remember_frame_key` hold; ``original`` unknown or changed since it was hashed gives
    False and seeds nothing.

    Parameters
    ----------
    original : pandas.DataFrame
        The frame ``copy`` was copied from, unchanged since.
    copy : pandas.DataFrame
        The copy.

    Returns
    -------
    bool
        Whether ``copy`` was seeded.
    """
    for name, frame in (("original", original), ("copy", copy)):
        if not isinstance(frame, pd.DataFrame):
            raise InputError(name, f"expected a pandas DataFrame, got {type(frame).__name__}")
    known = _FRAMES._current(original)
    if known is None or known.key is None:
        return False
    entry = _FRAMES.snapshot(copy)
    entry.fingerprint, entry.key, entry.checks = known.fingerprint, known.key, known.checks
    entry.digests = known.digests
    if known.digests is not None:
        entry.signatures = _signed(copy, known.digests)
    _FRAMES.store(entry)
    return True


# Content keys marked by a check that passed on that content (``mark_content``): bounded, newest
# kept. They live here, in the caching machinery, so no code version ever counts them.
_MARKS: OrderedDict[str, tuple[Any, Any]] = OrderedDict()
_MARKS_MAX = 1024
_MARKS_LOCK = threading.Lock()


def mark_content(key: str, token: Any, value: Any = None) -> None:
    """Record that the content whose key is ``key`` passed the check ``token`` stands for (e.g. the
    schema a table was validated against, compared by identity in :func:`content_marked`), with
    what the check gave for it, if anything (:func:`marked_value`)."""
    with _MARKS_LOCK:
        _MARKS[key] = (token, value)
        _MARKS.move_to_end(key)
        while len(_MARKS) > _MARKS_MAX:
            _MARKS.popitem(last=False)


def content_marked(key: str | None, token: Any) -> bool:
    """True if the content whose key is ``key`` was marked with this very ``token``."""
    with _MARKS_LOCK:
        mark = _MARKS.get(key) if key is not None else None
        return mark is not None and mark[0] is token


def marked_value(key: str | None, token: Any) -> Any:
    """The value recorded with the ``token`` mark of the content whose key is ``key``; None if the
    content was not so marked. A check returning a table records a copy it may hand out again."""
    with _MARKS_LOCK:
        mark = _MARKS.get(key) if key is not None else None
        return mark[1] if mark is not None and mark[0] is token else None


def frame_state(frame: pd.DataFrame) -> Any:
    """What ``frame`` is made of now (opaque): taken before a check, given to :func:`mark_frame`,
    it makes sure a write during the check is not marked as checked."""
    return _FRAMES.snapshot(frame)


def mark_frame(frame: pd.DataFrame, token: Any, state: Any = None) -> None:
    """Record that ``frame`` passed the check ``token`` stands for (e.g. the schema it was validated
    against); forgotten, as the frame's key is, once pandas writes to it.

    For a check the same frame meets again on its way through the pipeline (each step validates
    its positions): :func:`frame_checked` answers from the memo instead of the check running again.
    ``state`` (:func:`frame_state`, taken before the check) marks the frame only if nothing was
    written to it since; without it, the frame as it is now is marked. Nothing is remembered
    without pandas' copy-on-write.
    """
    _FRAMES.check(frame, token, state)


def frame_checked(frame: pd.DataFrame, token: Any) -> bool:
    """True if ``frame``, unchanged since, was marked with this very ``token`` (:func:`mark_frame`)."""
    return _FRAMES.checked(frame, token)


def known_frame_key(frame: pd.DataFrame) -> str | None:
    """``compute_params_hash(frame)`` if the memo knows it for ``frame`` as it is now, else None;
    never reads the frame's data (a cheap question, for checks that may skip work on known content)."""
    return _FRAMES.lookup(frame)[1]


def forget_frame(frame: pd.DataFrame) -> None:
    """Forget what the memo knows of ``frame``, and of the frames it knows to share its columns'
    data (its copies): its next hash reads its content.

    Needed only after writing to its data behind pandas' back, which the memo cannot see: through
    ``Series.array`` or ``.values`` of an extension column (pandas returns the frame's own array
    there) or through a NumPy array the frame was built on without a copy (``copy=False``).

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame to forget; one the memo does not know is left alone.
    """
    _FRAMES.forget(frame)


def describe_value(value: Any) -> Any:
    """Return a JSON-friendly, human-readable description of a call argument.

    Scalars and containers come back as themselves; tables and arrays as their shape (their
    content is represented by the argument's hash, stored beside the description).
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, np.generic):
        return describe_value(value.item())
    if isinstance(value, pd.DataFrame):
        return {"dataframe": {"rows": len(value), "columns": [str(c) for c in value.columns]}}
    if isinstance(value, pd.Series):
        return {"series": {"rows": len(value), "name": str(value.name)}}
    if isinstance(value, np.ndarray):
        return {"array": {"shape": list(value.shape), "dtype": str(value.dtype)}}
    if isinstance(value, enum.Enum):
        return describe_value(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: describe_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): describe_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [describe_value(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((describe_value(v) for v in value), key=repr)
    return str(value)

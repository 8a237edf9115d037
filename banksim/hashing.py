"""Content hashing: deterministic cache keys for call parameters, DataFrames included.

``compute_params_hash`` is the SHA-256 of a canonical, type-tagged, length-prefixed encoding
(scheme ``banksim-key-v1``); DataFrames enter it through a per-column xxh3-128 fingerprint that
depends on values, dtypes, column labels and order and the index, never on memory layout.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import math
import struct
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import xxhash

from banksim.errors import UnhashableArgumentError

__all__ = ["KEY_SCHEME", "compute_params_hash", "frame_fingerprint", "series_fingerprint"]

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
            self.tag(b"X", frame_fingerprint(value, path=path))
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
        categories = series_fingerprint(pd.Series(dtype.categories), path=f"{path}.categories")
        codes = np.ascontiguousarray(series.cat.codes.to_numpy())
        return categories + _xxh(codes) + (b"o" if dtype.ordered else b"u")
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


def frame_fingerprint(frame: pd.DataFrame, *, path: str = "frame") -> bytes:
    """Return a 16-byte content fingerprint of ``frame``.

    It covers the shape, every column label in order, every dtype, every value (bitwise for
    floats) and the index (a RangeIndex by its bounds, any other index by its values and names).
    Copies, column re-selections, Arrow chunking and a Parquet round trip give the same bytes.
    """
    header = [f"shape={frame.shape}"]
    column_digests = []
    for label, series in frame.items():
        header.append(f"{_check_label(label, path)}:{series.dtype}")
        column_digests.append(_values_digest(series, f"{path}[{label!r}]"))
    index_text, index_columns = _index_header(frame.index, path)
    header.append(index_text)
    for i, level in enumerate(index_columns):
        column_digests.append(_values_digest(level, f"{path}.index[{i}]"))
    sink = xxhash.xxh3_128("\x1f".join(header).encode())
    for digest in column_digests:
        sink.update(digest)
    return sink.digest()


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

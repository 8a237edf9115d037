"""Payload encodings of the store: DataFrames as Parquet, dicts as JSON, files as raw bytes.

Every payload is encoded in memory first, so its checksum (xxh3-128) is known before anything
is written, and bad input (an unsupported value) fails before the store is touched.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from banksim.errors import BanksimError, InputError
from banksim.hashing import compute_params_hash

__all__ = ["Payload", "checksum_of", "decode", "encode_bytes", "encode_dataframe", "encode_dict"]

CHECKSUM_ALGORITHM = "xxh3_128"
# LZ4 (LZ4_RAW in the file): smaller than snappy on banksim frames (35 vs 40 MB for 1M positions)
# and faster to read back (bench/bench_store.py); every Parquet reader since 2021 reads it.
PARQUET_COMPRESSION = "lz4"
FORMATS = ("parquet", "json", "blob")


@dataclass(frozen=True)
class Payload:
    """Encoded bytes ready to write, with what the store records about them."""

    format: str
    data: pa.Buffer | bytes
    checksum: str
    row_count: int | None
    content_hash: str | None = None  # a table's key as an argument (compute_params_hash): lineage

    @property
    def size_bytes(self) -> int:
        return self.data.size if isinstance(self.data, pa.Buffer) else len(self.data)

    def as_bytes(self) -> bytes:
        return self.data.to_pybytes() if isinstance(self.data, pa.Buffer) else bytes(self.data)


def checksum_of(data: Any) -> str:
    """Return ``"xxh3_128:<hex>"`` of a bytes-like object (bytes, memoryview, Arrow buffer)."""
    return f"{CHECKSUM_ALGORITHM}:{xxhash.xxh3_128(memoryview(data)).hexdigest()}"


def _dictionary_columns(table: pa.Table) -> list[str]:
    """Dictionary-encode string columns only: faster writes, same reads (see bench notes)."""
    return [
        field.name
        for field in table.schema
        if pa.types.is_string(field.type)
        or pa.types.is_large_string(field.type)
        or pa.types.is_dictionary(field.type)
    ]


def encode_dataframe(frame: pd.DataFrame, argument: str = "df") -> Payload:
    """Encode a DataFrame as Parquet (LZ4); dtypes, categoricals, tz and the index survive."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(argument, f"expected a pandas DataFrame, got {type(frame).__name__}")
    if not frame.columns.is_unique:
        duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
        raise InputError(argument, "column labels must be unique", failure_cases=duplicated)
    bad_labels = [label for label in frame.columns if not isinstance(label, str)]
    if bad_labels:
        raise InputError(
            argument, "column labels must be strings to be stored as Parquet", failure_cases=bad_labels
        )
    try:
        table = pa.Table.from_pandas(frame, preserve_index=None)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise InputError(argument, f"cannot be stored as Parquet: {exc}") from exc
    table = _remember_categories(frame, table)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=PARQUET_COMPRESSION, use_dictionary=_dictionary_columns(table))
    buffer = sink.getvalue()
    return Payload("parquet", buffer, checksum_of(buffer), len(frame), _content_hash(frame))


def _content_hash(frame: pd.DataFrame) -> str | None:
    """What ``frame`` hashes to as an argument of a cached call; None if it cannot be hashed."""
    try:
        return compute_params_hash(frame)
    except BanksimError:
        return None


CATEGORIES_KEY = b"banksim.categories"


def _remember_categories(frame: pd.DataFrame, table: pa.Table) -> pa.Table:
    """Parquet drops the categories of an empty categorical column; keep them in metadata."""
    categories = {
        name: {"values": series.cat.categories.tolist(), "dtype": str(series.cat.categories.dtype)}
        for name, series in frame.items()
        if isinstance(series.dtype, pd.CategoricalDtype) and len(series) == 0
    }
    if not categories:
        return table
    metadata = {**(table.schema.metadata or {}), CATEGORIES_KEY: json.dumps(categories, default=str).encode()}
    return table.replace_schema_metadata(metadata)


def _restore_categories(table: pa.Table, frame: pd.DataFrame) -> pd.DataFrame:
    stored = (table.schema.metadata or {}).get(CATEGORIES_KEY)
    if stored is None:
        return frame
    for name, spec in json.loads(stored).items():
        categories = pd.Index(spec["values"], dtype=spec["dtype"])
        frame[name] = frame[name].astype(pd.CategoricalDtype(categories, ordered=frame[name].cat.ordered))
    return frame


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _check_keys(value: Any, path: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(path, f"dict keys must be strings to be stored as JSON, got {key!r}")
            _check_keys(item, f"{path}[{key!r}]")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_keys(item, f"{path}[{i}]")


def encode_dict(data: dict[str, Any], argument: str = "data") -> Payload:
    """Encode a dict as UTF-8 JSON.

    JSON values, numpy scalars and arrays are kept; dates become ISO strings and Decimals
    strings; NaN and infinities are kept (as Python's ``json`` writes them). Other values are
    an error.
    """
    if not isinstance(data, dict):
        raise InputError(argument, f"expected a dict, got {type(data).__name__}")
    _check_keys(data, argument)
    try:
        text = json.dumps(data, default=_json_default, ensure_ascii=False, allow_nan=True)
    except TypeError as exc:
        raise InputError(
            argument,
            f"holds a value of type {exc} that JSON cannot store",
            allowed="str, int, float, bool, None, lists and dicts of these, numpy scalars, dates",
        ) from exc
    encoded = text.encode("utf-8")
    return Payload("json", encoded, checksum_of(encoded), None)


def encode_bytes(blob: bytes, argument: str = "blob") -> Payload:
    """Wrap raw bytes (a workbook, a PNG) as a payload."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise InputError(argument, f"expected bytes, got {type(blob).__name__}")
    data = bytes(blob)
    return Payload("blob", data, checksum_of(data), None)


def decode(format: str, data: Any) -> Any:
    """Turn stored bytes back into a DataFrame, a dict or bytes."""
    if format == "parquet":
        # ParquetFile.read gives one chunk per row group; read_table (the dataset reader) splits
        # columns into 128k-row chunks that to_pandas must then stitch (about 2x slower here).
        table = pq.ParquetFile(pa.BufferReader(data)).read()
        return _restore_categories(table, _writable(table.to_pandas()))
    if format == "json":
        return json.loads(bytes(data).decode("utf-8"), parse_constant=_parse_constant)
    if format == "blob":
        return bytes(data)
    raise ValueError(f"unknown payload format {format!r}")


def _writable(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy the columns Arrow handed over without copying, so callers can assign in place.

    Same-typed numeric columns are consolidated into 2-D blocks (a copy); categorical codes come
    straight from a single-chunk dictionary column and are read-only, which pandas does not
    expect of a column nobody else holds.
    """
    categorical = [name for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)]
    for name in categorical:
        frame[name] = frame[name].array.copy()
    return frame


def _parse_constant(name: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]

"""Payload encodings of the store: DataFrames as Parquet, dicts as JSON, files as raw bytes.

Every payload is encoded in memory first, so its checksum (xxh3-128) is known before anything
is written, and bad input (an unsupported value) fails before the store is touched.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
from pandas.api.internals import create_dataframe_from_blocks

from banksim.errors import BanksimError, InputError
from banksim.hashing import FrameDigests, compute_params_hash, remember_frame_key

log = logging.getLogger(__name__)

__all__ = [
    "Payload",
    "check_storable",
    "checksum_of",
    "decode",
    "decode_table",
    "decode_table_with_digests",
    "digests_metadata",
    "encode_bytes",
    "encode_dataframe",
    "encode_dict",
    "parquet_bytes",
]

CHECKSUM_ALGORITHM = "xxh3_128"
# LZ4 (LZ4_RAW in the file): smaller than snappy on banksim frames (35 vs 40 MB for 1M positions)
# and faster to read back (bench/bench_store.py); every Parquet reader since 2021 reads it.
PARQUET_COMPRESSION = "lz4"
FORMATS = ("parquet", "json", "blob", "parquet+base")


@dataclass(frozen=True)
class Payload:
    """Encoded bytes ready to write, with what the store records about them."""

    format: str
    data: pa.Buffer | bytes
    checksum: str
    row_count: int | None
    content_hash: str | None = None  # a table's key as an argument (compute_params_hash): lineage
    base_id: str | None = None  # a table stored as its columns that differ from this row's (store.shared)
    base_checksum: str | None = None  # the checksum of that row's payload when this was encoded

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


def check_storable(value: pd.DataFrame | dict[str, Any], argument: str) -> None:
    """Raise the InputError that encoding ``value`` would raise, without encoding a table.

    For a writer that encodes later (write-behind): a DataFrame's column labels, and the Arrow
    types of its object columns (the only ones that can fail); a dict (small) is encoded.
    """
    if isinstance(value, dict):
        encode_dict(value, argument)
        return
    _check_labels(value, argument)
    blocks = getattr(getattr(value, "_mgr", None), "blocks", None)  # no Series of dtypes built
    if len(value) == 0 or (blocks is not None and all(b.dtype != np.dtype(object) for b in blocks)):
        return  # no value that Arrow could refuse
    objects = [name for name, dtype in value.dtypes.items() if dtype == np.dtype(object)]
    if objects:
        try:
            pa.Schema.from_pandas(value[objects], preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise InputError(argument, f"cannot be stored as Parquet: {exc}") from exc


def encode_dataframe(
    frame: pd.DataFrame,
    argument: str = "df",
    known_key: Callable[[], str | None] | None = None,
    digests: FrameDigests | None = None,
) -> Payload:
    """Encode a DataFrame as Parquet (LZ4); dtypes, categoricals, tz and the index survive.

    ``known_key``, asked once the Parquet is written, may give the frame's content key (e.g. the key
    the caller computed meanwhile for the table ``frame`` is a copy of): it is then not hashed again.
    ``digests``, the frame's :func:`~banksim.hashing.frame_digests` if taken, are kept in the file's
    metadata: the decoded table then comes with them and is not hashed again (:func:`decode`).
    """
    _check_labels(frame, argument)
    if len(frame) <= ENCODED_MAX_ROWS and _encodes_as_its_key(frame):
        return _small_table(frame, argument, known_key, digests)
    buffer = parquet_bytes(frame, argument, metadata=digests_metadata(digests))
    _remember_given_key(frame, argument, known_key)
    return Payload("parquet", buffer, checksum_of(buffer), len(frame), content_hash(frame))


def _remember_given_key(
    frame: pd.DataFrame, argument: str, known_key: Callable[[], str | None] | None
) -> None:
    """Have the hashing memo hold the key ``known_key`` gives for ``frame``, if any."""
    key = known_key() if known_key is not None else None
    if key is not None:
        try:
            remember_frame_key(frame, key)
        except InputError:  # the frame hashed to another key: hashed again when asked
            log.warning("%s: the key given for it is not its content's; hashing it", argument)


# Small tables encoded lately, by content key and the key of the digests kept with them: the same content
# is the same Parquet, and a sweep stores the same small tables (CVA, IRRBB, summaries) scenario after
# scenario. Only tables whose key covers all their Parquet holds (see _encodes_as_its_key), up to
# ENCODED_MAX_BYTES of Parquet each.
ENCODED_MAX_ROWS = 2_000
ENCODED_MAX_BYTES = 64 * 1024
ENCODED_SIZE = 256


def _encodes_as_its_key(frame: pd.DataFrame) -> bool:
    """Whether two tables of ``frame``'s content key encode to values that decode alike: a plain table
    (no attrs, no name on the column labels) with a RangeIndex and no object column or object
    categories (the key counts ``"a"`` and ``b"a"``, or 1.5 as a float32 and a float, as the same);
    object columns are no matter in a table with no rows (no value to count alike: a scenario's empty
    CVA hedges, say), object categories are."""
    if frame.attrs or frame.columns.name is not None or not isinstance(frame.index, pd.RangeIndex):
        return False
    for dtype in frame.dtypes:
        if isinstance(dtype, pd.CategoricalDtype):  # its categories are values, even with no row
            if dtype.categories.dtype == np.dtype(object):
                return False
        elif dtype == np.dtype(object) and len(frame):
            return False
    return True


_encoded: OrderedDict[tuple[str | None, str | None], Payload] = OrderedDict()
_encoded_lock = threading.Lock()


def _small_table(
    frame: pd.DataFrame,
    argument: str,
    known_key: Callable[[], str | None] | None,
    digests: FrameDigests | None,
) -> Payload:
    """A small plain table's payload: the one encoded lately for the same content, else its own."""
    _remember_given_key(frame, argument, known_key)
    key = content_hash(frame)  # None: not hashable, never memoised
    memo_key = (key, None if digests is None else digests.key())  # the digests kept: whose they are
    with _encoded_lock:
        found = _encoded.get(memo_key) if key is not None else None
        if found is not None:
            _encoded.move_to_end(memo_key)
            return found
    buffer = parquet_bytes(frame, argument, metadata=digests_metadata(digests))
    payload = Payload("parquet", buffer, checksum_of(buffer), len(frame), key)
    if key is not None and payload.size_bytes <= ENCODED_MAX_BYTES:
        with _encoded_lock:
            _encoded[memo_key] = payload
            while len(_encoded) > ENCODED_SIZE:
                _encoded.popitem(last=False)
    return payload


def _after_fork() -> None:
    """In a forked child: a new lock (another thread may have held the parent's at the fork)."""
    global _encoded_lock
    _encoded_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def parquet_bytes(
    frame: pd.DataFrame,
    argument: str = "df",
    index: bool | None = None,
    metadata: dict[bytes, bytes] | None = None,
    delta: Sequence[str] = (),
) -> pa.Buffer:
    """``frame`` as Parquet (LZ4) bytes, with ``metadata`` added to the schema's; ``index`` as
    ``Table.from_pandas``'s ``preserve_index`` (None: a RangeIndex by its bounds, any other as columns);
    the integer columns named in ``delta`` (e.g. increasing row positions) delta-encoded."""
    try:
        # A table up to PLAIN_MAX_ROWS converts in this thread: a thread pool per call costs more.
        threads = None if len(frame) > PLAIN_MAX_ROWS else 1
        table = pa.Table.from_pandas(frame, preserve_index=index, nthreads=threads)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise InputError(argument, f"cannot be stored as Parquet: {exc}") from exc
    table = _remember_categories(frame, table)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    sink = pa.BufferOutputStream()
    # No min/max statistics: a cached table is one row group up to ~1M rows, so no reader (DuckDB,
    # pyarrow) could skip anything with them; writing them costs a third of the encoding (100k
    # positions 74 -> 47 ms) and they lengthen the footer every read parses.
    pq.write_table(
        table,
        sink,
        compression=PARQUET_COMPRESSION,
        use_dictionary=_dictionary_columns(table),
        write_statistics=False,
        column_encoding=dict.fromkeys(delta, "DELTA_BINARY_PACKED") or None,
    )
    return sink.getvalue()


def _check_labels(frame: pd.DataFrame, argument: str) -> None:
    """A DataFrame with unique string column labels, as Parquet needs."""
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


def content_hash(frame: pd.DataFrame) -> str | None:
    """What ``frame`` hashes to as an argument of a cached call; None if it cannot be hashed."""
    try:
        return compute_params_hash(frame)
    except BanksimError:
        return None


CATEGORIES_KEY = b"banksim.categories"
# A table's digests (banksim.hashing.FrameDigests as JSON), when they were taken before it was encoded.
DIGESTS_KEY = b"banksim.digests"


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


def decode(format: str, data: Any, content_hash: str | None = None) -> Any:
    """Turn stored bytes back into a DataFrame, a dict or bytes.

    ``content_hash``, the stored table's key as an argument, seeds the hashing memo for the decoded
    frame when decoding gives back exactly the content that was hashed (see :func:`_keeps_its_key`),
    so passing it to the next cached step hashes nothing.
    """
    if format == "parquet":
        frame, exact, digests = decode_table_with_digests(data)
        if content_hash is not None and exact:
            remember_frame_key(frame, content_hash, digests)
        return frame
    if format == "json":
        return json.loads(bytes(data).decode("utf-8"), parse_constant=_parse_constant)
    if format == "blob":
        return bytes(data)
    raise ValueError(f"unknown payload format {format!r}")


def decode_table(data: Any) -> tuple[pd.DataFrame, bool]:
    """A Parquet payload as a DataFrame, and whether it is exactly the frame that was encoded
    (it then has the encoded frame's key; see :func:`_keeps_its_key`)."""
    frame, exact, _ = decode_table_with_digests(data)
    return frame, exact


def digests_metadata(digests: FrameDigests | None) -> dict[bytes, bytes] | None:
    """The Parquet metadata that keeps a table's digests (None: nothing to keep)."""
    return None if digests is None else {DIGESTS_KEY: digests.to_json().encode()}


def decode_table_with_digests(data: Any) -> tuple[pd.DataFrame, bool, FrameDigests | None]:
    """:func:`decode_table`, and the digests the payload keeps of the table it encoded, if any."""
    # ParquetFile.read gives one chunk per row group; read_table (the dataset reader) splits
    # columns into 128k-row chunks that to_pandas must then stitch (about 2x slower here).
    reader = pq.ParquetFile(pa.BufferReader(data))
    # A small table reads in this thread: handing ~85 small columns to the thread pool costs
    # more than it saves (10k positions 5.2 ms wall single-threaded, 5.9 with the pool; 100k
    # 29 vs 32 on a busy 2-core machine, whose pool threads wait for a core).
    table = reader.read(use_threads=reader.metadata.num_rows > PLAIN_MAX_ROWS)
    kept = (table.schema.metadata or {}).get(DIGESTS_KEY)
    digests = None if kept is None else FrameDigests.from_json(kept)
    frame = _plain_frame(table)
    if frame is not None:
        # A plain frame has no object columns (each column's metadata was checked): it keeps its
        # key if it has columns, without reading the metadata again.
        return frame, frame.shape[1] > 0, digests
    frame = _restore_categories(table, _writable(table.to_pandas()))
    return frame, _keeps_its_key(table, frame), digests


def _keeps_its_key(table: pa.Table, frame: pd.DataFrame) -> bool:
    """Decoding gives the encoded frame's key: not for object columns (strings come back as str,
    Decimals with Parquet's scale) nor for frames without columns (their rows are lost)."""
    meta = json.loads((table.schema.metadata or {}).get(b"pandas", b"{}"))
    return frame.shape[1] > 0 and all(c.get("numpy_type") != "object" for c in meta.get("columns", []))


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


# -- a plain table read column by column --------------------------------------------------------
# ``Table.to_pandas`` reconstructs a frame from the pandas metadata generically; for the tables a
# cache mostly holds (a RangeIndex; numeric, boolean, string and categorical columns) building the
# columns directly gives the same frame several times faster on small tables (fixed per-column
# costs dominate there). Anything else goes through ``to_pandas``; tests compare the two.

# Above this, to_pandas (multithreaded) is as fast or faster: 200k positions 20 vs 22 ms, 1M
# positions 0.7 vs 0.13 s; at 10k the direct path takes 5 ms against 10.
PLAIN_MAX_ROWS = 100_000
_NUMERIC = {
    "double": "float64",
    "float": "float32",
    "int64": "int64",
    "int32": "int32",
    "int16": "int16",
    "int8": "int8",
    "uint64": "uint64",
    "uint32": "uint32",
    "uint16": "uint16",
    "uint8": "uint8",
    "bool": "bool",
}
_FLOATING = frozenset({"float64", "float32"})
_STRING_TYPES = frozenset({"string", "large_string"})
_CODE_TYPES = frozenset({"int8", "int16", "int32"})


def _plain_frame(table: pa.Table) -> pd.DataFrame | None:
    """``table`` as ``to_pandas`` would give it, or None unless every part is plain (see above).

    The frame has ``to_pandas``'s blocks: one 2-D array per numeric dtype (each column copied
    from its Arrow buffers straight into it, so writable) and one block per categorical or
    string column (categorical codes copied too).
    """
    stored = (table.schema.metadata or {}).get(b"pandas")
    if stored is None or CATEGORIES_KEY in table.schema.metadata or not 0 < table.num_rows <= PLAIN_MAX_ROWS:
        return None
    metadata = json.loads(stored)
    index = _plain_index(metadata, table.num_rows)
    specs = metadata.get("columns", [])
    names = table.column_names
    if (
        index is None
        or metadata.get("attributes")
        or len(specs) != len(names)
        or len(set(names)) != len(names)
    ):
        return None
    numeric: dict[str, list[tuple[int, pa.Array]]] = {}
    blocks: list[tuple[Any, np.ndarray]] = []
    dictionaries = _Dictionaries(table)
    for position, (field, column, spec) in enumerate(zip(table.schema, table.columns, specs, strict=True)):
        if (
            not isinstance(spec, dict)
            or spec.get("name") != field.name
            or spec.get("field_name") != field.name
            or column.num_chunks != 1
        ):
            return None
        chunk = column.chunk(0)
        kind = field.type
        dtype = _NUMERIC.get(str(kind))
        if dtype is not None:
            if spec.get("numpy_type") != dtype or (chunk.null_count and dtype not in _FLOATING):
                return None  # integers and booleans with nulls become floats or objects
            numeric.setdefault(dtype, []).append((position, chunk))
            continue
        array = _plain_column(kind, chunk, spec, dictionaries, position)
        if array is None:
            return None
        blocks.append((array, np.array([position], dtype=np.intp)))
    for dtype, chunks in numeric.items():
        stacked = np.empty((len(chunks), table.num_rows), dtype=dtype)
        for row, (_, chunk) in enumerate(chunks):
            _copy_numbers(chunk, stacked[row])
        blocks.append((stacked, np.array([position for position, _ in chunks], dtype=np.intp)))
    return create_dataframe_from_blocks(blocks, index=index, columns=_labels(names))


def _copy_numbers(chunk: pa.Array, out: np.ndarray) -> None:
    """Copy a numeric or boolean Arrow array into ``out`` as ``to_numpy`` would give it: nulls
    (floating columns only, see :func:`_plain_frame`) as NaN, booleans unpacked from their bits.

    Straight from the Arrow buffers: ``to_numpy`` would allocate an array of its own (filling
    the nulls of a floating column through pandas' conversion layer), copied again here."""
    rows, offset = len(chunk), chunk.offset
    validity, data = chunk.buffers()
    if data is None:  # not seen from the Parquet reader; the general conversion handles it
        out[:] = chunk.to_numpy(zero_copy_only=False)
        return
    if out.dtype == np.bool_:
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), count=offset + rows, bitorder="little")
        out[:] = bits[offset:].view(np.bool_)
        return
    out[:] = np.frombuffer(data, dtype=out.dtype, count=rows, offset=offset * out.dtype.itemsize)
    if chunk.null_count:
        if validity is None:  # a null count with no bitmap: not a valid Arrow array
            out[:] = chunk.to_numpy(zero_copy_only=False)
            return
        valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), count=offset + rows, bitorder="little")
        np.copyto(out, np.nan, where=~valid[offset:].view(np.bool_))


def _labels(names: list[str]) -> pd.Index:
    """Column labels as the ``str`` Index ``pd.Index(names)`` gives, built from Arrow buffers:
    the first Arrow array a process makes from Python objects loads pyarrow's pandas layer
    (about 3 ms), which nothing else on a hit needs."""
    encoded = [name.encode("utf-8") for name in names]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(label) for label in encoded], out=offsets[1:])
    text = pa.py_buffer(b"".join(encoded))
    array = pa.LargeStringArray.from_buffers(len(encoded), pa.py_buffer(offsets), text)
    return _index(_strings(array))


class _Dictionaries:
    """The dictionaries of a table's single-chunk string dictionary columns, as ``large_string``
    (pandas' ``str`` arrays hold those) and whether each holds every value once.

    Both are found for all the columns together: one cast, and one hash of all the values, where
    each column's own cast and ``unique`` would cost more than the rest of its decoding on a
    small table. A column whose dictionaries could not be joined (over 2 GiB of text together)
    or whose dictionary has nulls is looked at on its own (:meth:`values`, :meth:`unique`).
    """

    def __init__(self, table: pa.Table) -> None:
        found: dict[int, pa.Array] = {}
        for position, column in enumerate(table.columns):
            kind = column.type
            if (
                pa.types.is_dictionary(kind)
                and pa.types.is_string(kind.value_type)
                and column.num_chunks == 1
            ):
                found[position] = column.chunk(0).dictionary
        self.joined: dict[int, pa.Array] = {}
        self.distinct: set[int] = set()
        if not found:
            return
        try:
            joined = pa.concat_arrays(list(found.values())).cast(pa.large_string())
        except pa.ArrowInvalid:  # over 2 GiB of text together: each column casts its own
            return
        start = 0
        for position, dictionary in found.items():
            self.joined[position] = joined.slice(start, len(dictionary))
            start += len(dictionary)
        if joined.null_count:  # those columns are not plain; the others are checked one by one
            return
        # Each value's code among all the distinct values, numbered apart for each column: the
        # same number twice is a value repeated in one dictionary (then each column checks its own).
        codes = joined.dictionary_encode().indices.to_numpy().astype(np.int64)
        columns = np.repeat(np.arange(len(found), dtype=np.int64), [len(d) for d in found.values()])
        if len(np.unique(columns * len(joined) + codes)) == len(joined):
            self.distinct.update(found)

    def values(self, position: int, chunk: pa.DictionaryArray) -> pa.Array:
        """The dictionary of the column at ``position`` (``chunk`` is its only chunk)."""
        return self.joined.get(position, chunk.dictionary)

    def unique(self, position: int, chunk: pa.DictionaryArray) -> bool:
        """True if the dictionary of the column at ``position`` holds no value twice."""
        if position in self.distinct:
            return True
        dictionary = chunk.dictionary
        return len(dictionary.unique()) == len(dictionary)


def _plain_index(metadata: dict[str, Any], rows: int) -> pd.RangeIndex | None:
    """The RangeIndex the metadata describes (None for any other index or column labels)."""
    levels = metadata.get("column_indexes")
    if levels != [_LABELS] and levels != []:
        return None
    indexes = metadata.get("index_columns")
    if indexes == []:
        return pd.RangeIndex(rows)
    if not (isinstance(indexes, list) and len(indexes) == 1 and isinstance(indexes[0], dict)):
        return None
    spec = indexes[0]
    if spec.get("kind") != "range" or spec.get("name") is not None:
        return None
    index = pd.RangeIndex(spec["start"], spec["stop"], spec["step"])
    return index if len(index) == rows else None


# Column labels that are plain strings, as pandas writes them.
_LABELS = {
    "name": None,
    "field_name": None,
    "pandas_type": "unicode",
    "numpy_type": "str",
    "metadata": {"encoding": "UTF-8"},
}


def _plain_column(
    kind: pa.DataType, chunk: pa.Array, spec: dict[str, Any], dictionaries: _Dictionaries, position: int
) -> Any:
    """The pandas array of a string or categorical column (``chunk``, its only chunk, at
    ``position``), or None if it is not plain; numeric columns are copied by
    :func:`_plain_frame` itself."""
    if str(kind) in _STRING_TYPES:
        if spec.get("numpy_type") != "str" or spec.get("pandas_type") not in ("unicode", "object"):
            return None
        return _strings(chunk)
    if pa.types.is_dictionary(kind):
        return _plain_categorical(kind, chunk, spec, dictionaries, position)
    return None


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default ``str`` dtype


def _strings(values: pa.Array) -> Any:
    """Arrow strings as pandas' ``str`` array, without a copy (as ``to_pandas`` gives them)."""
    return pd.arrays.ArrowStringArray(values, dtype=_STR)  # type: ignore[call-arg]  # stubs lag pandas 3


def _plain_categorical(
    kind: pa.DictionaryType,
    chunk: pa.DictionaryArray,
    spec: dict[str, Any],
    dictionaries: _Dictionaries,
    position: int,
) -> Any:
    """A dictionary column of strings as a Categorical (codes -1 where null)."""
    details = spec.get("metadata") or {}
    if (
        str(kind.value_type) not in _STRING_TYPES
        or str(kind.index_type) not in _CODE_TYPES
        or spec.get("pandas_type") != "categorical"
        or spec.get("numpy_type") != str(kind.index_type)
        or details.get("ordered") != kind.ordered
        or chunk.dictionary.null_count
        or not dictionaries.unique(position, chunk)
    ):
        return None
    indices = chunk.indices
    codes = indices.fill_null(-1) if indices.null_count else indices
    categories = _index(_strings(dictionaries.values(position, chunk)))
    dtype = _categorical_dtype(categories, kind.ordered)
    return pd.Categorical.from_codes(codes.to_numpy().copy(), dtype=dtype, validate=False)


def _index(values: Any) -> pd.Index:
    """``pd.Index(values)`` for a pandas ``str`` array, without the checks (and, in pandas 3,
    the copy) of the public constructor: a fixed cost per categorical column."""
    simple_new = getattr(pd.Index, "_simple_new", None)
    if simple_new is None:
        return pd.Index(values)
    index: pd.Index = simple_new(values)
    return index


def _categorical_dtype(categories: pd.Index, ordered: bool) -> pd.CategoricalDtype:
    """The dtype of categories known to be unique strings without nulls (checked above): the
    public constructor checks that again, at a cost that dominates small tables."""
    fastpath = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    if fastpath is None:
        return pd.CategoricalDtype(categories, ordered=ordered)
    dtype: pd.CategoricalDtype = fastpath(categories, ordered)
    return dtype


def _parse_constant(name: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]

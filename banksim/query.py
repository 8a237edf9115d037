"""SQL across every cached result with DuckDB: one view per result kind, plus the call parameters.

``query(sql)`` opens an in-memory DuckDB connection with a view per stored table kind (Parquet
payloads, whether they live in files or in the database, each checked against its checksum
first), a table per dict kind (JSON flattened to columns) and ``configurations`` with each
call's parameters as typed columns. The ready-made queries compare scenarios recorded by
:func:`banksim.run_pipeline`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from banksim.errors import InputError
from banksim.lineage import edges_between
from banksim.store import CONFIGURATIONS, SIMULATIONS, Row, Store, check_kind, get_store
from banksim.store.shared import FORMAT as SHARED_FORMAT
from banksim.store.shared import completed, described_base

__all__ = [
    "connect",
    "headline_by_scenario",
    "liquidity_by_scenario",
    "query",
    "rwa_by_class_across_scenarios",
]

log = logging.getLogger("banksim.query")
INT64 = np.iinfo(np.int64)

# The columns every row of ``configurations`` has; an argument of the same name is prefixed.
CALL_COLUMNS = ("params_hash", "kind", "function", "created_at", "code_version", "hits", "misses")


def connect(store: Store | None = None, *, read_only: bool = False) -> Any:
    """A DuckDB connection with the views of ``store`` (the active store by default).

    One stored value never breaks the others: a kind that cannot be a view name, or whose
    payloads cannot be read together, is left out and logged. With ``read_only`` the SQL can
    read these views and nothing else: no file access (``read_csv``, ``COPY ... TO``,
    ``ATTACH``), no extensions, no Python variables, and the settings are locked.
    """
    import duckdb  # loaded on use: keeps `import banksim` light

    store = store or get_store()
    connection = duckdb.connect()
    store.files.register(connection)  # payloads on an fsspec filesystem: DuckDB reads through it
    rows, configurations = _stored_rows(store)
    by_kind: dict[str, list[Any]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    for number, (kind, entries) in enumerate(sorted(by_kind.items())):
        if not _view_name_ok(kind):
            continue
        try:
            _kind_view(connection, store, f"__banksim_{number}", kind, entries, read_only)
        except (duckdb.Error, pa.ArrowException, ValueError, OSError) as exc:
            log.warning(
                "bs.query: kind %r is left out: its payloads cannot be read as one view (%s)", kind, exc
            )
    _frame_view(connection, "configurations", _configurations_frame(configurations))
    _frame_view(connection, "inputs", edges_between(configurations, rows))
    if read_only:
        for setting in READ_ONLY_SETTINGS:
            connection.execute(setting)
    return connection


# DuckDB settings of a read-only connection; the views read their data through Arrow, not DuckDB.
READ_ONLY_SETTINGS = (
    "SET enable_external_access = false",
    "SET autoinstall_known_extensions = false",
    "SET autoload_known_extensions = false",
    "SET python_enable_replacements = false",
    "SET lock_configuration = true",
)


def _stored_rows(store: Store) -> tuple[list[Any], list[Any]]:
    store.flush()  # results this process computed a moment ago are queried too
    with store.transaction() as conn:
        rows = conn.execute(
            select(
                SIMULATIONS.c.id,
                SIMULATIONS.c.kind,
                SIMULATIONS.c.params_hash,
                SIMULATIONS.c.data_format,
                SIMULATIONS.c.data_path,
                SIMULATIONS.c.data_blob,
                SIMULATIONS.c.checksum,
                SIMULATIONS.c.size_bytes,
                SIMULATIONS.c.content_hash,
                SIMULATIONS.c.created_at,
                SIMULATIONS.c.base_id,
            )
        ).all()
        configurations = conn.execute(
            select(
                CONFIGURATIONS.c.params_hash,
                CONFIGURATIONS.c.kind,
                CONFIGURATIONS.c.function,
                CONFIGURATIONS.c.params_json,
                CONFIGURATIONS.c.created_at,
                CONFIGURATIONS.c.code_version,
                CONFIGURATIONS.c.hit_count,
                CONFIGURATIONS.c.miss_count,
            )
        ).all()
    return list(rows), list(configurations)


def _view_name_ok(kind: str) -> bool:
    """Kinds follow the store's rule (:func:`banksim.store.check_kind`); rows written before it
    (a 64-character kind, capitals, ``inputs``) are left out of the views, logged."""
    try:
        check_kind(kind)
    except InputError:
        log.warning("bs.query: stored kind %r cannot be a view name; its results are left out", kind)
        return False
    return True


def _kind_view(
    connection: Any, store: Store, source: str, kind: str, entries: list[Any], read_only: bool
) -> None:
    """The view of one kind: its Parquet payloads, or its JSON payloads flattened to columns."""
    formats = {entry.data_format for entry in entries}
    if formats & TABLE_FORMATS:
        if formats - TABLE_FORMATS:
            log.warning("bs.query: kind %r holds tables and dicts; its view shows the tables", kind)
        tables = [e for e in entries if e.data_format in TABLE_FORMATS]
        _parquet_view(connection, store, source, kind, tables, read_only)
    elif "json" in formats:
        records = []
        for entry in entries:
            data = store.load_part(kind, entry.params_hash, blob=False)
            if isinstance(data, dict):
                records.append(_flatten(data) | {"params_hash": entry.params_hash})
        _frame_view(connection, kind, _typed_frame(records, ["params_hash"]), source)


def _frame_view(connection: Any, view: str, frame: Any, source: str | None = None) -> None:
    source = source or f"__banksim_{view}"
    connection.register(source, frame)
    connection.execute(f'CREATE VIEW "{view}" AS SELECT * FROM "{source}"')


def _parquet_view(
    connection: Any, store: Store, source: str, kind: str, entries: list[Any], read_only: bool
) -> None:
    """Checked payloads only, files and blobs in one view; columns are united by name."""
    entries = [
        e
        for e in entries
        if store.payload_intact(
            Row.of(e, kind, e.params_hash),
            e.data_blob,
        )
    ]
    parts = []
    shared = [e for e in entries if e.data_format == SHARED_FORMAT]
    if shared:
        connection.register(f"{source}_shared", _shared_tables(store, kind, shared))
        parts.append(f'SELECT * FROM "{source}_shared"')
    entries = [e for e in entries if e.data_format != SHARED_FORMAT]
    paths = [e.data_path for e in entries if e.data_path]
    if paths and read_only:
        parts.append(_files_through_arrow(connection, store, f"{source}_files", kind, paths))
    elif paths:
        files = [store.files.uri(path) for path in paths]
        listing = ", ".join("'" + path.replace("'", "''") + "'" for path in files)
        parts.append(
            f"SELECT * EXCLUDE (kind) FROM read_parquet([{listing}], hive_partitioning = true, "
            "hive_types = {'kind': VARCHAR, 'params_hash': VARCHAR}, union_by_name = true)"
        )
    blobs = [e for e in entries if e.data_blob is not None]
    if blobs:
        tables = []
        for entry in blobs:
            table = pq.read_table(pa.BufferReader(entry.data_blob))
            tables.append(table.append_column("params_hash", pa.array([entry.params_hash] * table.num_rows)))
        connection.register(f"{source}_blobs", pa.concat_tables(tables, promote_options="permissive"))
        parts.append(f'SELECT * FROM "{source}_blobs"')
    if parts:
        connection.execute(f'CREATE VIEW "{kind}" AS ' + " UNION ALL BY NAME ".join(parts))


def _shared_tables(store: Store, kind: str, entries: list[Any]) -> pa.Table:
    """Tables stored as the columns they change (:mod:`banksim.store.shared`), each completed from
    its base's columns (read once, shared between them, not copied), with its ``params_hash``."""
    bases: dict[str, pa.Table | None] = {}
    tables = []
    for entry in entries:
        data = store.payload_bytes(Row.of(entry, kind, entry.params_hash), entry.data_blob)
        if entry.base_id not in bases:
            bases[entry.base_id] = _base_table(store, entry.base_id)
        base = bases[entry.base_id]
        described = described_base(data) if data is not None else None
        if data is None or base is None or described is None or base.schema.metadata is None:
            log.warning(
                "bs.query: a %s table (%s) is left out: its payload or its base's is unreadable",
                kind, entry.params_hash[:12],
            )  # fmt: skip
            continue
        if described["base_checksum"] != base.schema.metadata.get(b"banksim.checksum", b"").decode():
            log.warning("bs.query: a %s table's base changed since it was stored; it is left out", kind)
            continue
        try:
            table = completed(base, data)
        except (ValueError, pa.ArrowException) as exc:
            log.warning("bs.query: a %s table (%s) is left out: %s", kind, entry.params_hash[:12], exc)
            continue
        tables.append(table.append_column("params_hash", pa.array([entry.params_hash] * table.num_rows)))
    if not tables:
        return pa.table({"params_hash": pa.array([], pa.string())})
    return pa.concat_tables(tables, promote_options="permissive")


def _base_table(store: Store, base_id: str) -> pa.Table | None:
    """The whole table stored in row ``base_id``, its checksum in its schema's metadata; None if it
    is gone or damaged."""
    row, blob = store.row_by_id(base_id)
    data = None if row is None or row.data_format != "parquet" else store.payload_bytes(row, blob)
    if row is None or data is None:
        return None
    table = pq.read_table(pa.BufferReader(data))
    return table.replace_schema_metadata({b"banksim.checksum": row.checksum.encode()})


def _files_through_arrow(connection: Any, store: Store, source: str, kind: str, paths: list[str]) -> str:
    """Payload files as an Arrow dataset, for a connection that may open no file itself (about
    2.5x slower to scan than DuckDB's own reader)."""
    import pyarrow.dataset as ds

    filesystem, root = store.files.arrow_filesystem()
    files = [f"{root}/{path}" for path in paths]
    schemas = [pq.read_schema(path, filesystem=filesystem) for path in files]
    dataset = ds.dataset(
        files,
        schema=pa.unify_schemas([*schemas, KEY_SCHEMA], promote_options="permissive"),
        format="parquet",
        filesystem=filesystem,
        partitioning=ds.partitioning(KEY_SCHEMA, flavor="hive"),
        partition_base_dir=f"{root}/kind={kind}",
    )
    connection.register(source, dataset)
    return f'SELECT * FROM "{source}"'


KEY_SCHEMA = pa.schema([("params_hash", pa.string())])
TABLE_FORMATS = frozenset({"parquet", SHARED_FORMAT})


def _configurations_frame(rows: Sequence[Any]) -> pd.DataFrame:
    """One row per cached call; each argument's value becomes columns (nested dicts flattened)."""
    records = []
    for row in rows:
        try:
            params = json.loads(row.params_json or "{}")
            arguments = {name: argument.get("value") for name, argument in params.get("args", {}).items()}
        except (ValueError, AttributeError):
            log.warning("bs.query: the parameters of call %s are not readable JSON", row.params_hash)
            arguments = {}
        fixed = (row.params_hash, row.kind, row.function, row.created_at, row.code_version,
                 row.hit_count, row.miss_count)  # fmt: skip
        record = dict(zip(CALL_COLUMNS, fixed, strict=True))
        for name, value in _flatten(arguments).items():
            record.setdefault(name if name not in CALL_COLUMNS else f"argument_{name}", value)
        records.append(record)
    return _typed_frame(records, CALL_COLUMNS)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as ``outer_inner`` keys (the first of two equal names wins); lists stay."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            for inner, inner_value in _flatten(value, f"{name}_").items():
                flat.setdefault(inner, inner_value)
        else:
            flat.setdefault(name, value)
    return flat


def _typed_frame(records: list[dict[str, Any]], first: Sequence[str]) -> pd.DataFrame:
    """Records as a frame DuckDB can always read: each column gets one type all its values fit
    (:func:`_sql_column`); a name equal to an earlier one but for case gets a suffix."""
    columns: dict[str, str] = {}  # record key -> column name
    taken: set[str] = set()  # DuckDB compares column names without case
    for key in [*first, *(key for record in records for key in record)]:
        if key in columns:
            continue
        column, number = key, 1
        while column.lower() in taken:
            number += 1
            column = f"{key}_{number}"
        taken.add(column.lower())
        columns[key] = column
    data = {column: _sql_column([record.get(key) for record in records]) for key, column in columns.items()}
    return pd.DataFrame(data, index=pd.RangeIndex(len(records)))


def _sql_column(values: list[Any]) -> pd.Series:
    """One type for a column of JSON values: boolean, 64-bit integer, double (integers and
    floats together, while exact), timestamp, text; anything else mixed (``"many"`` and ``1``,
    ``2**63`` and ``0.5``) or nested becomes JSON text."""
    present = [value for value in values if value is not None]
    numbers = [value for value in present if isinstance(value, int | float) and not isinstance(value, bool)]
    if all(isinstance(value, bool) for value in present):
        return pd.Series(values, dtype="boolean")
    if len(numbers) == len(present):
        if all(isinstance(value, int) and INT64.min <= value <= INT64.max for value in numbers):
            return pd.Series(values, dtype="Int64")
        if all(isinstance(value, float) or abs(value) <= 2**53 for value in numbers):
            return pd.Series([np.nan if value is None else float(value) for value in values], dtype="float64")
    if all(isinstance(value, dt.datetime) for value in present):
        return pd.Series(pd.to_datetime(values, utc=True))
    if all(isinstance(value, str) for value in present):
        return pd.Series(values, dtype="object")
    return pd.Series(
        [None if value is None else json.dumps(value, sort_keys=True, default=str) for value in values],
        dtype="object",
    )


def query(sql: str, store: Store | None = None, *, read_only: bool = False) -> pd.DataFrame:
    """Run ``sql`` with DuckDB over every cached result of ``store`` and return a DataFrame.

    Views: one per stored kind (``positions``, ``rwa``, ``liquidity_lcr``, ``liquidity_nsfr``,
    ``scenario_positions``...; each row carries the ``params_hash`` of its entry), one table per
    dict kind (``capital``, ``liquidity_summary``, ``pipeline``; nested keys joined by ``_``), and
    ``configurations`` (every cached call with its arguments as columns: ``seed``,
    ``num_positions``, ``scenario_name``, ``scenario_shocks_pd_multiplier``, ...) and ``inputs``
    (which stored table each call took as which argument: ``params_hash``, ``argument``,
    ``input_params_hash``, ``input_kind``; see :func:`banksim.lineage`).

    ``read_only=True`` is for SQL text that comes from someone else (a web page, a form): it
    can read these views and nothing else (see :func:`connect`).
    """
    if not isinstance(sql, str) or not sql.strip():
        raise InputError("sql", "expected a SQL query string")
    if not isinstance(read_only, bool):
        raise InputError("read_only", f"{read_only!r} is not a bool", allowed=[True, False])
    import duckdb

    for attempt in range(QUERY_ATTEMPTS):
        connection = connect(store, read_only=read_only)
        try:
            return connection.execute(sql).df()
        except duckdb.IOException:  # a payload was replaced or purged after its view was built
            if attempt == QUERY_ATTEMPTS - 1:
                raise
            log.info("bs.query: a stored result changed while the query ran; running it again")
        finally:
            connection.close()
    raise AssertionError("unreachable")


QUERY_ATTEMPTS = 3


def headline_by_scenario(store: Store | None = None) -> pd.DataFrame:
    """Headline metrics of every recorded pipeline run, one row per run.

    Columns: ``scenario``, ``parameters`` (the jurisdiction: a preset's name or "custom"), ``seed``,
    ``num_positions`` and the headline columns of :data:`banksim.steps.STEPS` the records hold.
    """
    from banksim import steps as registry

    table = query(
        """
        SELECT c.scenario_name AS run_scenario, c.seed AS run_seed, c.num_positions AS run_num_positions, p.*
        FROM pipeline p JOIN configurations c USING (params_hash)
        ORDER BY c.seed, c.num_positions, c.scenario_name
        """,
        store,
    )
    parameters = table["parameters"] if "parameters" in table else pd.Series("basel", index=table.index)
    metrics = {f"headline_{n}": n for n in registry.headline_columns() if f"headline_{n}" in table}
    return pd.concat(
        [
            table["run_scenario"].rename("scenario"),
            parameters.fillna("basel").rename("parameters"),  # runs recorded before jurisdictions: Basel
            table["run_seed"].rename("seed"),
            table["run_num_positions"].rename("num_positions"),
            table[list(metrics)].rename(columns=metrics),
        ],
        axis=1,
    )


def rwa_by_class_across_scenarios(store: Store | None = None) -> pd.DataFrame:
    """RWA by exposure class (rows) for each recorded scenario run (long format)."""
    return query(
        """
        SELECT c.scenario_name AS scenario, c.seed, c.num_positions, r.exposure_class,
               SUM(r.rwa) AS rwa, SUM(r.rwa_standardised) AS rwa_standardised, SUM(r.exposure) AS exposure
        FROM pipeline p
        JOIN configurations c USING (params_hash)
        JOIN rwa r ON r.params_hash = p.steps_rwa_key
        GROUP BY ALL ORDER BY scenario, c.seed, c.num_positions, r.exposure_class
        """,
        store,
    )


def liquidity_by_scenario(store: Store | None = None) -> pd.DataFrame:
    """LCR and NSFR components of every recorded scenario run."""
    return query(
        """
        SELECT c.scenario_name AS scenario, c.seed, c.num_positions,
               s.hqla_before_caps, s.adjustment_15_percent_cap, s.adjustment_40_percent_cap, s.hqla,
               s.outflows, s.inflows, s.inflows_capped, s.net_outflows, s.lcr, s.asf, s.rsf, s.nsfr
        FROM pipeline p
        JOIN configurations c USING (params_hash)
        JOIN liquidity_summary s ON s.params_hash = p.steps_liquidity_key
        ORDER BY scenario, c.seed, c.num_positions
        """,
        store,
    )

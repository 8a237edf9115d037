"""SQL across every cached result with DuckDB: one view per result kind, plus the call parameters.

``query(sql)`` opens an in-memory DuckDB connection with a view per stored table kind (Parquet
payloads, whether they live in files or in the database, each checked against its checksum
first), a table per dict kind (JSON flattened to columns) and ``configurations`` with each
call's parameters as typed columns. The ready-made queries compare scenarios recorded by
:func:`banksim.run_pipeline`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from banksim.errors import InputError
from banksim.lineage import edges_between
from banksim.store import CONFIGURATIONS, SIMULATIONS, Row, Store, get_store

__all__ = [
    "connect",
    "headline_by_scenario",
    "liquidity_by_scenario",
    "query",
    "rwa_by_class_across_scenarios",
]

INTEGER_ARGUMENTS = ("seed", "num_positions")
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,62}")


def _identifier(name: str) -> str:
    """A kind used as a view name: validated, then quoted (no SQL through a kind name)."""
    if not IDENTIFIER.fullmatch(name):
        raise InputError("kind", f"{name!r} cannot be a view name", allowed="lowercase letters, digits, '_'")
    return f'"{name}"'


def connect(store: Store | None = None) -> Any:
    """A DuckDB connection with the views of ``store`` (the active store by default)."""
    import duckdb  # loaded on use: keeps `import banksim` light

    store = store or get_store()
    connection = duckdb.connect()
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
    by_kind: dict[str, list[Any]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    for kind, entries in sorted(by_kind.items()):
        view = _identifier(kind)
        if entries[0].data_format == "parquet":
            _parquet_view(connection, store, view, kind, entries)
        elif entries[0].data_format == "json":
            records = []
            for entry in entries:
                data = store.load_part(kind, entry.params_hash, blob=False)
                if data is not None:
                    records.append({"params_hash": entry.params_hash, **data})
            frame = pd.json_normalize(records, sep="_") if records else pd.DataFrame({"params_hash": []})
            connection.register(f"_{kind}_table", frame)
            connection.execute(f'CREATE VIEW {view} AS SELECT * FROM "_{kind}_table"')
    connection.register("_configurations_table", _configurations_frame(configurations))
    connection.execute('CREATE VIEW "configurations" AS SELECT * FROM "_configurations_table"')
    connection.register("_inputs_table", edges_between(configurations, rows))
    connection.execute('CREATE VIEW "inputs" AS SELECT * FROM "_inputs_table"')
    return connection


def _parquet_view(connection: Any, store: Store, view: str, kind: str, entries: list[Any]) -> None:
    entries = [
        e
        for e in entries
        if store.payload_intact(Row(e.id, e.data_format, e.data_path, e.checksum, e.size_bytes), e.data_blob)
    ]
    files = [str(store.artifact_root / e.data_path) for e in entries if e.data_path]
    parts = []
    if files:
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
        connection.register(f"_{kind}_blobs", pa.concat_tables(tables, promote_options="default"))
        parts.append(f'SELECT * FROM "_{kind}_blobs"')
    if parts:
        connection.execute(f"CREATE VIEW {view} AS " + " UNION ALL BY NAME ".join(parts))


def _configurations_frame(rows: Sequence[Any]) -> pd.DataFrame:
    """One row per cached call; each argument's value becomes columns (nested dicts flattened)."""
    records = []
    for row in rows:
        params = json.loads(row.params_json or "{}")
        arguments = {name: argument.get("value") for name, argument in params.get("args", {}).items()}
        records.append(
            {
                "params_hash": row.params_hash,
                "kind": row.kind,
                "function": row.function,
                "created_at": row.created_at,
                "code_version": row.code_version,
                "hits": row.hit_count,
                "misses": row.miss_count,
                **arguments,
            }
        )
    frame = pd.json_normalize(records, sep="_") if records else pd.DataFrame(columns=["params_hash", "kind"])
    for column in INTEGER_ARGUMENTS:  # missing in other functions' calls, so read back as float
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    for column in frame.columns:  # lists and dicts left after flattening become JSON text
        if frame[column].map(lambda v: isinstance(v, list | dict)).any():
            frame[column] = frame[column].map(lambda v: json.dumps(v) if isinstance(v, list | dict) else v)
    return frame


def query(sql: str, store: Store | None = None) -> pd.DataFrame:
    """Run ``sql`` with DuckDB over every cached result of ``store`` and return a DataFrame.

    Views: one per stored kind (``positions``, ``rwa``, ``liquidity_lcr``, ``liquidity_nsfr``,
    ``scenario_positions``...; each row carries the ``params_hash`` of its entry), one table per
    dict kind (``capital``, ``liquidity_summary``, ``pipeline``; nested keys joined by ``_``), and
    ``configurations`` (every cached call with its arguments as columns: ``seed``,
    ``num_positions``, ``scenario_name``, ``scenario_shocks_pd_multiplier``, ...) and ``inputs``
    (which stored table each call took as which argument: ``params_hash``, ``argument``,
    ``input_params_hash``, ``input_kind``; see :func:`banksim.lineage`).
    """
    if not isinstance(sql, str) or not sql.strip():
        raise InputError("sql", "expected a SQL query string")
    connection = connect(store)
    try:
        return connection.execute(sql).df()
    finally:
        connection.close()


def headline_by_scenario(store: Store | None = None) -> pd.DataFrame:
    """Headline metrics of every recorded pipeline run, one row per run."""
    return query(
        """
        SELECT c.scenario_name AS scenario, c.seed, c.num_positions,
               p.headline_cet1_ratio AS cet1_ratio, p.headline_tier1_ratio AS tier1_ratio,
               p.headline_total_capital_ratio AS total_capital_ratio,
               p.headline_leverage_ratio AS leverage_ratio,
               p.headline_lcr AS lcr, p.headline_nsfr AS nsfr, p.headline_floored_rwa AS floored_rwa,
               p.headline_maximum_payout_ratio AS maximum_payout_ratio
        FROM pipeline p JOIN configurations c USING (params_hash)
        ORDER BY c.seed, c.num_positions, scenario
        """,
        store,
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

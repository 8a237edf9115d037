"""Looking after a store: list, summarise, verify, purge, shrink and remove orphans.

Removal always takes the same per-key locks as a writer, goes in bounded batches, and removes a
payload only after no row points at it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, null, select

from banksim.errors import InputError
from banksim.models import utcnow

from .backends import payload_relative
from .engine import config_lock_key, lock_key
from .names import parse_age, parse_size
from .rows import ARTIFACTS, CONFIGURATIONS, SIMULATIONS, Row, delete_configuration_if_empty, table_of
from .shared import delete_dependents

if TYPE_CHECKING:
    from .core import Store

__all__ = ["LISTING_COLUMNS", "list_entries", "purge", "remove_orphans", "shrink", "stats", "verify"]

log = logging.getLogger("banksim.store")
TEMP_GRACE = dt.timedelta(hours=1)
PURGE_BATCH = 100  # calls per purge transaction: bounds the locks one transaction holds
LISTING_COLUMNS = [
    "table",
    "kind",
    "params_hash",
    "format",
    "rows",
    "bytes",
    "location",
    "created_at",
    "code_version",
    "function",
    "function_kind",
    "params",
]


def verify(store: Store, kind: str | None = None, *, dry_run: bool = False) -> pd.DataFrame:
    """Read every payload and check it against its checksum; remove the damaged ones.

    Unlike a cache hit, which checks only what it reads, this checks the whole store (or
    one ``kind``), files and database blobs alike, whatever was checked before.

    Returns
    -------
    pandas.DataFrame
        One row per damaged payload (``table``, ``kind``, ``params_hash``, ``location``,
        ``problem``: ``"missing"``, ``"checksum"`` (also: unreadable), ``"base"`` (a table
        stored as the columns it changes whose base row is gone, :mod:`banksim.store.shared`) or
        ``"outside"`` (a path that leads out of the store; nothing there is touched)), removed
        unless ``dry_run``.
    """
    problems = []
    for table, name_column in ((SIMULATIONS, SIMULATIONS.c.kind), (ARTIFACTS, ARTIFACTS.c.name)):
        query = select(
            table.c.id, name_column.label("kind"), table.c.params_hash, table.c.data_path,
            table.c.checksum, table.c.size_bytes, table.c.created_at,
            *((table.c.base_id,) if table is SIMULATIONS else ()),
        )  # fmt: skip
        if kind is not None:
            query = query.where(name_column == kind)
        with store.transaction() as conn:
            rows = conn.execute(query).all()
        for found in rows:
            row = Row.of(found, found.kind, found.params_hash)
            blob = None
            if row.data_path is None:
                with store.transaction() as conn:
                    blob = conn.execute(select(table.c.data_blob).where(table.c.id == row.id)).scalar()
            if row.data_path is not None and payload_relative(row.data_path) is None:
                problem = "outside"
            elif row.data_path is not None and store._file_state(row) is None:
                problem = "missing"
            elif not store._checksum_matches(row, blob):
                problem = "checksum"
            elif row.base_id is not None and store.row_by_id(row.base_id)[0] is None:
                problem = "base"  # a table stored as the columns it changes, whose base is gone
            else:
                continue
            if not store._row_unchanged(table, row):  # replaced, rewritten or purged meanwhile
                continue
            problems.append(
                {
                    "table": table.name,
                    "kind": found.kind,
                    "params_hash": found.params_hash,
                    "location": "file" if row.data_path else "db",
                    "problem": problem,
                }
            )
            if not dry_run:
                log.warning("payload %s: %s; removing it", row.id, problem)
                store._discard(table, row)
    return pd.DataFrame(problems, columns=["table", "kind", "params_hash", "location", "problem"])


def list_entries(store: Store, kind: str | None = None) -> pd.DataFrame:
    """One row per stored payload: kind, key, format, rows, bytes, where, when, code, params.

    ``kind`` filters on the payload kind or on the kind of the cached function that made it.
    """
    sims, arts, conf = SIMULATIONS, ARTIFACTS, CONFIGURATIONS
    shared = (conf.c.kind.label("function_kind"), conf.c.function, conf.c.params_json)
    sim_query = select(
        sims.c.kind,
        sims.c.params_hash,
        sims.c.data_format.label("format"),
        sims.c.row_count.label("rows"),
        sims.c.size_bytes.label("bytes"),
        sims.c.data_path,
        sims.c.created_at,
        sims.c.code_version,
        *shared,
    ).join_from(sims, conf, sims.c.params_hash == conf.c.params_hash, isouter=True)
    art_query = select(
        arts.c.name.label("kind"),
        arts.c.params_hash,
        arts.c.mime_type.label("format"),
        null().label("rows"),
        arts.c.size_bytes.label("bytes"),
        arts.c.data_path,
        arts.c.created_at,
        arts.c.code_version,
        *shared,
    ).join_from(arts, conf, arts.c.params_hash == conf.c.params_hash, isouter=True)
    with store.transaction() as conn:
        records = [{"table": "simulations", **row} for row in conn.execute(sim_query).mappings()]
        records += [{"table": "artifacts", **row} for row in conn.execute(art_query).mappings()]
    listing = pd.DataFrame.from_records(records, columns=[*LISTING_COLUMNS, "data_path", "params_json"])
    if kind is not None:
        listing = listing[(listing["kind"] == kind) | (listing["function_kind"] == kind)]
    # a file's path, or missing (NaN in a string column): the payload is in its row
    listing["location"] = np.where(listing["data_path"].notna(), "file", "db")
    listing["params"] = listing["params_json"].map(_params_of)
    listing["created_at"] = pd.to_datetime(listing["created_at"], utc=True)
    listing["rows"] = listing["rows"].astype("Int64")
    listing["bytes"] = listing["bytes"].astype("int64")
    return listing[LISTING_COLUMNS].sort_values("created_at", ignore_index=True)


def stats(store: Store) -> pd.DataFrame:
    """Stored calls and their parts, bytes, hits, misses, hit rate and the compute time hits
    avoided (hits x the stored compute time) per kind, with an ``(all)`` total row.

    ``calls`` counts stored results (one per key: a cached call, or a direct save), ``entries``
    the payloads they are made of (a call returning several parts stores one per part); ``hits``
    and ``misses`` count calls of cached functions.
    """
    listing = store.list_entries()
    listing["group"] = listing["function_kind"].fillna(listing["kind"])
    by_kind = listing.groupby("group").agg(
        calls=("params_hash", "nunique"), entries=("kind", "size"), bytes=("bytes", "sum")
    )
    with store.transaction() as conn:
        counts = pd.DataFrame(
            conn.execute(
                select(
                    CONFIGURATIONS.c.kind.label("group"),
                    func.sum(CONFIGURATIONS.c.hit_count).label("hits"),
                    func.sum(CONFIGURATIONS.c.miss_count).label("misses"),
                    func.sum(
                        CONFIGURATIONS.c.hit_count * func.coalesce(CONFIGURATIONS.c.compute_seconds, 0.0)
                    ).label("compute_seconds_avoided"),
                )
                .where(CONFIGURATIONS.c.kind.is_not(None))
                .group_by(CONFIGURATIONS.c.kind)
            )
            .mappings()
            .all(),
            columns=["group", "hits", "misses", "compute_seconds_avoided"],
        ).set_index("group")
    avoided = counts.pop("compute_seconds_avoided").astype("float64")
    table = by_kind.join(counts, how="outer").fillna(0).astype("int64")
    table.loc["(all)"] = table.sum()
    calls = table["hits"] + table["misses"]
    table["hit_rate"] = (table["hits"] / calls.where(calls > 0)).astype("float64")
    table["compute_seconds_avoided"] = avoided.reindex(table.index).fillna(0.0)
    table.loc["(all)", "compute_seconds_avoided"] = avoided.sum()
    table.index.name = "kind"
    return table


def purge(
    store: Store,
    kind: str | None = None,
    older_than: dt.timedelta | str | None = None,
    *,
    dry_run: bool = False,
) -> pd.DataFrame:
    """Remove entries by kind and/or age (``"7d"``); return what was (or would be) removed.

    A table stored as the columns it changes against a removed one (:mod:`banksim.store.shared`)
    cannot be read without it: its cached call goes too, whatever its kind or age, and is listed.
    Without ``dry_run`` it also removes orphan files (no row points at them) and temp files
    left by crashed writers more than an hour ago.
    """
    age = parse_age(older_than)
    listing = store.list_entries(kind)
    if age is not None:
        listing = listing[listing["created_at"] < pd.Timestamp(utcnow() - age)]
    listing = _with_dependents(store, listing)
    if dry_run or listing.empty:
        if not dry_run:
            store.remove_orphans()
        return listing.reset_index(drop=True)
    _remove(store, listing)
    store.remove_orphans()
    return listing.reset_index(drop=True)


def shrink(
    store: Store, max_bytes: int | str, kind: str | None = None, *, dry_run: bool = False
) -> pd.DataFrame:
    """Remove the least recently used cached calls until their payloads fit in ``max_bytes``.

    A call is removed whole (every part and its configuration row), least recently used
    first; "used" is its last hit, or its creation if it was never hit. ``kind`` limits the
    size counted and the calls considered. The calls whose tables are stored as the columns they
    change against a removed table go with it (listed, :mod:`banksim.store.shared`). Returns what
    was (or, with ``dry_run``, would be) removed, one row per payload, with ``last_used``.

    Parameters
    ----------
    max_bytes : int or str
        Bytes, or a size such as ``"500MB"``, ``"5GB"``, ``"2GiB"``.
    kind : str, optional
        Only entries of this kind (payload kind or cached function kind).
    dry_run : bool
        List, remove nothing.
    """
    limit = parse_size(max_bytes)
    listing = store.list_entries(kind)
    with store.transaction() as conn:
        last_hits = dict(
            conn.execute(select(CONFIGURATIONS.c.params_hash, CONFIGURATIONS.c.last_hit_at)).all()
        )
    hits = pd.to_datetime(listing["params_hash"].map(last_hits), utc=True)
    listing["last_used"] = hits.where(hits > listing["created_at"], listing["created_at"])
    calls = listing.groupby("params_hash").agg(bytes=("bytes", "sum"), last_used=("last_used", "max"))
    calls = calls.sort_values(["last_used", "bytes"], ascending=[True, False])
    excess = int(calls["bytes"].sum()) - limit
    if excess <= 0:
        return listing.iloc[:0].reset_index(drop=True)
    freed_before = calls["bytes"].cumsum().shift(fill_value=0)
    chosen = set(calls.index[freed_before < excess])
    everything = listing if kind is None else store.list_entries()  # whole calls, every part
    everything = everything.assign(last_used=everything["params_hash"].map(calls["last_used"]))
    removed = _with_dependents(store, everything[everything["params_hash"].isin(chosen)])
    removed = removed.sort_values(["last_used", "params_hash"], ignore_index=True)
    if not dry_run:
        _remove(store, removed)
    return removed


def _with_dependents(store: Store, listing: pd.DataFrame) -> pd.DataFrame:
    """``listing`` with every part of the cached calls whose tables are stored against one of its
    tables (:mod:`banksim.store.shared`): they cannot be read without it, so they go with it."""
    with store.transaction() as conn:
        rows = conn.execute(
            select(SIMULATIONS.c.id, SIMULATIONS.c.kind, SIMULATIONS.c.params_hash, SIMULATIONS.c.base_id)
        ).all()
    if not any(row.base_id for row in rows):
        return listing
    calls = set(listing["params_hash"])
    while True:
        parts = listing[listing["table"] == "simulations"]
        going = set(zip(parts["kind"], parts["params_hash"], strict=True))
        ids = {row.id for row in rows if (row.kind, row.params_hash) in going}
        more = {row.params_hash for row in rows if row.base_id in ids} - calls
        if not more:
            return listing
        calls |= more
        everything = store.list_entries()
        extra = everything[everything["params_hash"].isin(more)]
        if "last_used" in listing.columns:
            extra = extra.assign(last_used=extra["created_at"])
        listing = pd.concat([listing, extra], ignore_index=True)


def _remove(store: Store, listing: pd.DataFrame) -> None:
    """Delete the rows of a :meth:`list_entries` listing, then their files and empty calls.

    Calls go in batches, each under the writer locks of every key it deletes (the same
    locks a writer of those keys takes), so a write racing a purge is never lost.
    """
    removed_paths: list[str | None] = []
    calls = [rows for _, rows in listing.groupby("params_hash", sort=False)]
    for start in range(0, len(calls), PURGE_BATCH):
        batch = calls[start : start + PURGE_BATCH]
        parts = [
            (table_of(str(table)), str(name), str(params_hash))
            for rows in batch
            for table, name, params_hash in zip(rows["table"], rows["kind"], rows["params_hash"], strict=True)
        ]
        lock_keys = [lock_key(*part) for part in parts]
        lock_keys += [config_lock_key(rows["params_hash"].iloc[0]) for rows in batch]
        with store.transaction(write=True, lock_keys=lock_keys) as conn:
            for table, name, params_hash in parts:
                name_column = table.c.name if table is ARTIFACTS else table.c.kind
                match = (table.c.params_hash == params_hash, name_column == name)
                found = conn.execute(select(table.c.id, table.c.data_path).where(*match)).all()
                removed_paths += [row.data_path for row in found]
                conn.execute(delete(table).where(*match))
                if table is SIMULATIONS:  # tables stored against these as their bases go with them
                    removed_paths += delete_dependents(conn, [row.id for row in found])
            for rows in batch:
                delete_configuration_if_empty(conn, rows["params_hash"].iloc[0])
    store.recent.clear()
    if store.bases is not None:
        store.bases.clear()
    for path in removed_paths:  # after the commit: no row points at these files any more
        store.files.remove(path)


def remove_orphans(store: Store, *, dry_run: bool = False, grace: dt.timedelta = TEMP_GRACE) -> list[str]:
    """Delete payload files no row points at, and temp files, once older than ``grace`` (an hour by
    default: a younger one may belong to a write in progress); return their paths (with
    ``dry_run``, only list). A shorter grace suits a store no process is writing to."""
    if not isinstance(grace, dt.timedelta) or grace < dt.timedelta(0):
        raise InputError("grace", f"expected a timedelta >= 0, got {grace!r}")
    with store.transaction() as conn:
        referenced = {
            p
            for (p,) in conn.execute(
                select(SIMULATIONS.c.data_path).where(SIMULATIONS.c.data_path.is_not(None))
            )
        } | {
            p
            for (p,) in conn.execute(select(ARTIFACTS.c.data_path).where(ARTIFACTS.c.data_path.is_not(None)))
        }
    cutoff = (utcnow() - grace).timestamp()
    removed = []
    for relative, modified in list(store.files.listing()):
        if relative not in referenced and modified < cutoff:
            if not dry_run:
                store.files.remove(relative)
            removed.append(relative)
    return removed


def _params_of(params_json: Any) -> Any:
    if not isinstance(params_json, str):
        return None
    try:
        arguments = json.loads(params_json).get("args", {})
        return json.dumps({name: arg.get("value") for name, arg in arguments.items()}, sort_keys=True)
    except (ValueError, AttributeError):
        return None

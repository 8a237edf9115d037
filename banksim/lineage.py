"""Lineage: which stored results a cached result was computed from, and which used it.

Every stored table records its content hash, the key it has as an argument of a cached call.
An edge joins a call's argument to the stored table with the same content, so lineage holds
whether a frame came from the cache, from memory or from a file the user saved and read back.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import select

from banksim.errors import InputError
from banksim.store import CONFIGURATIONS, SIMULATIONS, Store, check_key, get_store

__all__ = ["edges_between", "input_edges", "lineage", "used_by"]

EDGE_COLUMNS = ["params_hash", "function", "argument", "input_params_hash", "input_kind", "input_function"]


def input_edges(store: Store | None = None) -> pd.DataFrame:
    """Every known edge: a call (``params_hash``, ``function``) took, as ``argument``, a table
    stored by another call (``input_params_hash``, ``input_kind``, ``input_function``)."""
    store = store or get_store()
    store.flush()
    with store.transaction() as conn:
        calls = conn.execute(
            select(CONFIGURATIONS.c.params_hash, CONFIGURATIONS.c.function, CONFIGURATIONS.c.params_json)
        ).all()
        tables = conn.execute(
            select(SIMULATIONS.c.content_hash, SIMULATIONS.c.params_hash, SIMULATIONS.c.kind)
        ).all()
    return edges_between(calls, tables)


def edges_between(calls: Sequence[Any], tables: Sequence[Any]) -> pd.DataFrame:
    """The edges of :func:`input_edges` from rows already read: ``calls`` with ``params_hash``,
    ``function`` and ``params_json``; ``tables`` with ``content_hash``, ``params_hash``, ``kind``."""
    functions = {call.params_hash: call.function for call in calls}
    producers: dict[str, list[Any]] = {}
    for table in tables:
        if table.content_hash is not None:
            producers.setdefault(table.content_hash, []).append(table)
    edges = []
    for call in calls:
        arguments = _arguments(call.params_json)
        for name, content_hash in arguments.items():
            for table in producers.get(content_hash, ()):
                if table.params_hash != call.params_hash:
                    edges.append(
                        (
                            call.params_hash,
                            call.function,
                            name,
                            table.params_hash,
                            table.kind,
                            functions.get(table.params_hash),
                        )
                    )
    return pd.DataFrame.from_records(edges, columns=EDGE_COLUMNS)


def lineage(params_hash: str, store: Store | None = None) -> pd.DataFrame:
    """The results ``params_hash`` was computed from, recursively (nearest first).

    Returns
    -------
    pandas.DataFrame
        One row per edge with ``depth`` (1 = a direct input) and the columns of
        :func:`input_edges`. Empty if the result was computed from no stored table (only from
        scalars, or from tables banksim never stored).
    """
    return _walk(params_hash, store, upstream=True)


def used_by(params_hash: str, store: Store | None = None) -> pd.DataFrame:
    """The results computed from ``params_hash``, recursively (nearest first); see :func:`lineage`."""
    return _walk(params_hash, store, upstream=False)


def _walk(params_hash: str, store: Store | None, *, upstream: bool) -> pd.DataFrame:
    start = check_key(params_hash)
    store = store or get_store()
    store.flush()  # what this process computed a moment ago is linked too
    if store.configuration(start) is None:
        raise InputError("params_hash", f"no cached call {start!r} in this store")
    edges = input_edges(store)
    near, far = ("params_hash", "input_params_hash") if upstream else ("input_params_hash", "params_hash")
    by_node = {node: group for node, group in edges.groupby(near)}
    rows, seen, queue = [], {start}, deque([(start, 1)])
    while queue:
        node, depth = queue.popleft()
        if node not in by_node:
            continue
        for edge in by_node[node].to_dict("records"):
            rows.append({"depth": depth, **edge})
            following = edge[far]
            if following not in seen:
                seen.add(following)
                queue.append((following, depth + 1))
    return pd.DataFrame(rows, columns=["depth", *EDGE_COLUMNS])


def _arguments(params_json: str | None) -> dict[str, str]:
    try:
        arguments = json.loads(params_json or "{}").get("args", {})
        return {name: argument["hash"] for name, argument in arguments.items() if "hash" in argument}
    except (ValueError, AttributeError, TypeError):
        return {}

"""Credit risk mitigation bookkeeping: items to lines, ordered allocation of cover, sums, rule labels.

Vectorised over the items of a protection table; the allocation loops over ranks within a line
(a handful), never over rows (methodology C.26).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["allocate", "item_lines", "per_line", "rule_labels"]


def item_lines(lines: pd.DataFrame, protection: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Index into ``lines`` of each protection row naming one of them, and those rows (others ignored)."""
    index = pd.Index(lines["position_id"].to_numpy()).get_indexer(protection["position_id"].to_numpy())
    keep = index >= 0
    return index[keep], protection.loc[keep].reset_index(drop=True)


def per_line(line: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of item ``values`` per line (length ``n``)."""
    return np.bincount(line, weights=values, minlength=n).astype(float)


def allocate(line: np.ndarray, rank_key: np.ndarray, value: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Cover of each item: items in ascending ``rank_key`` (ties in input order) cover up to their value.

    A line's items together cover at most its ``capacity`` (methodology C.26, C.28).
    """
    covered = np.zeros(len(value))
    if not len(value):
        return covered
    order = np.lexsort((np.arange(len(value)), rank_key, line))
    sorted_lines = line[order]
    start = np.r_[0, np.flatnonzero(sorted_lines[1:] != sorted_lines[:-1]) + 1]
    rank = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[start, len(order)]))
    used = np.zeros(len(capacity))
    for k in range(int(rank.max()) + 1):
        rows = order[rank == k]  # at most one item per line at each rank
        lines = line[rows]
        take = np.clip(capacity[lines] - used[lines], 0.0, value[rows])
        covered[rows] = take
        used[lines] += take
    return covered


def rule_labels(flags: dict[str, np.ndarray], n: int) -> Any:
    """The paragraphs that changed each line's number, in step order, joined by ', ' ('' for none)."""
    names = list(flags)
    code = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(names):
        code |= flags[name].astype(np.int64) << bit
    unique, inverse = np.unique(code, return_inverse=True)
    text = [", ".join(name for bit, name in enumerate(names) if (int(u) >> bit) & 1) for u in unique]
    categories = list(dict.fromkeys(text))
    codes = np.array([categories.index(t) for t in text])[inverse]
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))

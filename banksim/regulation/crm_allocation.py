"""Credit risk mitigation bookkeeping: items to lines, ordered allocation of cover, sums, rule labels.

Vectorised over the items of a protection table; the allocation loops over ranks within a line
(a handful), never over rows (methodology C.26).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["allocate", "item_lines", "per_line", "rule_labels", "subset_items"]


def item_lines(lines: pd.DataFrame, protection: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Index into ``lines`` of each protection row naming one of them, and those rows (others ignored).

    Sorted fixed-width ids (as generated) are matched by a binary search on their bytes; any other
    ids through an Arrow hash lookup.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = _arrow(pa, lines["position_id"])
    wanted = _arrow(pa, protection["position_id"])
    fixed_keys, fixed_wanted = _fixed_width(keys), _fixed_width(wanted)
    sorted_keys = len(keys) < 2 or bool(pc.all(pc.less(keys[:-1], keys[1:])).as_py())
    if fixed_keys is not None and fixed_wanted is not None and sorted_keys and len(keys):
        if fixed_keys.dtype != fixed_wanted.dtype:
            index, keep = np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
        else:
            index, keep = _search_sorted(fixed_keys, fixed_wanted)
    else:
        found = pc.index_in(wanted, value_set=keys).to_numpy(zero_copy_only=False)
        keep = ~np.isnan(found) if found.dtype.kind == "f" else found >= 0
        index = np.where(keep, np.nan_to_num(found), 0).astype(np.int64)
    if keep.all():
        return index, protection
    return index[keep], protection.loc[keep].reset_index(drop=True)


def _search_sorted(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each wanted id in the sorted ``keys`` (same byte width) and whether it is there.

    Sorted keys share the prefix of their first and last; when at most 8 bytes follow it, they
    are compared as big-endian integers (much faster than bytes).
    """
    width = keys.dtype.itemsize
    key_bytes = keys.view(np.uint8).reshape(-1, width)
    wanted_bytes = wanted.view(np.uint8).reshape(-1, width)
    differs = np.flatnonzero(key_bytes[0] != key_bytes[-1])
    prefix = int(differs[0]) if len(differs) else width
    if width - prefix > 8:
        index = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        return index, keys[index] == wanted

    def integers(rows: np.ndarray) -> np.ndarray:
        padded = np.zeros((len(rows), 8), dtype=np.uint8)
        padded[:, 8 - (width - prefix) :] = rows[:, prefix:]
        return padded.view(">u8").ravel().astype(np.uint64)

    key_numbers, wanted_numbers = integers(key_bytes), integers(wanted_bytes)
    index = np.minimum(np.searchsorted(key_numbers, wanted_numbers), len(keys) - 1)
    # the shared prefix compared as one fixed-width bytes value per id (both of width ``prefix``)
    if prefix:
        wanted_prefix = np.ascontiguousarray(wanted_bytes[:, :prefix]).view(f"S{prefix}").ravel()
        same_prefix = wanted_prefix == key_bytes[0, :prefix].tobytes()
    else:
        same_prefix = np.ones(len(wanted), dtype=bool)
    return index, same_prefix & (key_numbers[index] == wanted_numbers)


def _arrow(pa: Any, ids: pd.Series) -> Any:
    array = pa.array(ids.array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _fixed_width(array: Any) -> np.ndarray | None:
    """The ids as a numpy bytes array (no copy) when all have one width and none is null, else None."""
    import pyarrow as pa

    if array.null_count or array.type not in (pa.string(), pa.large_string()) or not len(array):
        return None
    offset_type = np.int32 if array.type == pa.string() else np.int64
    offsets = np.frombuffer(array.buffers()[1], dtype=offset_type)[
        array.offset : array.offset + len(array) + 1
    ]
    width = int(offsets[1] - offsets[0])
    if width == 0 or not (np.diff(offsets) == width).all():
        return None
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.view(f"S{width}")


def subset_items(
    line: np.ndarray, items: pd.DataFrame, keep: np.ndarray, item_mask: np.ndarray | None = None
) -> tuple[np.ndarray, pd.DataFrame]:
    """The items of the lines in ``keep`` (and in ``item_mask``), with their index among those lines."""
    wanted = keep[line] if item_mask is None else keep[line] & item_mask
    index = np.cumsum(keep) - 1
    if wanted.all():
        return index[line], items
    return index[line[wanted]], items.loc[wanted].reset_index(drop=True)


def per_line(line: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of item ``values`` per line (length ``n``)."""
    return np.bincount(line, weights=values, minlength=n)


def allocate(line: np.ndarray, rank_key: np.ndarray, value: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Cover of each item: items in ascending ``rank_key`` (ties in input order) cover up to their value.

    A line's items together cover at most its ``capacity`` (methodology C.26, C.28); items of value
    0 cover nothing and are left out of the ordering.
    """
    covered = np.zeros(len(value))
    rows = np.flatnonzero(value > 0)
    if not len(rows):
        return covered
    count = np.bincount(line[rows], minlength=len(capacity))
    single = count[line[rows]] == 1  # a line's only item: no ordering needed
    alone = rows[single]
    covered[alone] = np.clip(capacity[line[alone]], 0.0, value[alone])
    rows = rows[~single]
    if not len(rows):
        return covered
    _, key = np.unique(rank_key[rows], return_inverse=True)  # the few distinct weights, as ordinals
    order = rows[np.argsort(line[rows] * (int(key.max()) + 1) + key, kind="stable")]
    sorted_lines = line[order]
    start = np.r_[0, np.flatnonzero(sorted_lines[1:] != sorted_lines[:-1]) + 1]
    rank = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[start, len(order)]))
    used = np.zeros(len(capacity))
    for k in range(int(rank.max()) + 1):
        at_rank = order[rank == k]  # at most one item per line at each rank
        lines = line[at_rank]
        take = np.clip(capacity[lines] - used[lines], 0.0, value[at_rank])
        covered[at_rank] = take
        used[lines] += take
    return covered


def rule_labels(flags: dict[str, np.ndarray], n: int, rows: np.ndarray | None = None) -> Any:
    """The paragraphs that changed each line's number, in step order, joined by ', ' ('' for none).

    ``flags`` are per line, or per line of ``rows`` (the others of the ``n`` lines have none).
    """
    names = list(flags)
    size = n if rows is None else len(rows)
    code = np.zeros(size, dtype=np.int64)
    for bit, name in enumerate(names):
        code |= np.left_shift(flags[name], bit, dtype=np.int64)
    if rows is not None and len(rows) < n:  # all n lines given: already in place
        full = np.zeros(n, dtype=np.int64)
        full[rows] = code
        code = full
    present = np.flatnonzero(np.bincount(code, minlength=1)) if len(code) else np.zeros(1, dtype=np.int64)
    text = [", ".join(name for bit, name in enumerate(names) if (int(u) >> bit) & 1) for u in present]
    categories = list(dict.fromkeys(["", *text]))
    to_category = np.zeros(int(present.max()) + 1, dtype=np.int32)
    to_category[present] = [categories.index(t) for t in text]
    return pd.Categorical.from_codes(to_category[code], dtype=pd.CategoricalDtype(categories))

"""Incremental scenarios: a shocked run takes the unshocked run's stored result of a step it leaves unchanged.

:func:`banksim.steps.run_steps` asks :func:`plan` for each step after the scenario step; a step whose
inputs equal the baseline's, as far as it reads them, takes the baseline's result (methodology C.46).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from banksim.steps import Step

__all__ = [
    "PART_READERS",
    "REUSABLE",
    "Baseline",
    "Plan",
    "changed_columns",
    "learn_reads",
    "line_count",
    "part_reads",
    "plan",
    "reading_key",
    "reads",
    "recomputed_share",
    "remember",
]

# The modules whose code reads the positions table for each reusable step (methodology C.46): a
# positions column is read if its name is a string constant in one of them.
READERS: dict[str, tuple[str, ...]] = {
    "protection": ("banksim.synthetic.protection",),
    "liquidity": (
        "banksim.regulation.liquidity", "banksim.regulation.lcr", "banksim.regulation.nsfr",
        "banksim.regulation.standardised", "banksim.regulation.saccr",
    ),
    "ecl": (
        "banksim.regulation.ecl", "banksim.regulation.ecl_inputs", "banksim.regulation.ecl_staging",
        "banksim.regulation.ecl_movement", "banksim.regulation.ecl_totals",
        "banksim.positions.credit_quality",
    ),
    "irrbb": (
        "banksim.regulation.irrbb", "banksim.regulation.irrbb_inputs", "banksim.regulation.irrbb_cashflows",
        "banksim.regulation.irrbb_shocks", "banksim.regulation.irrbb_totals", "banksim.positions.repricing",
    ),
}  # fmt: skip
# The modules that read the positions for each part of a step rebuilt part by part (methodology
# C.46): the liquidity step's LCR and NSFR lines, each taken from the baseline when unchanged.
PART_READERS: dict[str, dict[str, tuple[str, ...]]] = {
    "liquidity": {
        "lcr": (
            "banksim.regulation.liquidity", "banksim.regulation.lcr", "banksim.regulation.saccr",
            "banksim.regulation._frame",
        ),
        "nsfr": (
            "banksim.regulation.liquidity", "banksim.regulation.nsfr", "banksim.regulation.standardised",
            "banksim.regulation.saccr", "banksim.regulation._frame",
        ),
    },
}  # fmt: skip
# Every step reused whole: those of READERS, and CVA (its derivative lines and counterparty RWA compared
# whole); RWA is spliced line by line instead (:func:`_reuse_rwa`).
REUSABLE = (*READERS, "cva")
# The outputs whose rows are a step's lines (a dict output counts as one line).
LINES: dict[str, tuple[str, ...]] = {
    "positions": ("positions",),
    "scenario": ("positions",),
    "protection": ("protection",),
    "rwa": ("rwa",),
    "cva": ("cva_netting_sets",),
    "trading_book": ("trading_book",),
    "market_risk": ("market_risk_lines",),
    "liquidity": ("lcr", "nsfr"),
    "ecl": ("ecl_lines",),
    "capital": ("capital",),
    "irrbb": ("irrbb_buckets",),
}
# RWA is computed in full when more than this share of its credit lines changed (a splice costs more).
MOST = 0.5
# At most this share of the positions changed since the last scenario spliced: spliced onto its lines
# without comparing the positions with the baseline's too (they cannot be much fewer there).
FEW = 0.02
# Positions columns no line under the standardised approach reads (methodology C.46): the IRB risk
# parameters. A change in them recomputes the IRB lines only (tests/test_incremental.py checks it).
SA_UNREAD = ("pd", "lgd", "elbe")
_MEMO_SIZE = 32  # baseline results kept in this process (a sweep reads the same few again and again)
_memo: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], tuple[Any, ...], str]] = OrderedDict()
_derivations: OrderedDict[tuple[int, str], tuple[tuple[Any, ...], Any]] = OrderedDict()  # see _derived
_derivations_lock = threading.Lock()
# Scenarios' results by what they read (methodology C.46): a reading key (:func:`reading_key`) -> the
# function and key of the call whose stored result it is. Bounded, oldest out.
_READINGS_SIZE = 512
_readings: OrderedDict[str, tuple[str, str]] = OrderedDict()
_readings_lock = threading.Lock()
# Those results themselves are kept on their store (``Store.readings``, see :func:`remember`).


def _after_fork() -> None:
    """In a forked child: new locks (another thread may have held the parent's at the fork)."""
    global _readings_lock, _derivations_lock, _last_rwa_lock
    _readings_lock, _derivations_lock, _last_rwa_lock = threading.Lock(), threading.Lock(), threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


@functools.cache
def reads(step: str) -> frozenset[str]:
    """The positions columns the ``step``'s computation reads: each column of the positions schema
    named as a string constant in the modules of :data:`READERS` (methodology C.46)."""
    return _named(READERS[step]) | {"position_id"}


def learn_reads() -> None:
    """Find the columns every reusable step, and every part of one, reads (:func:`reads`,
    :func:`part_reads`) now: a sweep's worker does so before its first scenario."""
    for step in READERS:
        reads(step)
    for step, parts in PART_READERS.items():
        for part in parts:
            part_reads(step, part)


@functools.cache
def part_reads(step: str, part: str) -> frozenset[str]:
    """The positions columns read for one part of a step rebuilt part by part (:data:`PART_READERS`)."""
    return _named(PART_READERS[step][part]) | {"position_id"}


def _named(modules: Sequence[str]) -> frozenset[str]:
    """The positions schema's columns named as string constants in ``modules``."""
    from banksim.positions.columns import POSITIONS_SCHEMA

    columns = {spec.name for spec in POSITIONS_SCHEMA}
    named: set[str] = set()
    for module in modules:
        path = Path(importlib.import_module(module).__file__ or "")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in columns}
    return frozenset(named)


def changed_columns(base: pd.DataFrame, new: pd.DataFrame) -> frozenset[str] | None:
    """The columns whose values differ between two positions tables with the same rows in the same
    order (same ``position_id`` column and columns); None if the rows or columns differ."""
    if list(base.columns) != list(new.columns) or len(base) != len(new):
        return None
    from banksim.hashing import known_digests

    known = known_digests(base), known_digests(new)  # each table's key's digests, if taken already
    if known[0] is not None and known[1] is not None:
        same = [a == b for a, b in zip(known[0].columns, known[1].columns, strict=True)]
        if not same[list(base.columns).index("position_id")]:
            return None
        return frozenset(c for c, alike in zip(base.columns, same, strict=True) if not alike)
    if not _same(base["position_id"], new["position_id"]):
        return None
    return frozenset(c for c in _unshared(base, new, base.columns) if not _same(base[c], new[c]))


def _unshared(base: pd.DataFrame, new: pd.DataFrame, columns: Any) -> list[str]:
    """Those of ``columns`` that are not the same data in memory in both tables (as :func:`_shared`
    finds, read from the tables' blocks, no Series made): only these can differ."""
    from banksim.hashing import column_signatures

    if list(new.columns) != list(base.columns) or len(new) != len(base):
        return list(columns)
    position = {label: i for i, label in enumerate(base.columns)}
    ours, theirs = column_signatures(base), column_signatures(new)
    return [c for c in columns if ours[position[c]] is None or ours[position[c]] != theirs[position[c]]]


def _shared(a: pd.Series, b: pd.Series) -> bool:
    """The two columns are the same data in memory (a shocked table shares the columns it did not
    replace with the baseline's): equal without reading them. False says nothing."""
    import numpy as np
    import pandas as pd

    from banksim.store.shared import same_dtype

    x, y = a.array, b.array
    if x is y:
        return True
    if isinstance(x, pd.Categorical) and isinstance(y, pd.Categorical):
        return same_dtype(a, b) and _same_buffer(x.codes, y.codes)
    arrow = getattr(x, "_pa_array", None)
    if arrow is not None:
        return arrow is getattr(y, "_pa_array", None)
    if isinstance(a.dtype, np.dtype) and a.dtype.kind in "fiub":
        return _same_buffer(a.to_numpy(), b.to_numpy())
    return False


def _same_buffer(x: Any, y: Any) -> bool:
    """Two NumPy arrays over the very same memory (same start, dtype, shape and strides)."""
    return bool(
        x.dtype == y.dtype
        and x.shape == y.shape
        and x.strides == y.strides
        and x.__array_interface__["data"][0] == y.__array_interface__["data"][0]
    )


def _same(a: pd.Series, b: pd.Series) -> bool:
    """Identical values and dtype (floats bit for bit: -0.0 and 0.0 differ, NaN equals NaN)."""
    import numpy as np
    import pandas as pd

    from banksim.store.shared import same_dtype

    if not same_dtype(a, b):
        return False
    if _shared(a, b):
        return True
    if isinstance(a.dtype, pd.CategoricalDtype):
        return bool(np.array_equal(a.cat.codes.to_numpy(), b.cat.codes.to_numpy()))
    if a.dtype.kind in "fiub":
        x, y = a.to_numpy(), b.to_numpy()
        return x.tobytes() == y.tobytes()
    return bool(a.equals(b))


def line_count(step: str, results: Mapping[str, Any]) -> int:
    """How many lines the step's results hold: the rows of its line tables (:data:`LINES`; for a
    step not listed there, of every table it returns), a summary counting one."""
    names = LINES.get(step) or tuple(results)
    return sum(len(results[name]) if hasattr(results[name], "columns") else 1 for name in names)


def recomputed_share(steps: Mapping[str, Mapping[str, Any]]) -> float:
    """The share of lines a run computed anew, over the steps it ran (``PipelineResult.steps``); 0
    for a run that computed no line (every step loaded)."""
    ran = [info for info in steps.values() if info.get("key") is not None and "lines" in info]
    lines = sum(info["lines"] for info in ran)
    return sum(info["recomputed"] for info in ran) / lines if lines else 0.0


@dataclass(frozen=True)
class Plan:
    """How a step is obtained on a miss: ``compute()`` returns the service's result; ``reused`` is
    filled by it, with the number of lines computed anew, when it built the result from the baseline's
    or another scenario's (``source``). ``readings``: the step's (or its parts') reading keys, see
    :func:`remember`."""

    compute: Callable[[], Any]
    reused: list[int]
    readings: dict[str, str]
    source: list[str]  # where a reused result came from: "baseline", or "scenario" (another's)


class Baseline:
    """The unshocked run of the same bank: its values, loaded from the store when first needed.

    ``values`` are the run's values before the scenario step (the scenario replaced by the neutral
    one), ``keys`` the key of the call that produced each of them, ``steps`` the steps after the
    scenario step (whose baseline outputs are loaded on demand, each through its own key).
    """

    def __init__(self, values: Mapping[str, Any], keys: Mapping[str, str], steps: Sequence[Step]) -> None:
        from banksim.scenarios import SCENARIOS

        self.values = {**values, "scenario": SCENARIOS["baseline"]}
        self.identity: dict[str, tuple[str, ...]] = {name: ("key", key, name) for name, key in keys.items()}
        self.steps = list(steps)
        self.missing: set[str] = set()
        self._changed: dict[int, frozenset[str] | None] = {}

    def changed(self, positions: pd.DataFrame) -> frozenset[str] | None:
        """The positions columns the scenario changed (None: rows added or removed, or reordered)."""
        if id(positions) not in self._changed:
            self._changed[id(positions)] = changed_columns(self.values["positions"], positions)
        return self._changed[id(positions)]

    def result(self, step: Step) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
        """The baseline's call arguments of ``step`` and its stored result, or None if not stored."""
        if step.name in self.missing or not all(self._resolve(name) for name in step.inputs):
            return None
        if not step.is_needed(self.values):
            return None
        from banksim.hashing import compute_params_hash

        function = step.function
        identity = tuple(
            self.identity.get(name) or ("value", compute_params_hash(self.values[name]))
            for name in step.inputs
        )
        memo_key = (step.name, function.name, function.code_version, identity)
        if memo_key in _memo:
            _memo.move_to_end(memo_key)
            arguments, result, key = _memo[memo_key]
        else:
            arguments = step.call_arguments(self.values)
            previous = function.last_call  # the run's own call stays the last one a caller sees
            stored = function.load(*arguments)
            loaded, function.last_call = function.last_call, previous
            if stored is None or loaded is None:
                self.missing.add(step.name)
                return None
            result, key = (stored if isinstance(stored, tuple) else (stored,)), loaded.key
            _remember_digests(result)  # every scenario's copy of it then comes with them
            _memo[memo_key] = (arguments, result, key)
            while len(_memo) > _MEMO_SIZE:
                _memo.popitem(last=False)
        for output in step.outputs:
            self.identity[output] = ("key", key, output)
        self.values.update(zip(step.outputs, result, strict=True))
        return arguments, result

    def _resolve(self, name: str) -> bool:
        """Make the baseline's value of ``name`` available; False if it is not stored."""
        if name in self.values:
            return True
        producer = next((s for s in reversed(self.steps) if name in s.outputs), None)
        return producer is not None and self.result(producer) is not None and name in self.values


def _remember_digests(values: tuple[Any, ...]) -> None:
    """Have the memo hold the digests of the tables among ``values`` (kept for many scenarios)."""
    from banksim.errors import BanksimError
    from banksim.hashing import remembered_digests

    for value in values:
        if hasattr(value, "columns"):
            with contextlib.suppress(BanksimError):  # a table no key covers: its copies are hashed
                remembered_digests(value)


def plan(step: Step, arguments: tuple[Any, ...], baseline: Baseline | None) -> Plan | None:
    """How to obtain ``step`` on a miss: from the baseline's stored result where the step's inputs
    are the baseline's (as far as it reads them), or from another scenario's whose inputs are the same
    as far as the step reads them, else by its service; None when no baseline applies."""
    if baseline is None or step.name not in (*REUSABLE, "rwa"):
        return None

    def compute() -> Any:
        if step.name == "rwa":
            result = _reuse_rwa(step, arguments, baseline, route)
        elif step.name == "liquidity":
            result = _reuse_liquidity(step, arguments, baseline, route)
        else:
            result = _reuse(step, arguments, baseline, route.reused)
            if result is None and step.name in route.readings:
                result = _from_reading(step, route.readings[step.name], route.reused)
                route.source.append("scenario")
        if result is None:
            route.reused.clear()
            route.source.clear()
            return step.function.func(*arguments)
        route.source[:] = route.source or ["baseline"]
        return result

    route = Plan(compute, [], _readings_of(step, arguments), [])  # the RWA's reading: added by _reuse_rwa
    return route


def reading_key(
    name: str, columns: frozenset[str], step: Step, arguments: tuple[Any, ...], extra: bytes = b""
) -> str | None:
    """What ``step`` (or its part ``name``) reads of its ``arguments``, as a key: its code, the
    positions' rows and index, the positions columns it reads (``columns``, by their digests), its
    other arguments and ``extra`` (a digest of what else it reads). Two calls with the same reading
    key give the same result (methodology C.46); None if an argument cannot be hashed."""
    from banksim.errors import BanksimError
    from banksim.hashing import compute_params_hash, remembered_digests

    function = step.function
    try:
        digests = remembered_digests(arguments[0])
        others = compute_params_hash(list(arguments[1:]))
    except BanksimError:
        return None
    sink = hashlib.sha256()
    head = (name, function.name, function.code_version, digests.shape, digests.index, others)
    sink.update(repr(head).encode())
    for digest in digests.index_digests:
        sink.update(digest)
    wanted = {repr(column) for column in columns}
    for label, dtype, digest in digests.columns:
        if label in wanted:
            sink.update(f"{label}:{dtype}".encode() + digest)
    sink.update(extra)
    return sink.hexdigest()


def _rwa_reading(step: Step, arguments: tuple[Any, ...], provisioned: pd.DataFrame) -> str | None:
    """The RWA's reading key: every positions column but the IRB risk parameters when every line is
    under the SA (:data:`SA_UNREAD`), the specific provisions the ECL lines give (``provisioned``: the
    positions with them, :func:`~banksim.regulation.provisions.ecl_specific_provisions`), and the
    other arguments but the ECL lines, which the RWA reads through those provisions only."""
    from banksim.errors import BanksimError
    from banksim.hashing import series_fingerprint
    from banksim.regulation._frame import is_in

    positions = arguments[0]
    if "approach" not in positions.columns or "specific_provisions" not in provisioned.columns:
        return None
    unread = set(SA_UNREAD) if bool(is_in(positions, "approach", "sa").all()) else set()
    columns = frozenset(set(positions.columns) - unread - {"specific_provisions"})
    try:
        provisions = series_fingerprint(provisioned["specific_provisions"])
    except BanksimError:
        return None
    return reading_key("rwa", columns, step, arguments[:5], provisions)


def _readings_of(step: Step, arguments: tuple[Any, ...]) -> dict[str, str]:
    """The reading keys of a step rebuilt from what it reads: the step's own, or each part's."""
    if step.name in PART_READERS:
        parts = {f"{step.name}.{part}": part_reads(step.name, part) for part in PART_READERS[step.name]}
    elif step.name in READERS:
        parts = {step.name: reads(step.name)}
    else:
        return {}
    found = {name: reading_key(name, columns, step, arguments) for name, columns in parts.items()}
    return {name: key for name, key in found.items() if key is not None}


def remember(
    readings: Mapping[str, str], function: str, key: str, values: tuple[Any, ...] | None = None
) -> None:
    """The result of the call ``key`` of ``function`` (stored, or being stored) is what the step with
    these reading keys gives: a later scenario reading the same takes it (:func:`run_steps`).
    ``values``: that result, kept in memory (private copies) within half the store's in-memory tier."""
    from banksim.recent import private_copy
    from banksim.store import get_store

    memory = get_store().readings
    new = any(reading not in memory for reading in readings.values())
    kept = None  # copied only for a reading not kept yet (one kept holds the same values)
    if values is not None and memory.limit_bytes and new:
        kept = (key, tuple(private_copy(value) for value in values))
    with _readings_lock:
        for reading in readings.values():
            _readings[reading] = (function, key)
            _readings.move_to_end(reading)
            if reading in memory:  # read again: the same values (by what a reading key is)
                memory.get_kept(reading)
            elif kept is not None:
                memory.keep(reading, kept)
        while len(_readings) > _READINGS_SIZE:
            forgotten, _ = _readings.popitem(last=False)
            memory.pop(forgotten)  # no longer found by its reading: nothing to keep it for


def _stored_by_reading(step: Step, reading: str | None) -> tuple[Any, ...] | None:
    """The stored result of an earlier call of ``step`` with the same reading key, or None."""
    found = _by_reading(step, reading)
    return None if found is None else found[1]


def _by_reading(step: Step, reading: str | None) -> tuple[str, tuple[Any, ...]] | None:
    """The key and stored result of an earlier call of ``step`` with the same reading key, or None."""
    if reading is None:
        return None
    from banksim.recent import private_copy
    from banksim.store import get_store

    with _readings_lock:
        found = _readings.get(reading)
    if found is None or found[0] != step.function.name:
        return None
    kept = get_store().readings.get_kept(reading)
    if kept is not None:  # a result in memory: the same as the stored one, whatever the store holds now
        return kept[0], tuple(private_copy(value) for value in kept[1])
    values = step.function.stored_result(found[1])
    if values is None:  # purged since: forgotten
        with _readings_lock:
            _readings.pop(reading, None)
        return None
    return found[1], values


def _from_reading(step: Step, reading: str, recomputed: list[int]) -> Any:
    """The step's result taken from another scenario's that read the same, or None."""
    values = _stored_by_reading(step, reading)
    if values is None:
        return None
    recomputed.append(0)
    return values if len(values) > 1 else values[0]


def _reuse(step: Step, arguments: tuple[Any, ...], baseline: Baseline, recomputed: list[int]) -> Any:
    """The step's result built from the baseline's, or None if its inputs differ (methodology C.46)."""
    found = baseline.result(step)
    if found is None:
        return None
    base_arguments, base_result = found
    if step.name == "cva":
        if not _same_cva(base_arguments, arguments, baseline.changed(arguments[0])):
            return None
    else:
        changed = baseline.changed(arguments[0])
        if changed is None or changed & reads(step.name):
            return None
        others = slice(1, 2) if step.name == "protection" else slice(1, None)  # protection: seed only
        if not _same_values(base_arguments[others], arguments[others]):
            return None
    if step.name == "protection" and arguments[2] != base_arguments[2]:  # a collateral shock
        if base_arguments[2] is not None:
            return None
        from banksim.scenarios import shock_protection

        moved = shock_protection(base_result[0], arguments[2] or {})
        recomputed.append(int((moved["amount"].to_numpy() != base_result[0]["amount"].to_numpy()).sum()))
        return moved
    recomputed.append(0)
    from banksim.recent import private_copy

    copied = tuple(private_copy(value) for value in base_result)  # the key and digests go with a copy
    return copied if len(copied) > 1 else copied[0]


def _reuse_liquidity(step: Step, arguments: tuple[Any, ...], baseline: Baseline, route: Plan) -> Any:
    """The liquidity result with the LCR or the NSFR lines taken from the baseline's where the
    positions columns they read are unchanged, or from another scenario's that read the same, the
    other part and the summary computed (the summary too when both parts come from one result);
    None if neither part is found or the parameters differ (methodology C.46)."""
    found = baseline.result(step)
    if found is None:
        return None
    (_, *base_rest), base_result = found
    positions, *rest = arguments
    changed = baseline.changed(positions)
    if changed is None or not _same_values(base_rest, rest):
        return None
    results: dict[str, tuple[Any, ...]] = {"baseline": base_result}  # by where they come from
    origins: dict[str, str] = {}  # part -> where its lines come from
    for part in ("lcr", "nsfr"):
        if not changed & part_reads("liquidity", part):
            origins[part] = "baseline"
            continue
        other = _by_reading(step, route.readings.get(f"liquidity.{part}"))
        if other is not None:
            results.setdefault(other[0], other[1])
            origins[part] = other[0]
            route.source[:] = ["scenario"]
    if not origins:
        return None
    from banksim.recent import private_copy

    if origins.get("lcr") == origins.get("nsfr"):  # one result: its summary too
        lcr, nsfr, summary = results[origins["lcr"]]
        route.reused.append(0)
        return private_copy(lcr), private_copy(nsfr), private_copy(summary)
    from banksim.regulation.liquidity import liquidity_with

    parts = {
        part: private_copy(results[origin][("lcr", "nsfr").index(part)]) for part, origin in origins.items()
    }
    (parameters,) = rest
    result = liquidity_with(positions, parameters, lcr=parts.get("lcr"), nsfr=parts.get("nsfr"))
    lcr, nsfr, _ = result
    route.reused.append((0 if "lcr" in parts else len(lcr)) + (0 if "nsfr" in parts else len(nsfr)))
    return result


def _same_values(a: Sequence[Any], b: Sequence[Any]) -> bool:
    from banksim.hashing import compute_params_hash

    return len(a) == len(b) and compute_params_hash(list(a)) == compute_params_hash(list(b))


def _same_cva(base: tuple[Any, ...], new: tuple[Any, ...], changed: frozenset[str] | None) -> bool:
    """CVA reads the derivative lines of the positions and the counterparty lines of the RWA table
    (methodology 10.6, C.30): the same lines, every column, and the same other arguments.
    ``changed``: the positions columns the scenario changed (:meth:`Baseline.changed`)."""
    import numpy as np

    from banksim.regulation._frame import is_in

    if changed is None or not _same_values(base[2:], new[2:]):
        return False
    for frame_base, frame_new, column, value, columns in (
        (base[0], new[0], "side", "derivative", changed),  # the other columns are the same everywhere
        (base[1], new[1], "risk_type", "counterparty", frozenset(base[1].columns)),
    ):
        if list(frame_base.columns) != list(frame_new.columns):
            return False
        rows_base, rows_new = is_in(frame_base, column, value), is_in(frame_new, column, value)
        if len(frame_base) == len(frame_new) and np.array_equal(rows_base, rows_new):
            # the same rows in the same places: compare the columns that may differ, on those rows
            rows = np.flatnonzero(rows_base)
            for c in _unshared(frame_base, frame_new, columns):
                differ = _differs(frame_base[c], frame_new[c], rows)
                if differ is None or differ.any():
                    return False
            continue
        a = frame_base.loc[rows_base].reset_index(drop=True)
        b = frame_new.loc[rows_new].reset_index(drop=True)
        if len(a) != len(b) or not all(_same(a[c], b[c]) for c in a.columns):
            return False
    return True


def _reuse_rwa(step: Step, arguments: tuple[Any, ...], baseline: Baseline, route: Plan) -> Any:
    """The RWA table of another scenario that read the same, or the baseline's lines with the lines
    of changed positions recomputed; None if the lines differ in number or order or the other
    arguments differ (methodology C.46)."""
    found = baseline.result(step)
    if found is None:
        return None
    from banksim.regulation.provisions import ecl_specific_provisions

    (base_positions, *base_rest), (base_rwa,) = found
    positions, *rest = arguments
    others = _others_key(rest)
    if _others_key(base_rest) != others:  # parameters, business indicator, annual losses
        return None
    # the positions as the RWA reads them: the ECL's stage 3 allowances as specific provisions
    if base_rest[4] is not None:  # the baseline's: the same for every scenario, made once
        base_ecl = base_rest[4]
        unprovisioned = base_positions
        base_positions = _derived(
            found[0], "provisioned", lambda: ecl_specific_provisions(unprovisioned, base_ecl)
        )
    if rest[4] is not None:
        positions = ecl_specific_provisions(positions, rest[4])
    reading = _rwa_reading(step, arguments, positions)
    if reading is not None:
        route.readings["rwa"] = reading
        other = _stored_by_reading(step, reading)
        if other is not None:
            route.reused.append(0)
            route.source[:] = ["scenario"]
            return other[0]
    redo, base_rwa, onto_last = _closest_lines(
        step, positions, rest, others, base_positions, base_rest[3], base_rwa
    )
    if onto_last:
        route.source[:] = ["scenario"]
    if redo is None:
        return None
    split = _split(base_rwa, positions, redo)
    if split is None:
        return None
    lines, derivatives = split
    sub = _subset_rwa(step, positions, rest, lines, derivatives)
    spliced = _splice(base_rwa, sub, lines, derivatives)
    if spliced is not None:
        route.reused.append(len(sub))
        _keep_last_rwa(positions, rest[3], others, step.function.code_version, spliced)
    return spliced


def _closest_lines(
    step: Step,
    positions: pd.DataFrame,
    rest: Sequence[Any],
    others: str,
    base_positions: pd.DataFrame,
    base_protection: Any,
    base_rwa: pd.DataFrame,
) -> tuple[Any, pd.DataFrame, bool]:
    """The lines to recompute (a mask over the positions, None if no splice fits) and the table to
    splice them onto: the last one spliced here if fewer lines changed since (in a sweep's run of
    neighbours), else the baseline's; and whether it is the last one. ``others``: the key of the
    other arguments (:func:`_others_key`)."""
    last = _last_rwa_alike(others, step.function.code_version)
    since = None if last is None else _changed_lines(last.positions, positions, last.protection, rest[3])
    if last is not None and since is not None and since.sum() <= FEW * len(since):
        return since, last.rwa, True  # not worth comparing with the baseline's too
    redo = _changed_lines(base_positions, positions, base_protection, rest[3])
    if last is not None and since is not None and (redo is None or since.sum() < redo.sum()):
        return since, last.rwa, True
    return redo, base_rwa, False


@dataclass(frozen=True)
class _LastRwa:
    """The RWA table this process spliced last, with what it read: the positions (their specific
    provisions applied), the protection items, the key of the other arguments (parameters, business
    indicator, annual losses: taken when it was made, whoever changes those objects after), and the
    code version of the step that made it."""

    positions: pd.DataFrame
    protection: Any
    others: str
    code_version: str
    rwa: pd.DataFrame


_last_rwa: list[_LastRwa] = []  # at most one
_last_rwa_lock = threading.Lock()


def _keep_last_rwa(
    positions: pd.DataFrame, protection: Any, others: str, code_version: str, rwa: pd.DataFrame
) -> None:
    """Keep the RWA table just spliced, with what it read, as copies of the tables (the caller gets
    the RWA table and may write to it)."""
    from banksim.recent import private_copy

    kept = _LastRwa(
        private_copy(positions), private_copy(protection), others, code_version, private_copy(rwa)
    )
    with _last_rwa_lock:
        _last_rwa[:] = [kept]


def _last_rwa_alike(others: str, code_version: str) -> _LastRwa | None:
    """The RWA table spliced last, if the same code made it and the key of its parameters, business
    indicator and annual losses is ``others`` (its lines are then a full computation's for its
    positions, as the baseline's are)."""
    with _last_rwa_lock:
        last = _last_rwa[0] if _last_rwa else None
    if last is None or last.code_version != code_version or last.others != others:
        return None
    return last


def _others_key(rest: Sequence[Any]) -> str:
    """The key of the RWA step's parameters, business indicator and annual losses, as they are now."""
    from banksim.hashing import compute_params_hash

    return compute_params_hash(list(rest[:3]))


def _derived(owner: tuple[Any, ...], name: str, make: Callable[[], Any]) -> Any:
    """``make()``, kept beside a baseline's memoised call arguments ``owner`` (the same object for
    every scenario of a sweep), so what every scenario derives from the baseline is made once."""
    memo_key = (id(owner), name)
    with _derivations_lock:
        kept = _derivations.get(memo_key)
    if kept is not None and kept[0] is owner:
        return kept[1]
    value = make()
    with _derivations_lock:
        _derivations[memo_key] = (owner, value)
        while len(_derivations) > _MEMO_SIZE:
            _derivations.popitem(last=False)
    return value


def _changed_lines(base: pd.DataFrame, new: pd.DataFrame, base_protection: Any, protection: Any) -> Any:
    """Mask of the positions whose row (any column it reads: not :data:`SA_UNREAD` on an SA line) or
    protection items differ from the baseline's; None if the tables do not have the same rows, ids
    and columns."""
    import pandas as pd

    from banksim.regulation._frame import ids_in, is_in

    if "approach" not in base.columns or "approach" not in new.columns or len(base) != len(new):
        return None
    sa = is_in(base, "approach", "sa") & is_in(new, "approach", "sa")
    changed = _changed_rows(base, new, unread=(SA_UNREAD, sa))
    if changed is None or changed[_ids_differ(base, new)].any():
        return None
    if base_protection is None and protection is None:
        return changed
    if base_protection is None or protection is None:
        return None
    items = _changed_rows(base_protection, protection)
    if items is None or _ids_differ(base_protection, protection).any():
        return None
    if items.any():
        moved = protection["position_id"].loc[items].unique()
        changed |= ids_in(new["position_id"], pd.Series(moved))
    return changed


def _ids_differ(base: pd.DataFrame, new: pd.DataFrame) -> Any:
    """Mask of the rows whose ``position_id`` differs."""
    import numpy as np

    a, b = base["position_id"], new["position_id"]
    if _shared(a, b):
        return np.zeros(len(a), dtype=bool)
    return ~np.asarray(a.astype(str).to_numpy() == b.astype(str).to_numpy())


def _changed_rows(
    base: pd.DataFrame, new: pd.DataFrame, unread: tuple[Sequence[str], Any] | None = None
) -> Any:
    """Mask of rows differing in any column (floats bit for bit, NaN equal to NaN); None if the two
    tables differ in columns, dtypes or length. ``unread`` = (columns, rows): a difference in those
    columns on those rows does not count."""
    import numpy as np

    if list(base.columns) != list(new.columns) or len(base) != len(new):
        return None
    changed = np.zeros(len(base), dtype=bool)
    ignored, read = ((), None) if unread is None else (unread[0], ~unread[1])
    for column in _unshared(base, new, base.columns):  # a column shared in memory has no difference
        differ = _differs(base[column], new[column])
        if differ is None:
            return None
        changed |= differ & read if column in ignored else differ
    return changed


def _differs(a: pd.Series, b: pd.Series, rows: Any = None, b_rows: Any = None) -> Any:
    """Mask of the rows (of ``rows`` only, if given) where two columns of the same length differ;
    None if their dtypes differ. ``b_rows``: compare ``a``'s ``rows`` with these rows of ``b``
    (columns of any lengths) instead."""
    import numpy as np
    import pandas as pd

    from banksim.store.shared import same_dtype

    if not same_dtype(a, b):
        return None
    if b_rows is None:
        if _shared(a, b):
            return np.zeros(len(a) if rows is None else len(rows), dtype=bool)
        b_rows = rows
    if isinstance(a.dtype, pd.CategoricalDtype):
        x, y = a.array.codes, b.array.codes
    elif a.dtype.kind in "fiub":
        x, y = a.to_numpy(), b.to_numpy()
    else:
        if rows is not None:
            a, b = a.take(rows).reset_index(drop=True), b.take(b_rows).reset_index(drop=True)
        missing = a.isna().to_numpy() & b.isna().to_numpy()
        differ = np.asarray((a != b).to_numpy(dtype=object, na_value=True), dtype=bool)
        return differ & ~missing
    if rows is not None:
        x, y = x[rows], y[b_rows]
    if x.dtype.kind == "f":
        x, y = x.view(f"i{x.itemsize}"), y.view(f"i{y.itemsize}")
    return x != y


def _split(base_rwa: pd.DataFrame, positions: pd.DataFrame, redo: Any) -> tuple[Any, bool] | None:
    """Which credit lines to recompute (a mask over them, at least one) and whether the counterparty
    lines are; None if the baseline's table does not have one credit line per asset or off-balance
    position, then the counterparty lines, then the operational one."""
    import numpy as np

    from banksim.regulation._frame import is_in

    credit = is_in(positions, "side", "asset", "off_balance")
    n = int(credit.sum())
    if n == 0 or len(base_rwa) < n + 1:
        return None
    kinds = [is_in(base_rwa, "risk_type", kind) for kind in ("credit", "counterparty", "operational")]
    if not (kinds[0][:n].all() and kinds[1][n:-1].all() and kinds[2][-1]):
        return None
    lines = redo[credit]
    if lines.sum() > MOST * n:
        return None  # most lines changed: a full computation is faster than a splice
    if not lines.any():
        lines = lines.copy()
        lines[0] = True  # the operational line comes with a computation of one credit line at least
    derivatives = bool((redo & is_in(positions, "side", "derivative")).any())
    return np.asarray(lines, dtype=bool), derivatives


def _subset_rwa(
    step: Step, positions: pd.DataFrame, rest: list[Any], lines: Any, derivatives: bool
) -> pd.DataFrame:
    """The RWA table of the positions to recompute (their protection items only; the business
    indicator of the whole balance sheet, so its operational line is the full table's)."""
    import numpy as np

    from banksim.positions.validation import take_rows, validate_positions
    from banksim.regulation._frame import ids_in, is_in
    from banksim.synthetic.proxy import business_indicator_proxy

    parameters, indicator, losses, protection = rest[:4]  # the ECL lines are applied already
    credit = np.flatnonzero(is_in(positions, "side", "asset", "off_balance"))
    rows = credit[lines]
    if derivatives:
        rows = np.sort(np.concatenate([rows, np.flatnonzero(is_in(positions, "side", "derivative"))]))
    subset = take_rows(positions, rows)
    if indicator is None:
        indicator = business_indicator_proxy(validate_positions(positions))
    if protection is not None:
        named = ids_in(protection["position_id"], subset["position_id"])
        protection = protection.loc[named].reset_index(drop=True)
    return step.function.func(subset, parameters, indicator, losses, protection)


def _splice(base: pd.DataFrame, sub: pd.DataFrame, lines: Any, derivatives: bool) -> pd.DataFrame | None:
    """The baseline's table with the recomputed lines of ``sub`` in their places: row order, index and
    dtypes of a full computation (rule categories canonical, others the baseline's); None if ``sub``'s
    columns or dtypes do not fit. A column whose lines all equal the baseline's is the baseline's own
    (shared in memory, copied by pandas before any write)."""
    import numpy as np
    import pandas as pd

    if list(sub.columns) != list(base.columns):
        return None
    n, done = len(lines), int(lines.sum())
    source = np.arange(n)
    source[lines] = len(base) + np.arange(done)
    counterparty = len(base) + np.arange(done, len(sub) - 1) if derivatives else np.arange(n, len(base) - 1)
    source = np.concatenate([source, counterparty, [len(base) + len(sub) - 1]])
    index = pd.RangeIndex(len(source))
    same_rows = len(source) == len(base) and base.index.equals(index)
    taken = np.flatnonzero(source >= len(base))  # the result's rows that come from ``sub``
    columns: dict[str, Any] = {}
    for column in base.columns:
        a, b = base[column], sub[column]
        value = _overwritten(a, b, taken, source[taken] - len(base), column) if same_rows else _MISS
        if value is _SAME:
            continue
        if value is _MISS:
            value = _spliced(a, b, source, column)
        if value is None:
            return None
        columns[column] = value
    if not same_rows:
        return pd.DataFrame(columns, index=index, copy=False)
    spliced = base.copy(deep=False)
    for column, value in columns.items():
        spliced[column] = value
    return spliced


# What _overwritten says besides a column: the baseline's own column fits; it cannot tell (splice it).
_SAME, _MISS = object(), object()


def _overwritten(a: pd.Series, b: pd.Series, rows: Any, sub_rows: Any, column: str) -> Any:
    """The baseline's column ``a`` with its ``rows`` replaced by the recomputed lines ``sub_rows`` of
    ``b``, as :func:`_spliced` makes it (the same value and dtype) but without taking every row:
    ``_SAME`` if those lines equal the baseline's (bit for bit); ``_MISS`` for a dtype it does not
    handle (not a NumPy number or a categorical); None if the dtypes do not fit."""
    import numpy as np
    import pandas as pd

    from banksim.services import RULE_COLUMNS

    rules = column in RULE_COLUMNS
    categorical = isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype)
    if categorical and not (rules and a.cat.ordered):  # a splice gives rule columns unordered
        return _overwritten_codes(a, b, rows, sub_rows, rules)
    if _same_lines(a, b, rows, sub_rows):
        return _SAME
    if a.dtype == b.dtype and isinstance(a.dtype, np.dtype) and a.dtype.kind in "fiub":
        spliced = a.to_numpy().copy()
        spliced[rows] = b.to_numpy()[sub_rows]
        return spliced
    return _MISS


def _overwritten_codes(a: pd.Series, b: pd.Series, rows: Any, sub_rows: Any, rules: bool) -> Any:
    """:func:`_overwritten` for two categoricals: ``b``'s categories recoded into ``a``'s (a rule
    column takes the new ones too, then only those used, sorted)."""
    import numpy as np
    import pandas as pd

    from banksim.services import canonical_rules

    x, y = a.array, b.array
    recode = x.categories.get_indexer(y.categories)
    new = recode < 0
    categories = x.categories.append(y.categories[new]) if new.any() else x.categories
    recode[new] = len(x.categories) + np.arange(int(new.sum()))
    lines = np.append(recode, -1)[y.codes[sub_rows]]  # code -1 (missing) stays -1
    if not rules and (lines >= len(x.categories)).any():
        return None  # a value outside the baseline's vocabulary
    if np.array_equal(x.codes[rows], lines) and (not rules or _canonical(x)):
        return _SAME  # the same codes of the same categories: the baseline's values and dtype
    codes = x.codes.astype(np.int32)  # a copy, wide enough for the categories added (int8 wraps)
    codes[rows] = lines
    if rules:
        return canonical_rules(codes, categories)
    return pd.Categorical.from_codes(codes, dtype=x.dtype, validate=False)


def _canonical(rules: pd.Categorical) -> bool:
    """Every category of ``rules`` is used and they are sorted, as in a computed table's rule columns."""
    import numpy as np

    codes = rules.codes
    used = np.bincount(codes[codes >= 0], minlength=len(rules.categories))
    return bool(used.all()) and rules.categories.is_monotonic_increasing


def _same_lines(a: pd.Series, b: pd.Series, rows: Any, sub_rows: Any) -> bool:
    """The recomputed lines ``sub_rows`` of ``b`` equal the baseline's lines ``rows`` of ``a``, with
    the same dtype (compared as :func:`_differs` compares)."""
    differ = _differs(a, b, rows, sub_rows)
    return differ is not None and not differ.any()


def _spliced(a: pd.Series, b: pd.Series, source: Any, column: str) -> Any:
    """One column of the spliced table: the baseline's ``a`` and the recomputed ``b`` taken in the
    order ``source`` (rows of ``a``, then of ``b``); None if their dtypes do not fit."""
    import numpy as np
    import pandas as pd

    from banksim.services import RULE_COLUMNS

    if isinstance(a.dtype, pd.CategoricalDtype) and isinstance(b.dtype, pd.CategoricalDtype):
        union = pd.CategoricalDtype(list(dict.fromkeys([*a.cat.categories, *b.cat.categories])))
        codes = np.concatenate([a.cat.codes.to_numpy(), b.astype(union).cat.codes.to_numpy()])[source]
        value: Any = pd.Categorical.from_codes(codes, dtype=union)
        if column in RULE_COLUMNS:
            used = value.remove_unused_categories()
            return used.reorder_categories(sorted(used.categories))
        if (codes >= len(a.cat.categories)).any():
            return None  # a value outside the baseline's vocabulary
        return pd.Categorical.from_codes(codes, dtype=a.dtype)
    if a.dtype == b.dtype and isinstance(a.dtype, np.dtype) and a.dtype.kind in "fiub":
        return np.concatenate([a.to_numpy(), b.to_numpy()])[source]
    if a.dtype == b.dtype:
        return pd.concat([a, b], ignore_index=True).array.take(source)
    return None

"""The ``@cached`` decorator: content-keyed results in the store, with hit/miss reporting.

A call's key covers the function, its arguments bound to the signature with defaults applied
(DataFrames by content) and the code version of everything it uses in banksim; the result goes
to the active store (DataFrames as Parquet, dicts as JSON, bytes as artifacts, tuples of these).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from banksim import payloads
from banksim.code_version import CodeVersion
from banksim.errors import BanksimError, InputError
from banksim.hashing import KEY_SCHEME, compute_params_hash, describe_value
from banksim.recent import private_copy
from banksim.store import check_kind, get_store

if TYPE_CHECKING:
    from banksim.store.leases import Lease

__all__ = [
    # caching a function in the store
    "CachedFunction",
    "CallInfo",
    "cached",
    # code versions and values derived within a process
    "code_versions_pinned",
    "derived",
    "pinned_version",
]

log = logging.getLogger("banksim.cache")


class ResultTypeError(BanksimError, TypeError):
    """A cached function returned something the store cannot keep."""


# Code versions taken once per run (see code_versions_pinned): function -> version, or None outside.
_PINNED: contextvars.ContextVar[dict[Any, str] | None] = contextvars.ContextVar(
    "banksim_pinned_code_versions", default=None
)


@contextlib.contextmanager
def code_versions_pinned() -> Iterator[None]:
    """Within: each cached function's code version is checked once, then taken as it was.

    One run of the pipeline asks for each step's version several times (its key, its reading keys,
    the run record); the code does not change under a single call, so the watch of what each
    version was computed from is checked once. Nested uses keep the outermost's versions.
    """
    if _PINNED.get() is not None:
        yield
        return
    token = _PINNED.set({})
    try:
        yield
    finally:
        _PINNED.reset(token)


def pinned_version(owner: Any, current: Callable[[], str]) -> str:
    """``current()``, the code version of ``owner``; within :func:`code_versions_pinned`, taken once."""
    pinned = _PINNED.get()
    if pinned is None:
        return current()
    version = pinned.get(owner)
    if version is None:
        version = pinned[owner] = current()
    return version


# Values derived from unchanging inputs (see derived): (function, code version, arguments' key) ->
# value, least recent out; and each function's code version.
DERIVED_SIZE = 16
_derived: OrderedDict[tuple[Callable[..., Any], str, str], Any] = OrderedDict()
_derived_code: dict[Callable[..., Any], CodeVersion] = {}
_derived_lock = threading.Lock()


def _after_fork() -> None:
    """In a forked child: a new lock (another thread may have held the parent's at the fork)."""
    global _derived_lock
    _derived_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def derived(func: Callable[..., Any], *arguments: Any) -> Any:
    """``func(*arguments)``, computed once in this process for the same arguments (by content) and
    code of ``func``, then taken from memory (the :data:`DERIVED_SIZE` most recent).

    For a value a step derives again and again from an input that every call shares, such as the
    trading book's leverage exposure in every scenario's capital statement. The value is shared
    between callers: ``func`` must return an immutable one (a number, a string, a tuple of them).
    """
    with _derived_lock:
        code = _derived_code.get(func)
        if code is None:
            code = _derived_code[func] = CodeVersion(func)
    key = (func, pinned_version(code, code.current), compute_params_hash(list(arguments)))
    with _derived_lock:
        if key in _derived:
            _derived.move_to_end(key)
            return _derived[key]
    value = func(*arguments)
    with _derived_lock:
        _derived[key] = value
        while len(_derived) > DERIVED_SIZE:
            _derived.popitem(last=False)
    return value


@dataclass(frozen=True)
class CallInfo:
    """What happened on one call of a cached function.

    Attributes
    ----------
    function, kind, key : str
        The cached function's qualified name, its kind and the call's key.
    hit : bool
        True if the result came from the store.
    seconds : float
        Wall time of the call (hashing and loading included).
    compute_seconds : float or None
        Wall time of the computation alone (not hashing, lookup or storing): this call's on a
        miss, the stored one on a hit.
    """

    function: str
    kind: str
    key: str
    hit: bool
    seconds: float
    compute_seconds: float | None = None

    @property
    def seconds_saved(self) -> float:
        """On a hit, what computing took minus what loading took; 0 on a miss."""
        if not self.hit or self.compute_seconds is None:
            return 0.0
        return max(self.compute_seconds - self.seconds, 0.0)

    def describe(self) -> str:
        """One line, e.g. ``rwa 3f2a9c1b0d4e: loaded from cache in 0.021 s (computing took
        0.640 s; 0.619 s saved)``."""
        what = "loaded from cache" if self.hit else "computed and stored"
        line = f"{self.kind} {self.key[:12]}: {what} in {self.seconds:.3f} s"
        if self.hit and self.compute_seconds is not None:
            line += f" (computing took {self.compute_seconds:.3f} s; {self.seconds_saved:.3f} s saved)"
        return line

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class _Call:
    key: str
    arguments: dict[str, dict[str, Any]]
    code_version: str


class CachedFunction:
    """A function whose results are kept in the store; see :func:`cached`."""

    def __init__(
        self,
        func: Callable[..., Any],
        kind: str,
        version: str | None,
        parts: tuple[str, ...] | None,
        mime: str,
        ignore: tuple[str, ...],
    ) -> None:
        self.func = func
        self.kind = check_kind(kind)
        self.version = version
        self.parts = _check_parts(self.kind, parts)
        self.mime = mime
        self.signature = inspect.signature(func)
        unknown = sorted(set(ignore) - set(self.signature.parameters))
        if unknown:
            raise InputError(
                "ignore",
                f"{unknown} are not parameters of {func.__qualname__}",
                allowed=list(self.signature.parameters),
            )
        if "use_cache" in self.signature.parameters:
            raise InputError("func", f"{func.__qualname__} already has a 'use_cache' parameter")
        self.ignore = ignore
        self.name = f"{func.__module__}.{func.__qualname__}"
        self._calls = threading.local()  # each thread's last call (see last_call)
        self._code = CodeVersion(func, version)
        functools.update_wrapper(self, func)
        self.__signature__ = self.signature.replace(
            parameters=[
                *self.signature.parameters.values(),
                inspect.Parameter("use_cache", inspect.Parameter.KEYWORD_ONLY, default=True),
            ]
        )

    def __repr__(self) -> str:
        return f"<cached function {self.name} kind={self.kind!r}>"

    def __copy__(self) -> CachedFunction:
        return self  # like a function: copies (of a step, a registry) share it

    def __deepcopy__(self, memo: dict[int, Any]) -> CachedFunction:
        return self

    @property
    def last_call(self) -> CallInfo | None:
        """What the last call of this function made by this thread did (key, hit, seconds); each
        thread has its own, so scenarios run on threads never read each other's."""
        return getattr(self._calls, "info", None)

    @last_call.setter
    def last_call(self, info: CallInfo | None) -> None:
        self._calls.info = info

    @property
    def code_version(self) -> str:
        """Hash of the function's source and the local code and constants it uses, as they are
        now: an edited helper, constant or parameter table, a notebook cell run again or a
        reloaded module changes it (see :class:`banksim.code_version.CodeVersion`)."""
        return pinned_version(self, self._code.current)

    # -- keys -----------------------------------------------------------------------------------
    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = {
            name: {
                "hash": compute_params_hash(value, path=f"{self.func.__qualname__}() argument {name!r}"),
                "value": describe_value(value),
            }
            for name, value in bound.arguments.items()
            if name not in self.ignore
        }
        return self._keyed(arguments)

    def _keyed(self, arguments: dict[str, dict[str, Any]]) -> _Call:
        code = self.code_version
        key = compute_params_hash(
            {
                "function": self.name,
                "code_version": code,
                "args": {name: argument["hash"] for name, argument in arguments.items()},
            }
        )
        return _Call(key, arguments, code)

    def key(self, *args: Any, **kwargs: Any) -> str:
        """The cache key (``params_hash``) of a call, without computing anything."""
        return self._call(args, kwargs).key

    def lineage(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """The stored results this call's result was computed from; see :func:`banksim.lineage`."""
        from banksim.lineage import lineage

        return lineage(self.key(*args, **kwargs))

    # -- storage --------------------------------------------------------------------------------
    def _parts(self, result: Any) -> tuple[list[tuple[str, Any, str | None]], bool]:
        """The result's parts as ``(kind_or_name, value, mime)`` and whether it is a tuple; a value
        the store cannot keep is a ResultTypeError now, before anything is written."""
        is_tuple = isinstance(result, tuple)
        values = list(result) if is_tuple else [result]
        if is_tuple:
            names = self.parts or tuple(str(i) for i in range(len(values)))
            if len(names) != len(values):
                raise ResultTypeError(f"{self.name} returned {len(values)} values but declares parts {names}")
            names = tuple(check_kind(f"{self.kind}_{name}", "parts") for name in names)
        else:
            names = (self.kind,)
        parts: list[tuple[str, Any, str | None]] = []
        for name, value in zip(names, values, strict=True):
            if isinstance(value, pd.DataFrame | dict):
                payloads.check_storable(value, f"{self.name} result")  # the writer may encode later
                parts.append((name, value, None))
            elif isinstance(value, bytes | bytearray):
                parts.append((name, bytes(value), self.mime))
            else:
                raise ResultTypeError(
                    f"{self.name} returned a {type(value).__name__}; cached functions return a "
                    "DataFrame, a dict, bytes, or a tuple of these"
                )
        return parts, is_tuple

    def _load(self, key: str) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        """The stored result of ``key`` as a tuple of parts with its configuration row, or None
        if absent or damaged."""
        store = get_store()
        configuration = store.configuration(key)
        if configuration is None or not configuration.get("result_layout"):
            return None
        layout = json.loads(configuration["result_layout"])
        values = []
        for part in layout["parts"]:
            value = store.load_part(part["name"], key, blob=part["format"] == "blob")
            if value is None:
                log.warning("%s %s: stored result is incomplete or damaged; recomputing", self.kind, key[:12])
                return None
            values.append(value)
        return (tuple(values) if layout["tuple"] else (values[0],)), configuration

    def _fetch(self, key: str) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        """The result of ``key`` with its configuration, from this process's pending writes (as
        private copies) or from the store, its hit counted; None on a miss."""
        store = get_store()
        pending = store.pending(key, hit=True)
        if pending is not None:  # computed here a moment ago, still being written: from memory
            return tuple(private_copy(value) for value in pending.values), pending.configuration
        stored = self._load(key)
        if stored is not None:
            store.record_hit(key)
        return stored

    # -- calling --------------------------------------------------------------------------------
    def __call__(self, *args: Any, use_cache: bool = True, **kwargs: Any) -> Any:
        return self._run(None, args, kwargs, use_cache)

    def computed_by(
        self, compute: Callable[[], Any], *args: Any, use_cache: bool = True, **kwargs: Any
    ) -> Any:
        """Call as ``self(*args, **kwargs)`` does, but on a miss let ``compute()`` produce the result.

        For a faster route to the same result, e.g. an incremental computation from a stored one:
        ``compute`` must return exactly what the function returns for these arguments (the result
        is stored under their key). The key, the lookup, the store and the return value are the
        same as for a plain call.
        """
        return self._run(compute, args, kwargs, use_cache)

    def _run(
        self,
        compute: Callable[[], Any] | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        use_cache: bool,
    ) -> Any:
        if not isinstance(use_cache, bool):
            raise InputError("use_cache", f"{use_cache!r} is not a bool", allowed=[True, False])
        started = time.perf_counter()
        call = self._call(args, kwargs)
        lease = None
        if use_cache:
            found = self._fetch(call.key)
            if found is None:
                lease, found = self._claim_or_wait(call.key)
                if found is not None:
                    get_store().record_hit(call.key)
            if found is not None:
                values, configuration = found
                return self._finish(call, values, True, started, configuration.get("compute_seconds"))
        computation = compute or functools.partial(self.func, *args, **kwargs)
        held = [lease]  # emptied by _compute when it hands the lease to the store
        try:
            return self._compute(call, computation, started, held)
        except BaseException:
            if held[0] is not None:
                held[0].release()
            raise

    def _claim_or_wait(self, key: str) -> tuple[Lease | None, tuple[tuple[Any, ...], dict[str, Any]] | None]:
        """One computation per key across processes: claim the key's lease and compute, or,
        while another process holds it, wait for its result (or for its lease to expire)."""
        store = get_store()
        delay = 0.02
        look = False  # the first claim follows a miss: most likely nobody holds the key
        while True:
            lease = store.claim(key, look=look)
            look = True
            if lease is not None:
                try:
                    stored = self._load(key)  # stored between our miss and our claim
                except BaseException:
                    lease.release()
                    raise
                if stored is None:
                    return lease, None
                lease.release()
                return None, stored
            if delay == 0.02:
                log.info(
                    "%s %s: another process is computing it; waiting for its result", self.kind, key[:12]
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)
            stored = self._load(key)
            if stored is not None:
                return None, stored

    def _compute(
        self, call: _Call, compute: Callable[[], Any], started: float, held: list[Lease | None]
    ) -> Any:
        """Run the computation, store its result under the call's key, return it with hit False.

        ``held`` holds the key's lease (or None); it is emptied as the lease passes to the store,
        which releases it once the result is stored (now, or on the write-behind thread)."""
        computing = time.perf_counter()
        result = compute()
        compute_seconds = time.perf_counter() - computing
        written = self._code.settle()
        if written:  # globals the run itself changed are state it writes, not inputs: key without them
            (_PINNED.get() or {}).clear()  # another step may read what it changed: check each again
            log.info("%s changes %s when it runs; they are left out of its code version", self.name, written)
            call = self._keyed(call.arguments)
        parts, is_tuple = self._parts(result)
        layout = {"tuple": is_tuple, "parts": [{"name": n, "format": _format(v)} for n, v, _ in parts]}
        configuration = {
            "kind": self.kind,
            "function": self.name,
            "code_version": call.code_version,
            "compute_seconds": compute_seconds,
            "result_layout": json.dumps(layout),
            "params_json": json.dumps(
                {
                    "scheme": KEY_SCHEME,
                    "function": self.name,
                    "kind": self.kind,
                    "code_version": call.code_version,
                    "args": call.arguments,
                },
                sort_keys=True,
                default=str,
            ),
        }
        lease, held[0] = held[0], None  # from here the store releases it, once the result is stored
        get_store().save_result(call.key, configuration, parts, lease=lease)
        return self._finish(call, result if is_tuple else (result,), False, started, compute_seconds)

    def _finish(
        self,
        call: _Call,
        values: tuple[Any, ...],
        hit: bool,
        started: float,
        compute_seconds: float | None = None,
    ) -> Any:
        info = CallInfo(self.name, self.kind, call.key, hit, time.perf_counter() - started, compute_seconds)
        self.last_call = info
        log.info("%s", info.describe())
        return (*values, hit)

    def is_cached(self, *args: Any, **kwargs: Any) -> bool:
        """True if this call's result is stored and intact; computes nothing, writes nothing.

        Every part's checksum is verified, but nothing is decoded (a damaged part is removed,
        as a load would remove it).
        """
        return self._stored(self._call(args, kwargs).key)

    def load(self, *args: Any, **kwargs: Any) -> Any | None:
        """The stored result of this call (without the hit flag), or None if it is not stored
        intact; computes nothing and writes nothing but the hit count."""
        started = time.perf_counter()
        call = self._call(args, kwargs)
        found = self._fetch(call.key)
        if found is None:
            return None
        values, configuration = found
        self._finish(call, values, True, started, configuration.get("compute_seconds"))
        return values if json.loads(configuration["result_layout"])["tuple"] else values[0]

    def stored_result(self, key: str) -> tuple[Any, ...] | None:
        """The result stored under ``key`` (a :meth:`key` of this function), or being stored by this
        process, as a tuple of its parts (private copies); None if it is not there intact. Counts no
        hit: for a caller that takes it as another call's result (banksim.incremental)."""
        store = get_store()
        pending = store.pending(key)
        if pending is not None:
            return tuple(private_copy(value) for value in pending.values)
        found = self._load(key)
        return None if found is None else found[0]

    def is_stored(self, key: str) -> bool:
        """True if the result stored under ``key`` (a :meth:`key` of this function) is intact;
        checks every part's checksum, decodes nothing."""
        return self._stored(key)

    def _stored(self, key: str) -> bool:
        store = get_store()
        if store.pending(key) is not None:  # computed here, being written: it will be stored
            return True
        configuration = store.configuration(key)
        if configuration is None or not configuration.get("result_layout"):
            return False
        parts = json.loads(configuration["result_layout"])["parts"]
        return all(store.has_part(part["name"], key, blob=part["format"] == "blob") for part in parts)

    def explain(self, *args: Any, **kwargs: Any) -> str:
        """Say whether this call would hit, and if not, how it differs from the nearest entry."""
        call = self._call(args, kwargs)
        if self._stored(call.key):
            return f"hit: {self.kind} {call.key[:12]} is stored"
        entries = [
            e
            for e in get_store().configurations(self.kind)
            if json.loads(e["params_json"]).get("function") == self.name
        ]
        if not entries:
            return f"miss: no stored result of {self.name} yet"
        ranked = []
        for entry in entries:
            differences = _differences(call, json.loads(entry["params_json"]))
            age_rank = -pd.Timestamp(entry["updated_at"]).value  # newest first among equals
            ranked.append((len(differences), age_rank, entry["params_hash"], differences))
        _, _, nearest, differences = min(ranked, key=lambda item: item[:2])
        if not differences:
            return f"miss: {self.kind} {call.key[:12]} was stored but its payload is missing or damaged"
        return f"miss: nearest stored entry {nearest[:12]} differs in " + "; ".join(differences)


def _format(value: Any) -> str:
    """The payload format a result part is stored in (see :mod:`banksim.payloads`)."""
    if isinstance(value, pd.DataFrame):
        return "parquet"
    return "json" if isinstance(value, dict) else "blob"


def _check_parts(kind: str, parts: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Validate part names now: each becomes the kind ``<kind>_<part>``, a folder and a view name."""
    if parts is None:
        return None
    if isinstance(parts, str) or not all(isinstance(part, str) and part for part in parts):
        raise InputError("parts", f"{parts!r} is not a tuple of names", allowed="a tuple of non-empty str")
    if len(set(parts)) != len(parts):
        raise InputError("parts", f"{parts!r} repeats a name", allowed="distinct names")
    for part in parts:
        check_kind(f"{kind}_{part}", "parts")
    return tuple(parts)


def _differences(call: _Call, stored: dict[str, Any]) -> list[str]:
    differences = []
    if stored.get("code_version") != call.code_version:
        differences.append(
            f"code version {str(stored.get('code_version'))[:12]} -> {call.code_version[:12]} "
            "(the function or banksim code it uses changed)"
        )
    stored_args = stored.get("args", {})
    for name in sorted(set(call.arguments) | set(stored_args)):
        new, old = call.arguments.get(name), stored_args.get(name)
        if new is None or old is None:
            differences.append(f"argument {name!r} {'added' if old is None else 'removed'}")
        elif new["hash"] != old["hash"]:
            new_value = json.dumps(new["value"], default=str, sort_keys=True)
            old_value = json.dumps(old["value"], default=str, sort_keys=True)
            change = f"{old_value} -> {new_value}" if new_value != old_value else "content differs"
            differences.append(f"argument {name!r}: {change}")
    return differences


def cached(
    kind: str,
    *,
    version: str | None = None,
    parts: tuple[str, ...] | None = None,
    mime: str = "application/octet-stream",
    ignore: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], CachedFunction]:
    """Cache a function's results in the active store.

    The wrapped function takes an extra keyword ``use_cache=True`` (``False`` recomputes and
    replaces the stored result) and returns ``(result, cache_hit)``, or ``(*parts, cache_hit)``
    when the function returns a tuple.

    Parameters
    ----------
    kind : str
        Name of the result (a lower-case identifier); tuple parts are stored as ``<kind>_<part>``.
    version : str, optional
        Bump to invalidate stored results by hand; source changes do so by themselves.
    parts : tuple of str, optional
        Names of the parts of a tuple result (default ``0``, ``1``, ...).
    mime : str
        MIME type recorded for ``bytes`` results.
    ignore : tuple of str
        Parameters left out of the key (for example a progress callback).

    Examples
    --------
    >>> @cached(kind="squares")  # doctest: +SKIP
    ... def squares(n: int) -> pd.DataFrame:
    ...     return pd.DataFrame({"x": range(n), "y": [i * i for i in range(n)]})
    >>> frame, hit = squares(3)  # doctest: +SKIP
    """

    def decorate(func: Callable[..., Any]) -> CachedFunction:
        return CachedFunction(func, kind, version, parts, mime, ignore)

    return decorate

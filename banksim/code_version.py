"""Code versions for cache keys: a hash of what a function's result depends on in our code.

The version covers the function's normalized source (comments, docstrings and formatting do not
count), and, transitively, the project-local functions, classes, modules and constants it uses
(``functools.partial`` objects and instances of local classes with their arguments and attributes).
:class:`CodeVersion` keeps it current in a live process: each call re-checks, cheaply, that every
code object, name binding and constant it was computed from is still the same.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import dis
import enum
import functools
import hashlib
import importlib
import importlib.util
import inspect
import logging
import marshal
import operator
import sys
import types
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from banksim.code_source import _COMPILED as _COMPILED  # cleared by bench/bench_code_version.py
from banksim.code_source import (
    CODE_SCHEME,
    MEMO,
    MEMO_MAX_AGE_DAYS,
    VALUES,
    SourceMemo,
    _normalize,
    _normalized_source_in,
    normalized_source,
)
from banksim.errors import UnhashableArgumentError
from banksim.hashing import compute_params_hash

__all__ = ["MEMO_MAX_AGE_DAYS", "CodeVersion", "SourceMemo", "code_version", "normalized_source"]

# The caching machinery itself does not shape any result: editing it must not invalidate entries.
# banksim.incremental is machinery too: it only chooses how a result is obtained (its results equal a
# full computation, tests/test_incremental.py), and its in-process memo must not enter any version.
INFRASTRUCTURE = frozenset(
    {
        "banksim.cache",
        "banksim.cli",
        "banksim.code_source",
        "banksim.code_version",
        "banksim.errors",
        "banksim.hashing",
        "banksim.incremental",
        "banksim.models",
        "banksim.payloads",
        "banksim.settings",
        "banksim.store",
    }
)
_MISSING = object()
LOGGER = logging.getLogger(__name__)
_REPORTED_UNHASHABLE: set[str] = set()  # type names already logged as left out by content
# Digests of code objects and classes by id(), with a weak reference that proves the id still
# names the same object (code objects compare by value, so they cannot be dictionary keys here).
_CODE_DIGESTS: dict[int, tuple[weakref.ref[types.CodeType], str]] = {}
_CLASS_DIGESTS: dict[int, tuple[weakref.ref[type], str]] = {}
_FILE_DIGESTS: dict[tuple[str, int, int], str] = {}  # (path, mtime_ns, size) -> normalized text


def _names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


_IMPORT_NAME = dis.opmap["IMPORT_NAME"]


@functools.lru_cache(maxsize=4096)
def _imports(code: types.CodeType) -> tuple[tuple[int, str, tuple[str, ...] | None], ...]:
    """The import statements inside ``code`` and the code nested in it: (level, module, names
    imported from it, or None for ``import module``)."""
    found: list[tuple[int, str, tuple[str, ...] | None]] = []
    # Wordcode: an opcode at every even byte. Most functions import nothing; skip decoding them.
    has_import = _IMPORT_NAME in code.co_code[::2]
    instructions = list(dis.get_instructions(code)) if has_import else []
    for i, instruction in enumerate(instructions):
        if instruction.opname == "IMPORT_NAME" and i >= 2:
            level, fromlist = instructions[i - 2].argval, instructions[i - 1].argval
            names = tuple(fromlist) if isinstance(fromlist, tuple) else None
            found.append((level if isinstance(level, int) else 0, str(instruction.argval), names))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found.extend(_imports(const))
    return tuple(found)


Files = dict[str, tuple[str, str] | None]  # one walk's source files: see code_source._memo_address


def _function_digest(func: types.FunctionType, files: Files | None = None) -> str:
    code = func.__code__
    memo = _CODE_DIGESTS.get(id(code))
    if memo is None or memo[0]() is not code:
        memo = _CODE_DIGESTS[id(code)] = (weakref.ref(code), _normalized_source_in(func, files))
    return memo[1]


def _class_digest(cls: type, files: Files | None = None) -> str:
    memo = _CLASS_DIGESTS.get(id(cls))
    if memo is None or memo[0]() is not cls:
        memo = _CLASS_DIGESTS[id(cls)] = (weakref.ref(cls), _normalized_source_in(cls, files))
    return memo[1]


def _file_digest(path: Path) -> str:
    stat = path.stat()
    memo_key = (str(path), stat.st_mtime_ns, stat.st_size)
    if memo_key not in _FILE_DIGESTS:
        text = path.read_text("utf-8")
        text_digest = hashlib.sha256(text.encode()).hexdigest()
        remembered = MEMO.get(text_digest, "module")
        if remembered is None:
            remembered = ["", _normalize(text)]
            MEMO.put(text_digest, "module", remembered)
        _FILE_DIGESTS[memo_key] = str(remembered[1])
    return _FILE_DIGESTS[memo_key]


# -- constants: which can change in place, and how to notice it cheaply -----------------------------

_ATOMS = (
    type(None),
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    range,
    enum.Enum,
    decimal.Decimal,
    dt.date,
    dt.time,
    dt.timedelta,
    np.generic,
)


# The atoms most constants are made of, checked by exact type first (a set lookup, where the
# isinstance checks of a large parameter table are most of a fresh process's walk).
_EXACT_ATOMS = frozenset({type(None), bool, int, float, str, bytes})


def _immutable(value: Any, proven: dict[int, Any] | None = None) -> bool:
    """True if ``value`` cannot change in place (so its identity stands for its content).

    ``proven`` (one walk's) keeps the frozen dataclass instances found immutable, by id, so that
    one reached again (a schema's specs, in a tuple and in a dict by name) is not walked again.
    """
    cls: type = type(value)
    if cls in _EXACT_ATOMS:
        return True
    # The usual containers, tuple and frozenset, are no atom: the isinstance test is for the rest.
    if cls is not tuple and cls is not frozenset and isinstance(value, _ATOMS):
        return True
    if isinstance(value, tuple | frozenset):
        return all(type(item) in _EXACT_ATOMS or _immutable(item, proven) for item in value)
    names = _frozen_fields(cls)
    if names is None:
        return False
    if proven is not None and proven.get(id(value)) is value:
        return True
    for name in names:
        field = getattr(value, name)
        if type(field) not in _EXACT_ATOMS and not _immutable(field, proven):
            return False
    if proven is not None:
        proven[id(value)] = value  # kept alive with the walk: its id stays its own
    return True


@functools.cache
def _frozen_fields(cls: type) -> tuple[str, ...] | None:
    """The field names of a frozen dataclass (None if ``cls`` is not one), fixed with the class."""
    if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        return None
    return tuple(field.name for field in dataclasses.fields(cls))


def _snapshot(value: Any, proven: dict[int, Any] | None = None) -> _Check | None:
    """What a later call compares a mutable ``value`` with (None if it cannot change in place).

    Each check is exact: equal-but-different values (``1`` and ``1.0``, ``0.0`` and ``-0.0``)
    count as changes, which ``==`` against a copy would miss. ``proven``: see :func:`_immutable`.
    """
    if _immutable(value, proven):
        return None
    if _marshal_exact(value):  # marshal takes only core types (dict, list, str, float, ...)
        with contextlib.suppress(ValueError):
            return _Marshalled(marshal.dumps(value, _MARSHAL_VERSION))
    if isinstance(value, dict) and all(
        _immutable(k, proven) and _immutable(v, proven) for k, v in value.items()
    ):
        return _Members(tuple(value), tuple(value.values()))
    if isinstance(value, list) and all(_immutable(item, proven) for item in value):
        return _Members((), tuple(value))
    return _Digest(compute_params_hash(value))


_MARSHAL_VERSION = 2  # no back-references, whose use depends on reference counts
# The leaves whose marshal bytes say all there is to them. marshal writes any other object with a
# buffer (a NumPy array, a memoryview) as its raw bytes: a new dtype or shape over the same bytes
# (``a.view(np.int64)``, ``a.shape = (2, 2)``) would go unseen, so such values are hashed instead.
_MARSHAL_LEAVES = frozenset({str, int, float, bool, type(None), bytes, complex})


def _marshal_exact(value: Any) -> bool:
    """True if ``value`` is core containers of :data:`_MARSHAL_LEAVES` only (its marshal bytes
    then change whenever it does)."""
    kind = type(value)
    if kind in _MARSHAL_LEAVES:
        return True
    if kind is dict:
        return all(_marshal_exact(k) and _marshal_exact(v) for k, v in value.items())
    if kind in (list, tuple, set, frozenset):
        return all(_marshal_exact(item) for item in value)
    return False


@dataclasses.dataclass(frozen=True)
class _Marshalled:
    """Containers of core types: their marshal bytes (C speed, type-exact)."""

    data: bytes

    def holds(self, current: Any) -> bool:
        try:
            return marshal.dumps(current, _MARSHAL_VERSION) == self.data
        except ValueError:
            return False


@dataclasses.dataclass(frozen=True)
class _Members:
    """A dict or list of immutable objects (frozen dataclasses): the same keys and the same
    objects in the same order."""

    keys: tuple[Any, ...]
    values: tuple[Any, ...]

    def holds(self, current: Any) -> bool:
        values = current.values() if isinstance(current, dict) else current
        keys = current if isinstance(current, dict) else ()
        return (
            len(values) == len(self.values)
            and all(map(operator.is_, keys, self.keys))
            and all(map(operator.is_, values, self.values))
        )


@dataclasses.dataclass(frozen=True)
class _Digest:
    """Anything else (DataFrames, arrays, mutable dataclasses): its content hash."""

    digest: str

    def holds(self, current: Any) -> bool:
        try:
            return compute_params_hash(current) == self.digest
        except UnhashableArgumentError:
            return False


_Check = _Marshalled | _Members | _Digest


Memo = dict[int, tuple[Any, _Check | None, str]]  # id -> (value, snapshot, digest)


def _value_digest(
    value: Any, known: tuple[Any, _Check | None, str] | None, proven: dict[int, Any] | None = None
) -> tuple[str, _Check | None]:
    """The content hash of ``value`` and its snapshot, reusing ``known`` while it still holds
    (``proven``: see :func:`_immutable`)."""
    if known is not None and known[0] is value and (known[1] is None or known[1].holds(value)):
        return known[2], known[1]
    return VALUES.digest(value, compute_params_hash), _snapshot(value, proven)


# -- the walk ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Watch:
    """What a code version was computed from; ``unchanged()`` re-checks it in microseconds."""

    codes: list[tuple[types.FunctionType, types.CodeType]] = dataclasses.field(default_factory=list)
    bindings: list[tuple[Mapping[str, Any], str, Any]] = dataclasses.field(default_factory=list)
    cells: list[tuple[types.CellType, Any]] = dataclasses.field(default_factory=list)
    members: list[tuple[Mapping[str, Any], tuple[str, ...]]] = dataclasses.field(default_factory=list)
    constants: list[tuple[str, Any, _Check]] = dataclasses.field(default_factory=list)
    attributes: list[tuple[Any, str, Any]] = dataclasses.field(default_factory=list)

    grouped: list[_Bindings] | None = dataclasses.field(default=None, repr=False, compare=False)

    def unchanged(self) -> bool:
        if self.grouped is None:  # after the walk: the bindings of each namespace, read at once
            self.grouped = _grouped(self.bindings)
        return (
            all(func.__code__ is code for func, code in self.codes)
            and all(bindings.unchanged() for bindings in self.grouped)
            and all(getattr(obj, name, _MISSING) is value for obj, name, value in self.attributes)
            and all(_cell_contents(cell) is value for cell, value in self.cells)
            and all(tuple(space) == names for space, names in self.members)
            and all(snapshot.holds(value) for _, value, snapshot in self.constants)
        )


class _Closure:
    """Walks what a function reaches in project-local code and records a digest of each piece."""

    def __init__(self, roots: frozenset[str], memo: Memo, state: Mapping[int, Any]) -> None:
        self.roots = roots
        self.state = state
        self.parts: dict[str, str] = {}
        self.watch = _Watch()
        self.previous = memo
        self.values: Memo = {}
        self.seen: set[int] = set()
        self.module_names: dict[str, set[str]] = {}
        self.files: Files = {}
        self.proven: dict[int, Any] = {}  # frozen dataclass instances found immutable: see _immutable

    def is_local(self, module_name: str | None) -> bool:
        return bool(module_name) and _is_local(module_name, self.roots)

    def visit(self, obj: Any, names: frozenset[str] = frozenset()) -> None:
        wrapped = getattr(obj, "__wrapped__", None)
        if wrapped is not None and callable(obj) and not isinstance(obj, type):
            obj = wrapped
        if isinstance(obj, types.FunctionType):
            self.visit_function(obj)
        elif isinstance(obj, type):
            self.visit_class(obj)
        elif isinstance(obj, types.ModuleType):
            self.visit_module(obj, names)

    def visit_function(self, func: types.FunctionType) -> None:
        if not self.is_local(func.__module__) or id(func) in self.seen:
            return
        self.seen.add(id(func))
        self.watch.codes.append((func, func.__code__))
        label = f"function {func.__module__}.{func.__qualname__}"
        self.parts[label] = _function_digest(func, self.files)
        names = frozenset(_names(func.__code__))
        namespace = func.__globals__
        for name in sorted(names):  # a later global may shadow a builtin: watch absent names too
            value = namespace.get(name, _MISSING)
            self.watch.bindings.append((namespace, name, value))
            if value is not _MISSING:
                self.visit_value(f"{func.__module__}.{name}", value, names)
        for name, cell in zip(func.__code__.co_freevars, func.__closure__ or (), strict=True):
            value = _cell_contents(cell)
            self.watch.cells.append((cell, value))
            if value is not _MISSING:
                self.visit_value(f"{label} closure {name}", value, names)
        self.visit_imports(func, names)

    def visit_imports(self, func: types.FunctionType, names: frozenset[str]) -> None:
        """What a function imports inside its body (``from banksim.x import helper``, done on
        use to keep imports light) counts as if it were a global it reads."""
        package = func.__globals__.get("__package__") or func.__module__
        for level, name, members in _imports(func.__code__):
            try:
                absolute = importlib.util.resolve_name("." * level + name, package) if level else name
                if not self.is_local(absolute):
                    continue
                module = sys.modules.get(absolute) or importlib.import_module(absolute)  # as the call will
            except (ImportError, ValueError):
                continue  # the call itself will say what is wrong
            if members is None:
                self.visit_module(module, names)
                continue
            namespace = vars(module)
            for member in members:
                value = namespace.get(member, _MISSING)
                self.watch.bindings.append((namespace, member, value))
                if value is not _MISSING:
                    self.visit_value(f"{absolute}.{member}", value, names)

    def visit_value(self, label: str, value: Any, names: frozenset[str] = frozenset()) -> None:
        if isinstance(value, types.FunctionType | types.ModuleType | type) or hasattr(value, "__wrapped__"):
            self.visit(value, names)
        elif isinstance(value, functools.partial):
            self.visit_partial(label, value, names)
        elif self.is_local(type(value).__module__) and not isinstance(value, enum.Enum):
            self.visit_instance(label, value, names)
        elif callable(value):
            return  # library code (builtins, numpy): its version is stored with every payload
        elif not self.visit_constant(label, value):
            # Loggers, locks, compiled patterns: no content hash, but never silently left out.
            kind = _qualname(type(value))
            self.parts[f"unhashable {label}"] = kind
            if kind not in _REPORTED_UNHASHABLE:
                _REPORTED_UNHASHABLE.add(kind)
                LOGGER.debug("code version: %s (a %s) counts by its type only, not its content", label, kind)

    def visit_constant(self, label: str, value: Any) -> bool:
        """Record the content hash of ``value`` (watched if mutable); False if it has none."""
        if id(value) in self.state:  # written by the function itself: not an input
            self.parts[f"state {label}"] = ""
            return True
        if id(value) not in self.values:  # checked once per walk, however often it is used
            try:
                digest, snapshot = _value_digest(value, self.previous.get(id(value)), self.proven)
            except UnhashableArgumentError:
                return False
            self.values[id(value)] = (value, snapshot, digest)
            if snapshot is not None:
                self.watch.constants.append((label, value, snapshot))
        self.parts[f"value {label}"] = self.values[id(value)][2]
        return True

    def visit_members(
        self, label: str, members: dict[str, Any] | tuple[Any, ...], names: frozenset[str]
    ) -> None:
        """Data held by a partial or an instance: one constant if it has a content hash, else
        (it holds code or other instances) each member on its own, the dict's keys watched."""
        if self.visit_constant(label, members):
            return
        if isinstance(members, tuple):
            for index, item in enumerate(members):
                self.visit_value(f"{label}[{index}]", item, names)
            return
        self.watch.members.append((members, tuple(members)))
        for key, item in members.items():
            self.watch.bindings.append((members, key, item))
            self.visit_value(f"{label}[{key!r}]", item, names)

    def visit_partial(self, label: str, partial: functools.partial[Any], names: frozenset[str]) -> None:
        """``functools.partial(f, *args, **keywords)``: ``f``, and its arguments as constants."""
        self.parts[f"partial {label}"] = _qualname(type(partial))
        for name in ("func", "args", "keywords"):  # __setstate__ can replace them
            self.watch.attributes.append((partial, name, getattr(partial, name)))
        self.visit_value(f"{label}.func", partial.func, names)
        self.visit_members(f"{label}.args", partial.args, names)
        self.visit_members(f"{label}.keywords", partial.keywords, names)

    def visit_instance(self, label: str, obj: Any, names: frozenset[str]) -> None:
        """An instance of a project-local class: its class, and its attributes as constants."""
        cls = type(obj)
        self.visit_class(cls)
        self.parts[f"instance {label}"] = _qualname(cls)
        if id(obj) in self.seen:  # a cycle, or an object reached twice: its attributes count once
            return
        self.seen.add(id(obj))
        attributes = getattr(obj, "__dict__", _MISSING)
        self.watch.attributes.append((obj, "__dict__", attributes))
        if isinstance(attributes, dict):
            self.visit_members(f"{label}.__dict__", attributes, names)
        for name in _slot_names(cls):
            value = getattr(obj, name, _MISSING)
            self.watch.attributes.append((obj, name, value))
            if value is not _MISSING:
                self.visit_value(f"{label}.{name}", value, names)

    def visit_class(self, cls: type) -> None:
        if not self.is_local(cls.__module__) or id(cls) in self.seen:
            return
        self.seen.add(id(cls))
        self.parts[f"class {cls.__module__}.{cls.__qualname__}"] = _class_digest(cls, self.files)
        self.watch.members.append((cls.__dict__, tuple(cls.__dict__)))
        defined_in_file = bool(getattr(sys.modules.get(cls.__module__), "__file__", None))
        for name, member in vars(cls).items():
            self.watch.bindings.append((cls.__dict__, name, member))
            target = member.__func__ if isinstance(member, classmethod | staticmethod) else member
            with contextlib.suppress(ValueError):  # a cycle of __wrapped__
                target = inspect.unwrap(target)
            if not isinstance(target, types.FunctionType):
                continue
            if defined_in_file and target.__code__.co_filename.startswith("<"):
                continue  # generated from the class body (dataclass __init__, __repr__): its source counts
            self.visit_function(target)

    def visit_module(self, module: types.ModuleType, names: frozenset[str]) -> None:
        """A module used as a namespace (``rules.weigh``): its source, and the members named in
        the code that uses it."""
        if not self.is_local(module.__name__):
            return
        label = f"module {module.__name__}"
        if label not in self.parts:
            files = _module_files(module)
            self.parts[label] = "\n".join(f"{p.name}:{_file_digest(p)}" for p in files)
        done = self.module_names.setdefault(module.__name__, set())
        namespace = vars(module)
        for name in sorted(names - done):
            done.add(name)
            value = namespace.get(name, _MISSING)
            self.watch.bindings.append((namespace, name, value))
            if value is not _MISSING:
                self.visit_value(f"{module.__name__}.{name}", value, names)


def _slot_names(cls: type) -> list[str]:
    """The attribute names of the ``__slots__`` of ``cls`` and its bases (private names mangled)."""
    found: list[str] = []
    for klass in cls.__mro__:
        slots = vars(klass).get("__slots__", ())
        for slot in [slots] if isinstance(slots, str) else slots:
            if slot in ("__dict__", "__weakref__"):
                continue
            if slot.startswith("__") and not slot.endswith("__"):
                slot = f"_{klass.__name__.lstrip('_')}{slot}"
            if slot not in found:
                found.append(slot)
    return found


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _grouped(bindings: list[tuple[Mapping[str, Any], str, Any]]) -> list[_Bindings]:
    """The bindings by namespace, each checked at once."""
    spaces: dict[int, tuple[Mapping[str, Any], list[str], list[Any]]] = {}
    for space, name, value in bindings:
        _, names, values = spaces.setdefault(id(space), (space, [], []))
        names.append(name)
        values.append(value)
    return [_Bindings(space, names, values) for space, names, values in spaces.values()]


class _Bindings:
    """Names of one namespace and what they were bound to (:data:`_MISSING`: not bound)."""

    def __init__(self, space: Mapping[str, Any], names: list[str], values: list[Any]) -> None:
        self.space = space
        bound = [(name, value) for name, value in zip(names, values, strict=True) if value is not _MISSING]
        self.absent = frozenset(name for name, value in zip(names, values, strict=True) if value is _MISSING)
        self.values = tuple(value for _, value in bound)
        # the first name read again at the end: the getter returns a tuple even for one name
        self.read = operator.itemgetter(*(name for name, _ in bound), bound[0][0]) if bound else None

    def unchanged(self) -> bool:
        if not self.space.keys().isdisjoint(self.absent):
            return False
        if self.read is None:
            return True
        try:
            now = self.read(self.space)
        except KeyError:  # a name unbound since
            return False
        return all(map(operator.is_, now, self.values))


def _cell_contents(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return _MISSING


def _module_files(module: types.ModuleType) -> list[Path]:
    file = getattr(module, "__file__", None)
    if not file:
        return []
    path = Path(file)
    if path.name == "__init__.py":
        return sorted(path.parent.rglob("*.py"))
    return [path]


@dataclasses.dataclass(frozen=True)
class _State:
    version: str
    watch: _Watch
    values: Memo


def _walk(
    func: Callable[..., Any],
    version: str | None,
    memo: Memo | None = None,
    state: Mapping[int, Any] | None = None,
) -> _State:
    module = getattr(func, "__module__", "") or ""
    closure = _Closure(frozenset({"banksim", module.split(".")[0]}), memo or {}, state or {})
    closure.visit(func)
    MEMO.flush()
    VALUES.flush()
    sink = hashlib.sha256(CODE_SCHEME.encode())
    sink.update(f"version={version!r}".encode())
    for label in sorted(closure.parts):
        sink.update(label.encode() + b"\x00" + closure.parts[label].encode() + b"\x00")
    return _State(sink.hexdigest(), closure.watch, closure.values)


def code_version(func: Callable[..., Any], version: str | None = None) -> str:
    """Return the code version of ``func``: 64 hex characters of SHA-256.

    Parameters
    ----------
    func : callable
        The function whose results are cached.
    version : str, optional
        An explicit version; changing it changes the code version.

    Notes
    -----
    Local code is ``banksim`` and the top-level package of ``func``'s module (for a notebook,
    ``__main__``). Library code (pandas, numpy) is not hashed; the library versions are recorded
    with every stored payload instead.
    """
    return _walk(func, version).version


class CodeVersion:
    """The code version of one function, kept current in a live process.

    :meth:`current` returns the version computed last time unless something it was computed from
    changed since: a function's code object (redefined in a notebook cell, reloaded, patched), a
    name a function reads (a helper or constant rebound), a closure cell, a class's members, or
    the content of a mutable constant (a parameter table edited in place, an attribute of a
    local instance or a partial's argument). Then it walks again. A value with no content hash
    (a lock, a logger) counts by its type's name only (logged once at DEBUG).

    A mutable global that the function's own run changes (a call log, a memo dict) is state it
    writes, not an input: :meth:`settle`, called after each run, leaves it out from then on.

    Parameters
    ----------
    func : callable
        The function whose results are cached.
    version : str, optional
        An explicit version, as in :func:`code_version`.
    """

    def __init__(self, func: Callable[..., Any], version: str | None = None) -> None:
        self.func = func
        self.version = version
        self._state: _State | None = None
        self._written: dict[int, Any] = {}  # id -> value (kept alive so that the id stays its own)

    def current(self) -> str:
        """The code version now: 64 hex characters of SHA-256."""
        state = self._state
        with contextlib.suppress(RuntimeError):  # a dict resized by another thread mid-check
            if state is not None and state.watch.unchanged():
                return state.version
        # Constants that did not change keep their digests from the last walk. Two threads may
        # walk at once: both get the same answer, and no lock can be left held across a fork.
        state = self._state = _walk(self.func, self.version, state.values if state else None, self._written)
        return state.version

    def settle(self) -> list[str]:
        """After a run of the function: leave out the globals the run itself changed in place.

        Returns
        -------
        list of str
            The names of those globals (empty if none; then the version did not change).
        """
        state = self._state
        if state is None:
            return []
        changed = [
            (label, value) for label, value, snapshot in state.watch.constants if not snapshot.holds(value)
        ]
        if changed:
            self._written.update((id(value), value) for _, value in changed)
            self._state = _walk(self.func, self.version, state.values, self._written)
        return [label for label, _ in changed]


@functools.lru_cache(maxsize=4096)
def _is_local(module_name: str, roots: frozenset[str]) -> bool:
    """True if ``module_name`` is in one of ``roots`` and not the caching machinery (the store
    package's modules included)."""
    return not _within(module_name, INFRASTRUCTURE) and _within(module_name, roots)


def _within(module_name: str, packages: frozenset[str]) -> bool:
    """True if ``module_name`` is one of ``packages`` or inside one of them."""
    return any(module_name == package or module_name.startswith(package + ".") for package in packages)

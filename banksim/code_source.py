"""Normalized sources for code versions, and the memos that share them across processes.

A function's or class's source is normalized (comments, docstrings and layout do not count) and
checked against the bytecode it runs; :class:`SourceMemo` keeps the results by file content, and
:class:`ValueMemo` the content hashes of the constants the code reads, by their exact content.
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import dataclasses
import enum
import hashlib
import inspect
import io
import json
import linecache
import os
import pickle
import sys
import textwrap
import time
import types
import uuid
from pathlib import Path
from typing import Any

__all__ = [
    "CODE_SCHEME",
    "MEMO",
    "MEMO_MAX_AGE_DAYS",
    "VALUES",
    "SourceMemo",
    "ValueMemo",
    "normalized_source",
]

CODE_SCHEME = "banksim-code-v2"


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _normalize(text: str) -> str:
    return ast.dump(_strip_docstrings(ast.parse(textwrap.dedent(text))), include_attributes=False)


def normalized_source(obj: Any) -> str:
    """Return the AST dump of ``obj``'s source without docstrings, comments or layout.

    Functions whose source is not available (built in a REPL without history) fall back to their
    bytecode and constants; so do functions whose source file no longer matches the running code
    (edited on disk but not reloaded, or ``exec``'d under the file's name), with the source too.
    A function or class defined in a file is looked up first in the cross-process memo, by the
    digest of the file's text (see :class:`SourceMemo`).
    """
    return _normalized_source_in(obj, None)


def _normalized_source_in(obj: Any, files: dict[str, tuple[str, str] | None] | None) -> str:
    """:func:`normalized_source`; ``files`` (one walk's, else None) keeps the address of each file
    looked at (see :func:`_memo_address`) for the rest of the walk."""
    address = _memo_address(obj, files)
    if address is None:
        return _normalized_source(obj)[0]
    text_digest, entry = address
    code = getattr(obj, "__code__", None)
    running = hashlib.sha256(code.co_code).hexdigest() if code is not None else ""
    remembered = MEMO.get(text_digest, entry)
    if remembered is not None and remembered[0] == running:
        return str(remembered[1])
    normalized, from_file = _normalized_source(obj)
    if from_file:  # the file's text alone decided it: any process reading that text agrees
        MEMO.put(text_digest, entry, [running, normalized])
    return normalized


def _normalized_source(obj: Any) -> tuple[str, bool]:
    """The normalized source of ``obj`` and whether it is the file's text alone (the running
    bytecode, if any, is what the file compiles to)."""
    code = getattr(obj, "__code__", None)
    try:
        normalized = _normalize(inspect.getsource(obj))
    except (OSError, TypeError, SyntaxError, IndentationError):
        if code is None:
            return f"<no source: {getattr(obj, '__qualname__', type(obj).__qualname__)}>", False
        return _bytecode(code), False
    if code is not None and not _matches_source_file(obj, code):
        return normalized + _bytecode(code), False
    return normalized, True


def _bytecode(code: types.CodeType) -> str:
    return f"<bytecode {code.co_code.hex()} {_code_constants(code)!r}>"


# (file, source digest) -> {(name, first line): bytecode} of every code object the file compiles to
_COMPILED: dict[tuple[str, str], dict[tuple[str, int], bytes]] = {}


def _matches_source_file(func: Any, code: types.CodeType) -> bool:
    """True if the source ``inspect`` reads for ``func`` compiles to the bytecode it runs.

    The whole file is compiled (once per content): a function compiled alone can differ (3.11
    compiles ``np.f()`` differently when it cannot see that ``np`` is an import).
    """
    try:
        file = inspect.getsourcefile(func) or inspect.getfile(func)
    except TypeError:
        return False
    text = "".join(linecache.getlines(file, getattr(func, "__globals__", None)))
    memo_key = (file, hashlib.sha256(text.encode()).hexdigest())
    if memo_key not in _COMPILED:
        try:
            compiled = compile(text, file, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
        index: dict[tuple[str, int], bytes] = {}
        pending = [compiled]
        while pending:
            candidate = pending.pop()
            index[(candidate.co_name, candidate.co_firstlineno)] = candidate.co_code
            pending.extend(c for c in candidate.co_consts if isinstance(c, types.CodeType))
        _COMPILED[memo_key] = index
    return _COMPILED[memo_key].get((code.co_name, code.co_firstlineno)) == code.co_code


def _code_constants(code: types.CodeType) -> tuple[Any, ...]:
    return tuple(
        _code_constants(const) if isinstance(const, types.CodeType) else const for const in code.co_consts
    )


# -- the memo across processes ------------------------------------------------------------------


def _memo_address(obj: Any, files: dict[str, tuple[str, str] | None] | None = None) -> tuple[str, str] | None:
    """Where ``obj``'s normalized source sits in the memo: (digest of the text of the file
    ``inspect`` reads its source from, entry), or None unless that is a file on disk.

    The entry names what ``inspect`` locates in that text: a class by its qualified name, a
    function by its code object's name and first line (what :func:`_matches_source_file` looks
    up in the compiled file). ``files`` (one walk's) keeps each file's (path, text digest) by the
    name ``inspect.getfile`` gives, so that the functions and classes of a module after the first
    cost no more checks of the file in that walk (a walk reads a file's text once, as of its start).
    """
    if getattr(obj, "__wrapped__", None) is not None:
        return None
    code = getattr(obj, "__code__", None)
    if isinstance(obj, type):
        entry = f"class {obj.__qualname__}"
    elif isinstance(obj, types.FunctionType) and isinstance(code, types.CodeType):
        entry = f"function {code.co_name} {code.co_firstlineno}"
    else:
        return None
    try:
        name = inspect.getfile(obj)
    except TypeError:
        return None
    if files is not None and name in files:
        found = files[name]
        return None if found is None else (found[1], entry)
    found = _text_digest(obj)
    if files is not None:
        files[name] = found
    return None if found is None else (found[1], entry)


def _text_digest(obj: Any) -> tuple[str, str] | None:
    """(The file ``inspect`` reads ``obj``'s source from, the digest of its text now), or None
    unless that is a file on disk with text."""
    try:
        file = inspect.getsourcefile(obj)
    except TypeError:
        return None
    if not file or not os.path.isfile(file):
        return None
    if file not in linecache.cache:  # inspect would read the file from disk: its bytes may do
        digest = _disk_text_digest(file)
        if digest is not None:
            return file, digest
    linecache.checkcache(file)  # as inspect.getsource does: a file changed on disk is read again
    lines = linecache.getlines(file)
    if not lines:
        return None
    known = _TEXT_DIGESTS.get(file)
    if known is None or known[0] is not lines:  # linecache keeps one list per unchanged file
        known = _TEXT_DIGESTS[file] = (lines, hashlib.sha256("".join(lines).encode()).hexdigest())
    return file, known[1]


_TEXT_DIGESTS: dict[str, tuple[list[str], str]] = {}  # file -> (linecache's lines, their digest)


def _disk_text_digest(file: str) -> str | None:
    """The digest of the text ``linecache`` would read from ``file``, from the file's bytes: the
    same digest when the text is UTF-8 without a byte-order mark or a coding declaration, without
    carriage returns (which reading text translates) and ends with a newline (which ``linecache``
    adds), as nearly every source file is; None otherwise (then the caller reads the text through
    ``linecache``).

    Reading the text through ``linecache`` (``tokenize.open``, then a line list) costs several
    times as much, and nothing on a memo hit reads those lines.
    """
    try:
        with open(file, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    second_line_end = data.find(b"\n", data.find(b"\n") + 1)
    head = data if second_line_end < 0 else data[:second_line_end]
    if (
        not data.endswith(b"\n")  # linecache ends the last line with one
        or b"\r" in data
        or data.startswith(codecs.BOM_UTF8)
        or b"coding" in head
    ):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:  # linecache reads no lines: the caller finds that out itself
        return None
    return hashlib.sha256(data).hexdigest()


class SourceMemo:
    """Normalized sources shared by every process, keyed by the exact text they come from.

    One JSON file per source text, named by the SHA-256 of the text and of everything else the
    entries depend on: this module's own source (the normalizer), the code-version scheme and the
    Python version (its ``ast`` and bytecode). An entry is therefore a function of its key alone,
    and a key can never name a stale entry: an edited file is another text, another file here.
    Functions also keep the digest of the bytecode their file compiles to, and a memo entry is
    used only if the running code object has that bytecode (else the full check runs).

    The folder is ``BANKSIM_CODE_CACHE`` (``off`` turns the memo off), by default
    ``$XDG_CACHE_HOME/banksim/code`` (``~/.cache/banksim/code``). Files are written whole
    (temporary file, then rename); an unreadable or foreign file counts as empty.
    """

    def __init__(self) -> None:
        self._loaded: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        self._scheme: str | None = None
        self._folders: dict[tuple[str | None, ...], Path | None] = {}

    def folder(self) -> Path | None:
        """The memo's folder as the environment names it now (None: no memo)."""
        environment = tuple(os.environ.get(name) for name in _FOLDER_SETTINGS)
        known = self._folders.get(environment, _UNKNOWN)  # asked once per constant a walk reads
        if known is _UNKNOWN:
            known = self._folders[environment] = _memo_folder()
        return known  # type: ignore[return-value]

    def scheme(self) -> str:
        if self._scheme is None:
            own_source = Path(__file__).read_bytes()
            parts = [MEMO_SCHEME, CODE_SCHEME, sys.version, str(sys.implementation.cache_tag)]
            self._scheme = hashlib.sha256("\x00".join(parts).encode() + own_source).hexdigest()
        return self._scheme

    def _path(self, folder: Path, text_digest: str) -> Path:
        return folder / f"{text_digest}-{self.scheme()[:32]}.json"

    def entries(self, text_digest: str) -> dict[str, Any]:
        entries = self._loaded.get(text_digest)
        if entries is None:
            entries = self._loaded[text_digest] = self._read(text_digest)
        return entries

    def _read(self, text_digest: str) -> dict[str, Any]:
        folder = self.folder()
        if folder is None:
            return {}
        try:
            stored = json.loads(self._path(folder, text_digest).read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(stored, dict) or stored.get("key") != [self.scheme(), text_digest]:
            return {}
        entries = stored.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, text_digest: str, entry: str) -> list[Any] | None:
        """The remembered ``[bytecode digest or "", normalized source]`` of ``entry``, or None."""
        value = self.entries(text_digest).get(entry)
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
            return value
        return None

    def put(self, text_digest: str, entry: str, value: list[str]) -> None:
        self.entries(text_digest)[entry] = value
        self._dirty.add(text_digest)

    def flush(self) -> None:
        """Write the texts that gained entries (nothing if the folder cannot be written), and
        remove files not written for MEMO_MAX_AGE_DAYS (old versions of edited files)."""
        folder = self.folder()
        if folder is not None and self._dirty:
            self._prune(folder)
        while self._dirty:
            try:
                text_digest = self._dirty.pop()
            except KeyError:  # another thread took the last one
                return
            if folder is None:
                continue
            stored = {"key": [self.scheme(), text_digest], "entries": self.entries(text_digest)}
            path = self._path(folder, text_digest)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
            try:
                folder.mkdir(parents=True, exist_ok=True)
                temporary.write_text(json.dumps(stored, sort_keys=True), "utf-8")
                os.replace(temporary, path)
            except (OSError, RuntimeError):  # a read-only home, a full disk: the memo is an optimisation
                with contextlib.suppress(OSError):
                    temporary.unlink()

    def _prune(self, folder: Path) -> None:
        cutoff = time.time() - MEMO_MAX_AGE_DAYS * 86400
        with contextlib.suppress(OSError):
            for path in folder.glob("*.json"):
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < cutoff:
                        path.unlink()


# What decides the folder: a setting read on every use (tests and notebooks change it).
_FOLDER_SETTINGS = ("BANKSIM_CODE_CACHE", "XDG_CACHE_HOME", "HOME", "USERPROFILE", "HOMEDRIVE", "HOMEPATH")
_UNKNOWN = object()


def _memo_folder() -> Path | None:
    setting = os.environ.get("BANKSIM_CODE_CACHE", "").strip()
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting).expanduser()
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "banksim" / "code"
    return default if default.is_absolute() else None  # no home folder: no memo, not ./~/.cache


MEMO_SCHEME = "banksim-code-memo-v1"
MEMO_MAX_AGE_DAYS = 30
MEMO = SourceMemo()


# -- the content hashes of constants ---------------------------------------------------------------


class _Unfaithful(Exception):
    """A value whose pickle may not hold everything its content hash reads."""


_OWN_REDUCTION = ("__reduce__", "__reduce_ex__", "__getstate__", "__getnewargs__", "__getnewargs_ex__")


def _default_pickling(cls: type) -> bool:
    """True if no class in ``cls``'s MRO but ``object`` defines how its instances pickle."""
    known = _DEFAULT_PICKLING.get(cls)
    if known is None:
        known = _DEFAULT_PICKLING[cls] = all(
            name not in vars(klass) for klass in cls.__mro__[:-1] for name in _OWN_REDUCTION
        )
    return known


_DEFAULT_PICKLING: dict[type, bool] = {}  # fixed when a class is made


class _ContentPickler(pickle.Pickler):
    """Pickles a constant as its exact content, or raises :class:`_Unfaithful`.

    Core types (str, int, float, bool, None, bytes, tuple, list, dict, set) pickle exactly, type
    for type and bit for bit (floats as their 8 bytes, dicts in order). Beyond those only
    dataclass instances and enum members with the default pickling (their class by qualified
    name, every attribute) are let through: anything else (arrays, frames, objects with their own
    ``__reduce__``) may leave out what its content hash reads.
    """

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, type | types.FunctionType | types.BuiltinFunctionType):
            return NotImplemented  # by qualified name: a dataclass's class (a content hash has no other)
        cls = type(obj)
        if (isinstance(obj, enum.Enum) or dataclasses.is_dataclass(obj)) and _default_pickling(cls):
            return NotImplemented
        raise _Unfaithful(cls.__qualname__)


class ValueMemo:
    """The content hashes of constants, shared by every process, keyed by their exact content.

    A code version hashes the constants its code reads (parameter tables, column schemas): in a
    fresh process that is most of its cost. Here the hash of a constant is remembered under the
    SHA-256 of its pickle (written, never read back: nothing is unpickled) made by
    :class:`_ContentPickler`, which holds every bit the hash reads; so equal keys mean equal
    content and the same hash. The file is named by what the hashes depend on (the key scheme and
    the source of ``banksim.hashing``, the Python version): editing the hashing starts a new one.
    A value the pickler refuses is hashed every time. Same folder, writing and pruning as
    :class:`SourceMemo`; an unreadable or foreign file counts as empty.
    """

    def __init__(self) -> None:
        self._entries: dict[str, str] | None = None
        self._dirty = False
        self._scheme: str | None = None

    def scheme(self) -> str:
        if self._scheme is None:
            from banksim import hashing

            hashing_source = Path(hashing.__file__).read_bytes()
            parts = [VALUE_MEMO_SCHEME, hashing.KEY_SCHEME, sys.version, str(pickle.HIGHEST_PROTOCOL)]
            self._scheme = hashlib.sha256("\x00".join(parts).encode() + hashing_source).hexdigest()
        return self._scheme

    def _path(self, folder: Path) -> Path:
        return folder / f"values-{self.scheme()[:32]}.json"

    def _loaded(self) -> dict[str, str]:
        if self._entries is None:
            self._entries = {}
            folder = MEMO.folder()
            if folder is not None:
                with contextlib.suppress(OSError, ValueError):
                    stored = json.loads(self._path(folder).read_bytes())
                    if isinstance(stored, dict) and stored.get("key") == self.scheme():
                        entries = stored.get("entries")
                        if isinstance(entries, dict):
                            self._entries = {k: v for k, v in entries.items() if isinstance(v, str)}
        return self._entries

    @staticmethod
    def content_key(value: Any) -> str | None:
        """The SHA-256 of ``value``'s exact content, or None if it has none here."""
        sink = io.BytesIO()
        try:
            _ContentPickler(sink, protocol=5).dump(value)
        except (_Unfaithful, pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
            return None
        return hashlib.sha256(sink.getbuffer()).hexdigest()

    def digest(self, value: Any, compute: Any) -> str:
        """The content hash of ``value``: remembered, or ``compute(value)`` (then remembered)."""
        key = self.content_key(value) if MEMO.folder() is not None else None
        if key is None:
            return str(compute(value))
        entries = self._loaded()
        known = entries.get(key)
        if known is None:
            known = entries[key] = str(compute(value))
            self._dirty = True
        return known

    def flush(self) -> None:
        """Write the hashes if any were added (nothing if the folder cannot be written)."""
        folder = MEMO.folder()
        if not self._dirty or folder is None or self._entries is None:
            return
        self._dirty = False
        if len(self._entries) > VALUE_MEMO_MAX_ENTRIES:  # old contents of edited constants
            self._entries = dict(list(self._entries.items())[-VALUE_MEMO_MAX_ENTRIES // 2 :])
        path = self._path(folder)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps({"key": self.scheme(), "entries": self._entries}), "utf-8")
            os.replace(temporary, path)
        except (OSError, RuntimeError):  # the memo is an optimisation
            with contextlib.suppress(OSError):
                temporary.unlink()


VALUE_MEMO_SCHEME = "banksim-value-memo-v1"
VALUE_MEMO_MAX_ENTRIES = 20_000
VALUES = ValueMemo()

"""Code versions for cache keys: a hash of what a function's result depends on in our code.

The version covers the function's normalized source (comments, docstrings and formatting do not
count), and, transitively, the project-local functions, classes, modules and constants it uses.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import inspect
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from banksim.errors import UnhashableArgumentError
from banksim.hashing import compute_params_hash

__all__ = ["code_version", "normalized_source"]

CODE_SCHEME = "banksim-code-v1"
# The caching machinery itself does not shape any result: editing it must not invalidate entries.
INFRASTRUCTURE = frozenset(
    {
        "banksim.cache",
        "banksim.cli",
        "banksim.code_version",
        "banksim.errors",
        "banksim.hashing",
        "banksim.models",
        "banksim.payloads",
        "banksim.settings",
        "banksim.store",
    }
)


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

    Functions whose source is not available (built in a REPL without history) fall back to
    their bytecode and constants.
    """
    try:
        return _normalize(inspect.getsource(obj))
    except (OSError, TypeError, SyntaxError, IndentationError):
        code = getattr(obj, "__code__", None)
        if code is None:
            return f"<no source: {getattr(obj, '__qualname__', type(obj).__qualname__)}>"
        return f"<bytecode {code.co_code.hex()} {_code_constants(code)!r}>"


def _code_constants(code: types.CodeType) -> tuple[Any, ...]:
    return tuple(
        _code_constants(const) if isinstance(const, types.CodeType) else const for const in code.co_consts
    )


def _names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


class _Closure:
    """Walks what a function reaches in project-local code and records a digest of each piece."""

    def __init__(self, roots: set[str]) -> None:
        self.roots = roots
        self.parts: dict[str, str] = {}

    def is_local(self, module_name: str | None) -> bool:
        if not module_name or module_name in INFRASTRUCTURE:
            return False
        return any(module_name == root or module_name.startswith(root + ".") for root in self.roots)

    def visit(self, obj: Any) -> None:
        wrapped = getattr(obj, "__wrapped__", None)
        if wrapped is not None and callable(obj) and not isinstance(obj, type):
            obj = wrapped
        if isinstance(obj, types.FunctionType):
            self.visit_function(obj)
        elif isinstance(obj, type):
            self.visit_class(obj)
        elif isinstance(obj, types.ModuleType):
            self.visit_module(obj)

    def visit_function(self, func: types.FunctionType) -> None:
        label = f"function {func.__module__}.{func.__qualname__}"
        if label in self.parts or not self.is_local(func.__module__):
            return
        self.parts[label] = normalized_source(func)
        for name in dict.fromkeys(_names(func.__code__)):
            if name in func.__globals__:
                self.visit_value(f"{func.__module__}.{name}", func.__globals__[name])
        for name, cell in zip(func.__code__.co_freevars, func.__closure__ or (), strict=True):
            if _filled(cell):
                self.visit_value(f"{label} closure {name}", cell.cell_contents)

    def visit_value(self, label: str, value: Any) -> None:
        if isinstance(value, types.FunctionType | types.ModuleType | type) or hasattr(value, "__wrapped__"):
            self.visit(value)
            return
        if callable(value):
            return
        # Loggers, locks, compiled patterns cannot be hashed: they are not data a result uses.
        with contextlib.suppress(UnhashableArgumentError):
            self.parts[f"value {label}"] = compute_params_hash(value)

    def visit_class(self, cls: type) -> None:
        label = f"class {cls.__module__}.{cls.__qualname__}"
        if label in self.parts or not self.is_local(cls.__module__):
            return
        self.parts[label] = normalized_source(cls)
        for member in vars(cls).values():
            target = member.__func__ if isinstance(member, classmethod | staticmethod) else member
            if isinstance(target, types.FunctionType):
                self.visit_function(target)

    def visit_module(self, module: types.ModuleType) -> None:
        label = f"module {module.__name__}"
        if label in self.parts or not self.is_local(module.__name__):
            return
        files = _module_files(module)
        self.parts[label] = "\n".join(f"{p.name}:{_normalize(p.read_text('utf-8'))}" for p in files)
        prefix = module.__name__ + "."
        members = [module, *(m for name, m in list(sys.modules.items()) if name.startswith(prefix) and m)]
        for member_module in members:
            for value in list(vars(member_module).values()):
                owner = (
                    getattr(value, "__module__", None)
                    if not isinstance(value, types.ModuleType)
                    else value.__name__
                )
                if owner != member_module.__name__ and isinstance(
                    value, types.FunctionType | type | types.ModuleType
                ):
                    self.visit(value)


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - probing an empty cell raises
    except ValueError:
        return False
    return True


def _module_files(module: types.ModuleType) -> list[Path]:
    file = getattr(module, "__file__", None)
    if not file:
        return []
    path = Path(file)
    if path.name == "__init__.py":
        return sorted(path.parent.rglob("*.py"))
    return [path]


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
    module = getattr(func, "__module__", "") or ""
    closure = _Closure({"banksim", module.split(".")[0]})
    closure.visit(func)
    sink = hashlib.sha256(CODE_SCHEME.encode())
    sink.update(f"version={version!r}".encode())
    for label in sorted(closure.parts):
        sink.update(label.encode() + b"\x00" + closure.parts[label].encode() + b"\x00")
    return sink.hexdigest()

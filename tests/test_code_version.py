"""Code versions: every edit, redefinition or reload turns a hit into a miss.

Most edits here happen in the running process, the way a notebook user works: patch a helper,
rebind or mutate a constant, re-run a cell, reload. The last tests edit files between processes
that share the code-version memo. More cross-process checks are in test_cache.py.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import linecache
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import banksim as bs
import banksim.code_source as code_source
import banksim.code_version as code_version_module
from banksim.code_version import CodeVersion, code_version
from banksim.hashing import compute_params_hash
from banksim.regulation.parameters import DEFAULT_PARAMETERS

RULES = """
    RISK_WEIGHT = 0.5
    TABLE = {"corporate": {"bbb": 1.0}}


    def weigh(x):
        return x * RISK_WEIGHT * TABLE["corporate"]["bbb"]
    """
SERVICE = """
    import pandas as pd

    import banksim as bs
    from {package} import rules

    LOG = []


    @bs.cached(kind="live")
    def compute(n: int) -> pd.DataFrame:
        return pd.DataFrame({{"rwa": [rules.weigh(float(i)) for i in range(n)]}})


    @bs.cached(kind="imports_on_use")
    def imports_on_use(n: int) -> pd.DataFrame:
        from {package}.rules import weigh  # imported on use, as banksim's services do

        return pd.DataFrame({{"rwa": [weigh(float(i)) for i in range(n)]}})


    @bs.cached(kind="imports_relative")
    def imports_relative(n: int) -> pd.DataFrame:
        from . import rules as imported

        return pd.DataFrame({{"rwa": [imported.weigh(float(i)) for i in range(n)]}})


    @bs.cached(kind="logged")
    def logged(n: int) -> pd.DataFrame:
        LOG.append(n)  # state the function writes, not an input
        return pd.DataFrame({{"n": [n]}})
    """


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[types.SimpleNamespace]:
    """A fresh package on sys.path (``rules`` and ``service``), imported, removed afterwards."""
    name = f"livepkg_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "rules.py").write_text(textwrap.dedent(RULES))
    (folder / "service.py").write_text(textwrap.dedent(SERVICE.format(package=name)))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # a rewritten file is read, not a .pyc
    importlib.invalidate_caches()
    rules = importlib.import_module(f"{name}.rules")
    service = importlib.import_module(f"{name}.service")
    yield types.SimpleNamespace(name=name, folder=folder, rules=rules, service=service)
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def total(function: Any, n: int = 3) -> tuple[float, bool]:
    frame, hit = function(n)
    return float(frame.iloc[:, 0].sum()), hit


def test_patching_a_helper_is_a_miss_and_patching_it_back_a_hit(
    sqlite_store: bs.Store, package: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    compute = package.service.compute
    assert total(compute) == (1.5, False)  # 0.5 * (0 + 1 + 2)
    assert total(compute) == (1.5, True)

    def weigh(x: float) -> float:
        return 2 * x

    monkeypatch.setattr(package.rules, "weigh", weigh)
    assert total(compute) == (6.0, False)
    assert total(compute) == (6.0, True)
    monkeypatch.undo()
    assert total(compute) == (1.5, True), "the original helper hits its old entry again"


@pytest.mark.parametrize("name", ["imports_on_use", "imports_relative"])
def test_a_helper_imported_inside_the_function_counts_like_a_global(
    sqlite_store: bs.Store, package: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """``from pkg.rules import weigh`` (or ``from . import rules``) in the function's body: patching
    the helper or a constant it reads is a miss, restoring it a hit."""
    function = getattr(package.service, name)
    assert total(function) == (1.5, False)
    monkeypatch.setattr(package.rules, "weigh", lambda x: 2 * x)
    assert total(function) == (6.0, False)
    monkeypatch.undo()
    assert total(function) == (1.5, True)
    monkeypatch.setattr(package.rules, "RISK_WEIGHT", 0.75)
    assert total(function) == (2.25, False)


def test_the_running_code_not_the_file_decides(
    sqlite_store: bs.Store, package: types.SimpleNamespace
) -> None:
    """New code exec'd under the module's file name, at the line of the old definition: the
    file still shows the old source, so only the bytecode can tell."""
    compute, rules = package.service.compute, package.rules
    assert total(compute) == (1.5, False)
    line = rules.weigh.__code__.co_firstlineno
    edited = "\n" * (line - 1) + 'def weigh(x):\n    return x * RISK_WEIGHT + TABLE["corporate"]["bbb"]\n'
    exec(compile(edited, rules.__file__, "exec"), vars(rules))
    assert rules.weigh.__code__.co_firstlineno == line  # same names and constants, + for *
    assert total(compute) == (4.5, False)  # 1.5 + 3 * 1.0


def test_rebinding_a_module_constant_is_a_miss(
    sqlite_store: bs.Store, package: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    compute = package.service.compute
    assert total(compute) == (1.5, False)
    monkeypatch.setattr(package.rules, "RISK_WEIGHT", 0.75)
    assert total(compute) == (2.25, False)
    monkeypatch.undo()
    assert total(compute) == (1.5, True)


def test_mutating_a_table_in_place_is_a_miss(sqlite_store: bs.Store, package: types.SimpleNamespace) -> None:
    compute, table = package.service.compute, package.rules.TABLE
    assert total(compute) == (1.5, False)
    table["corporate"]["bbb"] = 2.0  # the same dict object, one nested value changed
    assert total(compute) == (3.0, False)
    assert total(compute) == (3.0, True)
    table["corporate"]["bbb"] = 1.0
    assert total(compute) == (1.5, True)


def test_editing_the_regulatory_parameter_table_in_place_is_a_miss(sqlite_store: bs.Store) -> None:
    positions, _ = bs.run_simulation(300, 5)
    rwa, hit = bs.compute_rwa(positions)
    assert not hit and bs.compute_rwa(positions)[1]
    corporate = DEFAULT_PARAMETERS["sa"]["corporate"]
    original = corporate["bbb"]
    corporate["bbb"] = 1.5  # BBB corporates: 75% -> 150% (CRE20.42 table edited in place)
    try:
        edited, hit = bs.compute_rwa(positions)
        assert not hit
        assert edited["rwa"].sum() > rwa["rwa"].sum()
    finally:
        corporate["bbb"] = original
    again, hit = bs.compute_rwa(positions)
    assert hit
    assert again["rwa"].sum() == rwa["rwa"].sum()


def _run_cell(namespace: dict[str, Any], source: str) -> None:
    """Run a notebook cell the way IPython does: its source in linecache under a fresh name."""
    filename = f"<ipython-input-{uuid.uuid4().hex[:8]}>"
    source = textwrap.dedent(source)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)


HELPER_CELL = """
    def rate():
        return {rate}
    """
CACHED_CELL = """
    import pandas as pd

    import banksim as bs


    @bs.cached(kind="cell")
    def priced(n: int) -> pd.DataFrame:
        return pd.DataFrame({"x": [rate() * n]})
    """


def test_rerunning_a_notebook_cell_with_an_edit_is_a_miss(sqlite_store: bs.Store) -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    _run_cell(namespace, HELPER_CELL.format(rate=0.5))
    _run_cell(namespace, CACHED_CELL)
    priced = namespace["priced"]
    assert total(priced, 4) == (2.0, False)
    assert total(priced, 4) == (2.0, True)
    _run_cell(namespace, HELPER_CELL.format(rate=0.5))  # the same cell again: a new function object
    assert total(priced, 4) == (2.0, True), "re-running an unchanged cell must not invalidate"
    _run_cell(namespace, HELPER_CELL.format(rate=0.25))
    assert total(priced, 4) == (1.0, False)
    _run_cell(namespace, CACHED_CELL)  # the cached function's own cell re-run, unchanged
    assert total(namespace["priced"], 4) == (1.0, True)


def test_reloading_a_rewritten_module_is_a_miss(
    sqlite_store: bs.Store, package: types.SimpleNamespace
) -> None:
    compute, rules = package.service.compute, package.rules
    assert total(compute) == (1.5, False)
    importlib.reload(rules)  # unchanged file: new objects, same code and values
    assert total(compute) == (1.5, True)
    path = package.folder / "rules.py"
    path.write_text(path.read_text().replace("RISK_WEIGHT = 0.5", "RISK_WEIGHT = 0.25"))
    importlib.reload(rules)
    assert total(compute) == (0.75, False)
    assert total(compute) == (0.75, True)


def test_state_a_function_writes_is_not_an_input(
    sqlite_store: bs.Store, package: types.SimpleNamespace
) -> None:
    logged = package.service.logged
    assert total(logged, 7) == (7.0, False)
    assert total(logged, 7) == (7.0, True)
    assert package.service.LOG == [7]  # computed once
    assert total(logged, 8) == (8.0, False)
    assert total(logged, 7) == (7.0, True)


def test_an_unchanged_function_is_checked_without_walking_again(
    sqlite_store: bs.Store, package: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    compute = package.service.compute
    walks = []
    walk = code_version_module._walk
    monkeypatch.setattr(code_version_module, "_walk", lambda *a, **k: walks.append(1) or walk(*a, **k))
    total(compute)
    for _ in range(5):
        assert total(compute)[1]
    assert len(walks) == 1
    package.rules.TABLE["corporate"]["bbb"] = 2.0
    assert total(compute) == (3.0, False)
    assert len(walks) == 2
    assert compute.code_version == code_version(compute.func), "the live version is the fresh one"


def test_names_a_function_does_not_use_do_not_count(package: types.SimpleNamespace) -> None:
    compute = package.service.compute
    before = compute.code_version
    package.rules.UNUSED = {"x": 1}
    package.service.ALSO_UNUSED = [1, 2]
    assert compute.code_version == before
    package.rules.RISK_WEIGHT = 0.5000001
    assert compute.code_version != before


@pytest.mark.slow
def test_in_a_real_kernel_edited_cells_miss_and_unchanged_cells_hit(tmp_path: Path) -> None:
    """The same edits in a Jupyter kernel (nbclient starts it and shuts it down)."""
    import nbformat
    from nbclient import NotebookClient

    url, artifacts = f"sqlite:///{tmp_path / 'store.db'}", str(tmp_path / "artifacts")
    cells = [
        f"import banksim as bs, pandas as pd\nbs.open_store({url!r}, artifact_path={artifacts!r}).__enter__()",
        "RATES = {'a': 0.5}\ndef rate():\n    return RATES['a']",
        "@bs.cached(kind='cell')\ndef priced(n: int) -> pd.DataFrame:\n    return pd.DataFrame({'x': [rate() * n]})",
        "print(priced(4)[1], priced(4)[1])",
        "def rate():\n    return RATES['a']",
        "print(priced(4)[1])",
        "def rate():\n    return RATES['a'] * 2",
        "print(priced(4)[1], float(priced(4)[0]['x'].sum()))",
        "RATES['a'] = 1.0\nprint(priced(4)[1], float(priced(4)[0]['x'].sum()))",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell) for cell in cells])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    printed = ["".join(o.get("text", "") for o in cell.outputs).strip() for cell in notebook.cells]
    assert [line for line in printed if line] == [
        "False True",  # first call computes, the second hits
        "True",  # the helper's cell re-run unchanged
        "False 4.0",  # the helper edited: 1.0 * 4
        "False 8.0",  # its table edited in place: 2.0 * 4
    ]


@dataclasses.dataclass(frozen=True)
class Spec:
    weight: float


SPECS = {"a": Spec(1.0)}
FLAGS = {"x": 1.0, "y": [0.0]}


def reads_tables() -> float:
    return SPECS["a"].weight * FLAGS["x"] + FLAGS["y"][0]


@pytest.mark.parametrize(
    ("table", "key", "edit"),
    [(FLAGS, "x", 1), (FLAGS, "y", [-0.0]), (SPECS, "a", Spec(1))],  # equal to the old, not the same
)
def test_in_place_edits_are_seen_exactly(table: dict[str, Any], key: str, edit: Any) -> None:
    version = CodeVersion(reads_tables)
    before = version.current()
    original = table[key]
    table[key] = edit
    try:
        assert edit == original and version.current() != before
    finally:
        table[key] = original
    assert version.current() == before
    SPECS["a"] = Spec(1.0)  # a new object with the same content: checked again, same version
    assert version.current() == before


ARRAYS = {"pd": np.array([0.01, 0.02, 0.03, 0.04])}
GRID = np.arange(4.0)


def reads_arrays() -> float:
    return float(ARRAYS["pd"].sum() + GRID.sum())


@pytest.mark.parametrize(
    "edit",
    [
        lambda: ARRAYS.__setitem__("pd", ARRAYS["pd"].view(np.int64)),  # the same bytes, another dtype
        lambda: setattr(GRID, "shape", (2, 2)),  # the same bytes, another shape
    ],
)
def test_an_array_constant_given_another_dtype_or_shape_is_a_miss(edit: Callable[[], None]) -> None:
    """marshal writes an array as its raw bytes: such constants are hashed (dtype and shape with the
    values), so a new view over the same bytes is a change too."""
    version = CodeVersion(reads_arrays)
    before = version.current()
    original, grid = ARRAYS["pd"], GRID.copy()
    edit()
    try:
        assert version.current() != before
    finally:
        ARRAYS["pd"] = original
        GRID.shape = grid.shape
    assert version.current() == before


# -- the memo across processes (banksim.code_version.SourceMemo) ------------------------------------

MEMO_RUNNER = """
import json, sys
import banksim as bs
from {package}.service import compute
with bs.open_store(sys.argv[1], artifact_path=sys.argv[2]):
    frame, hit = compute(3)
print(json.dumps({{"hit": hit, "total": float(frame["rwa"].sum()), "code": compute.code_version}}))
"""


def _memo_package(tmp_path: Path, prefix: str, rules_source: str) -> tuple[str, Path]:
    """A package of its own under ``tmp_path``: ``rules.py`` (returned, to edit) and the service
    that reads it (MEMO_SERVICE); its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    rules = tmp_path / name / "rules.py"
    rules.write_text(rules_source)
    (tmp_path / name / "service.py").write_text(MEMO_SERVICE.format(package=name))
    return name, rules


def _run_fresh(root: Path, package: str, memo: str) -> dict[str, Any]:
    """A fresh process computes ``service.compute(3)`` (a hit or a miss) with the memo at ``memo``."""
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1", "BANKSIM_CODE_CACHE": memo}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MEMO_RUNNER.format(package=package),
            f"sqlite:///{root / 'store.db'}",
            str(root / "a"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _edit_keeping_size_and_mtime(path: Path, old: str, new: str) -> None:
    """Rewrite ``path`` with ``old`` replaced by ``new`` (same length) and its old mtime: only the
    content says it changed."""
    assert len(old) == len(new)
    stat = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns


MEMO_RULES = """
RISK_WEIGHT = 0.5


def weigh(x):
    return x * RISK_WEIGHT * 1.0
"""
MEMO_SERVICE = """
import pandas as pd

import banksim as bs
from {package}.rules import weigh  # the function alone: its module's source is not hashed


@bs.cached(kind="live")
def compute(n: int) -> pd.DataFrame:
    return pd.DataFrame({{"rwa": [weigh(float(i)) for i in range(n)]}})
"""


@pytest.mark.slow
def test_the_memo_never_serves_a_version_of_an_edited_file(tmp_path: Path) -> None:
    """Each edit keeps the file's size and mtime, and the first keeps the function's bytecode
    (only a literal changes): only the file's content can tell the memo that it changed (a memo
    keyed by path, size and mtime serves the old version here: checked by hand)."""
    name, rules = _memo_package(tmp_path, "memopkg", MEMO_RULES)
    memo = str(tmp_path / "memo")

    first = _run_fresh(tmp_path, name, memo)
    assert (first["hit"], first["total"]) == (False, 1.5)  # 0.5 * (0 + 1 + 2)
    assert any((tmp_path / "memo").glob("*.json")), "the first process filled the memo"
    second = _run_fresh(tmp_path, name, memo)
    assert second == {**first, "hit": True}

    _edit_keeping_size_and_mtime(rules, "RISK_WEIGHT * 1.0", "RISK_WEIGHT * 2.0")  # same bytecode
    literal = _run_fresh(tmp_path, name, memo)
    assert (literal["hit"], literal["total"]) == (False, 3.0)
    assert literal["code"] != first["code"]

    _edit_keeping_size_and_mtime(rules, "x * RISK_WEIGHT * 2.0", "x + RISK_WEIGHT * 2.0")  # a formula
    formula = _run_fresh(tmp_path, name, memo)
    assert (formula["hit"], formula["total"]) == (False, 6.0)  # 0 + 1 + 2 + 3 * 0.5 * 2.0

    _edit_keeping_size_and_mtime(rules, "x + RISK_WEIGHT * 2.0", "x * RISK_WEIGHT * 1.0")  # the first text
    back = _run_fresh(tmp_path, name, memo)
    assert back == {**first, "hit": True}
    assert _run_fresh(tmp_path, name, "off") == back, "the memo gives the versions a full walk gives"


VERSIONS = """
import json
import banksim as bs
functions = [bs.run_simulation, bs.compute_rwa, bs.compute_liquidity, bs.compute_capital, bs.apply_scenario]
print(json.dumps([f.code_version for f in functions]))
"""


@pytest.mark.slow
def test_the_memo_gives_the_same_versions_as_a_full_walk(tmp_path: Path) -> None:
    def versions(memo: str) -> list[str]:
        env = {**os.environ, "BANKSIM_CODE_CACHE": memo}
        done = subprocess.run(
            [sys.executable, "-c", VERSIONS], env=env, capture_output=True, text=True, check=True
        )
        return list(json.loads(done.stdout))

    walked = versions("off")
    assert versions(str(tmp_path)) == walked  # filling the memo
    assert versions(str(tmp_path)) == walked  # served from it


def test_the_memo_folder_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder is remembered per setting, so a changed setting is a changed folder at once."""
    memo = code_version_module.SourceMemo()
    monkeypatch.setenv("BANKSIM_CODE_CACHE", str(tmp_path / "a"))
    assert memo.folder() == tmp_path / "a"
    monkeypatch.setenv("BANKSIM_CODE_CACHE", str(tmp_path / "b"))
    assert memo.folder() == tmp_path / "b"
    monkeypatch.setenv("BANKSIM_CODE_CACHE", "off")
    assert memo.folder() is None
    monkeypatch.delenv("BANKSIM_CODE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert memo.folder() == tmp_path / "xdg" / "banksim" / "code"
    monkeypatch.setenv("BANKSIM_CODE_CACHE", str(tmp_path / "a"))
    assert memo.folder() == tmp_path / "a"


def test_a_foreign_or_damaged_memo_file_counts_as_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANKSIM_CODE_CACHE", str(tmp_path))
    memo = code_version_module.SourceMemo()
    digest = "ab" * 32
    memo.put(digest, "module", ["", "normalized"])
    memo.flush()
    (written,) = tmp_path.glob("*.json")
    assert code_version_module.SourceMemo().get(digest, "module") == ["", "normalized"]
    other = "cd" * 32
    written.rename(written.with_name(written.name.replace(digest, other)))  # a file under another text's name
    assert code_version_module.SourceMemo().get(other, "module") is None
    written.with_name(written.name.replace(digest, other)).write_text('{"key": [')
    assert code_version_module.SourceMemo().get(other, "module") is None


def test_memo_files_not_written_for_a_month_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANKSIM_CODE_CACHE", str(tmp_path))
    old, recent = tmp_path / "old.json", tmp_path / "recent.json"
    for path in (old, recent):
        path.write_text("{}")
    month_ago = time.time() - (code_version_module.MEMO_MAX_AGE_DAYS + 1) * 86400
    os.utime(old, (month_ago, month_ago))
    memo = code_version_module.SourceMemo()
    memo.put("ef" * 32, "module", ["", "normalized"])
    memo.flush()
    assert not old.exists() and recent.exists()
    assert code_version_module.SourceMemo().get("ef" * 32, "module") == ["", "normalized"]


# -- partials and instances of local classes (their data used to be left out of the version) --------

PARTIAL_RULES = """
    import functools


    def _weigh(x, rate, table):
        return x * rate * table["bbb"]


    TABLE = {"bbb": 1.0}
    weigh = functools.partial(_weigh, rate=0.5, table=TABLE)
    """
INSTANCE_RULES = """
    class Params:
        def __init__(self):
            self.rate = 0.5


    class Slotted:
        __slots__ = ("factor",)

        def __init__(self):
            self.factor = 1.0


    PARAMS = Params()
    SLOTTED = Slotted()


    def weigh(x):
        return x * PARAMS.rate * SLOTTED.factor
    """


def _package_with_rules(package: types.SimpleNamespace, rules: str) -> types.SimpleNamespace:
    """``package`` with its ``rules`` module replaced by ``rules`` (service re-imported on it)."""
    (package.folder / "rules.py").write_text(textwrap.dedent(rules))
    for module in (f"{package.name}.service", f"{package.name}.rules"):
        del sys.modules[module]
    package.rules = importlib.import_module(f"{package.name}.rules")
    package.service = importlib.import_module(f"{package.name}.service")
    return package


def test_rebinding_a_partial_is_a_miss_and_restoring_it_a_hit(
    sqlite_store: bs.Store, package: types.SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = _package_with_rules(package, PARTIAL_RULES).rules
    compute = package.service.compute
    assert total(compute) == (1.5, False)  # 0.5 * (0 + 1 + 2)
    assert total(compute) == (1.5, True)
    monkeypatch.setattr(rules, "weigh", functools.partial(rules._weigh, rate=0.75, table=rules.TABLE))
    assert total(compute) == (2.25, False)
    assert total(compute) == (2.25, True)
    monkeypatch.undo()
    assert total(compute) == (1.5, True), "the original partial hits its old entry again"
    monkeypatch.setattr(rules, "weigh", functools.partial(rules._weigh, rate=0.5, table=dict(rules.TABLE)))
    assert total(compute) == (1.5, True), "an equal partial is no false miss"


def test_a_partials_argument_edited_in_place_is_a_miss(
    sqlite_store: bs.Store, package: types.SimpleNamespace
) -> None:
    rules = _package_with_rules(package, PARTIAL_RULES).rules
    compute = package.service.compute
    assert total(compute) == (1.5, False)
    rules.TABLE["bbb"] = 2.0  # the dict the partial holds, changed in place
    assert total(compute) == (3.0, False)
    assert total(compute) == (3.0, True)
    rules.weigh.keywords["rate"] = 0.25  # the partial's own keyword dict, changed in place
    assert total(compute) == (1.5, False)
    rules.weigh.keywords["rate"] = 0.5
    rules.TABLE["bbb"] = 1.0
    assert total(compute) == (1.5, True)


def test_an_instance_attribute_changed_in_place_is_a_miss(
    sqlite_store: bs.Store, package: types.SimpleNamespace
) -> None:
    rules = _package_with_rules(package, INSTANCE_RULES).rules
    compute = package.service.compute
    assert total(compute) == (1.5, False)
    assert total(compute) == (1.5, True)
    rules.PARAMS.rate = 0.75  # the same object, one attribute rebound
    assert total(compute) == (2.25, False)
    rules.SLOTTED.factor = 2.0  # a __slots__ attribute
    assert total(compute) == (4.5, False)
    assert total(compute) == (4.5, True)
    rules.PARAMS.rate, rules.SLOTTED.factor = 0.5, 1.0
    assert total(compute) == (1.5, True)


class _Shape:
    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.lookup = {"a": [1.0]}
        self.helper = reads_tables  # code as an attribute: the attributes count one by one

    def area(self) -> float:
        return self.scale * self.lookup["a"][0]


SHAPE = _Shape(2.0)
SCALED = functools.partial(_Shape.area, SHAPE)


def reads_instances() -> float:
    return SHAPE.area() + SCALED()


def test_instances_and_partials_are_watched_without_false_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    walks: list[Any] = []
    walk = code_version_module._walk

    def counted(*args: Any, **kwargs: Any) -> Any:
        walks.append(args[0])
        return walk(*args, **kwargs)

    monkeypatch.setattr(code_version_module, "_walk", counted)
    version = CodeVersion(reads_instances)
    before = version.current()
    assert [version.current() for _ in range(3)] == [before] * 3 and len(walks) == 1
    SHAPE.lookup["a"][0] = 1  # equal, not the same: exact
    assert version.current() != before
    SHAPE.lookup["a"][0] = 1.0
    assert version.current() == before
    monkeypatch.setitem(FLAGS, "x", 2.0)  # read by the instance's helper attribute
    assert version.current() != before
    monkeypatch.undo()
    assert version.current() == before


def test_a_value_without_a_content_hash_counts_by_its_type(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace: dict[str, Any] = {"__name__": "__main__", "LOCK": threading.Lock()}
    _run_cell(namespace, "def locked():\n    with LOCK:\n        return 1\n")
    monkeypatch.setattr(code_version_module, "_REPORTED_UNHASHABLE", set(), raising=False)  # log anew
    with caplog.at_level(logging.DEBUG, logger="banksim.code_version"):
        before = code_version(namespace["locked"])
        code_version(namespace["locked"])
    assert [r.getMessage() for r in caplog.records if "_thread.lock" in r.getMessage()] == [
        "code version: __main__.LOCK (a _thread.lock) counts by its type only, not its content"
    ]
    namespace["LOCK"] = threading.RLock()
    assert code_version(namespace["locked"]) != before


# -- the memo of constants' content hashes (banksim.code_source.ValueMemo) ---------------------------


@dataclasses.dataclass(frozen=True)
class _Rate:
    name: str
    value: Any


class _Lossy:
    def __init__(self, value: float) -> None:
        self.value = value

    def __reduce__(self) -> Any:
        return (_Lossy, (0.0,))  # leaves out its value: never a memo key


def test_value_memo_keys_are_exact_content() -> None:
    key = code_source.ValueMemo.content_key
    assert key((_Rate("a", 1.0),)) == key((_Rate("a", 1.0),))
    distinct = [(_Rate("a", 1.0),), (_Rate("a", 1),), (_Rate("a", True),), (_Rate("a", -0.0),),
                (_Rate("a", 0.0),), (_Rate("b", 1.0),), {"a": 1, "b": 2}, {"b": 2, "a": 1}]  # fmt: skip
    keys = [key(value) for value in distinct]
    assert None not in keys and len(set(keys)) == len(keys)
    assert key((_Lossy(1.0),)) is None
    assert key(np.array([1.0, 2.0])) is None  # arrays are hashed each time
    assert key({"a": pd.DataFrame({"x": [1]})}) is None


def test_value_memo_serves_a_remembered_hash_and_misses_on_any_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANKSIM_CODE_CACHE", str(tmp_path))
    computed: list[Any] = []

    def compute(value: Any) -> str:
        computed.append(value)
        return compute_params_hash(value)

    table = {"a": _Rate("a", 0.5), "b": _Rate("b", (1, 2))}
    memo = code_source.ValueMemo()
    assert memo.digest(table, compute) == compute_params_hash(table)
    memo.flush()
    fresh = code_source.ValueMemo()  # another process: reads the file
    assert fresh.digest({"a": _Rate("a", 0.5), "b": _Rate("b", (1, 2))}, compute) == compute_params_hash(
        table
    )
    assert len(computed) == 1, "served from the file"
    changed = {"a": _Rate("a", 0.5), "b": _Rate("b", (1, 3))}
    assert fresh.digest(changed, compute) == compute_params_hash(changed) != compute_params_hash(table)
    assert len(computed) == 2


VALUE_RULES = """
import dataclasses


@dataclasses.dataclass(frozen=True)
class Weight:
    name: str
    value: float


WEIGHTS = (Weight("a", 0.5), Weight("b", 9.0))
RISK_WEIGHT = 0.5


def weigh(x):
    return x * WEIGHTS[0].value * 1.0
"""


@pytest.mark.slow
def test_the_value_memo_never_serves_the_hash_of_an_edited_constant(tmp_path: Path) -> None:
    name, rules = _memo_package(tmp_path, "valuepkg", VALUE_RULES)
    memo = str(tmp_path / "memo")

    first = _run_fresh(tmp_path, name, memo)
    assert (first["hit"], first["total"]) == (False, 1.5)  # 0.5 * (0 + 1 + 2)
    assert any((tmp_path / "memo").glob("values-*.json")), "the first process remembered WEIGHTS"
    assert _run_fresh(tmp_path, name, memo) == {**first, "hit": True}

    _edit_keeping_size_and_mtime(rules, 'Weight("b", 9.0)', 'Weight("b", 8.0)')  # an unused member
    unused = _run_fresh(tmp_path, name, memo)
    assert unused["hit"] is False and unused["code"] != first["code"]
    _edit_keeping_size_and_mtime(rules, 'Weight("a", 0.5)', 'Weight("a", 2.5)')
    used = _run_fresh(tmp_path, name, memo)
    assert (used["hit"], used["total"]) == (False, 7.5)  # 2.5 * (0 + 1 + 2)
    assert _run_fresh(tmp_path, name, "off") == {**used, "hit": True}, "the memo gives a full walk's version"
    _edit_keeping_size_and_mtime(
        rules, 'Weight("a", 2.5), Weight("b", 8.0)', 'Weight("a", 0.5), Weight("b", 9.0)'
    )
    assert _run_fresh(tmp_path, name, memo) == {**first, "hit": True}


def test_a_watch_sees_a_name_rebound_unbound_or_bound_anew_in_any_namespace() -> None:
    """The bindings are checked a namespace at once: each kind of change is still seen."""
    helpers = types.SimpleNamespace(rate=0.5, table={"a": 1})  # a module's namespace, say
    other = {"limit": 3}
    bindings: list[tuple[Any, str, Any]] = [
        (vars(helpers), "rate", helpers.rate),
        (vars(helpers), "table", helpers.table),
        (vars(helpers), "later", code_version_module._MISSING),  # read, not bound when walked
        (other, "limit", other["limit"]),
    ]
    watch = code_version_module._Watch(bindings=bindings)
    assert watch.unchanged()
    helpers.table = {"a": 1}  # rebound to an equal, new object
    assert not watch.unchanged()
    helpers.table = bindings[1][2]
    assert watch.unchanged()
    helpers.later = 1
    assert not watch.unchanged()
    del helpers.later
    assert watch.unchanged()
    del other["limit"]
    assert not watch.unchanged()

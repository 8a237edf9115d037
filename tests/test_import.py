"""`import banksim` stays light, and its public names load their modules on first use (PEP 562)."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import banksim

HEAVY = ("alembic", "duckdb", "ipywidgets", "matplotlib", "openpyxl", "scipy")


def loaded_after(code: str) -> list[str]:
    """The HEAVY modules a fresh interpreter has loaded after running ``code``."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_import_banksim_does_not_load_heavy_optional_modules() -> None:
    assert loaded_after("import banksim") == []


def test_the_hit_path_does_not_load_heavy_optional_modules() -> None:
    """What a cached call needs (the services, the cache, the store) loads none of them either."""
    assert loaded_after("import banksim as bs; bs.run_simulation; bs.get_store; bs.cached") == []


def test_a_cache_hit_in_a_fresh_process_loads_none_of_them(tmp_path: Path) -> None:
    """The whole hit (a store at the latest revision, code version, lookup, read, hit count)
    loads no Alembic, DuckDB, plotting or widgets, and on a SQLite file not even SQLAlchemy or
    the ORM tables (sqlite3 reads it). The first process creates the store and computes."""
    url, artifacts = f"sqlite:///{tmp_path / 'store.db'}", str(tmp_path / "artifacts")
    call = (
        f"import banksim as bs\nwith bs.open_store({url!r}, artifact_path={artifacts!r}):\n"
        "    frame, hit = bs.run_simulation(200, seed=3)\nprint(json.dumps(hit), file=sys.stderr)"
    )
    unused = (*HEAVY, "sqlalchemy", "banksim.models")
    script = f"import json, sys\n{call}\nprint(json.dumps(sorted(m for m in {unused!r} if m in sys.modules)))"
    runs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        for _ in "12"
    ]
    assert [json.loads(run.stderr.strip().splitlines()[-1]) for run in runs] == [False, True]
    assert json.loads(runs[1].stdout) == []


def test_import_banksim_loads_no_module_until_a_name_is_used() -> None:
    script = (
        "import json, sys; import banksim as bs; before = sorted(m for m in sys.modules if m.startswith('banksim'));"
        "bs.run_simulation; after = 'banksim.services' in sys.modules; print(json.dumps([before, after]))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    before, services_loaded = json.loads(done.stdout)
    assert before == ["banksim"]
    assert services_loaded


def test_every_public_name_is_the_object_its_module_defines() -> None:
    for name, module in banksim._EXPORTS.items():
        assert getattr(banksim, name) is getattr(importlib.import_module(module), name), name
    assert set(banksim.__all__) == {*banksim._EXPORTS, "__version__"}
    assert set(banksim.__all__) <= set(dir(banksim))


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        banksim.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("banksim.no_such_name resolved")


def test_a_submodule_does_not_shadow_the_function_of_the_same_name() -> None:
    """``banksim.query`` and ``banksim.lineage`` are modules and public functions: importing the
    module first (as the CLI does) must leave ``bs.query`` the function."""
    script = (
        "import json, banksim as bs, banksim.query, banksim.lineage;"
        "print(json.dumps([callable(bs.query), callable(bs.lineage), bs.query.__module__]))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [True, True, "banksim.query"]


def test_the_type_checking_imports_match_the_table() -> None:
    """The ``if TYPE_CHECKING:`` imports (what mypy and IDEs see) name the same modules as
    ``_EXPORTS`` (what runs): moving code means updating both, and this says where."""
    tree = ast.parse(Path(banksim.__file__).read_text("utf-8"))
    guarded = next(
        node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    imported = {
        alias.asname or alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == banksim._EXPORTS

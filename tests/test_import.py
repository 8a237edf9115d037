"""`import banksim` stays light: no DuckDB, widgets or plotting on the import path."""

from __future__ import annotations

import json
import subprocess
import sys


def test_import_banksim_does_not_load_heavy_optional_modules() -> None:
    script = (
        "import json, sys; import banksim;"
        "print(json.dumps(sorted(m for m in ('duckdb', 'ipywidgets', 'matplotlib', 'openpyxl', 'alembic', 'scipy')"
        " if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []

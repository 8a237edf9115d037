"""Every pytest run (tests and notebooks under nbval) uses its own store, removed when it ends.

This file sits at the project root so that it also applies to ``pytest notebooks/NN.ipynb``:
``DB_URL``, ``ARTIFACT_PATH``, ``BANKSIM_PROJECT_ROOT`` and ``BANKSIM_CODE_CACHE`` point at a
fresh temporary folder for the whole session, and nbval's kernels and the subprocesses tests
start inherit them. The project's own ``./data`` store and ``.env`` (what ``banksim demo`` and the
notebooks use outside tests) are never touched, and files the notebooks write go to the temporary
folder too.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

ISOLATED = ("DB_URL", "ARTIFACT_PATH", "ARTIFACT_STORE", "BANKSIM_PROJECT_ROOT", "BANKSIM_CODE_CACHE")
_saved: dict[str, str | None] = {}
_folder: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    folder = tempfile.mkdtemp(prefix="banksim-pytest-")
    _folder.append(folder)
    _saved.update({name: os.environ.get(name) for name in ISOLATED})
    os.environ["BANKSIM_PROJECT_ROOT"] = folder
    os.environ["DB_URL"] = f"sqlite:///{folder}/store.db"
    os.environ["ARTIFACT_PATH"] = f"{folder}/artifacts"
    os.environ["ARTIFACT_STORE"] = "file"
    os.environ["BANKSIM_CODE_CACHE"] = f"{folder}/code"  # the code-version memo, not ~/.cache


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in _saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    while _folder:
        shutil.rmtree(_folder.pop(), ignore_errors=True)

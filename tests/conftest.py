"""Shared fixtures: stores on SQLite and, when TEST_PG_URL is set, on PostgreSQL; notebooks on a shared store.

The whole session already runs on a temporary store (``conftest.py`` at the project root sets
``DB_URL`` and ``ARTIFACT_PATH`` and removes the folder at the end).

With TEST_PG_URL set, an unreachable server fails the PostgreSQL tests; it never skips them.
Each test session creates its own PostgreSQL database and drops it at the end.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

import banksim as bs

PG_URL = os.environ.get("TEST_PG_URL")


@contextlib.contextmanager
def new_pg_database(prefix: str = "banksim_test") -> Iterator[str]:
    """A new, empty PostgreSQL database on TEST_PG_URL's server, dropped at the end; its URL.

    Without TEST_PG_URL the test is skipped; an unreachable server fails it, never skips it.
    """
    if not PG_URL:
        pytest.skip("TEST_PG_URL is not set; PostgreSQL store tests run in CI")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """One PostgreSQL database for the session's store tests."""
    with new_pg_database() as url:
        yield url


def _clear(store: bs.Store) -> None:
    with store.transaction(write=True) as conn:
        for table in ("simulations", "artifacts", "configurations", "leases"):
            conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(scope="session")
def s3_bucket() -> Iterator[str]:
    """A local S3 (moto's server, in this process) with an empty bucket; ``s3://...`` URL.

    The credentials and endpoint are set the usual way, in the environment (subprocesses such
    as Dask workers inherit them); the server stops at the end of the session.
    """
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    settings = {
        "AWS_ACCESS_KEY_ID": "banksim-test",
        "AWS_SECRET_ACCESS_KEY": "banksim-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        import fsspec

        fs = fsspec.filesystem("s3", skip_instance_cache=True)
        fs.mkdir("banksim-test")
        yield "s3://banksim-test"
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# Each backend and payload mode: local files, database blobs, an in-memory fsspec filesystem, S3.
STORES = ["sqlite-file", "sqlite-db", "sqlite-memory", "postgresql-file", "postgresql-db", "postgresql-s3"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[bs.Store]:  # type: ignore[no-untyped-def]
    """A fresh store, active for cached functions, in each backend and payload mode."""
    backend, mode = request.param.split("-")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_database_url")
    artifacts: str | Path = tmp_path / "artifacts"
    if mode == "memory":
        artifacts = f"memory://banksim-{uuid.uuid4().hex[:12]}"
    elif mode == "s3":
        artifacts = f"{request.getfixturevalue('s3_bucket')}/{uuid.uuid4().hex[:12]}"
    # Each mode as named: every payload in a file (file, memory, s3) or in its row (db). The default's
    # mix (small payloads in rows, INLINE_KB) has its own tests in test_store.py.
    store = bs.Store(url, "db" if mode == "db" else "file", artifacts, inline_kb=0)
    if backend == "postgresql":
        _clear(store)
    with bs.use_store(store):
        yield store
    store.close()
    if mode == "memory" and store.files.fs.exists(store.files.root):  # lives as long as the process
        store.files.fs.rm(store.files.root, recursive=True)


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[bs.Store]:  # type: ignore[no-untyped-def]
    """A file-mode SQLite store (every payload in a file) for tests that do not depend on the backend."""
    store = bs.Store(f"sqlite:///{tmp_path / 'store.db'}", "file", tmp_path / "artifacts", inline_kb=0)
    with bs.use_store(store):
        yield store
    store.close()


# -- notebooks executed on a store that already holds other runs ------------------------------------

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
OTHER_RUNS = """
import banksim as bs
bs.run_simulation(2000, seed=42, include_derivatives=True)  # notebook 1's bank: reopening is a hit
for name in ("baseline", "severe_recession"):  # notebook 3's seed and scenario names, another bank size
    bs.run_pipeline(1000, seed=7, scenario=name)
bs.run_pipeline(2000, seed=8, scenario="baseline")  # notebook 3's bank size, another seed
bs.sweep(["baseline", "mild_recession"], 1000, seed=11, progress=False)  # notebook 4's seed, another bank
bs.sweep(bs.scenario_grid(pd_multiplier=[1.0, 3.0]), 1000, seed=12, progress=False)  # another sweep
"""


@pytest.fixture(scope="session")
def notebooks_on_a_shared_store() -> Iterator[dict[str, Any]]:
    """Notebooks 01, 03, 04, 05 and 06 executed, in that order, on a store pre-filled with other runs.

    Yields the executed notebooks by name; the store's folder is removed at the end.
    """
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="banksim-shared-store-") as folder:
        env = {
            **os.environ,
            "DB_URL": f"sqlite:///{folder}/store.db",
            "ARTIFACT_PATH": f"{folder}/artifacts",
            "BANKSIM_PROJECT_ROOT": folder,
            "BANKSIM_NB_POSITIONS": "2000",
        }
        subprocess.run([sys.executable, "-c", OTHER_RUNS], env=env, check=True, timeout=300)
        executed = {}
        for name in (
            "01_quickstart", "03_sql_across_results", "04_stress_testing", "05_bring_your_own_data",
            "06_provisions_and_rate_risk",
        ):  # fmt: skip
            book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
            client = NotebookClient(
                book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
            )
            client.execute(env=env)  # a failing cell raises CellExecutionError, naming the cell
            executed[name] = book
        yield executed

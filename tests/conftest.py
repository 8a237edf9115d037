"""Shared fixtures: stores on SQLite and, when TEST_PG_URL is set, on PostgreSQL.

With TEST_PG_URL set, an unreachable server fails the PostgreSQL tests; it never skips them.
Each test session creates its own PostgreSQL database and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

import banksim as bs

PG_URL = os.environ.get("TEST_PG_URL")


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("TEST_PG_URL is not set; PostgreSQL store tests run in CI")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"banksim_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:  # an unreachable server raises here: a failure, not a skip
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _clear(store: bs.Store) -> None:
    with store.transaction(write=True) as conn:
        for table in ("simulations", "artifacts", "configurations"):
            conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(params=["sqlite-file", "sqlite-db", "postgresql-file", "postgresql-db"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[bs.Store]:  # type: ignore[no-untyped-def]
    """A fresh store, active for cached functions, in each backend and payload mode."""
    backend, mode = request.param.split("-")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_database_url")
    store = bs.Store(url, mode, tmp_path / "artifacts")
    if backend == "postgresql":
        _clear(store)
    with bs.use_store(store):
        yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[bs.Store]:  # type: ignore[no-untyped-def]
    """A file-mode SQLite store for tests that do not depend on the backend."""
    store = bs.Store(f"sqlite:///{tmp_path / 'store.db'}", "file", tmp_path / "artifacts")
    with bs.use_store(store):
        yield store
    store.close()

"""The store's schema: its revision, migrations with Alembic, and adopting unstamped tables.

A database at :data:`SCHEMA_REVISION` costs one query to open; Alembic is
loaded only to migrate, and a database whose tables no revision made is refused, saying how.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from banksim.errors import SchemaVersionError, StoreError
from banksim.settings import mask_url

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

__all__ = ["SCHEMA_REVISION", "alembic_config", "current_revision", "upgrade"]

# The latest migration in db/versions: the tables of banksim.models as they stand. A store at this
# revision opens with one query; a test checks it against Alembic's head.
SCHEMA_REVISION = "0004_shared_columns"

log = logging.getLogger("banksim.store")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "db"


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None for an empty database); one query, no Alembic."""
    with engine.connect() as conn:
        if not conn.dialect.has_table(conn, "alembic_version"):
            return None
        revisions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    return revisions[0] if len(revisions) == 1 else None


def upgrade(engine: Engine, url: str, locked: Callable[[], AbstractContextManager[Connection]]) -> str:
    """Bring the schema of the database at ``url`` to the latest revision and return it;
    ``locked`` opens a write transaction that serialises concurrent migrators."""
    if current_revision(engine) == SCHEMA_REVISION:
        return SCHEMA_REVISION
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    assert head is not None
    url = mask_url(url)
    with locked() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        known = {rev.revision for rev in script.walk_revisions()}
        if current is not None and current not in known:
            raise SchemaVersionError(
                f"the database at {url} is at schema revision {current!r}, "
                f"which this banksim does not know (latest known: {head!r}); "
                "upgrade banksim or use another DB_URL"
            )
        config.attributes["connection"] = conn
        if current is None:
            current = _adopt_unstamped(conn, config, url)
        if current != head:
            log.info("migrating %s from %s to %s", url, current, head)
            command.upgrade(config, "head")
    return head


def _adopt_unstamped(conn: Connection, config: Any, url: str) -> str | None:
    """A database with banksim's tables but no revision stamp (made by ``create_all``): stamp
    the revision whose schema its tables match exactly, or refuse, saying how."""
    from alembic import command

    found = _table_columns(conn)
    if not found:
        return None
    for revision, expected in _schema_of_each_revision().items():
        if found == expected:
            log.info("adopting %s: its tables match revision %s", url, revision)
            command.stamp(config, revision)
            return revision
    raise SchemaVersionError(
        f"the database at {url} has the tables {sorted(found)} but no banksim "
        "schema revision, and their columns match no banksim revision "
        f"({_schema_difference(found, _schema_of_each_revision())}); banksim does "
        "not change tables it did not create: set DB_URL to a new database, or rename or drop "
        "those tables (after saving what you need) and open the store again"
    )


def _table_columns(conn: Connection) -> dict[str, frozenset[str]]:
    """The columns of banksim's tables that exist in a database."""
    from sqlalchemy import inspect

    from .rows import ARTIFACTS, CONFIGURATIONS, LEASES, SIMULATIONS

    inspector = inspect(conn)
    names = set(inspector.get_table_names())
    return {
        table: frozenset(column["name"] for column in inspector.get_columns(table))
        for table in (CONFIGURATIONS.name, SIMULATIONS.name, ARTIFACTS.name, LEASES.name)
        if table in names
    }


def alembic_config() -> Any:
    """An Alembic configuration for banksim's migrations (``db/``)."""
    from alembic.config import Config

    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise StoreError(f"banksim's migrations were not found at {MIGRATIONS_DIR}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@functools.cache
def _schema_of_each_revision() -> dict[str, dict[str, frozenset[str]]]:
    """Each revision's tables and columns, newest first, read off an in-memory database that
    the migrations bring up one revision at a time."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    config = alembic_config()
    schemas = {}
    scratch = create_engine("sqlite://")
    try:
        with scratch.begin() as conn:
            config.attributes["connection"] = conn
            for revision in reversed(list(ScriptDirectory.from_config(config).walk_revisions())):
                command.upgrade(config, revision.revision)
                schemas[revision.revision] = _table_columns(conn)
    finally:
        scratch.dispose()
    return dict(reversed(schemas.items()))


def _schema_difference(
    found: dict[str, frozenset[str]], schemas: dict[str, dict[str, frozenset[str]]]
) -> str:
    """How the tables differ from the latest revision, e.g. ``simulations lacks checksum``."""
    expected = next(iter(schemas.values()))
    notes = []
    for table in sorted(set(found) | set(expected)):
        missing = sorted(expected.get(table, frozenset()) - found.get(table, frozenset()))
        extra = sorted(found.get(table, frozenset()) - expected.get(table, frozenset()))
        if table not in found:
            notes.append(f"no table {table}")
            continue
        if missing:
            notes.append(f"{table} lacks {', '.join(missing)}")
        if extra:
            notes.append(f"{table} has {', '.join(extra)}")
    return "; ".join(notes)

"""The statements every cached result's write runs, built once with their parameters bound at execution.

SQLAlchemy derives a cache key from a statement's structure each time it runs one; a statement built
once keeps its key, and values passed to ``execute`` leave the structure unchanged.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Delete, Insert, Select, Table, Update

__all__ = [
    "configuration_exists",
    "configuration_missed",
    "insert",
    "lease_delete",
    "lease_held",
    "lease_taken_over",
    "row_by_id",
    "row_by_key",
    "row_checked_as_base",
    "row_update",
]


@functools.cache
def insert(table: Table) -> Insert:
    """Insert one row: its values as parameters."""
    return table.insert()


@functools.cache
def row_by_key(table: Table, names: tuple[str, ...]) -> Select:
    """A payload row's id, file and checksum by its key columns ``names`` (parameters ``k_<name>``)."""
    from sqlalchemy import bindparam, select

    match = [table.c[name] == bindparam(f"k_{name}") for name in names]
    return select(table.c.id, table.c.data_path, table.c.checksum).where(*match)


@functools.cache
def row_update(table: Table) -> Update:
    """Update the row ``b_id``: the columns given as parameters."""
    from sqlalchemy import bindparam, update

    return update(table).where(table.c.id == bindparam("b_id"))


@functools.cache
def row_by_id(columns: tuple[str, ...]) -> Select:
    """The ``simulations`` row ``b_id``: these columns."""
    from sqlalchemy import bindparam, select

    from .rows import SIMULATIONS

    return select(*(SIMULATIONS.c[name] for name in columns)).where(SIMULATIONS.c.id == bindparam("b_id"))


@functools.cache
def row_checked_as_base() -> Select:
    """A base row ``b_id``'s checksum, base and key, read-locked until the commit (PostgreSQL)."""
    from sqlalchemy import bindparam, select

    from .rows import SIMULATIONS

    columns = (SIMULATIONS.c.checksum, SIMULATIONS.c.base_id, SIMULATIONS.c.kind, SIMULATIONS.c.params_hash)
    return select(*columns).where(SIMULATIONS.c.id == bindparam("b_id")).with_for_update(read=True)


@functools.cache
def configuration_exists() -> Select:
    """Whether the call ``b_params_hash`` has its ``configurations`` row."""
    from sqlalchemy import bindparam, select

    from .rows import CONFIGURATIONS

    params_hash = CONFIGURATIONS.c.params_hash
    return select(params_hash).where(params_hash == bindparam("b_params_hash"))


@functools.cache
def configuration_missed() -> Update:
    """Count one more miss of the call ``b_params_hash``, updating the columns given as parameters."""
    from sqlalchemy import bindparam, update

    from .rows import CONFIGURATIONS

    return (
        update(CONFIGURATIONS)
        .where(CONFIGURATIONS.c.params_hash == bindparam("b_params_hash"))
        .values(miss_count=CONFIGURATIONS.c.miss_count + 1)
    )


@functools.cache
def lease_held(with_owner: bool) -> Select:
    """The lease on ``b_params_hash``: its expiry (and its owner)."""
    from sqlalchemy import bindparam, select

    from .rows import LEASES

    columns = (LEASES.c.owner, LEASES.c.expires_at) if with_owner else (LEASES.c.expires_at,)
    return select(*columns).where(LEASES.c.params_hash == bindparam("b_params_hash"))


@functools.cache
def lease_taken_over() -> Update:
    """Take over the expired lease on ``b_params_hash``: the columns given as parameters."""
    from sqlalchemy import bindparam, update

    from .rows import LEASES

    return update(LEASES).where(LEASES.c.params_hash == bindparam("b_params_hash"))


@functools.cache
def lease_delete() -> Delete:
    """Remove the lease on ``b_params_hash`` if ``b_owner`` still holds it."""
    from sqlalchemy import bindparam, delete

    from .rows import LEASES

    return delete(LEASES).where(
        LEASES.c.params_hash == bindparam("b_params_hash"), LEASES.c.owner == bindparam("b_owner")
    )

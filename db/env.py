"""Alembic environment for banksim's store.

Runs on a connection handed over by ``banksim.store`` (first use, ``banksim db upgrade``) or,
from the ``alembic`` command line, on an engine built from banksim's settings (``DB_URL``).
"""

from __future__ import annotations

from alembic import context

from banksim.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return

    from banksim.settings import get_settings
    from banksim.store import make_engine

    engine = make_engine(get_settings().db_url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("banksim migrations run online only: use `alembic upgrade head`")
run_migrations_online()

"""Alembic environment: runs against the connection ``ipx init`` hands over."""

from __future__ import annotations

from alembic import context

import ipx.models  # noqa: F401 - registers every table on Base.metadata
from ipx.db import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from ipx.db import create_db_engine

        url = context.config.get_main_option("sqlalchemy.url")
        assert url is not None  # ipx.migrate sets it
        engine = create_db_engine(url)
        with engine.begin() as connection:
            _run(connection)
        return
    _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

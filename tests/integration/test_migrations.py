"""Alembic's head creates exactly the schema of the models, on SQLite and PostgreSQL, and
upgrading again is harmless."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import ipx.models  # noqa: F401 - registers every table on Base.metadata
from ipx.db import Base, create_db_engine
from ipx.migrate import alembic_config, upgrade
from tests.conftest import _drop_pg_database, _pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path):
    """An engine on a database with no tables at all."""
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    url = _pg_database()
    if url is None:
        pytest.skip("PostgreSQL unreachable")
    engine = create_db_engine(url)
    yield engine
    engine.dispose()
    _drop_pg_database(url)


def _differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def _revision(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_head_creates_exactly_the_models_schema(empty_engine):
    assert inspect(empty_engine).get_table_names() == []
    upgrade(empty_engine)
    assert _differences(empty_engine) == []
    tables = set(inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    head = ScriptDirectory.from_config(alembic_config(empty_engine)).get_current_head()
    assert _revision(empty_engine) == head


def test_upgrading_twice_is_harmless(empty_engine):
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert _differences(empty_engine) == []
    head = ScriptDirectory.from_config(alembic_config(empty_engine)).get_current_head()
    assert _revision(empty_engine) == head


def test_a_database_url_with_percent_escapes_reaches_alembic_intact():
    """A socket path or URL-encoded password renders with '%', which configparser interpolates."""
    from ipx.db import create_db_engine
    from ipx.migrate import alembic_config

    engine = create_db_engine("postgresql+psycopg://ipx:p%40ss@/ipx?host=/var/run/postgresql")
    try:
        rendered = engine.url.render_as_string(hide_password=False)
        assert "%" in rendered
        assert alembic_config(engine).get_main_option("sqlalchemy.url") == rendered
    finally:
        engine.dispose()


def test_0007_frees_keys_left_without_an_answer(empty_engine):
    from sqlalchemy import text

    upgrade(empty_engine, "0006")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO idempotency_keys (principal, key, request_hash, status, body, "
                "created_at) VALUES ('key:a', 'answered', 'h', 201, '{}', CURRENT_TIMESTAMP), "
                "('key:a', 'abandoned', 'h', NULL, NULL, CURRENT_TIMESTAMP)"
            )
        )
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        keys = conn.execute(text("SELECT key FROM idempotency_keys")).scalars().all()
    assert keys == ["answered"]

"""The configuration and the database without the web app, for the commands that only read or
write records (``init``, ``keys``, ``users``, ``signing``, ``backup``, ``restore``).

They start in a fraction of the time ``create_app`` takes: no API document, console,
blueprints or valuation wiring is built. Both ``ipx.cli`` and ``ipx.console.cli`` use this.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

# The parties table: API keys and console users refer to it, and a flush must resolve that.
import ipx.registry.orm  # noqa: F401
from ipx.config import instance_config
from ipx.db import create_db_engine, make_session_factory
from ipx.instance_keys import check_instance_keys


@contextlib.contextmanager
def open_store(*, check_keys: bool = True) -> Iterator[tuple[dict, Engine, sessionmaker[Session]]]:
    """``(config, engine, session factory)`` of the configured instance; the engine's
    connections are closed when the block ends.

    With ``check_keys`` (every command but ``restore``, which brings the keys back) a key file
    the database needs but that is missing stops the command with ``MissingInstanceKey``.
    """
    config = instance_config()
    engine = create_db_engine(
        config["DATABASE_URL"], lock_timeout_ms=config.get("DB_LOCK_TIMEOUT_MS")
    )
    try:
        if check_keys:
            check_instance_keys(config, engine)
        yield config, engine, make_session_factory(engine)
    finally:
        engine.dispose()


@contextlib.contextmanager
def store_session() -> Iterator[Session]:
    """One session on the configured database (closed, with the engine, afterwards)."""
    with open_store() as (_, _engine, sessions), sessions() as session:
        yield session

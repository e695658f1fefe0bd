"""Binds the database to a Flask app: one engine and session factory per app.

With ``READ_DATABASE_URL`` (``IPX_READ_DATABASE_URL``: a streaming replica of the primary) a
second, read-only engine serves the reads that may lag the primary by the replication delay:
the public query and the ledger's public reads (``read_sessions``). Every write, and every
other read, uses the primary (``sessions``). Without the setting both are the primary's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ipx.db import create_db_engine, make_session_factory


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    #: The read replica's read-only engine, or None.
    replica: Engine | None = None
    read_sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.read_sessions = make_session_factory(self.replica) if self.replica else self.sessions

    @property
    def read_engine(self) -> Engine:
        """Where reads that may lag go: the replica, or the primary when there is none."""
        return self.replica or self.engine

    def dispose(self) -> None:
        """Close every pooled connection, the replica's too."""
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()


def init_app(app: Flask) -> Database:
    engine = create_db_engine(
        app.config["DATABASE_URL"], lock_timeout_ms=app.config.get("DB_LOCK_TIMEOUT_MS")
    )
    read_url = app.config.get("READ_DATABASE_URL")
    database = Database(
        engine=engine,
        sessions=make_session_factory(engine),
        replica=create_db_engine(read_url, read_only=True) if read_url else None,
    )
    app.extensions["ipx.db"] = database
    return database


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["ipx.db"]

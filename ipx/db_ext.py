"""Binds the database to a Flask app: one engine and session factory per app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ipx.db import create_db_engine, make_session_factory


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]


def init_app(app: Flask) -> Database:
    engine = create_db_engine(
        app.config["DATABASE_URL"], lock_timeout_ms=app.config.get("DB_LOCK_TIMEOUT_MS")
    )
    database = Database(engine=engine, sessions=make_session_factory(engine))
    app.extensions["ipx.db"] = database
    return database


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["ipx.db"]

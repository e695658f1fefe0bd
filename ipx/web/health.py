"""``/healthz`` (the process answers) and ``/readyz`` (it can serve), outside ``/api/v1``.

Both are public, for load balancers and orchestrators. ``/readyz`` answers 200 when every
check passes and 503 when any fails, with each check's status; the details say what is wrong
in a few words (a revision, "missing") and never echo a connection string or a key. What went
wrong in full goes to the log.

- ``database``: a round trip to the primary database;
- ``migrations``: the database's Alembic revision is the code's head (``ipx init`` upgrades);
- ``model``: the valuation model is loaded (servers preload it), or loads now;
- ``signing_key``: the ledger signing key file exists and holds an Ed25519 private key (read
  only: this check never creates a key).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask import Blueprint, Flask, current_app, jsonify

from ipx.db_ext import database
from ipx.migrate import MIGRATIONS
from ipx.valuation import serving

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__)


class CheckFailed(Exception):
    """A readiness check did not pass; the message is safe to show to anyone."""


@blp.get("/healthz")
def healthz():
    """Alive: the process answers requests (no database, no model)."""
    return _no_store(jsonify(status="ok")), 200


@blp.get("/readyz")
def readyz():
    """Ready: every check passes (200), or which do not (503)."""
    checks = {name: _run(name, check, current_app) for name, check in CHECKS.items()}
    ready = all(result["status"] == "ok" for result in checks.values())
    body = jsonify(status="ok" if ready else "fail", checks=checks)
    return _no_store(body), 200 if ready else 503


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _run(name: str, check: Callable[[Flask], str], app: Flask) -> dict[str, str]:
    try:
        return {"status": "ok", "detail": check(app)}
    except CheckFailed as failure:
        log.warning("readiness check %s failed: %s", name, failure)
        return {"status": "fail", "detail": str(failure)}
    except Exception as exc:  # noqa: BLE001 - any fault makes the check fail, never a 500
        log.warning("readiness check %s failed", name, exc_info=True)
        return {"status": "fail", "detail": type(exc).__name__}


def database_reachable(app: Flask) -> str:
    try:
        with database(app).engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, it is unreachable
        log.warning("readiness: database unreachable: %s", exc)
        raise CheckFailed("unreachable") from None
    return "reachable"


@functools.cache
def _code_heads() -> frozenset[str]:
    """The head revision(s) of the migrations this code carries (read once per process)."""
    from alembic.script import ScriptDirectory  # here: importing Alembic logs its plugins

    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def migrations_current(app: Flask) -> str:
    from alembic.runtime.migration import MigrationContext

    with database(app).engine.connect() as connection:
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    heads = _code_heads()
    if current != heads:
        found = ", ".join(sorted(current)) or "none"
        raise CheckFailed(f"database at revision {found}, code at {', '.join(sorted(heads))}")
    return f"revision {', '.join(sorted(heads))}"


def model_loaded(app: Flask) -> str:
    if serving.is_loaded(app):
        return "loaded"
    serving.valuer(app)  # loads it (once per process); raises when it cannot be loaded
    return "loaded now"


def signing_key_readable(app: Flask) -> str:
    path = Path(app.config["SIGNING_KEY_FILE"])
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise CheckFailed("missing (ipx init creates it)") from None
    except OSError:
        raise CheckFailed("not readable") from None
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise CheckFailed("not a private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckFailed("not an Ed25519 key")
    return "readable"


CHECKS: dict[str, Callable[[Flask], str]] = {
    "database": database_reachable,
    "migrations": migrations_current,
    "model": model_loaded,
    "signing_key": signing_key_readable,
}


def init_app(app: Flask) -> None:
    app.register_blueprint(blp)

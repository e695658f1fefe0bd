"""``/healthz`` (the process answers) and ``/readyz`` (it can serve), outside ``/api/v1``.

Both are public, for load balancers and orchestrators. ``/readyz`` answers 200 when every
check passes and 503 when any fails, with each check's status (``read_replica`` aside: it is
reported but never fails readiness); the details say what is wrong
in a few words (a revision, "missing") and never echo a connection string or a key. What went
wrong in full goes to the log.

- ``database``: a round trip to the primary database (the one that reads its revision);
- ``migrations``: the database's Alembic revision is the code's head (``ipx init`` upgrades);
- ``model``: the valuation model is loaded (servers preload it), or loads now;
- ``signing_key``: the ledger signing key file exists and holds an Ed25519 private key (read
  only: this check never creates a key);
- ``read_replica``, only with ``READ_DATABASE_URL``: its state, ``ok`` (it answers, and is no
  further behind the primary's checkpoints than the service lets an answer's checkpoint age,
  ``ipx.ledger.replica.replica_lag_limit_seconds``), ``behind`` or ``unreachable``. It does
  not count for readiness (``ADVISORY``): every instance shares the one replica, so a lagging
  replica would take them all out of the load balancer at once although writes and the
  primary's reads work. Monitoring watches this state instead.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask import Blueprint, Flask, current_app, g, jsonify

from ipx.db import reading
from ipx.db_ext import database
from ipx.ledger.replica import replica_lag_limit_seconds, replica_lag_seconds
from ipx.ledger.signing import app_policy
from ipx.migrate import MIGRATIONS
from ipx.valuation import serving

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__)


class CheckFailed(Exception):
    """A readiness check did not pass; the message is safe to show to anyone; ``state`` is
    the status the body reports (``fail``, or the replica's ``behind``/``unreachable``)."""

    def __init__(self, message: str, state: str = "fail") -> None:
        super().__init__(message)
        self.state = state


#: Checks reported in the body that never fail readiness.
ADVISORY = frozenset({"read_replica"})


@blp.get("/healthz")
def healthz():
    """Alive: the process answers requests (no database, no model)."""
    return _no_store(jsonify(status="ok")), 200


@blp.get("/readyz")
def readyz():
    """Ready: every check but the advisory ones passes (200), or which do not (503)."""
    checks = {name: _run(name, check, current_app) for name, check in _checks(current_app)}
    ready = all(r["status"] == "ok" for name, r in checks.items() if name not in ADVISORY)
    body = jsonify(status="ok" if ready else "fail", checks=checks)
    return _no_store(body), 200 if ready else 503


def _checks(app: Flask) -> Iterator[tuple[str, Callable[[Flask], str]]]:
    yield from CHECKS.items()
    if database(app).replica is not None:
        yield "read_replica", read_replica_ready


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _run(name: str, check: Callable[[Flask], str], app: Flask) -> dict[str, str]:
    try:
        return {"status": "ok", "detail": check(app)}
    except CheckFailed as failure:
        log.warning("readiness check %s failed: %s", name, failure)
        return {"status": failure.state, "detail": str(failure)}
    except Exception as exc:  # noqa: BLE001 - any fault makes the check fail, never a 500
        log.warning("readiness check %s failed", name, exc_info=True)
        state = "unreachable" if name in ADVISORY else "fail"
        return {"status": state, "detail": type(exc).__name__}


def database_reachable(app: Flask) -> str:
    try:
        _primary_revision(app)
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, it is unreachable
        log.warning("readiness: database unreachable: %s", exc)
        raise CheckFailed("unreachable") from None
    return "reachable"


def _primary_revision(app: Flask) -> frozenset[str]:
    """The primary's Alembic revision(s), read once per ``/readyz`` (kept on ``flask.g``): that
    one round trip proves the database answers (``database``) and says whether its migrations
    are current (``migrations``), so no ``SELECT 1`` besides. A failure is raised to both."""
    if "readyz_revision" not in g:
        try:
            g.readyz_revision = _read_revision(app)
        except Exception as exc:  # noqa: BLE001 - kept, and raised to each check that asks
            g.readyz_revision = exc
    found = g.readyz_revision
    if isinstance(found, Exception):
        raise found
    return found


def _read_revision(app: Flask) -> frozenset[str]:
    from alembic.runtime.migration import MigrationContext

    with database(app).engine.connect() as connection:
        heads = frozenset(MigrationContext.configure(connection).get_current_heads())
        connection.commit()  # a read: a COMMIT keeps the connection's prepared statements
    return heads


def read_replica_ready(app: Flask) -> str:
    db = database(app)
    assert db.replica is not None  # only run with one (``_checks``)
    try:
        with db.replica.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            connection.commit()  # as in _read_revision
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, it is unreachable
        log.warning("readiness: read replica unreachable: %s", exc)
        raise CheckFailed("unreachable", "unreachable") from None
    with reading(db.sessions) as primary, reading(db.read_sessions) as replica:
        lag = replica_lag_seconds(primary, replica, datetime.now(UTC))
    limit = replica_lag_limit_seconds(app_policy(app))
    if lag > limit:
        raise CheckFailed(
            f"{lag:.0f} s behind the primary's checkpoints (limit {limit:.0f} s)", "behind"
        )
    return f"reachable, {lag:.0f} s behind (limit {limit:.0f} s)"


@functools.cache
def _code_heads() -> frozenset[str]:
    """The head revision(s) of the migrations this code carries (read once per process)."""
    from alembic.script import ScriptDirectory  # here: importing Alembic logs its plugins

    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def migrations_current(app: Flask) -> str:
    current = _primary_revision(app)
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

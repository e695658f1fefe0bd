"""``/healthz`` answers while the process lives; ``/readyz`` is 200 only when the database is
reachable, its migrations current, the model loadable and the signing key readable, and 503
naming the check that failed otherwise (each one is failed here in turn)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import create_engine, event

from ipx import create_app
from ipx.db_ext import database
from ipx.migrate import upgrade

CHECKS = {"database", "migrations", "model", "signing_key"}


@pytest.fixture
def signing_key(app):
    """The instance's signing key, written the way ``ipx init`` writes it."""
    from ipx.ledger.signing import app_signer

    app_signer(app)
    return app.config["SIGNING_KEY_FILE"]


def _ready(app) -> tuple[int, dict]:
    response = app.test_client().get("/readyz")
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body["checks"]) == CHECKS
    return response.status_code, body


def _failed(body: dict) -> set[str]:
    return {name for name, check in body["checks"].items() if check["status"] != "ok"}


def _variant(app, **changes):
    """An app like the fixture's with some settings changed (closed by the caller)."""
    return create_app({**app.config, **changes})


@pytest.mark.parametrize("backend", ["sqlite"])
def test_healthz_answers_without_a_database(app, tmp_path):
    broken = _variant(app, DATABASE_URL=f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite3'}")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    database(broken).dispose()


def test_readyz_is_200_when_every_check_passes(app, signing_key):
    status, body = _ready(app)
    assert (status, body["status"], _failed(body)) == (200, "ok", set()), body


def test_readyz_makes_one_round_trip_to_the_primary_and_no_select_1(app, signing_key):
    """Reading the Alembic revision proves the database answers: ``database`` and
    ``migrations`` share that one connection's query, with no ``SELECT 1`` besides."""
    engine = database(app).engine
    statements: list[str] = []
    checkouts: list[object] = []

    def executed(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement.strip())

    def checked_out(*_args) -> None:
        checkouts.append(None)

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "checkout", checked_out)
    try:
        status, body = _ready(app)
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine, "checkout", checked_out)
    assert (status, _failed(body)) == (200, set()), body
    assert body["checks"]["database"] == {"status": "ok", "detail": "reachable"}
    assert "SELECT 1" not in statements and any("alembic_version" in s for s in statements)
    assert len(checkouts) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_readyz_is_503_when_the_database_is_unreachable(app, signing_key, tmp_path):
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite3'}"
    broken = _variant(app, DATABASE_URL=url)
    status, body = _ready(broken)
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["database"] == {"status": "fail", "detail": "unreachable"}
    assert str(tmp_path) not in str(body)  # where the database is stays private
    assert _failed(body) == {"database", "migrations"}  # no revision without a database
    database(broken).dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_readyz_does_not_reveal_an_unreachable_servers_address(app, signing_key):
    broken = _variant(app, DATABASE_URL="postgresql+psycopg://ipx:s3cret@127.0.0.1:1/ipx")
    status, body = _ready(broken)
    assert status == 503 and body["checks"]["database"]["status"] == "fail"
    assert "s3cret" not in str(body) and "127.0.0.1" not in str(body)
    database(broken).dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_readyz_is_503_when_migrations_are_not_current(app, signing_key, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    fresh = _variant(app, DATABASE_URL=url)
    status, body = _ready(fresh)  # an empty database: never upgraded
    assert status == 503 and _failed(body) == {"migrations"}
    assert body["checks"]["migrations"]["detail"].startswith("database at revision none")
    engine = create_engine(url)
    upgrade(engine)  # `ipx init`: now current
    engine.dispose()
    assert _ready(fresh)[0] == 200
    database(fresh).dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_readyz_is_503_when_the_model_cannot_be_loaded(app, signing_key, tmp_path):
    empty = tmp_path / "models" / "1999.1.0"
    empty.mkdir(parents=True)
    broken = _variant(app, MODEL_DIR=str(empty))
    status, body = _ready(broken)
    assert status == 503 and _failed(body) == {"model"}
    database(broken).dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("content", [None, b"not a key", "rsa"], ids=["missing", "junk", "rsa"])
def test_readyz_is_503_when_the_signing_key_is_not_readable(app, tmp_path, content):
    path = tmp_path / "signing.key"
    if content == "rsa":
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    elif content is not None:
        path.write_bytes(content)
    broken = _variant(app, SIGNING_KEY_FILE=str(path))
    status, body = _ready(broken)
    assert status == 503 and _failed(body) == {"signing_key"}
    assert path.exists() == (content is not None)  # the check never creates a key
    database(broken).dispose()

"""Reads run in READ ONLY transactions that end with a COMMIT on PostgreSQL (``ipx.db.reading``).

psycopg forgets every statement it has prepared on a connection when that connection rolls
back (it sends ``DEALLOCATE ALL``), so reads that ended with their session's ROLLBACK undid
the prepared statements of the writes sharing the pool's connections (``ipx.db.end_read``).
"""

from __future__ import annotations

import contextlib
import functools

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ipx.db import create_db_engine, make_session_factory, reading
from ipx.db_ext import database

#: psycopg prepares a statement on its sixth execution on a connection (``prepare_threshold``).
PREPARED_AFTER = 6
PROBE = "SELECT count(*) FROM ledger_entries WHERE seq >= :low"


@pytest.fixture
def one_connection(app, pg_url):
    """Sessions over an engine of one pooled connection: each session gets the same one."""
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)
    yield make_session_factory(engine)
    engine.dispose()


def _prepared(sessions) -> int:
    """How many statements the server holds prepared on the (one) connection."""
    with reading(sessions) as session:
        return session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()


def _probe(session) -> None:
    session.execute(text(PROBE), {"low": 0}).scalar_one()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_rollback_makes_psycopg_forget_the_prepared_statements(one_connection, backend):
    """Why reads end with a COMMIT: what a session's close does to the connection."""
    for _ in range(PREPARED_AFTER):
        with reading(one_connection) as session:
            _probe(session)
    assert _prepared(one_connection) >= 1
    with one_connection() as session:  # a read closed as sessions close: ROLLBACK
        _probe(session)
    assert _prepared(one_connection) == 0


@pytest.mark.parametrize("backend", ["postgresql"])
def test_reads_keep_the_prepared_statements_even_when_their_block_raises(one_connection, backend):
    for _ in range(PREPARED_AFTER):
        with reading(one_connection) as session:
            _probe(session)
    kept = _prepared(one_connection)
    assert kept >= 1
    with pytest.raises(LookupError), reading(one_connection) as session:
        _probe(session)
        raise LookupError("not found")  # a 404 raised from inside a read
    assert _prepared(one_connection) == kept


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_read_the_server_failed_ends_with_a_rollback(one_connection, backend):
    with (
        _rollbacks(one_connection.kw["bind"]) as rollbacks,
        pytest.raises(DBAPIError),
        reading(one_connection) as session,
    ):
        session.execute(text("SELECT 1 / 0")).scalar_one()
    assert len(rollbacks) == 1
    with reading(one_connection) as session:  # and the connection serves the next read
        assert session.execute(text("SELECT 2")).scalar_one() == 2


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_read_may_not_write_so_its_commit_keeps_nothing(app, backend):
    sessions = database(app).sessions
    with pytest.raises(DBAPIError, match="read-only transaction"), reading(sessions) as session:
        session.execute(text("INSERT INTO ledger_head (id, size) VALUES (99, 0)"))
    with reading(sessions) as session:
        count = session.execute(text("SELECT count(*) FROM ledger_head WHERE id = 99"))
        assert count.scalar_one() == 0


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("replica", [False, True], ids=["primary", "replica engine"])
def test_after_a_read_the_connection_begins_as_the_servers_default_again(
    app, pg_url, backend, replica
):
    """SQLAlchemy hands a read's connection back set read-write, which would override the
    server's default (a replica engine's ``default_transaction_read_only``, a write freeze)."""
    engine = create_db_engine(pg_url, read_only=replica, pool_size=1, max_overflow=0)
    sessions = make_session_factory(engine)
    try:
        with reading(sessions) as session:
            assert session.execute(text("SHOW transaction_read_only")).scalar_one() == "on"
        with sessions() as session:
            default = session.execute(text("SHOW transaction_read_only")).scalar_one()
        assert default == ("on" if replica else "off")
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_read_on_a_callers_connection_leaves_it_as_it_is(app, pg_url, backend):
    """A read session bound to a connection (someone else's transaction) is not made read-only:
    its holder writes on it afterwards."""
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            with reading(functools.partial(Session, connection)) as session:
                assert session.execute(text("SHOW transaction_read_only")).scalar_one() == "off"
            connection.execute(text("CREATE TEMPORARY TABLE scratch (n int)"))  # a write
            connection.rollback()
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_use_case_read_may_not_write(app, backend):
    runner = app.extensions["ipx.usecases"]

    def writes(uow, _principal):
        uow.session.execute(text("INSERT INTO ledger_head (id, size) VALUES (98, 0)"))

    with app.app_context(), pytest.raises(DBAPIError, match="read-only transaction"):
        runner.read(writes, None)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_api_and_console_reads_end_no_transaction_with_a_rollback(app, client, registry, backend):
    from tests.console_helpers import logged_in

    owner = registry.party()
    asset = registry.asset([owner])
    logged_in(client, app, "clerk")
    signed = client.get("/api/v1/ledger/checkpoint").get_json()["tree_size"]  # (< 256 here)
    reads = [
        (f"/api/v1/assets/{asset['id']}", registry.clerk),  # the key check, a use case's read
        (f"/api/v1/public/encumbrances?number={asset['number']}", {}),
        (f"/api/v1/public/encumbrances?number={asset['number']}&proof=1", {}),
        (f"/api/v1/ledger/tile/0/000.p/{signed}", {}),
        ("/api/v1/ledger/entries/0", registry.clerk),
        ("/api/v1/ledger/proofs/inclusion?index=0", {}),
        ("/api/v1/ledger/checkpoint", {}),
        ("/api/v1/ledger/public-key", {}),
        (f"/console/assets/{asset['id']}", {}),  # the console's login, a use case's read
    ]
    engine = database(app).engine
    for path, headers in reads:
        client.get(path, headers=headers)  # once before: a first use may make a key file
        app.extensions.get("ipx.auth_cache", {}).clear()  # the key is looked up again
        with _rollbacks(engine) as rollbacks:
            response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        assert rollbacks == [], path


@contextlib.contextmanager
def _rollbacks(engine):
    """The ROLLBACKs that connections of ``engine`` send while the block runs (SQLAlchemy
    rolls back a transaction psycopg has not begun yet too: psycopg sends nothing then)."""
    seen: list = []

    def listener(connection) -> None:
        status = connection.connection.dbapi_connection.info.transaction_status
        if status != TransactionStatus.IDLE:
            seen.append(status.name)

    event.listen(engine, "rollback", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "rollback", listener)

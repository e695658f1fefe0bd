"""Reads from a read replica (``IPX_READ_DATABASE_URL``): the public query and the ledger's reads.

Two tiers. The fast tests stand a *copy* of the primary in for the replica (SQLite's backup API,
PostgreSQL's ``CREATE DATABASE ... TEMPLATE``): a copy never catches up, so whatever the app
answers from it is visibly the copy's, and every write visibly lands on the primary. The slow
test runs a real streaming replica of the local PostgreSQL (``tests/pg_replica.py``), pauses
its replay to show the answers come from it, and resumes it to show they catch up.

Every answer read on a replica must be stamped with a checkpoint that replica holds.
"""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from ipx import create_app
from ipx.auth import Principal, Role
from ipx.config import load_config
from ipx.db_ext import database
from ipx.ledger import replica as replica_module
from ipx.migrate import upgrade
from ipx.usecases import UseCases
from tests.conftest import PG_ADMIN_URL, REQUIRE_PG, Keys, _drop_pg_database, _pg_database
from tests.contract import ContractClient
from tests.registry_helpers import Registry, assert_problem, audit

PUBLIC = "/api/v1/public/encumbrances"


# --- apps and databases ---------------------------------------------------------------------


class Apps:
    """Apps on one primary (and read databases), with shared instance keys; ``close`` disposes
    every engine they opened, before their databases are dropped."""

    def __init__(self, keys_dir) -> None:
        self.keys_dir, self.made = keys_dir, []

    def app(self, primary_url: str, read_url: str | None = None):
        config = {
            "DATABASE_URL": primary_url,
            "TESTING": True,
            "SIGNING_KEY_FILE": str(self.keys_dir / "signing.key"),
            "DIGEST_KEY_FILE": str(self.keys_dir / "digest.key"),
            "SESSION_KEY_FILE": str(self.keys_dir / "session.key"),
            "CHECKPOINT_EVERY_SECONDS": 0,  # every read that sees a grown log asks for one
        }
        if read_url is not None:
            config["READ_DATABASE_URL"] = read_url
        app = create_app(config)
        app.test_client_class = ContractClient
        self.made.append(app)
        return app

    def close(self) -> None:
        for app in self.made:
            database(app).dispose()


@pytest.fixture
def apps(tmp_path):
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    made = Apps(keys_dir)
    yield made
    made.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request, tmp_path, apps):
    """``(primary url, copy(url) -> url of a copy)`` on a fresh database of the backend."""
    if request.param == "sqlite":
        primary = f"sqlite:///{tmp_path / 'primary.sqlite3'}"

        def copy(url: str) -> str:
            apps.close()  # as PostgreSQL needs it: a copy of a database nobody is writing
            target = tmp_path / f"copy-{uuid.uuid4().hex[:6]}.sqlite3"
            source = sqlite3.connect(url.removeprefix("sqlite:///"))
            destination = sqlite3.connect(target)
            try:
                source.backup(destination)
            finally:
                source.close()
                destination.close()
            return f"sqlite:///{target}"

        yield primary, copy
        return

    primary = _pg_database()
    if primary is None:
        pytest.skip("PostgreSQL unreachable (set IPX_REQUIRE_POSTGRES=1 to fail instead)")
    made = [primary]

    def copy(url: str) -> str:
        apps.close()  # CREATE DATABASE ... TEMPLATE copies only a database nobody is connected to
        name = url.rsplit("/", 1)[1]
        target = f"{name}_copy_{uuid.uuid4().hex[:6]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{name}"'))
        finally:
            admin.dispose()
        made.append(url.rsplit("/", 1)[0] + f"/{target}")
        return made[-1]

    try:
        yield primary, copy
    finally:
        apps.close()
        for url in made:
            _drop_pg_database(url)


def _latest_held(url: str) -> tuple[int, str] | None:
    """``(tree_size, base64 root)`` of the latest checkpoint stored in the database at ``url``."""
    import base64

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT tree_size, root_hash FROM ledger_checkpoints "
                    "ORDER BY tree_size DESC LIMIT 1"
                )
            ).first()
    finally:
        engine.dispose()
    return None if row is None else (row[0], base64.b64encode(bytes(row[1])).decode())


def _held_sizes(url: str) -> set[int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT tree_size FROM ledger_checkpoints")).scalars())
    finally:
        engine.dispose()


def _log_size(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT size FROM ledger_head")).scalar_one()
    finally:
        engine.dispose()


def _public(client, number: str) -> dict:
    response = client.get(PUBLIC, query_string={"number": number})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- the fast tier: a copy stands in for the replica -----------------------------------------


def test_public_and_ledger_reads_come_from_the_read_database_and_writes_from_the_primary(
    databases, apps
):
    primary_url, copy = databases
    primary = apps.app(primary_url)
    upgrade(database(primary).engine)
    clerk = Keys(primary).header("clerk")
    before = Registry(primary.test_client(), clerk)
    owner, bank = before.party(), before.party("浦江商业银行")
    first_asset = before.asset([owner])
    first = before.pledge(owner, bank, [first_asset["id"]])
    assert primary.test_client().get("/api/v1/ledger/checkpoint").status_code == 200
    replica_url = copy(primary_url)
    held = _latest_held(replica_url)
    assert held is not None and held[0] == _log_size(replica_url)

    app = apps.app(primary_url, read_url=replica_url)
    client = app.test_client()
    # Writes through the app with a replica go to the primary (the copy is never written).
    after = Registry(client, clerk)
    second_asset = after.asset([owner])
    second = after.pledge(owner, bank, [second_asset["id"]])
    assert _log_size(primary_url) > held[0] == _log_size(replica_url)

    found = _public(client, first_asset["number"])
    assert [i["registration_number"] for i in found["items"]] == [first["registration_number"]]
    assert found["checkpoint"] == {"tree_size": held[0], "root_hash": held[1]}
    unseen = _public(client, second_asset["number"])
    assert unseen["items"] == [], "the second pledge exists only on the primary"
    assert unseen["checkpoint"] == {"tree_size": held[0], "root_hash": held[1]}

    on_primary = primary.test_client()
    listed = _public(on_primary, second_asset["number"])
    assert [i["registration_number"] for i in listed["items"]] == [second["registration_number"]]
    newer = listed["checkpoint"]["tree_size"]
    assert newer > held[0] and newer not in _held_sizes(replica_url)

    # The ledger's reads: the copy's checkpoint, entries and proofs.
    latest = client.get("/api/v1/ledger/checkpoint").get_json()
    assert (latest["tree_size"], latest["root_hash"]) == held
    assert_problem(client.get(f"/api/v1/ledger/checkpoint?tree_size={newer}"), 404, "not-found")
    assert on_primary.get(f"/api/v1/ledger/checkpoint?tree_size={newer}").status_code == 200
    assert_problem(client.get(f"/api/v1/ledger/entries/{held[0]}"), 404, "not-found")
    assert on_primary.get(f"/api/v1/ledger/entries/{held[0]}").status_code == 200
    proof = client.get(f"/api/v1/ledger/proofs/inclusion?index={held[0] - 1}").get_json()
    assert (proof["tree_size"], proof["root_hash"]) == held
    consistency = client.get(f"/api/v1/ledger/proofs/consistency?first={held[0]}").get_json()
    assert consistency["second"] == held[0]

    # The console's public search reads the same way.
    html = client.get(f"/console/public?number={second_asset['number']}&lang=en").get_data(
        as_text=True
    )
    assert second["registration_number"] not in html and held[1] in html
    html = client.get(f"/console/public?number={first_asset['number']}&lang=en").get_data(
        as_text=True
    )
    assert first["registration_number"] in html

    report = audit(app)
    assert report.ok, report.problems


def test_the_read_database_is_never_written(databases, apps):
    primary_url, copy = databases
    primary = apps.app(primary_url)
    upgrade(database(primary).engine)
    Keys(primary).header("clerk")
    replica_url = copy(primary_url)
    app = apps.app(primary_url, read_url=replica_url)
    with database(app).read_sessions() as session, pytest.raises(DBAPIError):
        session.execute(text("DELETE FROM api_keys"))
        session.commit()
    engine = create_engine(replica_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM api_keys")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_replica_that_holds_no_checkpoint_answers_503_and_the_primary_signs(
    databases, apps, monkeypatch
):
    monkeypatch.setattr(replica_module, "FIRST_CHECKPOINT_WAIT_SECONDS", 0.2)
    primary_url, copy = databases
    upgrade(database(apps.app(primary_url)).engine)
    replica_url = copy(primary_url)
    app = apps.app(primary_url, read_url=replica_url)
    app.test_client_class = None  # the plain client: this answer is checked here, field by field
    response = app.test_client().get(PUBLIC, query_string={"number": "ZL202110355218.9"})
    assert_problem(response, 503, "replica-behind")
    assert _latest_held(replica_url) is None
    assert _latest_held(primary_url) is not None, "the primary was asked to sign its first"


def test_without_a_read_database_every_read_uses_the_primary(tmp_path, apps, monkeypatch):
    db = database(apps.app(f"sqlite:///{tmp_path / 'ipx.sqlite3'}"))
    assert db.replica is None and db.read_engine is db.engine and db.read_sessions is db.sessions
    monkeypatch.delenv("IPX_READ_DATABASE_URL", raising=False)
    assert load_config(tmp_path)["READ_DATABASE_URL"] is None
    monkeypatch.setenv("IPX_READ_DATABASE_URL", "postgresql+psycopg://reader@replica/ipx")
    assert load_config(tmp_path)["READ_DATABASE_URL"] == "postgresql+psycopg://reader@replica/ipx"


def test_a_unit_of_work_on_the_replica_never_writes():
    def no_sessions():
        raise AssertionError("not opened here")

    runner = UseCases(no_sessions, read_sessions=no_sessions, digest_key=lambda: b"k")  # type: ignore[arg-type]
    clerk = Principal(key_id="clerk", role=Role.CLERK, party_id=None)
    with pytest.raises(ValueError, match="never writes"):
        runner.unit_of_work(clerk, write=True, replica=True)
    assert runner.unit_of_work(clerk, write=False, replica=True).write is False


# --- the slow tier: a real streaming replica ------------------------------------------------


@pytest.mark.slow
@pytest.mark.postgres
def test_public_queries_answer_from_a_streaming_replica(apps):
    """The database is made before the replica copies the server, so the replica has it."""
    from tests.pg_replica import StreamingReplica, missing_prerequisites

    primary_url = _pg_database()
    if primary_url is None:
        pytest.skip("PostgreSQL unreachable (set IPX_REQUIRE_POSTGRES=1 to fail instead)")
    try:
        missing = missing_prerequisites()
        if missing:
            message = f"a streaming replica cannot be made here: {missing}"
            if REQUIRE_PG:
                pytest.fail(message)
            pytest.skip(message)
        upgrade(database(apps.app(primary_url)).engine)
        apps.close()
        with StreamingReplica() as replica:
            try:
                _answers_come_from_the_replica(apps, primary_url, replica)
            finally:
                apps.close()  # before the replica stops
    finally:
        apps.close()
        _drop_pg_database(primary_url)


def _answers_come_from_the_replica(apps, primary_url: str, replica) -> None:
    replica_url = replica.url(primary_url.rsplit("/", 1)[1])
    primary, app = apps.app(primary_url), apps.app(primary_url, read_url=replica_url)
    client, on_primary = app.test_client(), primary.test_client()
    clerk = Keys(app).header("clerk")
    registry = Registry(client, clerk)  # every write through the app with the replica
    owner, bank = registry.party(), registry.party("浦江商业银行")

    # Caught up: the replica has the pledge, and a checkpoint covering it.
    first_asset = registry.asset([owner])
    first = registry.pledge(owner, bank, [first_asset["id"]])
    assert on_primary.get("/api/v1/ledger/checkpoint").status_code == 200
    replica.wait_for_replay()
    found = _public(client, first_asset["number"])
    assert [i["registration_number"] for i in found["items"]] == [first["registration_number"]]
    held = _latest_held(replica_url)
    assert found["checkpoint"] == {"tree_size": held[0], "root_hash": held[1]}

    # Replay paused: the primary goes on, the replica stays where it was.
    replica.pause_replay()
    try:
        second_asset = registry.asset([owner])
        second = registry.pledge(owner, bank, [second_asset["id"]])
        signed = client.post("/api/v1/ledger/checkpoints", headers=clerk)
        assert signed.status_code == 201, signed.get_json()  # signed on the primary
        newer = signed.get_json()["tree_size"]

        unseen = _public(client, second_asset["number"])
        assert unseen["items"] == [], "the replica has not replayed the second pledge"
        assert unseen["checkpoint"] == {"tree_size": held[0], "root_hash": held[1]}
        assert newer > held[0] and newer not in _held_sizes(replica_url)
        assert client.get("/api/v1/ledger/checkpoint").get_json()["tree_size"] == held[0]
        assert_problem(client.get(f"/api/v1/ledger/entries/{held[0]}"), 404, "not-found")
        assert on_primary.get(f"/api/v1/ledger/entries/{held[0]}").status_code == 200
        assert_problem(client.get(f"/api/v1/ledger/checkpoint?tree_size={newer}"), 404, "not-found")
        listed = _public(on_primary, second_asset["number"])["items"]
        assert [i["registration_number"] for i in listed] == [second["registration_number"]]
        page = client.get(f"/console/public?number={second_asset['number']}&lang=en")
        assert second["registration_number"] not in page.get_data(as_text=True)
    finally:
        replica.resume_replay()

    replica.wait_for_replay()
    caught_up = _public(client, second_asset["number"])
    assert [i["registration_number"] for i in caught_up["items"]] == [second["registration_number"]]
    assert caught_up["checkpoint"]["tree_size"] == newer
    page = client.get(f"/console/public?number={second_asset['number']}&lang=en")
    assert second["registration_number"] in page.get_data(as_text=True)

    # New entries no checkpoint covers reach the replica: its checkpoint is stale, so a read
    # there asks the primary to sign; the answer keeps the replica's checkpoint until the new
    # one has been replayed too.
    third_asset = registry.asset([owner])
    registry.pledge(owner, bank, [third_asset["id"]])
    replica.wait_for_replay()
    size = _log_size(primary_url)
    assert _latest_held(primary_url)[0] == newer < size
    stale = _public(client, third_asset["number"])
    assert stale["checkpoint"]["tree_size"] == newer
    assert _latest_held(primary_url)[0] == size, "the primary signed when asked"
    replica.wait_for_replay()
    fresh = _public(client, third_asset["number"])
    assert fresh["checkpoint"]["tree_size"] == size and len(fresh["items"]) == 1

    report = audit(primary)
    assert report.ok, report.problems

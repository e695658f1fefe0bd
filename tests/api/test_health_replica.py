"""``/readyz`` reports the read replica when ``IPX_READ_DATABASE_URL`` is set: ``ok`` when it
answers and holds the primary's checkpoints within the lag the service tolerates, else
``behind`` or ``unreachable``; but the replica never fails readiness (every instance shares it:
it would take them all out while writes and primary reads work). Without a replica the check
is not listed at all."""

from __future__ import annotations

import sqlite3

import pytest

from ipx import create_app
from ipx.db_ext import database
from ipx.ledger import replica as replica_module

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # a file copy stands in for it

CHECKPOINTS = "/api/v1/ledger/checkpoints"


@pytest.fixture
def signed(app, registry, clerk):
    """A primary with a log and a signed checkpoint covering it (and a signing key)."""
    registry.party()
    response = app.test_client().post(CHECKPOINTS, headers=clerk)
    assert response.status_code in (200, 201), response.get_json()


@pytest.fixture
def variants(app):
    made = []

    def variant(**changes):
        made.append(create_app({**app.config, **changes}))
        return made[-1]

    yield variant
    for app_made in made:
        database(app_made).dispose()


def _copy(app, tmp_path) -> str:
    """A copy of the primary's SQLite database (SQLite's backup API), as a replica's URL."""
    target = tmp_path / "replica.sqlite3"
    source = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()
    return f"sqlite:///{target}"


def _ready(app) -> tuple[int, dict]:
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()


def _failed(body: dict) -> set[str]:
    return {name for name, check in body["checks"].items() if check["status"] != "ok"}


def test_without_a_replica_readyz_has_no_replica_check(app, signed):
    status, body = _ready(app)
    assert status == 200, body
    assert "read_replica" not in body["checks"]


def test_a_replica_holding_the_primarys_checkpoints_is_ready(app, signed, variants, tmp_path):
    with_replica = variants(READ_DATABASE_URL=_copy(app, tmp_path))
    status, body = _ready(with_replica)
    assert (status, _failed(body)) == (200, set()), body
    assert body["checks"]["read_replica"]["detail"].startswith("reachable")


def test_an_unreachable_replica_is_reported_but_the_instance_stays_ready(
    app, signed, variants, tmp_path
):
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'replica.sqlite3'}"
    status, body = _ready(variants(READ_DATABASE_URL=url))
    assert status == 200 and body["status"] == "ok", body
    assert _failed(body) == {"read_replica"}, body
    assert body["checks"]["read_replica"] == {"status": "unreachable", "detail": "unreachable"}
    assert str(tmp_path) not in str(body)  # where the replica is stays private


def test_a_failing_primary_check_still_fails_readiness_beside_a_replica(
    app, signed, variants, tmp_path
):
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'replica.sqlite3'}"
    missing_key = tmp_path / "no-signing.key"
    status, body = _ready(variants(READ_DATABASE_URL=url, SIGNING_KEY_FILE=str(missing_key)))
    assert status == 503 and body["status"] == "fail"
    assert _failed(body) == {"read_replica", "signing_key"}, body


def test_a_replica_behind_the_limit_is_reported_behind_and_the_instance_stays_ready(
    app, signed, registry, clerk, variants, tmp_path, monkeypatch
):
    replica_url = _copy(app, tmp_path)
    registry.party("浦江商业银行")  # the primary grows and signs; the copy never replays it
    assert app.test_client().post(CHECKPOINTS, headers=clerk).status_code == 201
    with_replica = variants(READ_DATABASE_URL=replica_url, CHECKPOINT_EVERY_SECONDS=3600)
    status, body = _ready(with_replica)
    assert status == 200, "a checkpoint signed a moment ago is within an hour's limit"
    monkeypatch.setattr(replica_module, "FIRST_CHECKPOINT_WAIT_SECONDS", 0)
    strict = variants(READ_DATABASE_URL=replica_url, CHECKPOINT_EVERY_SECONDS=0)
    status, body = _ready(strict)
    assert status == 200 and body["status"] == "ok", body
    assert _failed(body) == {"read_replica"}, body
    assert body["checks"]["read_replica"]["status"] == "behind"
    assert "behind the primary" in body["checks"]["read_replica"]["detail"]

"""Connections are not pinged before use: one the server dropped fails its request with 503
and Retry-After, changes nothing, and the pool is replaced so the next request succeeds."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from ipx.db_ext import database
from tests.registry_helpers import assert_problem, credit_code, row_counts


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no server to drop us
def test_a_dropped_connection_is_a_503_then_the_pool_recovers(app, client, clerk, db_url):
    body = {"kind": "organization", "name": "江南精密机械有限公司", "credit_code": credit_code()}
    assert client.post("/api/v1/parties", json=body, headers=clerk).status_code == 201
    before = row_counts(app)
    name = database(app).engine.url.database
    admin = create_engine(db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar_one()
    admin.dispose()
    assert dropped >= 1
    other = {**body, "name": "江南精密机械二厂", "credit_code": credit_code()}
    app.config["PROPAGATE_EXCEPTIONS"] = False
    failed = client.post("/api/v1/parties", json=other, headers=clerk)
    assert_problem(failed, 503, "service-unavailable")
    assert failed.headers["Retry-After"] == "1"
    assert row_counts(app) == before
    retried = client.post("/api/v1/parties", json=other, headers=clerk)
    assert retried.status_code == 201, retried.get_json()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_connection_dropped_under_a_read_is_a_503_too(app, client, clerk, registry, db_url):
    """A read ends with a COMMIT (``ipx.db.end_read``); on a dropped connection that step
    stands aside, and the read's own error is answered."""
    asset = registry.asset([registry.party()])
    name = database(app).engine.url.database
    admin = create_engine(db_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
    admin.dispose()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.extensions.get("ipx.auth_cache", {}).clear()  # the key is looked up: a read too
    failed = client.get(f"/api/v1/assets/{asset['id']}", headers=clerk)
    assert_problem(failed, 503, "service-unavailable")
    assert client.get(f"/api/v1/assets/{asset['id']}", headers=clerk).status_code == 200


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_lock_timeout_is_set_per_connection_and_keeps_the_urls_options(db_url):
    from ipx.db import create_db_engine

    engine = create_db_engine(
        db_url + "?options=-c%20statement_timeout%3D5000", lock_timeout_ms=1234
    )
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW lock_timeout")).scalar_one() == "1234ms"
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "5s"
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite waits on its busy timeout instead
def test_a_record_locked_longer_than_the_lock_timeout_is_a_503_lock_timeout(
    app, client, clerk, registry, db_url
):
    from ipx import create_app

    owner = registry.party()
    asset = registry.asset([owner])
    impatient = create_app({**app.config, "DB_LOCK_TIMEOUT_MS": 200})
    impatient.config["PROPAGATE_EXCEPTIONS"] = False
    holder = create_engine(db_url)
    try:
        with holder.begin() as conn:  # another transaction holds the asset's row
            conn.execute(
                text("SELECT id FROM assets WHERE id = :id FOR UPDATE"), {"id": asset["id"]}
            )
            before = row_counts(app)
            body = {"court": "上海市浦东新区人民法院", "order_number": "(2026)沪0115执保1号"}
            response = impatient.test_client().post(
                f"/api/v1/assets/{asset['id']}/freezes", json=body, headers=clerk
            )
            assert_problem(response, 503, "lock-timeout")
            assert response.headers["Retry-After"] == "1"
            assert row_counts(app) == before
    finally:
        holder.dispose()
        database(impatient).engine.dispose()

"""API keys over their life: ``ipx keys list``, ``ipx keys revoke``, ``--expires``; a revoked
or expired key answers 401 problem+json, and a revocation reaches every worker within a second."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from ipx import auth, create_app
from ipx.auth import ApiKey, create_key
from ipx.db_ext import database
from ipx.ops.keys import parse_expiry
from tests.registry_helpers import assert_problem

PATH = "/api/v1/parties"
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def ipx_cli(app, db_url, instance_dir, monkeypatch):
    """``ipx`` as an operator runs it, configured (through the environment) on the test
    database and the test instance's keys."""
    monkeypatch.setenv("IPX_DATABASE_URL", db_url)
    monkeypatch.setenv("IPX_SIGNING_KEY_FILE", str(instance_dir / "signing.key"))
    monkeypatch.setenv("IPX_DIGEST_KEY_FILE", str(instance_dir / "digest.key"))
    monkeypatch.setenv("IPX_SESSION_KEY_FILE", str(instance_dir / "session.key"))
    import ipx.cli

    def run(*args: str):
        return CliRunner().invoke(ipx.cli.main, list(args))

    return run


def _key_id(header: dict) -> str:
    return header["Authorization"].split("_")[1]


def _created_key(result) -> dict:
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}


# --- ipx keys list --------------------------------------------------------------------------------


def test_keys_list_shows_every_key_and_never_its_secret_or_hash(app, ipx_cli, registry):
    bank = registry.party("浦江商业银行")
    clerk = _created_key(ipx_cli("keys", "create", "--role", "clerk", "--name", "front desk"))
    banker = _created_key(
        ipx_cli("keys", "create", "--role", "bank", "--party", str(bank), "--expires", "30d")
    )
    assert ipx_cli("keys", "revoke", _key_id(clerk)).exit_code == 0

    listing = ipx_cli("keys", "list")
    assert listing.exit_code == 0, listing.output
    header, *lines = listing.output.strip().splitlines()
    assert header.split("\t") == ["id", "role", "party", "name", "created", "expires", "revoked"]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines}
    clerk_row, bank_row = rows[_key_id(clerk)], rows[_key_id(banker)]
    assert clerk_row[1:4] == ["clerk", "-", "front desk"] and clerk_row[6] != "-"
    assert clerk_row[5] == "-"  # never expires
    assert bank_row[1:3] == ["bank", str(bank)] and bank_row[6] == "-"
    assert bank_row[5].endswith("Z") and bank_row[5] > bank_row[4]
    with database(app).sessions() as session:
        hashes = session.execute(select(ApiKey.secret_hash)).scalars().all()
    for key in (clerk, banker):
        secret = key["Authorization"].split("_", 2)[2]  # ipx_<id>_<secret>: it may hold "_"
        assert secret not in listing.output
    assert hashes and not any(digest in listing.output for digest in hashes)


def test_keys_list_marks_an_expired_key(app, ipx_cli):
    now = datetime.now(UTC)
    with database(app).sessions() as session:
        create_key(
            session,
            role="auditor",
            party_id=None,
            name="lapsed",
            now=now - timedelta(days=10),
            expires_at=now - timedelta(days=1),
        )
        session.commit()
    listing = ipx_cli("keys", "list")
    assert "(expired)" in listing.output.splitlines()[1]


# --- ipx keys revoke ------------------------------------------------------------------------------


def test_a_revoked_key_answers_401_problem_json_saying_so(client, ipx_cli, clerk):
    client.application.config["AUTH_CACHE_SECONDS"] = 0
    assert client.get(PATH, headers=clerk).status_code == 200
    result = ipx_cli("keys", "revoke", _key_id(clerk))
    assert result.exit_code == 0 and _key_id(clerk) in result.output
    problem = assert_problem(client.get(PATH, headers=clerk), 401, "unauthorized")
    assert "revoked" in problem["detail"]
    # Someone without the secret learns nothing about the key id: the generic answer.
    forged = {"Authorization": clerk["Authorization"][:-6] + "AAAAAA"}
    assert "revoked" not in assert_problem(client.get(PATH, headers=forged), 401)["detail"]


def test_revoking_an_unknown_or_revoked_key_fails_and_changes_nothing(app, ipx_cli, clerk):
    assert ipx_cli("keys", "revoke", "000000000000").exit_code == 2
    assert ipx_cli("keys", "revoke", _key_id(clerk)).exit_code == 0
    with database(app).sessions() as session:
        first = session.execute(select(ApiKey.revoked_at)).scalar_one()
    again = ipx_cli("keys", "revoke", _key_id(clerk))
    assert again.exit_code == 2 and "already revoked" in again.output
    with database(app).sessions() as session:
        assert session.execute(select(ApiKey.revoked_at)).scalar_one() == first


# --- expiry ---------------------------------------------------------------------------------------


def test_expires_accepts_a_day_a_time_or_a_duration():
    # A calendar day: the key works through it (UTC) and expires at the midnight after.
    assert parse_expiry("2027-03-31", NOW) == datetime(2027, 4, 1, tzinfo=UTC)
    assert parse_expiry("2027-03-31T18:00:00Z", NOW) == datetime(2027, 3, 31, 18, tzinfo=UTC)
    assert parse_expiry("2027-03-31T18:00:00+08:00", NOW) == datetime(2027, 3, 31, 10, tzinfo=UTC)
    assert parse_expiry("90d", NOW) == NOW + timedelta(days=90)
    assert parse_expiry("12h", NOW) == NOW + timedelta(hours=12)
    assert parse_expiry("30m", NOW) == NOW + timedelta(minutes=30)
    assert parse_expiry("2w", NOW) == NOW + timedelta(weeks=2)
    for bad in ("yesterday", "2027-03-31T18:00:00", "2026-12-01", "0d", "-3d", "90 days", ""):
        with pytest.raises(ValueError):
            parse_expiry(bad, NOW)


def test_keys_create_refuses_a_bad_expiry_and_stores_nothing(app, ipx_cli):
    for bad in ("2020-01-01", "soon", "2027-03-31T18:00"):
        result = ipx_cli("keys", "create", "--role", "clerk", "--expires", bad)
        assert result.exit_code == 2, (bad, result.output)
    with database(app).sessions() as session:
        assert session.execute(select(ApiKey)).first() is None


def test_an_expired_key_answers_401_problem_json_saying_so(app, client, ipx_cli):
    app.config["AUTH_CACHE_SECONDS"] = 0
    key = _created_key(ipx_cli("keys", "create", "--role", "clerk", "--expires", "1h"))
    assert client.get(PATH, headers=key).status_code == 200
    with database(app).sessions() as session:  # its hour has passed
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.execute(update(ApiKey).values(expires_at=past))
        session.commit()
    problem = assert_problem(client.get(PATH, headers=key), 401, "unauthorized")
    assert "expired" in problem["detail"]


def test_a_cached_lookup_never_outlives_the_keys_expiry(app, client, monkeypatch):
    wall, mono = [NOW], [1000.0]
    monkeypatch.setattr(auth, "_utcnow", lambda: wall[0])
    monkeypatch.setattr(auth.time, "monotonic", lambda: mono[0])
    with database(app).sessions() as session:
        key = create_key(
            session,
            role="clerk",
            party_id=None,
            name="",
            now=NOW - timedelta(days=1),
            expires_at=NOW + timedelta(seconds=0.2),
        )
        session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(PATH, headers=headers).status_code == 200
    # 0.3 s later: within the cache's time to live, but past the key's expiry.
    wall[0] += timedelta(seconds=0.3)
    mono[0] += 0.3
    assert auth.AUTH_CACHE_SECONDS > 0.3
    assert_problem(client.get(PATH, headers=headers), 401, "unauthorized")


# --- revocation reaches every worker within one second --------------------------------------------


@pytest.fixture
def second_worker(app):
    """Another app on the same database, as a second gunicorn worker (or server) would be."""
    other = create_app({**app.config})
    yield other
    database(other).engine.dispose()


def test_a_revocation_reaches_every_worker_within_one_second(
    app, client, second_worker, ipx_cli, clerk, monkeypatch
):
    mono = [5000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: mono[0])
    # Even a worker configured to remember keys for 30 s is held to the one-second bound.
    second_worker.config["AUTH_CACHE_SECONDS"] = 30
    other = second_worker.test_client()
    assert client.get(PATH, headers=clerk).status_code == 200
    assert other.get(PATH, headers=clerk).status_code == 200  # both now remember the key
    assert ipx_cli("keys", "revoke", _key_id(clerk)).exit_code == 0
    mono[0] += auth.MAX_AUTH_CACHE_SECONDS
    assert_problem(client.get(PATH, headers=clerk), 401, "unauthorized")
    assert_problem(other.get(PATH, headers=clerk), 401, "unauthorized")


def test_a_real_revocation_is_refused_by_both_workers_a_second_later(
    app, client, second_worker, ipx_cli, clerk
):
    other = second_worker.test_client()
    assert client.get(PATH, headers=clerk).status_code == 200
    assert other.get(PATH, headers=clerk).status_code == 200
    assert ipx_cli("keys", "revoke", _key_id(clerk)).exit_code == 0
    time.sleep(auth.MAX_AUTH_CACHE_SECONDS)  # the bound, on the real clock
    for worker in (client, other):
        assert "revoked" in assert_problem(worker.get(PATH, headers=clerk), 401)["detail"]


def test_the_cache_time_to_live_is_capped_at_one_second():
    assert auth.auth_cache_seconds(30) == auth.MAX_AUTH_CACHE_SECONDS == 1.0
    assert auth.auth_cache_seconds(0.25) == 0.25
    assert auth.auth_cache_seconds(0) == 0
    assert auth.AUTH_CACHE_SECONDS <= auth.MAX_AUTH_CACHE_SECONDS

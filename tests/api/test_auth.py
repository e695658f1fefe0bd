"""API keys: random, stored only as hashes, compared in constant time, revocable; the CLI."""

from __future__ import annotations

import base64
import hashlib

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update

import ipx.auth
from ipx.auth import ApiKey, authenticate, create_key
from ipx.db_ext import database
from ipx.uow import utcnow
from tests.registry_helpers import assert_problem


def _make(app, role="clerk", party_id=None) -> str:
    with database(app).sessions() as session:
        key = create_key(session, role=role, party_id=party_id, name="t", now=utcnow())
        session.commit()
    return key


def _secret(key: str) -> str:
    prefix, key_id, secret = key.split("_", 2)
    assert prefix == "ipx" and len(key_id) == 12
    return secret


def test_keys_are_random_with_at_least_128_bits(app):
    keys = [_make(app) for _ in range(20)]
    assert len(set(keys)) == 20
    for key in keys:
        raw = base64.urlsafe_b64decode(_secret(key) + "=" * (-len(_secret(key)) % 4))
        assert len(raw) * 8 >= 128
    # No shared prefix beyond "ipx_": the key ids are random too.
    assert len({k.split("_")[1] for k in keys}) == 20


def test_the_database_holds_only_a_hash_of_the_key(app):
    key = _make(app)
    secret = _secret(key)
    with database(app).engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_keys")).all()
    dump = repr(rows)
    assert secret not in dump and key not in dump
    with database(app).sessions() as session:
        stored = session.execute(select(ApiKey.secret_hash)).scalar_one()
    assert stored == hashlib.sha256(secret.encode()).hexdigest()


def test_secrets_are_compared_in_constant_time(app, monkeypatch):
    key = _make(app)
    calls = []
    real = ipx.auth.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(ipx.auth.hmac, "compare_digest", spy)
    with database(app).sessions() as session:
        assert authenticate(session, key) is not None
        assert authenticate(session, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
        # An unknown key id is compared too, so timing does not tell which ids exist.
        assert authenticate(session, "ipx_000000000000_" + _secret(key)) is None
    assert len(calls) == 3


def test_a_valid_key_works_and_variants_of_it_do_not(client, app):
    key = _make(app)
    assert (
        client.get("/api/v1/pledges", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    )
    assert (
        client.get("/api/v1/pledges", headers={"Authorization": f"bearer {key}"}).status_code == 200
    )
    for bad in (key[:-1], key + "x", key.upper(), key.replace("ipx_", "ipy_"), f"Token {key}"):
        header = bad if bad.startswith("Token") else f"Bearer {bad}"
        assert_problem(client.get("/api/v1/pledges", headers={"Authorization": header}), 401)


def test_a_revoked_key_is_refused(client, app):
    # Workers may remember a valid key for AUTH_CACHE_SECONDS; without that memory a revoked
    # key is refused at once.
    app.config["AUTH_CACHE_SECONDS"] = 0
    key = _make(app)
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/pledges", headers=headers).status_code == 200
    with database(app).sessions() as session:
        session.execute(update(ApiKey).values(revoked_at=utcnow()))
        session.commit()
    assert_problem(client.get("/api/v1/pledges", headers=headers), 401, "unauthorized")


def test_bank_and_owner_keys_need_a_party_and_others_must_not_have_one(app):
    with database(app).sessions() as session:
        for role, party in (("bank", None), ("owner", None), ("clerk", 1), ("auditor", 1)):
            with pytest.raises(ValueError):
                create_key(session, role=role, party_id=party, name="", now=utcnow())


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture
def cli_env(app, db_url, instance_dir, monkeypatch):
    """The CLI builds its app from the environment: point it at the test database."""
    monkeypatch.setenv("IPX_DATABASE_URL", db_url)
    monkeypatch.setenv("IPX_SIGNING_KEY_FILE", str(instance_dir / "signing.key"))
    monkeypatch.setenv("IPX_DIGEST_KEY_FILE", str(instance_dir / "digest.key"))
    import ipx.cli

    return ipx.cli.main


def test_keys_create_prints_the_key_as_its_last_line(client, registry, cli_env):
    bank = registry.party("农业银行")
    owner = registry.party()
    asset = registry.asset([owner])
    pledge = registry.pledge(owner, bank, [asset["id"]])
    result = CliRunner().invoke(cli_env, ["keys", "create", "--role", "bank", "--party", str(bank)])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    # The new key is a bank key bound to that party: it sees its pledge, and may not register.
    assert client.get(f"/api/v1/pledges/{pledge['id']}", headers=headers).status_code == 200
    assert_problem(client.post("/api/v1/parties", json={}, headers=headers), 403)


def test_keys_create_refuses_inconsistent_requests(app, cli_env):
    runner = CliRunner()
    for args in (
        ["--role", "bank"],
        ["--role", "bank", "--party", "999999"],
        ["--role", "clerk", "--party", "1"],
        ["--role", "god"],
    ):
        result = runner.invoke(cli_env, ["keys", "create", *args])
        assert result.exit_code != 0, args
    with database(app).sessions() as session:
        assert session.execute(select(ApiKey)).first() is None

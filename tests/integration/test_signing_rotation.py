"""``ipx signing rotate``: a new Ed25519 checkpoint key; the old key's checkpoints stay
verifiable (``ipx verify``, the offline verifier), and the public-key endpoint lists every key
with the tree sizes it signed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from ipx import create_app
from ipx.db_ext import database
from ipx.instance_keys import MissingInstanceKey, retired_keys_path
from ipx.ledger import keyring
from ipx.ledger import verify as offline
from ipx.ledger.keyset import signer_key_ids
from ipx.ledger.signing import app_signer, current_checkpoint
from ipx.ledger.tables import LedgerCheckpoint
from ipx.uow import utcnow
from tests.contract import ContractClient
from tests.registry_helpers import Registry


@pytest.fixture
def key_file(tmp_path):
    """A signing key of this test's own: rotating it leaves the other tests' key alone."""
    return tmp_path / "signing.key"


@pytest.fixture
def rotating_app(app, key_file):
    """The test app, on its database, signing with ``key_file``."""
    other = create_app({**app.config, "SIGNING_KEY_FILE": str(key_file)})
    yield other
    database(other).engine.dispose()


@pytest.fixture
def client(rotating_app):
    rotating_app.test_client_class = ContractClient
    return rotating_app.test_client()


@pytest.fixture
def ipx_cli(rotating_app, monkeypatch):
    for name in ("DATABASE_URL", "SIGNING_KEY_FILE", "DIGEST_KEY_FILE", "SESSION_KEY_FILE"):
        monkeypatch.setenv(f"IPX_{name}", str(rotating_app.config[name]))
    import ipx.cli

    return lambda *args: CliRunner().invoke(ipx.cli.main, list(args))


def _pledge_receipt(registry: Registry, client, clerk) -> dict:
    owner, bank = registry.party(), registry.party()
    pledge = registry.pledge(owner, bank, [registry.asset([owner])["id"]])
    response = client.get(f"/api/v1/pledges/{pledge['id']}/receipt", headers=clerk)
    assert response.status_code == 200
    return response.get_json()


def _offline(receipt: dict, public_key: str, tmp_path) -> int:
    path = tmp_path / f"receipt-{receipt['leaf_index']}.json"
    path.write_text(json.dumps(receipt), encoding="utf-8")
    return offline.main([str(path), "--public-key", public_key])


def _ranges_in_the_notes(app) -> dict[str, tuple[int, int]]:
    """Per key id, the smallest and largest stored checkpoint whose note it signed."""
    ranges: dict[str, tuple[int, int]] = {}
    with database(app).sessions() as session:
        rows = session.execute(select(LedgerCheckpoint.tree_size, LedgerCheckpoint.note)).all()
    for size, note_text in rows:
        for kid in signer_key_ids(note_text):
            low, high = ranges.get(kid, (size, size))
            ranges[kid] = (min(low, size), max(high, size))
    return ranges


def test_after_a_rotation_old_and_new_checkpoints_verify_and_every_key_is_listed(
    rotating_app, client, clerk, ipx_cli, key_file, tmp_path
):
    registry = Registry(client, clerk)
    old_receipt = _pledge_receipt(registry, client, clerk)
    old = client.get("/api/v1/ledger/public-key").get_json()
    rotated = ipx_cli("signing", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert f"retired: {old['verifier_key']}" in rotated.output
    new_receipt = _pledge_receipt(registry, client, clerk)  # signed by the same app, unrestarted
    listing = client.get("/api/v1/ledger/public-key").get_json()

    assert listing["public_key"] != old["public_key"]
    keys = listing["keys"]
    assert [k["status"] for k in keys] == ["retired", "current"]
    assert keys[0]["public_key"] == old["public_key"] and keys[0]["retired_at"]
    assert keys[1]["public_key"] == listing["public_key"] and keys[1]["retired_at"] is None
    assert keys[0]["key_id"] in signer_key_ids(old_receipt["checkpoint"])
    assert keys[1]["key_id"] in signer_key_ids(new_receipt["checkpoint"])
    assert {k["key_id"]: (k["first_tree_size"], k["last_tree_size"]) for k in keys} == (
        _ranges_in_the_notes(rotating_app)
    )
    assert keys[0]["last_tree_size"] < keys[1]["first_tree_size"]

    # Offline, each receipt verifies with the key that signed it, and only with that one.
    assert _offline(old_receipt, keys[0]["public_key"], tmp_path) == 0
    assert _offline(old_receipt, keys[1]["public_key"], tmp_path) == 1
    assert _offline(new_receipt, keys[1]["public_key"], tmp_path) == 0
    # ipx verify trusts the current key and the retired ones kept beside it.
    verified = ipx_cli("verify")
    assert verified.exit_code == 0, verified.output
    assert "checkpoints:" in verified.output
    only_new = ipx_cli("verify", "--public-key", keys[1]["public_key"])
    assert only_new.exit_code == 1 and "no signature by" in only_new.output
    both = ipx_cli(
        "verify", "--public-key", keys[0]["public_key"], "--public-key", keys[1]["public_key"]
    )
    assert both.exit_code == 0, both.output
    # A checkpoint a bank saved before the rotation still anchors --since-checkpoint.
    saved = tmp_path / "saved-checkpoint"
    saved.write_text(old_receipt["checkpoint"], encoding="utf-8")
    since = ipx_cli("verify", "--since-checkpoint", str(saved))
    assert since.exit_code == 0, since.output
    assert "extends the saved one" in since.output


def test_the_retired_private_key_is_not_kept_only_its_public_half(
    rotating_app, client, clerk, ipx_cli, key_file
):
    Registry(client, clerk).party()
    old_verifier = client.get("/api/v1/ledger/public-key").get_json()["verifier_key"]
    before = key_file.read_bytes()
    assert ipx_cli("signing", "rotate").exit_code == 0
    assert key_file.read_bytes() != before
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    retired = retired_keys_path(key_file).read_text(encoding="utf-8")
    assert retired.splitlines() == [old_verifier] and "PRIVATE" not in retired
    leftovers = [p.name for p in key_file.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_every_worker_signs_with_the_new_key_without_a_restart(
    rotating_app, client, clerk, ipx_cli
):
    second = create_app({**rotating_app.config})  # another worker on the same files
    try:
        Registry(client, clerk).party()
        assert app_signer(second).public_key == app_signer(rotating_app).public_key
        assert ipx_cli("signing", "rotate").exit_code == 0
        Registry(client, clerk).party()
        signed = current_checkpoint(database(second).engine, force=True, app=second)
        new_key = app_signer(rotating_app).public_key
        assert app_signer(second).public_key == new_key
        key_name = rotating_app.config["LEDGER_KEY_NAME"]
        assert keyring.key_id_hex(key_name, new_key) in signer_key_ids(signed.note)
    finally:
        database(second).engine.dispose()


def test_the_first_key_registered_on_an_older_log_takes_over_its_checkpoints(
    rotating_app, client, clerk
):
    registry = Registry(client, clerk)
    for _ in range(3):
        registry.party()
        assert client.post("/api/v1/ledger/checkpoints", headers=clerk).status_code == 201
    signer = app_signer(rotating_app)
    with database(rotating_app).sessions() as session:  # as before the keyring existed
        session.execute(delete(keyring.LedgerSigningKey))
        session.commit()
        sizes = session.execute(select(LedgerCheckpoint.tree_size)).scalars().all()
        keyring.register_key(session, signer.key_name, signer.public_key, utcnow())
        session.commit()
        (record,) = keyring.signing_keys(session)
    assert (record.first_tree_size, record.last_tree_size) == (min(sizes), max(sizes))


def test_a_missing_signing_key_beside_signed_checkpoints_is_never_recreated(
    rotating_app, client, clerk, key_file
):
    Registry(client, clerk).party()
    assert client.post("/api/v1/ledger/checkpoints", headers=clerk).status_code == 201
    key_file.unlink()
    with pytest.raises(MissingInstanceKey, match="signing key"):
        app_signer(rotating_app)
    assert not key_file.exists()

"""After ``ipx signing rotate`` a bank verifies receipts signed before and after it offline with
the key list the service serves (``--public-keys FILE``) or the keys repeated (``--public-key``
twice); with only the new key, the old receipt fails."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ipx import create_app
from ipx.db_ext import database
from ipx.ledger import verify as offline
from tests.contract import ContractClient
from tests.registry_helpers import Registry


@pytest.fixture
def rotating_app(app, tmp_path):
    """The test app on its database, signing with a key of this test's own."""
    other = create_app({**app.config, "SIGNING_KEY_FILE": str(tmp_path / "signing.key")})
    other.test_client_class = ContractClient
    yield other
    database(other).engine.dispose()


def _rotate(app, monkeypatch) -> None:
    for name in ("DATABASE_URL", "SIGNING_KEY_FILE", "DIGEST_KEY_FILE", "SESSION_KEY_FILE"):
        monkeypatch.setenv(f"IPX_{name}", str(app.config[name]))
    import ipx.cli

    result = CliRunner().invoke(ipx.cli.main, ["signing", "rotate"])
    assert result.exit_code == 0, result.output


def _receipt(registry: Registry, client, clerk, tmp_path) -> str:
    owner, bank = registry.party(), registry.party()
    pledge = registry.pledge(owner, bank, [registry.asset([owner])["id"]])
    response = client.get(f"/api/v1/pledges/{pledge['id']}/receipt", headers=clerk)
    assert response.status_code == 200
    path = tmp_path / f"receipt-{pledge['id']}.json"
    path.write_text(json.dumps(response.get_json()), encoding="utf-8")
    return str(path)


def test_receipts_from_before_and_after_a_rotation_verify_with_the_served_keys(
    rotating_app, clerk, monkeypatch, tmp_path, capsys
):
    client = rotating_app.test_client()
    registry = Registry(client, clerk)
    old_receipt = _receipt(registry, client, clerk, tmp_path)
    _rotate(rotating_app, monkeypatch)
    new_receipt = _receipt(registry, client, clerk, tmp_path)
    listing = client.get("/api/v1/ledger/public-key").get_json()
    assert len(listing["keys"]) == 2
    served = tmp_path / "keys.json"
    served.write_text(json.dumps(listing), encoding="utf-8")
    capsys.readouterr()

    for receipt in (old_receipt, new_receipt):
        assert offline.main([receipt, "--public-keys", str(served)]) == 0
    repeated = [arg for key in listing["keys"] for arg in ("--public-key", key["verifier_key"])]
    for receipt in (old_receipt, new_receipt):
        assert offline.main([receipt, *repeated]) == 0
    assert capsys.readouterr().out.count("OK leaf") == 4
    assert offline.main([old_receipt, "--public-key", listing["public_key"]]) == 1
    assert "FAILED checkpoint" in capsys.readouterr().out

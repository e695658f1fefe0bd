"""The ledger API: public key, signed checkpoints, entries, proofs, receipts, by every role."""

from __future__ import annotations

import base64
import json

import pytest

from ipx.ledger import merkle
from ipx.ledger.note import parse_and_verify_note, parse_verifier_key
from ipx.ledger.verify import VerificationError, verify_consistency_between, verify_receipt

API = "/api/v1"


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


@pytest.fixture
def public_key(client) -> str:
    return client.get(f"{API}/ledger/public-key").get_json()["public_key"]


@pytest.fixture
def pledge(registry):
    owner = registry.party("华东材料科技股份有限公司")
    bank = registry.party("中国工商银行股份有限公司上海分行")
    asset = registry.asset([owner])
    return {"owner": owner, "bank": bank, **registry.pledge(owner, bank, [asset["id"]])}


def test_the_public_key_names_the_key_that_verifies_checkpoints(client, registry):
    registry.party()
    key = client.get(f"{API}/ledger/public-key").get_json()
    assert key["algorithm"] == "Ed25519" and len(_b64(key["public_key"])) == 32
    name, verifier = parse_verifier_key(key["verifier_key"])
    assert name == key["key_name"] and verifier.public_bytes_raw() == _b64(key["public_key"])
    note = client.get(f"{API}/ledger/checkpoint").get_json()["note"]
    assert parse_and_verify_note(note, key["key_name"], _b64(key["public_key"])).tree_size == 1


def test_the_checkpoint_is_signed_over_the_current_tree(client, registry, public_key):
    for _ in range(3):
        registry.party()
    body = client.get(f"{API}/ledger/checkpoint").get_json()
    signed = parse_and_verify_note(body["note"], None, _b64(public_key))
    assert (signed.tree_size, signed.origin) == (body["tree_size"], body["origin"])
    assert body["tree_size"] == 3 and signed.root_hash == _b64(body["root_hash"])
    hashes = [
        _b64(client.get(f"{API}/ledger/entries/{i}").get_json()["leaf_hash"]) for i in range(3)
    ]
    assert signed.root_hash == merkle.root_from_leaf_hashes(hashes)


def test_an_earlier_checkpoint_is_served_by_size_and_an_unsigned_size_is_404(client, registry):
    registry.party()
    first = client.get(f"{API}/ledger/checkpoint").get_json()
    registry.party()
    assert client.get(f"{API}/ledger/checkpoint").get_json()["tree_size"] == 2
    again = client.get(f"{API}/ledger/checkpoint?tree_size=1").get_json()
    assert again["note"] == first["note"]
    missing = client.get(f"{API}/ledger/checkpoint?tree_size=7")
    assert missing.status_code == 404 and missing.get_json()["code"] == "not-found"


def test_an_entry_is_its_canonical_leaf_and_hash(client, registry, clerk):
    party_id = registry.party()
    body = client.get(f"{API}/ledger/entries/0").get_json()
    leaf = json.loads(body["leaf"])
    assert leaf["seq"] == 0 and "refs" not in leaf  # a party's creation is no public notice
    assert _b64(body["leaf_hash"]) == merkle.leaf_hash(body["leaf"].encode())
    seen = client.get(f"{API}/ledger/entries/0", headers=clerk).get_json()
    assert seen["leaf"] == body["leaf"] and seen["event"]["refs"] == {"party": party_id}
    assert client.get(f"{API}/ledger/entries/5").status_code == 404


def test_inclusion_proofs_lead_to_the_signed_root(client, registry):
    for _ in range(5):
        registry.party()
    checkpoint = client.get(f"{API}/ledger/checkpoint").get_json()
    root = _b64(checkpoint["root_hash"])
    for index in range(5):
        proof = client.get(f"{API}/ledger/proofs/inclusion?index={index}").get_json()
        hashes = [_b64(h) for h in proof["hashes"]]
        assert proof["tree_size"] == 5
        assert merkle.verify_inclusion(_b64(proof["leaf_hash"]), index, 5, hashes, root)
    assert client.get(f"{API}/ledger/proofs/inclusion?index=1&tree_size=4").status_code == 404
    assert client.get(f"{API}/ledger/proofs/inclusion?index=9").status_code == 404
    bad = client.get(f"{API}/ledger/proofs/inclusion?index=-1")
    assert bad.status_code == 422 and bad.get_json()["code"] == "validation-failed"


def test_consistency_between_two_signed_checkpoints_verifies_offline(client, registry, public_key):
    for _ in range(3):
        registry.party()
    old = client.get(f"{API}/ledger/checkpoint").get_json()
    for _ in range(4):
        registry.party()
    new = client.get(f"{API}/ledger/checkpoint").get_json()
    proof = client.get(f"{API}/ledger/proofs/consistency?first=3&second=7").get_json()
    assert (proof["first"], proof["second"]) == (3, 7)
    verify_consistency_between(old["note"], new["note"], proof["hashes"], public_key)
    with pytest.raises(VerificationError):
        verify_consistency_between(old["note"], new["note"], proof["hashes"][1:], public_key)
    assert client.get(f"{API}/ledger/proofs/consistency?first=2&second=7").status_code == 404
    assert client.get(f"{API}/ledger/proofs/consistency?first=8&second=7").status_code == 422


def test_a_clerk_signs_a_checkpoint_on_demand(client, registry, clerk, keys):
    registry.party()
    created = client.post(f"{API}/ledger/checkpoints", headers=clerk)
    assert created.status_code == 201 and created.get_json()["tree_size"] == 1
    assert client.post(f"{API}/ledger/checkpoints", headers=clerk).status_code == 200
    assert client.post(f"{API}/ledger/checkpoints").status_code == 401
    bank = keys.header("bank", registry.party())
    assert client.post(f"{API}/ledger/checkpoints", headers=bank).status_code == 403


def test_readers_within_the_interval_reuse_the_checkpoint_and_new_entries_wait(
    app, client, registry
):
    app.config.update(CHECKPOINT_EVERY_SECONDS=3600, CHECKPOINT_EVERY_EVENTS=3)
    registry.party()
    assert client.get(f"{API}/ledger/checkpoint").get_json()["tree_size"] == 1
    registry.party()
    assert client.get(f"{API}/ledger/checkpoint").get_json()["tree_size"] == 1
    waiting = client.get(f"{API}/ledger/proofs/inclusion?index=1")
    assert waiting.status_code == 409 and waiting.get_json()["code"] == "not-checkpointed"
    registry.party()
    registry.party()  # 3 entries behind: due
    assert client.get(f"{API}/ledger/checkpoint").get_json()["tree_size"] == 4


def test_the_parties_get_a_receipt_that_verifies_offline(app, client, keys, pledge, public_key):
    app.config.update(CHECKPOINT_EVERY_SECONDS=3600, CHECKPOINT_EVERY_EVENTS=10**6)
    for role, party in (("bank", pledge["bank"]), ("owner", pledge["owner"])):
        response = client.get(
            f"{API}/pledges/{pledge['id']}/receipt", headers=keys.header(role, party)
        )
        assert response.status_code == 200, response.get_json()
        receipt = response.get_json()
        verified = verify_receipt(receipt, public_key, expected_origin=app.config["LEDGER_ORIGIN"])
        assert verified.leaf["type"] == "pledge.registered"
        assert verified.leaf["refs"]["pledge"] == pledge["id"]
        assert verified.checkpoint.tree_size > verified.leaf_index
    tampered = dict(receipt, leaf=receipt["leaf"].replace("pledge.registered", "pledge.cancelled"))
    with pytest.raises(VerificationError):
        verify_receipt(tampered, public_key)


def test_clerks_and_auditors_get_receipts_others_get_404_or_401(client, keys, pledge, registry):
    url = f"{API}/pledges/{pledge['id']}/receipt"
    for role in ("clerk", "auditor"):
        assert client.get(url, headers=keys.header(role)).status_code == 200
    stranger = keys.header("bank", registry.party("招商银行股份有限公司"))
    assert client.get(url, headers=stranger).status_code == 404
    assert client.get(url).status_code == 401
    assert (
        client.get(f"{API}/pledges/999999/receipt", headers=keys.header("clerk")).status_code == 404
    )


def test_the_public_query_is_stamped_with_a_signed_checkpoint(client, pledge, public_key):
    answer = client.get(f"{API}/public/encumbrances?pledgor=nobody").get_json()
    latest = client.get(f"{API}/ledger/checkpoint").get_json()
    assert answer["checkpoint"] == {
        "tree_size": latest["tree_size"],
        "root_hash": latest["root_hash"],
    }
    assert latest["tree_size"] >= 1 and answer["checkpoint"]["root_hash"] is not None

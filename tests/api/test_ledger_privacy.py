"""The public log carries no confidential deal terms; parties still see them in histories."""

from __future__ import annotations

import hashlib
import json


def _leaf_of(client, pledge_id, headers):
    receipt = client.get(f"/api/v1/pledges/{pledge_id}/receipt", headers=headers).get_json()
    return json.loads(receipt["leaf"])


def test_the_public_leaf_seals_amounts_and_the_parties_see_them(client, registry, keys, clerk):
    owner = registry.party("华东材料科技股份有限公司")
    bank = registry.party("中国工商银行股份有限公司上海分行")
    asset = registry.asset([owner])
    pledge = registry.pledge(owner, bank, [asset["id"]])
    leaf = _leaf_of(client, pledge["id"], clerk)
    assert leaf["data"]["registration_number"] == pledge["registration_number"]
    assert "secured_amount" not in json.dumps(leaf)
    assert "details" in leaf["digests"]
    public = client.get(f"/api/v1/ledger/entries/{0}").get_json()
    assert "secured_amount" not in public["leaf"]
    for headers in (clerk, keys.header("bank", bank)):
        history = client.get(f"/api/v1/pledges/{pledge['id']}/history", headers=headers)
        registered = [e for e in history.get_json()["items"] if e["type"] == "pledge.registered"]
        assert registered[0]["changes"]["secured_amount"] == "5000000.00"
        sealed = registered[0]["sealed_details"]
        assert hashlib.sha256(sealed.encode()).hexdigest() == leaf["digests"]["details"]


def test_another_bank_sees_an_assets_later_pledge_without_its_terms(client, registry, keys):
    owner = registry.party("华东材料科技股份有限公司")
    first_bank = registry.party("中国工商银行股份有限公司上海分行")
    second_bank = registry.party("中国银行股份有限公司苏州分行")
    asset = registry.asset([owner])
    first = registry.pledge(owner, first_bank, [asset["id"]])
    registry.post(f"/pledges/{first['id']}/cancel", {"reason": "repaid"}, status=200)
    registry.pledge(owner, second_bank, [asset["id"]], secured_amount="7000000.00")
    history = client.get(
        f"/api/v1/assets/{asset['id']}/history", headers=keys.header("bank", first_bank)
    ).get_json()["items"]
    later = [e for e in history if e["type"] == "pledge.registered"][-1]
    assert "secured_amount" not in later["changes"] and "sealed_details" not in later
    assert later["changes"]["status"] == "registered"

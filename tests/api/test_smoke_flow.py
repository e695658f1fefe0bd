from __future__ import annotations


def test_a_pledge_is_registered_and_publicly_visible(client, registry):
    owner = registry.party("华东材料科技股份有限公司")
    bank = registry.party("中国工商银行股份有限公司上海分行")
    asset = registry.asset([owner])
    pledge = registry.pledge(owner, bank, [asset["id"]])
    assert pledge["status"] == "registered"
    assert pledge["registration_number"].startswith("IPX-P-")
    public = client.get(f"/api/v1/public/encumbrances?number={asset['number']}").get_json()
    assert [i["registration_number"] for i in public["items"]] == [pledge["registration_number"]]

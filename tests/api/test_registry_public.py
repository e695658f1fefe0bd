"""The public encumbrance query: no key, public-notice fields only, cancelled pledges included."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.registry_helpers import assert_problem

PUBLIC_FIELDS = {
    "registration_number",
    "asset_number",
    "asset_kind",
    "pledgor_name",
    "pledgee_name",
    "registered_at",
    "status",
}
# Fields a public answer may carry besides the contract's (still public-notice facts).
ALSO_PUBLIC = {"asset_title", "main_classification", "closed_at", "closing_reason"}
URL = "/api/v1/public/encumbrances"


@pytest.fixture
def notice(client, registry):
    """A pledge (later cancelled) and a second, live one on the same asset; an individual's too."""
    owner = registry.party("华东材料科技股份有限公司")
    bank, other_bank = registry.party("工商银行上海分行"), registry.party("建设银行上海分行")
    asset = registry.asset([owner])
    first = registry.pledge(owner, bank, [asset["id"]], secured_amount="7654321.00")
    registry.post(f"/pledges/{first['id']}/cancel", {"reason": "repaid"}, status=200)
    second = registry.pledge(owner, other_bank, [asset["id"]], secured_amount="1234567.00")
    owner_row = client.get(f"/api/v1/parties/{owner}", headers=registry.clerk).get_json()
    return {"asset": asset, "first": first, "second": second, "owner": owner_row}


def _items(client, query: str) -> list[dict]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"checkpoint", "items", "next_cursor"}
    assert body["next_cursor"] is None
    assert body["checkpoint"]["tree_size"] > 0
    return body["items"]


def _spellings(number: str) -> list[str]:
    digits, check = number.split(".")
    return [
        number,
        f"ZL{number}",
        f"zl{digits}{check}",
        f"CN{digits}{check}",
        f" {digits[:4]} {digits[4:]} .{check} ",
        number.translate(str.maketrans("0123456789.", "０１２３４５６７８９．")),
    ]


def test_by_number_in_any_common_spelling(client, notice):
    expected = [notice["second"]["registration_number"], notice["first"]["registration_number"]]
    for spelling in _spellings(notice["asset"]["number"]):
        items = _items(client, f"number={quote(spelling)}")
        assert [i["registration_number"] for i in items] == expected, spelling
    statuses = [i["status"] for i in _items(client, f"number={notice['asset']['number']}")]
    assert statuses == ["registered", "cancelled"]


def test_only_public_notice_fields_are_shown(client, notice):
    items = _items(client, f"number={notice['asset']['number']}")
    text = str(items)
    for item in items:
        assert PUBLIC_FIELDS <= item.keys() <= PUBLIC_FIELDS | ALSO_PUBLIC
        assert item["asset_number"] == notice["asset"]["number"]
        assert item["asset_kind"] == "invention"
        assert item["pledgor_name"] == notice["owner"]["name"]
    # No ids, no amounts, no contract numbers.
    for secret in ("7654321", "1234567", "JK-2026", "pledgor_id", "asset_id", "secured_amount"):
        assert secret not in text


def test_by_pledgor_name_or_credit_code(client, notice):
    owner = notice["owner"]
    by_name = _items(client, f"pledgor={owner['name']}")
    by_code = _items(client, f"pledgor={owner['credit_code'].lower()}")
    assert by_name == by_code
    assert len(by_name) == 2
    assert _items(client, "pledgor=无此公司") == []
    assert _items(client, "number=202310999999.1") == []


def test_an_individual_pledgors_identity_number_is_never_public(client, registry):
    from datetime import date

    from ipx.registry.numbers import make_identity_number

    id_number = make_identity_number("310104", date(1975, 3, 9), 77)
    person = registry.post(
        "/parties", {"kind": "individual", "name": "王芳", "id_number": id_number}
    )["id"]
    asset = registry.asset([person])
    registry.pledge(person, registry.party(), [asset["id"]])
    response = client.get(f"{URL}?pledgor=王芳")
    assert len(response.get_json()["items"]) == 1
    assert id_number not in response.get_data(as_text=True)
    assert client.get(f"{URL}?pledgor={id_number}").get_json()["items"] == []


@pytest.mark.parametrize(
    "query", ["", "number=", "number=1&pledgor=x", "pledgor=" + "x" * 301, "number=%00"]
)
def test_the_query_needs_exactly_one_criterion(client, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code < 500
    if "%00" not in query:
        assert_problem(response, 422, "validation-failed")


def test_no_key_is_needed_and_a_key_changes_nothing(client, notice, keys):
    query = f"number={notice['asset']['number']}"
    anonymous = client.get(f"{URL}?{query}").get_json()
    with_key = client.get(f"{URL}?{query}", headers=keys.header("auditor")).get_json()
    assert anonymous["items"] == with_key["items"]

"""Parties, assets, legal-status changes, court freezes and asset histories over the API."""

from __future__ import annotations

from datetime import date

import pytest

from ipx.db_ext import database
from ipx.registry.numbers import make_credit_code, make_identity_number, make_patent_number
from tests.registry_helpers import assert_problem, credit_code, event_types, row_counts

SERIAL = iter(range(500_000, 600_000))


def _number(year: int, type_code: int) -> str:
    return make_patent_number(year, type_code, next(SERIAL))


def _corrupt(text: str) -> str:
    """Change the check character: the number no longer verifies."""
    last = text[-1]
    return text[:-1] + ("0" if last != "0" else "1")


# --- parties ------------------------------------------------------------------------------------


def test_an_organization_is_registered_with_its_credit_code(client, clerk):
    code = credit_code()
    body = {
        "kind": "organization",
        "name": " 华东材料科技股份有限公司 ",
        "credit_code": code.lower(),
    }
    response = client.post("/api/v1/parties", json=body, headers=clerk)
    assert response.status_code == 201, response.get_json()
    party = response.get_json()
    assert {"id", "kind", "name", "credit_code"} <= party.keys()
    assert party["kind"] == "organization"
    assert party["name"] == "华东材料科技股份有限公司"
    assert party["credit_code"] == code
    fetched = client.get(f"/api/v1/parties/{party['id']}", headers=clerk).get_json()
    assert fetched["credit_code"] == code


def test_a_credit_code_with_a_wrong_check_character_is_refused(client, app, clerk):
    before = row_counts(app)
    bad = _corrupt(make_credit_code("12345678"))
    body = {"kind": "organization", "name": "某公司", "credit_code": bad}
    problem = assert_problem(client.post("/api/v1/parties", json=body, headers=clerk), 422)
    assert problem["code"] == "validation-failed"
    assert "credit_code" in problem["errors"]
    missing = {"kind": "organization", "name": "某公司"}
    assert_problem(client.post("/api/v1/parties", json=missing, headers=clerk), 422)
    assert row_counts(app) == before


def test_a_credit_code_is_registered_once(client, app, clerk):
    body = {"kind": "organization", "name": "甲公司", "credit_code": credit_code()}
    assert client.post("/api/v1/parties", json=body, headers=clerk).status_code == 201
    before = row_counts(app)
    again = client.post("/api/v1/parties", json={**body, "name": "乙公司"}, headers=clerk)
    assert_problem(again, 409, "party-exists")
    assert row_counts(app) == before


def test_an_individuals_identity_number_is_never_returned_or_stored(client, app, clerk):
    number = make_identity_number("110105", date(1980, 5, 17), 123)
    body = {"kind": "individual", "name": "张伟", "id_number": number}
    response = client.post("/api/v1/parties", json=body, headers=clerk)
    assert response.status_code == 201, response.get_json()
    assert number not in response.get_data(as_text=True)
    assert response.get_json()["credit_code"] is None
    with database(app).engine.connect() as connection:
        from sqlalchemy import text

        for table in ("parties", "ledger_entries"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            assert number not in repr(rows), table
    again = client.post("/api/v1/parties", json={**body, "name": "张伟2"}, headers=clerk)
    assert_problem(again, 409, "party-exists")
    bad = {"kind": "individual", "name": "李娜", "id_number": _corrupt(number)}
    assert (
        "id_number"
        in assert_problem(client.post("/api/v1/parties", json=bad, headers=clerk), 422)["errors"]
    )


# --- assets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "spell",
    [
        lambda n: n,
        lambda n: "ZL" + n,
        lambda n: "CN" + n.replace(".", ""),
        lambda n: " zl " + n[:4] + " " + n[4:],
        lambda n: n.translate(str.maketrans("0123456789.", "０１２３４５６７８９．")),
    ],
)
def test_a_patent_number_is_normalised(registry, spell):
    owner = registry.party()
    number = _number(2019, 1)
    asset = registry.asset([owner], number=spell(number), filing_date=date(2019, 4, 2))
    assert asset["number"] == number


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "kind,type_code,filed,expiry",
    [
        ("invention", 1, date(2019, 4, 2), date(2039, 4, 1)),
        ("utility_model", 2, date(2019, 4, 2), date(2029, 4, 1)),
        ("design", 3, date(2021, 5, 31), date(2031, 5, 30)),
        ("design", 3, date(2021, 6, 1), date(2036, 5, 31)),
        ("invention", 1, date(2020, 2, 29), date(2040, 2, 28)),
    ],
)
def test_the_expiry_is_derived_from_kind_and_filing_date(
    client, registry, kind, type_code, filed, expiry
):
    owner = registry.party()
    asset = registry.asset(
        [owner], kind=kind, number=_number(filed.year, type_code), filing_date=filed
    )
    assert {"id", "kind", "number", "expiry_date", "status", "holder_ids"} <= asset.keys()
    assert asset["kind"] == kind
    assert asset["expiry_date"] == expiry.isoformat()
    assert asset["status"] == "granted"
    assert asset["holder_ids"] == [owner]


def test_trademarks_and_copyrights_carry_an_explicit_expiry(client, app, registry):
    owner = registry.party()
    trademark = registry.asset(
        [owner],
        kind="trademark",
        number="第0012345678号",
        filing_date=date(2018, 1, 1),
        expiry_date="2028-01-06",
    )
    assert trademark["number"] == "12345678"
    assert trademark["expiry_date"] == "2028-01-06"
    before = row_counts(app)
    body = {
        "kind": "copyright",
        "number": "2023SR0123456",
        "title": "企业资源计划软件V1.0",
        "holder_ids": [owner],
        "filing_date": "2023-01-05",
        "status": "granted",
    }
    problem = assert_problem(client.post("/api/v1/assets", json=body, headers=registry.clerk), 422)
    assert "expiry_date" in problem["errors"]
    assert row_counts(app) == before


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "number",
    [
        "x",
        "202310123456",  # no check character
        "2023101234567890",
        "202340123456.1",  # type digit 4 does not exist
        "209910123456.1",  # a year in the future
    ],
)
def test_a_bad_patent_number_is_refused(client, app, registry, number):
    owner = registry.party()
    before = row_counts(app)
    body = {
        "kind": "invention",
        "number": number,
        "title": "一种方法",
        "holder_ids": [owner],
        "filing_date": "2023-01-05",
        "status": "granted",
    }
    problem = assert_problem(client.post("/api/v1/assets", json=body, headers=registry.clerk), 422)
    assert "number" in problem["errors"]
    assert row_counts(app) == before


def test_a_wrong_check_character_or_kind_is_refused(client, app, registry):
    owner = registry.party()
    good = _number(2022, 1)
    before = row_counts(app)
    base = {
        "title": "一种方法",
        "holder_ids": [owner],
        "filing_date": "2022-01-05",
        "status": "granted",
    }
    for kind, number in (("invention", _corrupt(good)), ("utility_model", good)):
        body = {**base, "kind": kind, "number": number}
        response = client.post("/api/v1/assets", json=body, headers=registry.clerk)
        assert "number" in assert_problem(response, 422, "validation-failed")["errors"]
    assert row_counts(app) == before


def test_an_asset_is_registered_once_and_needs_known_holders(client, app, registry):
    owner = registry.party()
    asset = registry.asset([owner])
    before = row_counts(app)
    duplicate = {
        "kind": "invention",
        "number": "ZL" + asset["number"],
        "title": "再来一次",
        "holder_ids": [owner],
        "filing_date": asset["filing_date"],
        "status": "granted",
    }
    response = client.post("/api/v1/assets", json=duplicate, headers=registry.clerk)
    assert_problem(response, 409, "asset-exists")
    unknown = {**duplicate, "number": _number(2022, 1), "holder_ids": [owner, 987654]}
    response = client.post("/api/v1/assets", json=unknown, headers=registry.clerk)
    assert "holder_ids" in assert_problem(response, 422)["errors"]
    assert row_counts(app) == before


def test_co_owned_assets_list_every_holder_once_in_id_order(client, registry):
    first, second = registry.party(), registry.party()
    asset = registry.asset([second, first, second])
    assert asset["holder_ids"] == [first, second]
    fetched = client.get(f"/api/v1/assets/{asset['id']}", headers=registry.clerk).get_json()
    assert fetched["holder_ids"] == [first, second]


# --- legal status, freezes, history --------------------------------------------------------------


def test_patch_changes_status_fees_and_invalidation_flag(client, registry):
    owner = registry.party()
    asset = registry.asset([owner])
    path = f"/api/v1/assets/{asset['id']}"
    changes = {"fees_paid_until": "2030-01-31", "invalidation_pending": True}
    response = client.patch(path, json=changes, headers=registry.clerk)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["fees_paid_until"] == "2030-01-31"
    assert response.get_json()["invalidation_pending"] is True
    lapsed = client.patch(path, json={"status": "lapsed"}, headers=registry.clerk).get_json()
    assert lapsed["status"] == "lapsed"
    cleared = client.patch(path, json={"invalidation_pending": False}, headers=registry.clerk)
    assert cleared.get_json()["invalidation_pending"] is False
    assert_problem(client.patch(path, json={}, headers=registry.clerk), 422)
    assert_problem(client.patch(path, json={"status": "dead"}, headers=registry.clerk), 422)
    assert_problem(client.patch("/api/v1/assets/999999", json=changes, headers=registry.clerk), 404)


def test_a_freeze_is_recorded_and_lifted(client, app, registry):
    owner = registry.party()
    asset = registry.asset([owner])
    path = f"/api/v1/assets/{asset['id']}"
    order = {"court": "上海知识产权法院", "order_number": "(2026)沪73执保12号"}
    first = registry.post(f"/assets/{asset['id']}/freezes", order)
    second = registry.post(f"/assets/{asset['id']}/freezes", {**order, "order_number": "二号"})
    assert {"id"} <= first.keys() and first["status"] == "active"
    assert client.get(path, headers=registry.clerk).get_json()["frozen"] is True
    lifted = client.post(f"/api/v1/freezes/{first['id']}/lift", headers=registry.clerk)
    assert lifted.status_code == 200 and lifted.get_json()["status"] == "lifted"
    # Still frozen by the second order.
    assert client.get(path, headers=registry.clerk).get_json()["frozen"] is True
    registry.post(f"/freezes/{second['id']}/lift", {}, status=200)
    assert client.get(path, headers=registry.clerk).get_json()["frozen"] is False
    before = row_counts(app)
    again = client.post(f"/api/v1/freezes/{first['id']}/lift", headers=registry.clerk)
    assert_problem(again, 409, "invalid-transition")
    assert_problem(client.post("/api/v1/freezes/999999/lift", headers=registry.clerk), 404)
    bad = client.post(
        f"/api/v1/assets/{asset['id']}/freezes", json={"court": ""}, headers=registry.clerk
    )
    assert_problem(bad, 422)
    assert row_counts(app) == before


def test_the_asset_history_lists_every_event(client, app, registry, keys):
    owner = registry.party()
    asset = registry.asset([owner])
    path = f"/api/v1/assets/{asset['id']}"
    client.patch(path, json={"invalidation_pending": True}, headers=registry.clerk)
    freeze = registry.post(f"/assets/{asset['id']}/freezes", {"court": "法院", "order_number": "1"})
    registry.post(f"/freezes/{freeze['id']}/lift", {}, status=200)
    history = client.get(f"{path}/history", headers=keys.header("owner", owner)).get_json()
    types = [e["type"] for e in history["items"]]
    assert types == ["asset.registered", "asset.changed", "asset.frozen", "asset.freeze_lifted"]
    for event in history["items"]:
        assert event["actor"].startswith("key:") and event["time"].endswith("Z")
    assert history["items"][1]["changes"] == {"invalidation_pending": True}
    assert [s for s in [e["seq"] for e in history["items"]]] == sorted(
        e["seq"] for e in history["items"]
    )
    assert set(types) <= set(event_types(app))
    assert_problem(client.get("/api/v1/assets/999999/history", headers=registry.clerk), 404)


def test_assets_are_listed_with_filters_and_a_cursor(client, registry):
    owner, other = registry.party(), registry.party()
    mine = [registry.asset([owner])["id"] for _ in range(3)]
    registry.asset([other])
    seen, cursor = [], None
    while True:
        query = f"holder_id={owner}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(f"/api/v1/assets?{query}", headers=registry.clerk).get_json()
        seen += [a["id"] for a in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == mine
    number = client.get(f"/api/v1/assets/{mine[0]}", headers=registry.clerk).get_json()["number"]
    by_number = client.get(f"/api/v1/assets?number={number}", headers=registry.clerk).get_json()
    assert [a["id"] for a in by_number["items"]] == [mine[0]]

"""Registered pledges: reading, filters, pagination, changes, cancellation, revocation, history,
and transfers of pledged assets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.registry_helpers import assert_problem, event_types, row_counts, scene


def _path(pledge_id: int, action: str = "") -> str:
    return f"/api/v1/pledges/{pledge_id}" + (f"/{action}" if action else "")


@pytest.fixture
def pledged(registry, keys):
    s = scene(registry, keys)
    return s, registry.pledge(s.owner, s.bank, [s.asset["id"]])


def test_a_pledge_reads_the_same_for_its_parties_and_the_clerk(client, pledged):
    s, pledge = pledged
    bodies = [
        client.get(_path(pledge["id"]), headers=s.headers[role]).get_json()
        for role in ("clerk", "auditor", "bank", "owner")
    ]
    assert all(body == pledge for body in bodies)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_pledges_are_filtered_and_paged(client, registry, keys):
    s = scene(registry, keys)
    mine = [registry.pledge(s.owner, s.bank, [registry.asset([s.owner])["id"]]) for _ in range(3)]
    other = registry.pledge(s.other_owner, s.other_bank, [s.other_asset["id"]])
    registry.post(_path(mine[1]["id"], "cancel")[7:], {"reason": "repaid"}, status=200)

    def listed(query: str, who: str = "clerk") -> list[int]:
        ids, cursor = [], None
        for _ in range(20):
            more = f"&cursor={cursor}" if cursor else ""
            response = client.get(f"/api/v1/pledges?limit=2&{query}{more}", headers=s.headers[who])
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            assert len(body["items"]) <= 2
            ids += [p["id"] for p in body["items"]]
            if not (cursor := body["next_cursor"]):
                return ids
        raise AssertionError("the cursor never ended")

    all_ids = [p["id"] for p in mine] + [other["id"]]
    assert listed("") == all_ids
    assert listed(f"pledgor_id={s.owner}") == [p["id"] for p in mine]
    assert listed(f"pledgee_id={s.other_bank}") == [other["id"]]
    assert listed("status=cancelled") == [mine[1]["id"]]
    assert listed("status=registered", who="bank") == [mine[0]["id"], mine[2]["id"]]
    assert listed(f"asset_id={s.other_asset['id']}") == [other["id"]]
    assert listed(f"asset_id={s.other_asset['id']}", who="bank") == []
    for bad in ("limit=0", "limit=201", "status=lost", "cursor=notacursor", "pledgor_id=x"):
        assert_problem(client.get(f"/api/v1/pledges?{bad}", headers=s.headers["clerk"]), 422)


def test_changes_of_amount_and_term_are_logged(client, app, pledged, registry):
    s, pledge = pledged
    clerk = s.headers["clerk"]
    changed = client.post(
        _path(pledge["id"], "changes"), json={"secured_amount": "4000000.00"}, headers=clerk
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["secured_amount"] == "4000000.00"
    later = (date.fromisoformat(pledge["debt_end"]) + timedelta(days=90)).isoformat()
    extended = client.post(_path(pledge["id"], "changes"), json={"debt_end": later}, headers=clerk)
    assert extended.status_code == 200 and extended.get_json()["debt_end"] == later
    assert event_types(app)[-2:] == ["pledge.changed", "pledge.extended"]
    before = row_counts(app)
    for body in (
        {},
        {"secured_amount": "4000000.00"},  # nothing changes
        {"debt_end": pledge["debt_start"]},  # ends before it starts
        {"debt_end": "2099-01-01"},  # past the patent's term (R06)
        {"secured_amount": "-1.00"},
    ):
        response = client.post(_path(pledge["id"], "changes"), json=body, headers=clerk)
        assert_problem(response, 422, "validation-failed")
    assert row_counts(app) == before


def test_cancellation_frees_the_asset_and_stays_on_record(client, app, pledged, registry):
    s, pledge = pledged
    clerk = s.headers["clerk"]
    assert_problem(client.post(_path(pledge["id"], "cancel"), json={}, headers=clerk), 422)
    realized = client.post(
        _path(pledge["id"], "cancel"), json={"reason": "realized"}, headers=clerk
    )
    assert_problem(realized, 422)  # only a disposal realizes a pledge
    response = client.post(_path(pledge["id"], "cancel"), json={"reason": "repaid"}, headers=clerk)
    assert response.status_code == 200, response.get_json()
    cancelled = response.get_json()
    assert cancelled["status"] == "cancelled" and cancelled["closing_reason"] == "repaid"
    # The asset is free again: a new pledge on it registers.
    again = registry.pledge(s.owner, s.other_bank, [s.asset["id"]])
    assert again["status"] == "registered"
    assert client.get(_path(pledge["id"]), headers=s.headers["bank"]).get_json()["status"] == (
        "cancelled"
    )


def test_revocation(client, pledged):
    s, pledge = pledged
    clerk = s.headers["clerk"]
    assert_problem(
        client.post(_path(pledge["id"], "revoke"), json={"reason": ""}, headers=clerk), 422
    )
    response = client.post(
        _path(pledge["id"], "revoke"), json={"reason": "以欺骗手段取得登记"}, headers=clerk
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "revoked"


@pytest.mark.parametrize("first", ["cancel", "revoke"])
def test_a_closed_pledge_allows_no_further_transition(client, app, pledged, first):
    s, pledge = pledged
    clerk = s.headers["clerk"]
    reason = {"cancel": {"reason": "waived"}, "revoke": {"reason": "登记错误"}}
    assert (
        client.post(_path(pledge["id"], first), json=reason[first], headers=clerk).status_code
        == 200
    )
    before = row_counts(app)
    for action, body in (
        ("cancel", reason["cancel"]),
        ("revoke", reason["revoke"]),
        ("changes", {"secured_amount": "1.00"}),
    ):
        response = client.post(_path(pledge["id"], action), json=body, headers=clerk)
        assert_problem(response, 409, "invalid-transition")
    assert row_counts(app) == before


def test_the_pledge_history_lists_its_events(client, pledged):
    s, pledge = pledged
    clerk = s.headers["clerk"]
    client.post(_path(pledge["id"], "changes"), json={"secured_amount": "1.00"}, headers=clerk)
    client.post(_path(pledge["id"], "cancel"), json={"reason": "repaid"}, headers=clerk)
    history = client.get(_path(pledge["id"], "history"), headers=s.headers["owner"]).get_json()
    types = [e["type"] for e in history["items"]]
    assert types == ["pledge.registered", "pledge.changed", "pledge.cancelled"]
    assert history["items"][1]["changes"] == {"secured_amount": "1.00"}
    assert all(e["actor"].startswith("key:") for e in history["items"])
    assert_problem(client.get(_path(999_999, "history"), headers=clerk), 404)


# --- transfers ---------------------------------------------------------------------------------


def _holders(client, s, asset_id):
    return client.get(f"/api/v1/assets/{asset_id}", headers=s.headers["clerk"]).get_json()[
        "holder_ids"
    ]


def test_a_pledged_asset_moves_only_with_the_pledgees_consent(client, app, pledged, registry):
    s, pledge = pledged
    buyer = registry.party("深圳新材料有限公司")
    body = {"asset_id": s.asset["id"], "kind": "assignment", "to_party_ids": [buyer]}
    before = row_counts(app)
    refused = client.post("/api/v1/transfers", json=body, headers=s.headers["clerk"])
    problem = assert_problem(refused, 409, "pledgee-consent-required")
    assert pledge["registration_number"] in problem["detail"]
    no_proceeds = client.post(
        "/api/v1/transfers", json={**body, "pledgee_consent": True}, headers=s.headers["clerk"]
    )
    assert "proceeds" in assert_problem(no_proceeds, 422)["errors"]
    assert row_counts(app) == before
    assert _holders(client, s, s.asset["id"]) == [s.owner]
    consented = {**body, "pledgee_consent": True, "proceeds": "escrow"}
    response = client.post("/api/v1/transfers", json=consented, headers=s.headers["clerk"])
    assert response.status_code == 201, response.get_json()
    transfer = response.get_json()
    assert transfer["from_party_ids"] == [s.owner] and transfer["to_party_ids"] == [buyer]
    assert transfer["pledge_id"] == pledge["id"]
    assert _holders(client, s, s.asset["id"]) == [buyer]
    assert event_types(app)[-1] == "asset.assignment"


def test_an_unpledged_asset_is_assigned_or_licensed(client, registry, keys):
    s = scene(registry, keys)
    licensee, buyer = registry.party(), registry.party()
    licence = {"asset_id": s.asset["id"], "kind": "licence", "to_party_ids": [licensee]}
    assert (
        client.post("/api/v1/transfers", json=licence, headers=s.headers["clerk"]).status_code
        == 201
    )
    assert _holders(client, s, s.asset["id"]) == [s.owner]
    with_proceeds = {**licence, "proceeds": "escrow"}
    assert_problem(
        client.post("/api/v1/transfers", json=with_proceeds, headers=s.headers["clerk"]), 422
    )
    assignment = {"asset_id": s.asset["id"], "kind": "assignment", "to_party_ids": [buyer, s.owner]}
    assert (
        client.post("/api/v1/transfers", json=assignment, headers=s.headers["clerk"]).status_code
        == 201
    )
    assert _holders(client, s, s.asset["id"]) == sorted([buyer, s.owner])


def test_a_frozen_asset_does_not_move(client, app, registry, keys):
    s = scene(registry, keys)
    registry.post(f"/assets/{s.asset['id']}/freezes", {"court": "法院", "order_number": "1"})
    before = row_counts(app)
    body = {"asset_id": s.asset["id"], "kind": "assignment", "to_party_ids": [s.other_owner]}
    response = client.post("/api/v1/transfers", json=body, headers=s.headers["clerk"])
    assert_problem(response, 409, "asset-frozen")
    unknown = {**body, "to_party_ids": [999_999]}
    assert_problem(client.post("/api/v1/transfers", json=unknown, headers=s.headers["clerk"]), 422)
    missing = {**body, "asset_id": 999_999}
    assert_problem(client.post("/api/v1/transfers", json=missing, headers=s.headers["clerk"]), 404)
    assert row_counts(app) == before

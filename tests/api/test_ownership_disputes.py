"""Ground R05's second half: an asset "suspended by an ownership dispute" (DESIGN). A clerk
records the suspension as a freeze of kind `ownership_dispute` (the court or arbitration body
and its case number): the asset is frozen, so a pledge is refused on R05 and a transfer is
refused, until it is lifted; a court's preservation order stays the default kind, and the
digests logged for freezes before kinds existed still verify."""

from __future__ import annotations

from ipx.registry.orm import Freeze
from ipx.registry.state import freeze_state
from tests.console_helpers import logged_in, page_text, submit_form
from tests.registry_helpers import assert_problem, event_types, row_counts

API = "/api/v1"
DISPUTE = {
    "court": "上海国际仲裁中心",
    "order_number": "(2026)沪仲案字第0815号",
    "kind": "ownership_dispute",
}


def test_a_dispute_suspends_the_asset_until_lifted(client, registry):
    owner, bank, buyer = registry.party(), registry.party(), registry.party()
    asset = registry.asset([owner])
    freeze = registry.post(f"/assets/{asset['id']}/freezes", DISPUTE)
    assert (freeze["kind"], freeze["status"]) == ("ownership_dispute", "active")
    assert client.get(f"{API}/assets/{asset['id']}", headers=registry.clerk).get_json()["frozen"]

    application = registry.application(owner, bank, [asset["id"]])
    refused = client.post(
        f"{API}/pledge-applications/{application['id']}/register", headers=registry.clerk
    )
    problem = assert_problem(refused, 409, "registration-refused")
    assert [g["code"] for g in problem["grounds"]] == ["R05"]
    transfer = {"asset_id": asset["id"], "kind": "assignment", "to_party_ids": [buyer]}
    moved = client.post(f"{API}/transfers", json=transfer, headers=registry.clerk)
    assert_problem(moved, 409, "asset-frozen")

    registry.post(f"/freezes/{freeze['id']}/lift", {}, status=200)
    registered = registry.post(f"/pledge-applications/{application['id']}/register", {})
    assert registered["status"] == "registered"


def test_a_court_order_is_the_default_kind(registry):
    asset = registry.asset([registry.party()])
    body = {"court": "上海知识产权法院", "order_number": "(2026)沪73执保12号"}
    assert registry.post(f"/assets/{asset['id']}/freezes", body)["kind"] == "court_preservation"


def test_an_unknown_kind_is_refused_and_records_nothing(app, client, registry):
    asset = registry.asset([registry.party()])
    before = row_counts(app)
    response = client.post(
        f"{API}/assets/{asset['id']}/freezes",
        json={**DISPUTE, "kind": "injunction"},
        headers=registry.clerk,
    )
    assert set(assert_problem(response, 422, "validation-failed")["errors"]) == {"kind"}
    assert row_counts(app) == before


def test_a_court_orders_state_is_the_one_digested_before_kinds():
    order = Freeze(asset_id=7, court="上海知识产权法院", order_number="(2026)1号", status="active")
    order.kind = "court_preservation"
    assert freeze_state(order) == {
        "asset_id": 7,
        "court": "上海知识产权法院",
        "order_number": "(2026)1号",
        "status": "active",
    }
    order.kind = "ownership_dispute"
    assert freeze_state(order)["kind"] == "ownership_dispute"


def test_a_clerk_records_a_dispute_in_the_console(app, client, registry):
    asset = registry.asset([registry.party()])
    clerk = logged_in(client, app, "clerk")
    path = f"/console/assets/{asset['id']}"
    data = {f"freeze-{name}": value for name, value in DISPUTE.items()}
    sent = submit_form(clerk, path + "?lang=en", f"{path}/freezes", data)
    assert sent.status_code == 302, page_text(sent)
    html = page_text(clerk.get(path + "?lang=en"))
    assert "Ownership dispute (procedures suspended)" in html and DISPUTE["order_number"] in html
    assert event_types(app).count("asset.frozen") == 1
    history = client.get(f"{API}/assets/{asset['id']}/history", headers=registry.clerk)
    [frozen] = [e for e in history.get_json()["items"] if e["type"] == "asset.frozen"]
    assert frozen["changes"]["kind"] == "ownership_dispute"

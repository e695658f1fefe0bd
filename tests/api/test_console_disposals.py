"""A disposal's console page: bids recorded and the disposal closed by a clerk, the
distribution statement of the sale, and the pledge's parties only."""

from __future__ import annotations

from tests.api.test_disposal_flow import Scene
from tests.console_helpers import form_fields, logged_in, page_text
from tests.registry_helpers import event_types, row_counts


def post(client, page_path: str, path: str, data: dict):
    page = page_text(client.get(page_path))
    return client.post(path, data={**form_fields(page, path), **data})


def test_a_clerk_records_bids_closes_and_reads_the_distribution_statement(
    app, client, registry, keys
):
    scene = Scene(client, registry, keys)
    scene.default()
    disposal = scene.open()
    clerk = logged_in(app.test_client(), app, "clerk")
    path = f"/console/disposals/{disposal['id']}"
    assert f"/console/disposals/{disposal['id']}" in page_text(
        clerk.get(f"/console/pledges/{scene.pledge['id']}")
    )
    before = row_counts(app)
    low = post(
        clerk, path, f"{path}/bids", {"bid-bidder_id": scene.buyers[0], "bid-amount": "1.00"}
    )
    assert low.status_code == 422
    assert "低于保留价" in page_text(low)
    assert row_counts(app) == before
    bid = {"bid-bidder_id": scene.buyers[0], "bid-amount": "1200000.00"}
    assert post(clerk, path, f"{path}/bids", bid).status_code == 302
    assert post(clerk, path, f"{path}/close", {}).status_code == 302
    page = page_text(clerk.get(path + "?lang=en"))
    assert "Sold" in page and "Distribution statement" in page
    assert "Surplus to the pledgor" in page and "CN¥1,200,000.00" in page
    events = event_types(app)
    assert "disposal.bid" in events and "disposal.sold" in events[events.index("disposal.bid") :]
    stranger = logged_in(app.test_client(), app, "owner", registry.party("岭南电子有限公司"))
    assert stranger.get(path).status_code == 404
    owner = logged_in(app.test_client(), app, "owner", scene.owner)
    owner_page = page_text(owner.get(path))
    assert owner.get(path).status_code == 200 and "/bids" not in owner_page

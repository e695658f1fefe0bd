"""Lists that used to come whole, now in cursor pages as every list of the API (DESIGN: `limit`,
`next_cursor`): a record's history and a disposal's bids. Their default page is the most a
page holds (200), so an answer that fitted in one page is the same answer."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.api.test_disposal_flow import API, Scene
from tests.registry_helpers import assert_problem


@pytest.fixture
def scene(client, registry, keys):
    return Scene(client, registry, keys)


def _walk(scene, path: str, limit: int, headers=None) -> tuple[list[dict], int]:
    items, cursor, pages = [], None, 0
    while True:
        query = f"limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
        body = scene.get(f"{path}?{query}", headers)
        pages += 1
        assert 1 <= len(body["items"]) <= limit and pages <= 50  # a cursor that moves on
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


def _whole(scene, path: str, headers=None) -> list[dict]:
    body = scene.get(path, headers)
    assert body["next_cursor"] is None
    return body["items"]


def _fee_changes(scene, times: int) -> None:
    for i in range(times):
        paid = (scene.registry.today + timedelta(days=300 + i)).isoformat()
        scene.client.patch(
            f"{API}/assets/{scene.asset_ids[0]}",
            json={"fees_paid_until": paid},
            headers=scene.clerk,
        )


@pytest.mark.parametrize("limit", [1, 3])
def test_an_assets_history_in_pages_is_its_whole_history(scene, limit):
    _fee_changes(scene, 3)
    path = f"/assets/{scene.asset_ids[0]}/history"
    whole = _whole(scene, path)
    assert len(whole) >= 5  # registered, pledged, three fee changes
    assert [e["seq"] for e in whole] == sorted(e["seq"] for e in whole)
    items, pages = _walk(scene, path, limit)
    assert items == whole
    assert pages == -(-len(whole) // limit)


def test_a_pledges_history_in_pages_shows_a_party_what_the_whole_shows_it(scene):
    for amount in ("4000000.00", "3000000.00"):
        scene.post(f"/pledges/{scene.pledge['id']}/changes", {"secured_amount": amount}, status=200)
    path = f"/pledges/{scene.pledge['id']}/history"
    for headers in (None, scene.bank_key, scene.owner_key):
        whole = _whole(scene, path, headers)
        assert len(whole) >= 3
        assert _walk(scene, path, 2, headers)[0] == whole


def test_a_disposals_bids_in_pages(scene):
    scene.default()
    disposal = scene.open()
    amounts = ["900000.00", "950000.00", "1000000.00"]
    for i, amount in enumerate(amounts):
        scene.bid(disposal, scene.buyers[i % 2], amount)
    path = f"/disposals/{disposal['id']}/bids"
    whole = _whole(scene, path, scene.bank_key)
    assert [b["amount"] for b in whole] == amounts
    for limit in (1, 2):
        assert _walk(scene, path, limit, scene.bank_key)[0] == whole


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "cursor=bm9uc2Vuc2U", "cursor=%00"])
def test_a_bad_page_is_a_validation_problem(scene, client, query):
    for path in (
        f"/assets/{scene.asset_ids[0]}/history",
        f"/pledges/{scene.pledge['id']}/history",
    ):
        response = client.get(f"{API}{path}?{query}", headers=scene.clerk)
        assert_problem(response, 422, "validation-failed")


def test_a_page_of_a_history_the_caller_may_not_see_is_not_found(scene, client, keys, registry):
    stranger = keys.header("bank", registry.party("另一家银行"))
    path = f"{API}/pledges/{scene.pledge['id']}/history?limit=1"
    assert_problem(client.get(path, headers=stranger), 404, "not-found")

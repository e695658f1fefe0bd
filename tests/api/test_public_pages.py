"""The public query in pages: `limit`, `cursor` and `next_cursor`, as every list of the API.

The order is the newest registration first (then the pledge, then the asset), and a cursor
names the last item it follows, so pages join up to the one-page answer, with nothing twice
and nothing missed, even when pledges are registered between two pages."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

import pytest
from sqlalchemy import text

from ipx.db_ext import database
from tests.console_helpers import page_text
from tests.registry_helpers import assert_problem

URL = "/api/v1/public/encumbrances"


@pytest.fixture
def pledgor(registry):
    """A pledgor with three pledges, the middle one on three assets: five items in all."""
    owner = registry.party("浦东智能装备有限公司")
    bank = registry.party("交通银行上海分行")
    assets = [registry.asset([owner])["id"] for _ in range(5)]
    pledges = [
        registry.pledge(owner, bank, assets[:1]),
        registry.pledge(owner, bank, assets[1:4]),
        registry.pledge(owner, bank, assets[4:]),
    ]
    return {"id": owner, "bank": bank, "pledges": pledges, "query": "pledgor=" + quote("浦东智能")}


def _page(client, query: str, **params) -> dict:
    extra = "".join(f"&{name}={quote(str(value))}" for name, value in params.items())
    response = client.get(f"{URL}?{query}{extra}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {"checkpoint", "items", "next_cursor"} <= body.keys()
    return body


def _walk(client, query: str, limit: int) -> tuple[list[tuple[str, str]], int]:
    """Every item, page after page, as (registration number, asset number); and the pages."""
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        body = _page(client, query, **params)
        pages += 1
        assert 1 <= len(body["items"]) <= limit
        seen += [(i["registration_number"], i["asset_number"]) for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


def _all(client, query: str) -> list[tuple[str, str]]:
    body = _page(client, query)
    assert body["next_cursor"] is None  # 5 items: one page of the default 200
    return [(i["registration_number"], i["asset_number"]) for i in body["items"]]


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_pages_join_up_to_the_whole_answer_nothing_twice(client, pledgor, limit):
    whole = _all(client, pledgor["query"])
    assert len(whole) == 5
    newest_first = [p["registration_number"] for p in reversed(pledgor["pledges"])]
    assert list(dict.fromkeys(number for number, _ in whole)) == newest_first
    seen, pages = _walk(client, pledgor["query"], limit)
    assert seen == whole
    assert pages == -(-5 // limit)  # no empty page at the end


def test_a_page_may_end_inside_a_pledge_on_several_assets(client, pledgor):
    first = _page(client, pledgor["query"], limit=2)  # the newest pledge, then 1 of 3 assets
    middle = pledgor["pledges"][1]["registration_number"]
    assert [i["registration_number"] for i in first["items"]][1] == middle
    second = _page(client, pledgor["query"], limit=2, cursor=first["next_cursor"])
    assert [i["registration_number"] for i in second["items"]] == [middle, middle]


def test_pledges_registered_with_the_same_time_are_ordered_by_pledge(app, client, pledgor):
    ids = [p["id"] for p in pledgor["pledges"]]
    with database(app).engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE pledges SET registered_at = (SELECT registered_at FROM pledges "
                "WHERE id = :first) WHERE id IN (:second, :third)"
            ),
            {"first": ids[0], "second": ids[1], "third": ids[2]},
        )
    whole = _all(client, pledgor["query"])
    for limit in (1, 2, 3):
        assert _walk(client, pledgor["query"], limit)[0] == whole


def test_a_pledge_registered_between_two_pages_does_not_shift_the_next(client, registry, pledgor):
    before = _all(client, pledgor["query"])
    first = _page(client, pledgor["query"], limit=2)
    newer = registry.pledge(pledgor["id"], pledgor["bank"], [registry.asset([pledgor["id"]])["id"]])
    rest, cursor = [], first["next_cursor"]
    while cursor:
        body = _page(client, pledgor["query"], limit=2, cursor=cursor)
        rest += [(i["registration_number"], i["asset_number"]) for i in body["items"]]
        cursor = body["next_cursor"]
    got = [(i["registration_number"], i["asset_number"]) for i in first["items"]] + rest
    assert got == before  # the new pledge is on a first page, not on a later one
    assert _all(client, pledgor["query"])[0][0] == newer["registration_number"]


def test_by_number_with_a_certificate_on_every_page(client, registry):
    owner, bank = registry.party(), registry.party()
    asset = registry.asset([owner])
    first = registry.pledge(owner, bank, [asset["id"]])
    registry.post(f"/pledges/{first['id']}/cancel", {"reason": "repaid"}, status=200)
    second = registry.pledge(owner, bank, [asset["id"]])
    query = f"number={asset['number']}&proof=1"
    one = _page(client, query, limit=1)
    two = _page(client, query, limit=1, cursor=one["next_cursor"])
    assert [i["registration_number"] for i in one["items"] + two["items"]] == [
        second["registration_number"],
        first["registration_number"],
    ]
    assert two["next_cursor"] is None
    assert one["certificate"]["state"] == two["certificate"]["state"]
    live = [p["registration_number"] for p in one["certificate"]["state"]["pledges"]]
    assert live == [second["registration_number"]]


def _cursor(text_: str) -> str:
    return base64.urlsafe_b64encode(text_.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "x"},
        {"cursor": "not a cursor"},
        {"cursor": _cursor("id:5")},  # another list's cursor
        {"cursor": _cursor("pub:5")},
        {"cursor": _cursor("pub:5.1")},  # no query scope
        {"cursor": _cursor("pub:5.-1")},
        {"cursor": _cursor("pub:5.+1")},
        {"cursor": _cursor(f"pub:5.{2**31}")},
    ],
)
def test_a_bad_limit_or_cursor_is_a_validation_problem(client, pledgor, params):
    extra = "".join(f"&{name}={quote(str(value))}" for name, value in params.items())
    body = assert_problem(client.get(f"{URL}?{pledgor['query']}{extra}"), 422, "validation-failed")
    assert set(body["errors"]) == set(params)


def test_a_cursor_is_good_for_its_own_query_only(client, registry, pledgor):
    cursor = _page(client, pledgor["query"], limit=1)["next_cursor"]
    assert _page(client, pledgor["query"], limit=1, cursor=cursor)["items"]
    asset = registry.asset([pledgor["id"]])
    registry.pledge(pledgor["id"], pledgor["bank"], [asset["id"]])
    for other in (f"number={asset['number']}", "pledgor=" + quote("浦东智能装备")):
        response = client.get(f"{URL}?{other}&cursor={cursor}")
        body = assert_problem(response, 422, "validation-failed")
        assert body["errors"] == {"cursor": ["Not a cursor of this query."]}


def test_a_forged_cursor_past_the_end_says_no_more_not_none(client, pledgor):
    from ipx.web.fields import cursor_scope, encode_key_cursor

    scope = cursor_scope(None, "浦东智能")
    beyond = encode_key_cursor("pub", (0, 0, scope))  # before every pledge: nothing after it
    assert _page(client, pledgor["query"], cursor=beyond)["items"] == []
    html = page_text(client.get(f"/console/public?lang=en&{pledgor['query']}&cursor={beyond}"))
    assert "No more pledges for this search." in html and "First page" in html
    assert "No pledge is registered" not in html


def test_the_console_page_pages_as_the_api_does(client, pledgor, monkeypatch):
    from ipx.console import reads

    whole = _all(client, pledgor["query"])
    url = "/console/public?lang=en&" + pledgor["query"]
    html = page_text(client.get(url))
    assert "5 pledges found" in html and "Next page" not in html
    monkeypatch.setattr(reads, "PUBLIC_PAGE_SIZE", 2)
    shown, page_url, pages = [], url, 0
    while page_url and pages < 5:
        html = page_text(client.get(page_url))
        pages += 1
        on_page = [(r, a) for r, a in whole if a in html]  # each asset is in one pledge
        assert 1 <= len(on_page) <= 2 and "on this page" in html
        shown += on_page
        found = re.search(r'href="([^"]*)" rel="next"', html)
        page_url = found.group(1).replace("&amp;", "&") if found else None
    assert pages == 3 and shown == whole
    bad = client.get(url + "&cursor=nonsense")
    assert 400 <= bad.status_code < 500


def test_a_pledges_registration_number_finds_its_assets(client, pledgor):
    middle = pledgor["pledges"][1]  # on three assets
    for typed in (middle["registration_number"], f"  {middle['registration_number'].lower()} "):
        body = _page(client, f"number={quote(typed)}")
        found = [(i["registration_number"], i["asset_number"]) for i in body["items"]]
        assert len(found) == 3 and {r for r, _ in found} == {middle["registration_number"]}
    one = _page(client, f"number={middle['registration_number']}", limit=2)
    two = _page(
        client, f"number={middle['registration_number']}", limit=2, cursor=one["next_cursor"]
    )
    assert len(one["items"]) == 2 and len(two["items"]) == 1 and two["next_cursor"] is None
    refused = client.get(f"{URL}?number={middle['registration_number']}&proof=1")
    assert set(assert_problem(refused, 422, "validation-failed")["errors"]) == {"proof"}
    html = page_text(client.get(f"/console/public?lang=en&number={middle['registration_number']}"))
    assert "3 pledges found" in html
    assert _page(client, "number=IPX-P-1999-000001")["items"] == []

"""The lists of disposals, transactions and valuations: they page with the API's cursor and
export every row the user sees as CSV; only clerks and auditors see realized prices."""

from __future__ import annotations

import csv
import io

from ipx.console import reads
from tests.api.test_disposal_flow import Scene
from tests.console_helpers import logged_in, page_text


def rows_of(response) -> list[dict]:
    assert (
        response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    )
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def next_page(client, html: str) -> str:
    link = html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    return page_text(client.get(link.replace("&amp;", "&")))


def two_sales(client, registry, keys) -> list[Scene]:
    scenes = []
    for price in ("1200000.00", "900000.00"):
        scene = Scene(client, registry, keys)
        scene.default()
        disposal = scene.open(method="listing")
        scene.bid(disposal, scene.buyers[0], price)
        scene.close(disposal)
        scenes.append(scene)
    return scenes


def test_transactions_page_and_export_for_clerks_and_auditors_only(
    app, client, registry, keys, monkeypatch
):
    first, second = two_sales(client, registry, keys)
    numbers = [s.assets[0]["number"] for s in (first, second)]
    monkeypatch.setattr(reads, "PAGE_SIZE", 1)
    clerk = logged_in(app.test_client(), app, "clerk")
    page = page_text(clerk.get("/console/transactions?lang=en"))
    assert numbers[0] in page and numbers[1] not in page and "CN¥1,200,000.00" in page
    following = next_page(clerk, page)
    assert numbers[1] in following and numbers[0] not in following
    assert numbers[0] not in page_text(clerk.get("/console/transactions?method=auction"))
    assert numbers[0] not in page_text(clerk.get("/console/transactions?asset_kind=trademark"))
    assert numbers[0] in page_text(clerk.get("/console/transactions?asset_kind=invention"))
    exported = rows_of(clerk.get("/console/transactions?format=csv"))
    api = client.get("/api/v1/transactions", headers=first.clerk).get_json()["items"]
    assert [(r["asset_number"], r["price"], r["lot_size"]) for r in exported] == [
        (t["asset_number"], t["price"], str(t["lot_size"])) for t in api
    ]
    assert '"claims": 10' in exported[0]["features"]
    auditor = logged_in(app.test_client(), app, "auditor")
    assert numbers[0] in page_text(auditor.get("/console/transactions"))
    for role, party in (("bank", first.bank), ("owner", first.owner)):
        user = logged_in(app.test_client(), app, role, party)
        assert user.get("/console/transactions").status_code == 403
        assert "/console/transactions" not in page_text(user.get("/console/"))


def test_disposals_page_and_export_and_banks_see_only_their_own(
    app, client, registry, keys, monkeypatch
):
    first, second = two_sales(client, registry, keys)
    monkeypatch.setattr(reads, "PAGE_SIZE", 1)
    clerk = logged_in(app.test_client(), app, "clerk")
    page = page_text(clerk.get("/console/disposals"))
    pledges = [s.pledge["registration_number"] for s in (first, second)]
    assert pledges[0] in page and pledges[1] not in page
    assert pledges[1] in next_page(clerk, page)
    exported = rows_of(clerk.get("/console/disposals?format=csv&status=sold"))
    assert [r["pledge"] for r in exported] == pledges
    # Times as the API writes them: UTC with Z.
    stamps = [r[k] for r in exported for k in ("opened_at", "bids_open_at", "closed_at")]
    assert stamps and all(stamp.endswith("Z") for stamp in stamps), stamps
    assert rows_of(clerk.get("/console/disposals?format=csv&status=open")) == []
    bank = logged_in(app.test_client(), app, "bank", second.bank)
    assert [r["pledge"] for r in rows_of(bank.get("/console/disposals?format=csv"))] == [pledges[1]]


def test_valuations_page_and_export(app, client, registry, keys, monkeypatch):
    owner, bank = registry.party(), registry.party("工商银行上海分行")
    asset = registry.asset([owner])
    made = [
        client.post(
            "/api/v1/valuations",
            json={"asset_id": asset["id"], "loan_term_months": months},
            headers=keys.header("bank", bank),
        ).get_json()["id"]
        for months in (12, 24)
    ]
    monkeypatch.setattr(reads, "PAGE_SIZE", 1)
    user = logged_in(app.test_client(), app, "bank", bank)
    page = page_text(user.get("/console/valuations"))
    newest, oldest = (f"/console/valuations/{i}" for i in reversed(made))
    assert newest in page and oldest not in page
    assert oldest in next_page(user, page)
    exported = rows_of(user.get("/console/valuations?format=csv"))
    assert [int(r["id"]) for r in exported] == list(reversed(made))
    assert {r["asset_id"] for r in exported} == {str(asset["id"])}
    assert all(r["grade"] and r["model_version"] for r in exported)
    assert all(r["created_at"].endswith("Z") for r in exported)
    stranger = logged_in(app.test_client(), app, "bank", registry.party("岭南银行"))
    assert rows_of(stranger.get("/console/valuations?format=csv")) == []

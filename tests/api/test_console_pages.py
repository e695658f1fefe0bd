"""Console pages: what each role sees (the API's visibility), lists, exports, receipts, errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

import ipx.console.reads as reads
from tests.console_helpers import logged_in, page_text

PAGES = ["/console/", "/console/assets", "/console/pledges"]


@pytest.fixture
def two_owners(registry):
    """Two owners, each with an asset pledged to the same bank."""
    bank = registry.party("招商银行深圳分行")
    owners, pledges, assets = [], [], []
    for name in ("华东材料科技股份有限公司", "西南光电有限公司"):
        owner = registry.party(name)
        asset = registry.asset([owner])
        owners.append(owner)
        assets.append(asset)
        pledges.append(registry.pledge(owner, bank, [asset["id"]], secured_amount="1250000.00"))
    return {"bank": bank, "owners": owners, "assets": assets, "pledges": pledges}


@pytest.mark.parametrize("path", [*PAGES, "/console/assets/1", "/console/pledges/1"])
def test_every_page_but_the_public_one_needs_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login?next=")


def test_an_owner_sees_its_own_pledge_and_gets_404_for_anothers(app, client, two_owners):
    mine, theirs = two_owners["pledges"]
    owner = logged_in(client, app, "owner", two_owners["owners"][0])
    page = page_text(owner.get(f"/console/pledges/{mine['id']}"))
    assert mine["registration_number"] in page and "¥1,250,000.00" in page
    assert "招商银行深圳分行" in page  # the pledgee, a counterparty it may see
    for path in (
        f"/console/pledges/{theirs['id']}",
        f"/console/pledges/{theirs['id']}/receipt.json",
        f"/console/assets/{two_owners['assets'][1]['id']}",
        "/console/pledges/999999",
    ):
        response = owner.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/html"
        assert theirs["registration_number"] not in page_text(response)
    listed = page_text(owner.get("/console/pledges"))
    assert mine["registration_number"] in listed and theirs["registration_number"] not in listed


def test_the_bank_sees_both_pledges_a_clerk_sees_everything(app, client, two_owners):
    numbers = [p["registration_number"] for p in two_owners["pledges"]]
    bank = logged_in(app.test_client(), app, "bank", two_owners["bank"])
    clerk = logged_in(client, app, "clerk")
    for viewer in (bank, clerk):
        listed = page_text(viewer.get("/console/pledges"))
        assert all(n in listed for n in numbers)


def test_the_pledge_page_shows_its_history_and_a_receipt_equal_to_the_apis(
    app, client, keys, two_owners
):
    pledge = two_owners["pledges"][0]
    owner_id = two_owners["owners"][0]
    owner = logged_in(client, app, "owner", owner_id)
    page = page_text(owner.get(f"/console/pledges/{pledge['id']}"))
    assert "质押登记" in page and "user:" not in page  # registered through the API by a key
    assert f"/console/pledges/{pledge['id']}/receipt.json" in page
    assert "python -m ipx.ledger.verify" in page
    download = owner.get(f"/console/pledges/{pledge['id']}/receipt.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    api = client.get(
        f"/api/v1/pledges/{pledge['id']}/receipt", headers=keys.header("owner", owner_id)
    )
    assert json.loads(download.get_data(as_text=True)) == api.get_json()


def test_the_asset_page_says_to_whom_it_is_pledged(app, client, two_owners):
    asset, pledge = two_owners["assets"][0], two_owners["pledges"][0]
    owner = logged_in(client, app, "owner", two_owners["owners"][0])
    page = page_text(owner.get(f"/console/assets/{asset['id']}"))
    assert asset["number"] in page and "华东材料科技股份有限公司" in page
    assert "已质押给招商银行深圳分行" in page and pledge["registration_number"] in page
    assert "资产登记" in page  # its history: "Asset registered"


def test_a_clerks_dashboard_counts_the_work_queues(app, client, registry, two_owners):
    owner, bank = two_owners["owners"][0], two_owners["bank"]
    other = registry.asset([owner])
    registry.application(owner, bank, [other["id"]])
    clerk = logged_in(client, app, "clerk")
    page = page_text(clerk.get("/console/"))
    assert "待审查的申请" in page and "待处置的违约" in page and "进行中的处置" in page
    from ipx.console.accounts import ConsolePrincipal
    from ipx.console.reads import dashboard

    counts = app.extensions["ipx.usecases"].read(dashboard, ConsolePrincipal("1", "clerk", None))
    assert counts["queues"]["applications_submitted"] == 1
    assert counts["summary"]["pledges_by_status"] == {"registered": 2}


def test_an_owners_dashboard_summarises_its_own_pledges(app, client, two_owners):
    owner = logged_in(client, app, "owner", two_owners["owners"][0])
    page = page_text(owner.get("/console/?lang=en"))
    assert "Your pledges" in page and "Work queues" not in page
    assert "CN¥1,250,000.00" in page  # one live pledge, not both


def test_lists_page_with_the_cursor(app, client, two_owners, monkeypatch):
    monkeypatch.setattr(reads, "PAGE_SIZE", 1)
    clerk = logged_in(client, app, "clerk")
    first = page_text(clerk.get("/console/pledges"))
    numbers = [p["registration_number"] for p in two_owners["pledges"]]
    assert numbers[0] in first and numbers[1] not in first
    next_link = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = page_text(clerk.get(next_link.replace("&amp;", "&")))
    assert numbers[1] in second and numbers[0] not in second
    assert page_text(clerk.get("/console/pledges?cursor=nonsense")).count("部分输入无效") == 1


def test_lists_export_csv_of_every_row_the_user_sees(app, client, two_owners, monkeypatch):
    monkeypatch.setattr(reads, "PAGE_SIZE", 1)
    clerk = logged_in(client, app, "clerk")
    response = clerk.get("/console/pledges?format=csv")
    assert (
        response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["registration_number"] for r in rows] == [
        p["registration_number"] for p in two_owners["pledges"]
    ]
    assert (
        rows[0]["pledgee"].startswith("招商银行深圳分行")
        and rows[0]["secured_amount"] == "1250000.00"
    )
    owner = logged_in(app.test_client(), app, "owner", two_owners["owners"][1])
    assets = owner.get("/console/assets?format=csv").get_data(as_text=True)
    assert two_owners["assets"][1]["number"] in assets
    assert two_owners["assets"][0]["number"] not in assets


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused():
    from ipx.console.csv_export import csv_response

    body = csv_response("x.csv", ["name"], [["=HYPERLINK(1)"], ["+1"], ["plain"]]).get_data(True)
    assert body.splitlines()[1:] == ["'=HYPERLINK(1)", "'+1", "plain"]


@pytest.mark.parametrize("path", ["/console/login", "/console/public", "/console/nowhere"])
def test_console_answers_carry_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "style=" not in response.get_data(as_text=True)
    assert "<script" not in response.get_data(as_text=True)


def test_the_json_api_is_left_as_it_was(client):
    response = client.get("/api/v1/public/encumbrances?number=ZL201310677770.5")
    assert "Content-Security-Policy" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_an_unexpected_error_shows_an_error_page_not_a_stack_trace(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(reads, "dashboard", broken)
    clerk = logged_in(client, app, "clerk")
    response = clerk.get("/console/")
    assert response.status_code == 500 and response.mimetype == "text/html"
    text = page_text(response)
    assert "secret internals" not in text and "出现了错误" in text


def test_unknown_console_paths_are_a_404_page(client):
    response = client.get("/console/no/such/page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "没有这个页面或记录" in page_text(response)

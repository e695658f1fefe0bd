"""Console writes: pledge changes, cancellation, revocation and court freezes by a clerk, and
every console write leaves the same ledger events as its JSON API equivalent."""

from __future__ import annotations

import re
from datetime import date, timedelta

from ipx.registry.numbers import make_patent_number
from tests.api.test_console_registry_forms import submit
from tests.console_helpers import csrf_token, form_fields, logged_in, page_text, submit_form
from tests.registry_helpers import credit_code, event_types, row_counts

TODAY = date.today()
FILED = TODAY - timedelta(days=3 * 365)


def console_flow(app, client, serial: int) -> None:
    """Party, asset, application, registration, change, freeze and lift, cancel: by forms."""
    clerk = logged_in(client, app, "clerk")
    ids = []
    for name in ("华东材料科技股份有限公司", "工商银行上海分行"):
        answer = submit(
            clerk,
            "/console/parties/new",
            {"kind": "organization", "name": f"{name}{serial}", "credit_code": credit_code()},
        )
        assert answer.status_code == 302, page_text(answer)
        listed = page_text(clerk.get(answer.headers["Location"]))
        ids.append(int(re.search(r'<td class="num">(\d+)</td>', listed).group(1)))
    owner, bank = ids
    answer = submit(clerk, "/console/assets/new", _asset(owner, serial))
    asset_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    answer = submit(clerk, "/console/applications/new", _application(owner, bank, asset_id))
    application = answer.headers["Location"]
    answer = submit_form(clerk, application, f"{application}/register", {})
    pledge = answer.headers["Location"]
    assert (
        submit_form(
            clerk, pledge, f"{pledge}/change", {"change-secured_amount": "4000000.00"}
        ).status_code
        == 302
    )
    asset = f"/console/assets/{asset_id}"
    answer = submit_form(
        clerk,
        asset,
        f"{asset}/freezes",
        {"freeze-court": "上海市浦东新区人民法院", "freeze-order_number": "(2026)沪0115执保1号"},
    )
    assert answer.status_code == 302, page_text(answer)
    freeze_id = re.search(r"/freezes/(\d+)/lift", page_text(clerk.get(asset))).group(1)
    assert submit_form(clerk, asset, f"{asset}/freezes/{freeze_id}/lift", {}).status_code == 302
    assert (
        submit_form(clerk, pledge, f"{pledge}/cancel", {"cancel-reason": "repaid"}).status_code
        == 302
    )


def api_flow(client, clerk, serial: int) -> None:
    def call(path, body, status=201):
        answer = client.post(f"/api/v1{path}", json=body, headers=clerk)
        assert answer.status_code == status, answer.get_json()
        return answer.get_json()

    owner, bank = (
        call(
            "/parties",
            {"kind": "organization", "name": f"{n}{serial}", "credit_code": credit_code()},
        )["id"]
        for n in ("华东材料科技股份有限公司", "工商银行上海分行")
    )
    form = _asset(owner, serial)
    asset = call(
        "/assets",
        {
            **{
                k: form[k]
                for k in (
                    "kind",
                    "number",
                    "title",
                    "filing_date",
                    "grant_date",
                    "status",
                    "fees_paid_until",
                    "ipc",
                )
            },
            "holder_ids": [owner],
            "features": {"claims": 10, "family_size": 2},
        },
    )
    body = _application(owner, bank, asset["id"])
    application = call(
        "/pledge-applications",
        {**body, "pledgor_id": owner, "pledgee_id": bank, "asset_ids": [asset["id"]]},
    )
    pledge = call(f"/pledge-applications/{application['id']}/register", {})
    call(f"/pledges/{pledge['id']}/changes", {"secured_amount": "4000000.00"}, 200)
    freeze = call(
        f"/assets/{asset['id']}/freezes",
        {"court": "上海市浦东新区人民法院", "order_number": "(2026)沪0115执保2号"},
    )
    call(f"/freezes/{freeze['id']}/lift", {}, 200)
    call(f"/pledges/{pledge['id']}/cancel", {"reason": "repaid"}, 200)


def _asset(owner: int, serial: int) -> dict:
    return {
        "kind": "invention",
        "number": make_patent_number(FILED.year, 1, 7000 + serial),
        "title": "一种稀土永磁材料及其制备方法",
        "holder_ids": str(owner),
        "filing_date": FILED.isoformat(),
        "grant_date": (FILED + timedelta(days=700)).isoformat(),
        "status": "granted",
        "fees_paid_until": (TODAY + timedelta(days=200)).isoformat(),
        "ipc": "H01F 1/057",
        "claims": "10",
        "family_size": "2",
    }


def _application(owner: int, bank: int, asset_id: int) -> dict:
    return {
        "pledgor_id": str(owner),
        "pledgee_id": str(bank),
        "asset_ids": str(asset_id),
        "secured_amount": "5000000.00",
        "debt_start": TODAY.isoformat(),
        "debt_end": (TODAY + timedelta(days=730)).isoformat(),
        "contract_number": "JK-2026-0001",
    }


def test_console_writes_leave_the_same_ledger_events_as_the_api(app, client, clerk):
    console_flow(app, client, 1)
    by_console = event_types(app)
    api_flow(app.test_client(), clerk, 2)
    by_api = event_types(app)[len(by_console) :]
    assert by_console == by_api
    assert by_console == [
        "party.created",
        "party.created",
        "asset.registered",
        "application.submitted",
        "pledge.registered",
        "pledge.changed",
        "asset.frozen",
        "asset.freeze_lifted",
        "pledge.cancelled",
    ]


def test_a_clerk_revokes_a_registration_and_bad_changes_change_nothing(app, client, registry):
    owner, bank = registry.party(), registry.party("工商银行上海分行")
    pledge = registry.pledge(owner, bank, [registry.asset([owner])["id"]])
    clerk = logged_in(client, app, "clerk")
    path = f"/console/pledges/{pledge['id']}"
    before = row_counts(app)
    answer = submit_form(
        clerk, path + "?lang=en", f"{path}/change", {"change-debt_end": "2000-01-01"}
    )
    assert answer.status_code == 422
    assert "The debt must end after it starts." in page_text(answer)
    assert submit_form(clerk, path, f"{path}/revoke", {"revoke-reason": ""}).status_code == 422
    assert row_counts(app) == before
    answer = submit_form(clerk, path, f"{path}/revoke", {"revoke-reason": "以欺骗手段取得登记"})
    assert answer.status_code == 302
    page = page_text(clerk.get(path + "?lang=en"))
    assert "Revoked" in page and "Revoke the registration" not in page
    assert event_types(app)[-1] == "pledge.revoked"


def test_banks_and_owners_see_no_clerk_action_and_may_not_post_one(app, client, registry):
    owner, bank = registry.party(), registry.party("工商银行上海分行")
    asset = registry.asset([owner])
    pledge = registry.pledge(owner, bank, [asset["id"]])
    for role, party in (("bank", bank), ("owner", owner)):
        user = logged_in(app.test_client(), app, role, party)
        page = page_text(user.get(f"/console/pledges/{pledge['id']}"))
        assert "/cancel" not in page and "/revoke" not in page
        assert "/freezes" not in page_text(user.get(f"/console/assets/{asset['id']}"))
        before = row_counts(app)
        answer = user.post(
            f"/console/pledges/{pledge['id']}/cancel",
            data={"csrf_token": csrf_token(page), "cancel-reason": "repaid"},
        )
        assert answer.status_code == 403
        assert row_counts(app) == before


def test_an_owners_assets_say_to_whom_they_are_pledged_or_that_they_are_free(app, client, registry):
    owner, bank = registry.party(), registry.party("工商银行上海分行")
    pledged, free = registry.asset([owner]), registry.asset([owner])
    pledge = registry.pledge(owner, bank, [pledged["id"]])
    page = page_text(logged_in(client, app, "owner", owner).get("/console/assets?lang=en"))
    assert "My assets" in page
    assert re.search(rf"Pledged to 工商银行上海分行\d* under {pledge['registration_number']}", page)
    row = page[page.index(free["number"]) :]
    assert "Free" in row[: row.index("</tr>")]


def test_a_clerk_records_a_consented_assignment_of_a_pledged_asset(app, client, registry):
    owner, bank, buyer = registry.party(), registry.party("工商银行上海分行"), registry.party()
    asset = registry.asset([owner])
    registry.pledge(owner, bank, [asset["id"]])
    clerk = logged_in(client, app, "clerk")
    path = f"/console/assets/{asset['id']}"
    form = {"transfer-kind": "assignment", "transfer-to_party_ids": str(buyer)}
    before = row_counts(app)
    refused = submit_form(clerk, path + "?lang=en", f"{path}/transfers", form)
    assert refused.status_code == 422
    assert "a transfer or licence needs the pledgee" in page_text(refused)
    no_proceeds = submit_form(
        clerk, path, f"{path}/transfers", {**form, "transfer-pledgee_consent": "y"}
    )
    assert no_proceeds.status_code == 422
    assert "Say where the proceeds of the pledged asset go." in page_text(no_proceeds)
    assert row_counts(app) == before
    answer = submit_form(
        clerk,
        path,
        f"{path}/transfers",
        {**form, "transfer-pledgee_consent": "y", "transfer-proceeds": "escrow"},
    )
    assert answer.status_code == 302, page_text(answer)
    assert event_types(app)[-1] == "asset.assignment"
    assert "Assignment recorded" in page_text(clerk.get(path))


def test_lifting_a_freeze_through_another_assets_page_is_404_and_lifts_nothing(
    app, client, registry
):
    owner = registry.party()
    frozen, other = registry.asset([owner]), registry.asset([owner])
    clerk = logged_in(client, app, "clerk")
    path = f"/console/assets/{frozen['id']}"
    order = {"freeze-court": "上海市浦东新区人民法院", "freeze-order_number": "(2026)沪0115执保9号"}
    assert submit_form(clerk, path, f"{path}/freezes", order).status_code == 302
    freeze_id = re.search(r"/freezes/(\d+)/lift", page_text(clerk.get(path))).group(1)
    before = row_counts(app)
    elsewhere = f"/console/assets/{other['id']}/freezes/{freeze_id}/lift"
    page = page_text(clerk.get(path))
    answer = clerk.post(elsewhere, data=form_fields(page, f"{path}/freezes/{freeze_id}/lift"))
    assert answer.status_code == 404
    assert row_counts(app) == before
    assert f"/freezes/{freeze_id}/lift" in page_text(clerk.get(path))  # still in force
    assert submit_form(clerk, path, f"{path}/freezes/{freeze_id}/lift", {}).status_code == 302
    assert event_types(app)[-1] == "asset.freeze_lifted"

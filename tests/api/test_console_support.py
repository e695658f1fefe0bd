"""The console's support pages: programmes and applications, and a programme's report with
the budget used over time (a picture and its table), in Chinese by default and in English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ipx.console import support_charts
from tests.console_helpers import logged_in, page_text
from tests.registry_helpers import scene

API = "/api/v1"


def _approved_application(client, registry, keys):
    cast = scene(registry, keys)
    h = cast.headers
    client.patch(
        f"{API}/parties/{cast.owner}",
        json={"sme": True, "sme_source": "申报表"},
        headers=h["clerk"],
    )
    pledge = registry.pledge(cast.owner, cast.bank, [cast.asset["id"]])
    year = date.today().year
    programme = client.post(
        f"{API}/support-programmes",
        json={
            "name": "贴息项目",
            "kind": "interest_subsidy",
            "period_start": f"{year}-01-01",
            "period_end": f"{year}-12-31",
            "rate_bp": 150,
            "cap_per_loan": "300000.00",
            "cap_per_firm_year": "500000.00",
            "budget": "1000000.00",
        },
        headers=h["admin"],
    ).get_json()
    application = client.post(
        f"{API}/support-applications",
        json={
            "programme_id": programme["id"],
            "pledge_ids": [pledge["id"]],
            "claim": {"outstanding_principal": "1000000.00"},
        },
        headers=h["bank"],
    ).get_json()
    approved = client.post(
        f"{API}/support-applications/{application['id']}/approve", json={}, headers=h["clerk"]
    )
    assert approved.status_code == 200
    return cast, programme, application


def test_a_clerk_reads_the_report_with_its_picture(app, client, registry, keys):
    _cast, programme, application = _approved_application(client, registry, keys)
    clerk = logged_in(app.test_client(), app, "clerk")
    overview = page_text(clerk.get("/console/support"))
    assert "扶持项目" in overview and "贴息项目" in overview
    page = page_text(clerk.get(f"/console/support/{programme['id']}?lang=en"))
    assert page.count('<svg class="chart"') == 1 and 'role="img"' in page
    assert "Budget used over time as a table" in page
    year = date.today().year
    assert f"Jan 1, {year} – Dec 31, {year}" in page  # dates written the page's way
    assert f"{year}年1月1日 – {year}年12月31日" in overview
    assert "By bank" in page and "By firm" in page
    csv = clerk.get(f"/console/support/{programme['id']}?format=csv")
    assert csv.mimetype == "text/csv"
    assert application["computed_amount"] in csv.get_data(as_text=True)


def test_banks_see_their_applications_but_not_the_report(app, client, registry, keys):
    cast, programme, application = _approved_application(client, registry, keys)
    bank = logged_in(app.test_client(), app, "bank", cast.bank)
    overview = page_text(bank.get("/console/support?lang=en"))
    shown = format(Decimal(application["computed_amount"]), ",.2f")  # as the page writes it
    assert "Support applications" in overview and shown in overview
    assert bank.get(f"/console/support/{programme['id']}").status_code in (403, 404)
    other = logged_in(app.test_client(), app, "bank", cast.other_bank)
    assert "No application yet." in page_text(other.get("/console/support?lang=en"))


def test_the_budget_line_rises_with_each_decision_day():
    points = [
        {"date": date(2026, 3, 1), "reserved": "250.00"},
        {"date": date(2026, 6, 1), "reserved": "1000.00"},
    ]
    chart = support_charts.budget_chart(points, "1000.00", date(2026, 1, 1), date(2026, 12, 31))
    heights = [float(part[1:]) for part in chart.path.split() if part.startswith("V")]
    assert heights[0] > heights[1] == chart.budget_y  # higher up is more reserved
    assert len(chart.x_ticks) == 12 and len(chart.y_ticks) == 5

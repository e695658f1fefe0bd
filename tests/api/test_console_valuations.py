"""Valuation pages: a bank asks for a valuation from the console and reads it with its three
pictures and their tables; only those who may read the valuation see it."""

from __future__ import annotations

import re

import pytest

from ipx.console import charts
from tests.console_helpers import form_fields, logged_in, page_text
from tests.registry_helpers import event_types, row_counts


@pytest.fixture
def world(registry):
    owner, bank = registry.party("华东材料科技股份有限公司"), registry.party("工商银行上海分行")
    return {"owner": owner, "bank": bank, "asset": registry.asset([owner])}


def ask(client, asset: int | str, **fields):
    page = page_text(client.get("/console/valuations"))
    data = {
        **form_fields(page, "/console/valuations"),
        "asset_id": str(asset),
        "loan_term_months": "24",
    }
    return client.post("/console/valuations", data={**data, **fields})


def test_a_bank_asks_for_a_valuation_and_sees_its_three_pictures(app, client, world):
    bank = logged_in(client, app, "bank", world["bank"])
    answer = ask(bank, world["asset"]["id"], annual_revenue="2000000", royalty_rate="5")
    assert answer.status_code == 302, page_text(answer)
    assert event_types(app)[-1] == "valuation.created"
    page = page_text(bank.get(answer.headers["Location"] + "?lang=en"))
    assert page.count('<svg class="chart"') == 3 and page.count('role="img"') == 3
    for caption in ("Survival curve as a table", "Value range as a table", "Drivers as a table"):
        assert caption in page
    assert 'class="maturity"' in page and "loan matures" in page
    assert re.search(r"p50 \(median\)</td><td class=\"num\">CN¥[\d,]+\.\d\d", page)
    assert "<script" not in page
    listed = page_text(bank.get("/console/valuations"))
    assert answer.headers["Location"] in listed


def test_others_get_404_for_the_valuation_and_bad_input_changes_nothing(
    app, client, registry, world
):
    bank = logged_in(client, app, "bank", world["bank"])
    location = ask(bank, world["asset"]["id"]).headers["Location"]
    stranger = logged_in(app.test_client(), app, "owner", registry.party("岭南电子有限公司"))
    assert stranger.get(location).status_code == 404
    assert location not in page_text(stranger.get("/console/valuations"))
    clerk = logged_in(app.test_client(), app, "clerk")
    assert clerk.get(location).status_code == 200
    before = row_counts(app)
    for asset, fields in ((world["asset"]["id"], {"loan_term_months": "0"}), ("abc", {})):
        answer = ask(bank, asset, **fields)
        assert answer.status_code == 422
        assert 'aria-invalid="true"' in page_text(answer)
    assert ask(bank, 999999).status_code == 404  # an asset it may not see, as the API answers
    assert row_counts(app) == before


def test_the_valuation_page_links_its_pdf_report_in_the_pages_language(
    app, client, registry, world, tmp_path
):
    from tests.api.test_valuation_report import pdf_text

    bank = logged_in(client, app, "bank", world["bank"])
    location = ask(bank, world["asset"]["id"]).headers["Location"]
    report = f"{location}/report.pdf"
    assert f'href="{report}"' in page_text(bank.get(location + "?lang=en"))
    english = bank.get(report)  # the session keeps the language chosen on the page
    assert english.status_code == 200 and english.mimetype == "application/pdf"
    assert english.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(english.data, tmp_path)
    assert "IP valuation report" in text and world["asset"]["number"] in text
    assert "知识产权估值报告" in pdf_text(bank.get(f"{report}?lang=zh").data, tmp_path)
    stranger = logged_in(app.test_client(), app, "owner", registry.party("岭南电子有限公司"))
    assert stranger.get(report).status_code == 404
    assert app.test_client().get(report).status_code == 302  # to the login page


def test_the_survival_curve_steps_down_at_each_stage_and_marks_the_maturity():
    stages = [
        {"years_after_grant": "3.5", "p_in_force": 0.9},
        {"years_after_grant": "7.5", "p_in_force": 0.6},
        {"years_after_grant": "11.5", "p_in_force": 0.3},
    ]
    chart = charts.survival_chart(stages, maturity_years=5.0)
    ys = [y for _x, y, _words in chart.points]
    assert ys == sorted(ys)  # lower probability, lower on the page (larger y)
    assert chart.path.startswith(f"M{charts.LEFT:.1f},{charts.TOP:.1f}")
    assert chart.points[0][0] < chart.maturity_x < chart.points[1][0]
    bars = charts.drivers_chart(
        [{"feature": "claims", "contribution": 0.4}, {"feature": "age", "contribution": -0.8}]
    ).bars
    assert [b.feature for b in bars] == ["age", "claims"] and not bars[0].raises
    assert bars[0].width == pytest.approx(2 * bars[1].width)
    value = charts.range_chart({"p10": "100.00", "p50": "150.00", "p90": "400.00"})
    assert value.p10_x < value.p50_x < value.p90_x
    assert charts.maturity_years_after_grant(
        {"grant_date": "2020-01-01", "as_of": "2026-01-01", "loan_term_months": 24}
    ) == pytest.approx(8.0, abs=0.01)

"""The model-risk pages of the console: the back-test with its picture and the drift table,
in Chinese by default and in English, for clerks and auditors only."""

from __future__ import annotations

import pytest

from tests.api.test_model_risk import Market
from tests.console_helpers import logged_in, page_text


@pytest.fixture
def sold(client, registry, keys):
    market = Market(client, registry, keys)
    asset = registry.asset([market.owner])
    valuation = market.value(asset["id"])
    market.sell(market.pledge([asset["id"]], valuation["id"]), valuation["value"]["p50"])
    return valuation


def test_a_clerk_reads_the_backtest_with_its_picture_and_table(app, client, sold):
    clerk = logged_in(client, app, "clerk")
    chinese = page_text(clerk.get("/console/model/backtest"))
    assert "成交价回测" in chinese and "成交太少，无法判断" in chinese
    page = page_text(clerk.get("/console/model/backtest?lang=en"))
    assert "Back-test on realized prices" in page
    assert page.count('<svg class="chart"') == 1 and 'role="img"' in page
    assert "1 of 1 prices lie on their bars" in page  # the text alternative
    assert 'class="range-bar"' in page and 'class="price-inside"' in page
    assert f"/console/valuations/{sold['id']}" in page
    assert "Sales and their valuations as a table" in page and "too-few-sales" in page
    assert "<script" not in page


def test_the_monitoring_page_lists_every_input_and_judges_none_on_one_valuation(app, client, sold):
    auditor = logged_in(client, app, "auditor")
    assert "输入漂移" in page_text(auditor.get("/console/model/monitoring"))
    page = page_text(auditor.get("/console/model/monitoring?lang=en&days=7"))
    assert "Population stability index per input" in page
    assert '<option value="7" selected>' in page
    for feature in ("claims", "grant_lag_days", "ipc_section", "owner_history"):
        assert f'<th scope="row">{feature}</th>' in page
    # one valuation: every input it gave sits in one bin, but on one value nothing is judged
    assert "too-few-valuations" in page and "PSI above 0.25 on:" not in page
    assert "Fewer than 100 valuations" in page


@pytest.mark.parametrize("role", ["bank", "owner"])
def test_other_roles_may_not_open_the_model_pages(app, client, registry, role):
    party = registry.party()
    user = logged_in(client, app, role, party)
    for path in ("/console/model/backtest", "/console/model/monitoring"):
        assert user.get(path).status_code == 403

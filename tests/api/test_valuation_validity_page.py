"""The console's valuation page says how far to trust the valuation: its case and figures."""

from __future__ import annotations

from ipx.valuation import serving
from tests.console_helpers import form_fields, logged_in, page_text


def test_the_valuation_page_shows_the_case_and_its_held_out_figures(app, client, registry):
    owner, bank = registry.party("华东材料科技股份有限公司"), registry.party("工商银行上海分行")
    asset = registry.asset([owner])
    user = logged_in(client, app, "bank", bank)
    page = page_text(user.get("/console/valuations"))
    data = {
        **form_fields(page, "/console/valuations"),
        "asset_id": str(asset["id"]),
        "loan_term_months": "24",
    }
    answer = user.post("/console/valuations", data=data)
    assert answer.status_code == 302, page_text(answer)
    shown = page_text(user.get(answer.headers["Location"] + "?lang=en"))
    assert "How far to trust it" in shown and "<code>unseen-owner</code>" in shown
    assert "Held-out figures of this case" in shown
    figures = serving.valuer(app).validity.cases["unseen-owner"].stages
    assert figures
    for stage in figures:
        assert f'<td>{stage.approach}</td><td class="num">{stage.n}</td>' in shown
        assert f"{round(stage.auc, 4):.3f}" in shown

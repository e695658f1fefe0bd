"""Error pages of the console: a role refused an action gets a clean 403 page in its own
language; an unexpected database error is logged by its type and statement, never with the
values bound to it."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError

from ipx.console import reads
from tests.console_helpers import csrf_token, form_fields, logged_in, page_text
from tests.registry_helpers import row_counts

#: A personal value that must never reach a log.
SECRET = "张三 110101199003077777"


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh", "您的角色无权执行此操作。"), ("en", "Your role may not do this.")],
)
def test_an_auditor_sees_no_valuation_form_and_its_post_is_a_clean_403(
    app, client, registry, language, words
):
    asset = registry.asset([registry.party()])
    auditor = logged_in(client, app, "auditor")
    page = page_text(auditor.get(f"/console/valuations?lang={language}"))
    assert 'method="post" action="/console/valuations"' not in page  # reads, may not ask
    before = row_counts(app)
    answer = auditor.post(
        "/console/valuations",
        data={
            "csrf_token": csrf_token(page),
            "asset_id": str(asset["id"]),
            "loan_term_months": "x",
        },
    )
    assert answer.status_code == 403 and answer.mimetype == "text/html"
    shown = page_text(answer)
    assert f"<h1>{words}</h1>" in shown and "Forbidden" not in shown and "Role '" not in shown
    assert row_counts(app) == before
    # A role that may ask is shown the form, as the API lets it POST /valuations.
    bank = logged_in(app.test_client(), app, "bank", registry.party("工商银行上海分行"))
    assert form_fields(page_text(bank.get("/console/valuations")), "/console/valuations")


def test_an_unexpected_database_error_is_logged_without_its_values(
    app, client, caplog, monkeypatch
):
    def failing_dashboard(uow, who):
        if uow.session.get_bind().dialect.name == "postgresql":
            # The server's own message repeats the value: invalid input syntax ... "张三 ..."
            uow.session.execute(text("SELECT CAST(:personal AS INTEGER)"), {"personal": SECRET})
        raise DataError(
            "SELECT parties.id FROM parties WHERE parties.name = ?",
            {"name": SECRET},
            ValueError(f'invalid input value: "{SECRET}"'),
        )

    monkeypatch.setattr(reads, "dashboard", failing_dashboard)
    clerk = logged_in(client, app, "clerk")
    with caplog.at_level(logging.DEBUG):
        answer = clerk.get("/console/?lang=en")
    assert answer.status_code == 500
    assert "Something went wrong." in page_text(answer) and SECRET not in page_text(answer)
    records = [r for r in caplog.records if r.name == "ipx.console.views.errors"]
    assert records, "the error is logged"
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert "DataError" in logged and "failing_dashboard" in logged  # what and where
    for part in (SECRET, "110101199003077777", "张三"):
        assert part not in logged

"""Valuations: the user's valuations (with a cursor and a CSV export), asking for one, and
each valuation's page with its three pictures (survival curve, value range, drivers) and their
tables."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from ipx import valuation_reports
from ipx.auth import Role
from ipx.china_time import utc_text
from ipx.console import actions, charts, i18n, reads
from ipx.console.action_forms import ValuationRequestForm
from ipx.console.csv_export import csv_response
from ipx.console.form_once import once
from ipx.console.session import login_required
from ipx.valuation.handlers import ValueAssets

#: Who reads valuations, and who asks for them: as the API's GET and POST /valuations.
READERS = (Role.BANK, Role.CLERK, Role.OWNER, Role.AUDITOR)
VALUERS = (Role.BANK, Role.CLERK, Role.OWNER)
CSV_HEADER = (
    "id",
    "asset_id",
    "model_version",
    "as_of",
    "score",
    "grade",
    "p_in_force_at_maturity",
    "value_p10",
    "value_p50",
    "value_p90",
    "currency",
    "created_at",
)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/valuations", view_func=valuation_list)
    blp.add_url_rule(
        "/valuations", endpoint="request_valuation", view_func=request_valuation, methods=["POST"]
    )
    blp.add_url_rule("/valuations/<int:valuation_id>", view_func=valuation_page)
    blp.add_url_rule("/valuations/<int:valuation_id>/report.pdf", view_func=valuation_report)


@login_required(*READERS)
def valuation_list(form: ValuationRequestForm | None = None, problems=(), status: int = 200):
    """The valuations the user may read, newest first, and the form to ask for one (for the
    roles that may ask)."""
    if request.args.get("format") == "csv":
        return _csv(reads.read(reads.export_rows, reads.valuation_list))
    if form is None:
        form = ValuationRequestForm(formdata=None)
        if request.args.get("asset_id", "").isdigit():
            form.asset_id.data = int(request.args["asset_id"])
    answer = reads.read(reads.valuation_list, cursor=request.args.get("cursor"))
    return render_template(
        "console/valuations.html", form=form, problems=list(problems), **answer
    ), status


@login_required(*VALUERS)
@once
def request_valuation():
    """Value an asset, stored and logged as by ``POST /api/v1/valuations``; bad input comes
    back next to its field."""
    form = ValuationRequestForm()
    if not form.validate_on_submit():
        return valuation_list(form, status=422)
    outcome = actions.attempt(ValueAssets([form.request_item()]), form)
    if not outcome.ok:
        return valuation_list(form, outcome.problems, status=422)
    return redirect(url_for("console.valuation_page", valuation_id=outcome.result[0]["id"]))


@login_required(*READERS)
def valuation_page(valuation_id: int):
    """One stored valuation: its pictures, each with the same numbers as a table."""
    page = reads.read(reads.valuation_page, valuation_id)
    valuation = page["valuation"]
    maturity = charts.maturity_years_after_grant(page["request"])
    pictures = {
        "survival": charts.survival_chart(valuation["survival"], maturity)
        if valuation.get("survival")
        else None,
        "range": charts.range_chart(valuation["value"]) if valuation.get("value") else None,
        "drivers": charts.drivers_chart(valuation["drivers"]) if valuation.get("drivers") else None,
    }
    return render_template(
        "console/valuation.html", pictures=pictures, maturity=maturity, chart=charts, **page
    )


@login_required(*READERS)
def valuation_report(valuation_id: int):
    """The valuation's PDF report, as the API's ``/valuations/{id}/report.pdf`` gives it, in
    the page's language."""
    facts = reads.read(valuation_reports.report_facts, valuation_id)
    return valuation_reports.report_response(facts, valuation_id, i18n.current_language())


def _csv(export: dict):
    def row(v):
        value = v.result.get("value") or {}
        return (
            v.id,
            v.asset_id,
            v.model_version,
            v.as_of.isoformat(),
            v.result.get("score"),
            v.result.get("grade"),
            v.result.get("p_in_force_at_maturity"),
            value.get("p10"),
            value.get("p50"),
            value.get("p90"),
            v.currency,
            utc_text(v.created_at),
        )

    return csv_response("valuations.csv", CSV_HEADER, (row(v) for v in export["items"]))

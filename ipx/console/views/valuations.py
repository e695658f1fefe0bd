"""Valuations: the user's valuations, asking for one, and each valuation's page with its
three pictures (survival curve, value range, drivers) and their tables."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from ipx.auth import Role
from ipx.console import actions, charts, reads
from ipx.console.action_forms import ValuationRequestForm
from ipx.console.session import login_required
from ipx.valuation.handlers import ValueAssets

READERS = (Role.BANK, Role.CLERK, Role.OWNER, Role.AUDITOR)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/valuations", view_func=valuation_list, methods=["GET", "POST"])
    blp.add_url_rule("/valuations/<int:valuation_id>", view_func=valuation_page)


@login_required(*READERS)
def valuation_list():
    """The valuations the user may read, newest first, and the form to ask for one."""
    form = ValuationRequestForm()
    if request.method == "GET" and request.args.get("asset_id", "").isdigit():
        form.asset_id.data = int(request.args["asset_id"])
    problems: list[str] = []
    if request.method == "POST" and form.validate_on_submit():
        outcome = actions.attempt(ValueAssets([form.request_item()]), form)
        if outcome.ok:
            valuation_id = outcome.result[0]["id"]
            return redirect(url_for("console.valuation_page", valuation_id=valuation_id))
        problems = outcome.problems
    answer = reads.read(reads.valuation_list, cursor=request.args.get("cursor"))
    status = 422 if form.errors or problems else 200
    return render_template(
        "console/valuations.html", form=form, problems=problems, **answer
    ), status


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

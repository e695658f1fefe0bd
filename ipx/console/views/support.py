"""Support programmes in the console: programmes and applications, and a programme's report
with the budget used over time (a picture with its table)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ipx.auth import Role, may
from ipx.console import reads, support_charts
from ipx.console.csv_export import csv_response
from ipx.console.session import console_principal, login_required
from ipx.support import reads as support_reads
from ipx.support.routes import FACTS

EVERYONE = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
REPORTERS = (Role.CLERK, Role.AUDITOR)
LIST_LIMIT = 200


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/support", view_func=support_overview)
    blp.add_url_rule("/support/<int:programme_id>", view_func=support_programme)


@login_required(*EVERYONE)
def support_overview():
    """The programmes (every version) and the applications the user may see."""
    programmes = reads.read(support_reads.list_programmes, after=None, limit=LIST_LIMIT)
    applications = reads.read(
        support_reads.list_applications, filters={}, after=None, limit=LIST_LIMIT
    )
    who = console_principal()
    return render_template(
        "console/support.html",
        programmes=programmes[:LIST_LIMIT],
        applications=applications[:LIST_LIMIT],
        may_report=may(who, frozenset(REPORTERS)),
    )


@login_required(*REPORTERS)
def support_programme(programme_id: int):
    """A programme's report: budget, reserved, paid, remaining, by bank and by firm."""
    report = reads.read(support_reads.report, programme_id, facts=current_app.extensions[FACTS])
    if request.args.get("format") == "csv":
        return csv_response(
            f"support-{programme_id}.csv",
            support_reads.REPORT_CSV_HEADER,
            support_reads.report_rows(report),
        )
    picture = support_charts.budget_chart(
        report["used_over_time"], report["budget"], report["period_start"], report["period_end"]
    )
    return render_template(
        "console/support_programme.html", report=report, picture=picture, chart=support_charts
    )

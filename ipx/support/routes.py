"""The support programmes' API: programmes, applications, decisions, the report."""

from __future__ import annotations

import csv
import io

from flask import Response, current_app
from flask.views import MethodView

from ipx.auth import Role, require
from ipx.support import commands, reads
from ipx.support.schemas import (
    SupportApplicationIn,
    SupportApplicationOut,
    SupportApplicationQuery,
    SupportApproveIn,
    SupportIneligibleProblem,
    SupportPayIn,
    SupportProgrammeIn,
    SupportProgrammeOut,
    SupportProgrammePatch,
    SupportProgrammeQuery,
    SupportRefuseIn,
    SupportReportOut,
)
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import decode_cursor, page
from ipx.web.http import page_schema, read, run
from ipx.web.idempotency import idempotent

blp = Blueprint(
    "support",
    __name__,
    url_prefix=API_PREFIX,
    description="Support programmes: interest and fee subsidies, risk compensation.",
)

EVERYONE = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
REPORTERS = (Role.CLERK, Role.AUDITOR, Role.ADMIN)
#: Where ``create_app`` puts the registry's facts for the report's party names.
FACTS = "ipx.support.facts"


@blp.route("/support-programmes")
class Programmes(MethodView):
    @require(*EVERYONE)
    @blp.arguments(SupportProgrammeQuery, location="query")
    @blp.response(200, page_schema(SupportProgrammeOut))
    def get(self, query):
        """List programmes, every version (anyone with a key)."""
        items = read(
            reads.list_programmes, after=decode_cursor(query["cursor"]), limit=query["limit"]
        )
        return page(items, query["limit"])

    @require(Role.ADMIN)
    @idempotent
    @blp.arguments(SupportProgrammeIn)
    @blp.response(201, SupportProgrammeOut)
    def post(self, data):
        """Define a support programme for a period (admin)."""
        return run(commands.CreateProgramme(**data))


@blp.route("/support-programmes/<int:programme_id>")
class ProgrammeById(MethodView):
    @require(*EVERYONE)
    @blp.response(200, SupportProgrammeOut)
    def get(self, programme_id):
        """Read one version of a programme."""
        return read(reads.get_programme, programme_id)

    @require(Role.ADMIN)
    @blp.arguments(SupportProgrammePatch)
    @blp.response(200, SupportProgrammeOut)
    @blp.alt_response(409, description="`programme-superseded`: change the newest version")
    def patch(self, data, programme_id):
        """Change a programme's terms; once applications exist, as a new version (admin)."""
        return run(commands.ChangeProgramme(programme_id, data))


@blp.route("/support-programmes/<int:programme_id>/report")
class ProgrammeReport(MethodView):
    @require(*REPORTERS)
    @blp.response(200, SupportReportOut)
    def get(self, programme_id):
        """Budget, reserved, paid, remaining; applications by bank and by firm."""
        return read(reads.report, programme_id, facts=current_app.extensions[FACTS])


@blp.route("/support-programmes/<int:programme_id>/report.csv")
class ProgrammeReportCsv(MethodView):
    @require(*REPORTERS)
    @blp.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="text/csv",
        description="The report as CSV (UTF-8).",
    )
    def get(self, programme_id):
        """The report as a CSV file: a totals row, then a row per bank and per firm."""
        body = read(reads.report, programme_id, facts=current_app.extensions[FACTS])
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(reads.REPORT_CSV_HEADER)
        writer.writerows(_safe(row) for row in reads.report_rows(body))
        return Response(
            "\ufeff" + buffer.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="support-{programme_id}.csv"'},
        )


@blp.route("/support-applications")
class Applications(MethodView):
    @require(*EVERYONE)
    @blp.arguments(SupportApplicationQuery, location="query")
    @blp.response(200, page_schema(SupportApplicationOut))
    def get(self, query):
        """List applications (banks and owners: their own)."""
        items = read(
            reads.list_applications,
            filters=query,
            after=decode_cursor(query["cursor"]),
            limit=query["limit"],
        )
        return page(items, query["limit"])

    @require(Role.BANK, Role.OWNER, Role.CLERK)
    @idempotent
    @blp.arguments(SupportApplicationIn)
    @blp.response(201, SupportApplicationOut)
    @blp.alt_response(
        404, description="`not-found`: a programme, or a pledge you may not apply for"
    )
    @blp.alt_response(
        409,
        schema=SupportIneligibleProblem,
        description="`support-ineligible` with every ground (`grounds`); "
        "`duplicate-application` when a loan is already claimed in the programme; "
        "`programme-superseded`",
    )
    def post(self, data):
        """Apply for support; the service computes the amount and shows its working."""
        return run(commands.SubmitSupportApplication(**data))


@blp.route("/support-applications/<int:application_id>")
class ApplicationById(MethodView):
    @require(*EVERYONE)
    @blp.response(200, SupportApplicationOut)
    def get(self, application_id):
        """Read an application (its bank, its firm, clerks, auditors)."""
        return read(reads.get_application, application_id)


@blp.route("/support-applications/<int:application_id>/approve")
class Approve(MethodView):
    @require(Role.CLERK)
    @blp.arguments(SupportApproveIn)
    @blp.response(200, SupportApplicationOut)
    @blp.alt_response(
        409,
        description="`budget-exhausted`, `firm-cap-reached`, `invalid-transition`, "
        "`programme-changed`",
    )
    def post(self, data, application_id):
        """Approve the computed amount, or less with a reason; reserves budget (clerk)."""
        return run(commands.ApproveSupportApplication(application_id, **data))


@blp.route("/support-applications/<int:application_id>/refuse")
class Refuse(MethodView):
    @require(Role.CLERK)
    @blp.arguments(SupportRefuseIn)
    @blp.response(200, SupportApplicationOut)
    def post(self, data, application_id):
        """Refuse with coded reasons (clerk)."""
        return run(commands.RefuseSupportApplication(application_id, **data))


@blp.route("/support-applications/<int:application_id>/pay")
class Pay(MethodView):
    @require(Role.CLERK)
    @blp.arguments(SupportPayIn)
    @blp.response(200, SupportApplicationOut)
    def post(self, data, application_id):
        """Record the payment of an approved application, with its reference (clerk)."""
        return run(commands.PaySupportApplication(application_id, **data))


def _safe(row) -> list[str]:
    """Cells a spreadsheet would read as formulas get a leading apostrophe."""
    out = []
    for value in row:
        cell = "" if value is None else str(value)
        out.append("'" + cell if cell.startswith(("=", "+", "-", "@", "\t", "\r")) else cell)
    return out

"""Joint pledge applications and their examination."""

from __future__ import annotations

from flask.views import MethodView

from ipx.auth import Role, require
from ipx.registry import commands
from ipx.registry.schemas import (
    ApplicationIn,
    ApplicationOut,
    NoteIn,
    PledgeOut,
    RefusalProblem,
    RefuseIn,
)
from ipx.registry.services import applications
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import PageQuery, decode_cursor, page
from ipx.web.http import page_schema, read, run
from ipx.web.idempotency import idempotent

blp = Blueprint(
    "applications",
    __name__,
    url_prefix=f"{API_PREFIX}/pledge-applications",
    description="Joint pledge applications examined against grounds R01-R12.",
)


@blp.route("")
class Applications(MethodView):
    @require(Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, page_schema(ApplicationOut))
    def get(self, query):
        """List applications (banks and owners: those they are party to)."""
        items = read(
            applications.list_applications,
            after=decode_cursor(query["cursor"]),
            limit=query["limit"],
        )
        return page(items, query["limit"])

    @require(Role.BANK, Role.CLERK)
    @idempotent
    @blp.arguments(ApplicationIn)
    @blp.response(201, ApplicationOut)
    def post(self, data):
        """File a joint pledge application (the pledgee bank, or a clerk on its behalf)."""
        return run(commands.SubmitApplication(commands.ApplicationTerms(**data)))


@blp.route("/<int:application_id>")
class ApplicationById(MethodView):
    @require(Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
    @blp.response(200, ApplicationOut)
    def get(self, application_id):
        """Read an application."""
        return read(applications.get_application, application_id)

    @require(Role.BANK, Role.CLERK)
    @blp.arguments(ApplicationIn)
    @blp.response(200, ApplicationOut)
    def put(self, data, application_id):
        """Resubmit an application returned for correction, with the corrected body."""
        return run(commands.CorrectApplication(application_id, commands.ApplicationTerms(**data)))


@blp.route("/<int:application_id>/register")
class Register(MethodView):
    @require(Role.CLERK)
    @idempotent
    @blp.response(201, PledgeOut)
    @blp.alt_response(
        409,
        schema=RefusalProblem,
        description="`registration-refused` with every ground that applies (`grounds`), or "
        "`invalid-transition` when the application is not awaiting examination",
    )
    def post(self, application_id):
        """Examine and register the pledge, or answer 409 with every ground for refusal."""
        return run(commands.RegisterPledge(application_id))


@blp.route("/<int:application_id>/refuse")
class Refuse(MethodView):
    @require(Role.CLERK)
    @blp.arguments(RefuseIn)
    @blp.response(200, ApplicationOut)
    def post(self, data, application_id):
        """Refuse the application with grounds (clerk)."""
        return run(commands.RefuseApplication(application_id, **data))


@blp.route("/<int:application_id>/request-correction")
class RequestCorrection(MethodView):
    @require(Role.CLERK)
    @blp.arguments(NoteIn)
    @blp.response(200, ApplicationOut)
    def post(self, data, application_id):
        """Return the application to the applicant for correction (clerk)."""
        return run(commands.RequestCorrection(application_id, **data))

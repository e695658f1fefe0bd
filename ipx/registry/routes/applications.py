"""Joint pledge applications and their examination."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from ipx.auth import Role, require
from ipx.registry.orm import PledgeApplication
from ipx.registry.schemas import ApplicationIn, ApplicationOut, NoteIn, PledgeOut, RefuseIn
from ipx.registry.services import applications as service
from ipx.registry.services import registration
from ipx.registry.services.common import (
    ensure_sees_application,
    get_or_404,
    party_filter_for_applications,
)
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import PageQuery, decode_cursor, page
from ipx.web.http import page_schema, principal, unit_of_work
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
        who = principal()
        stmt = select(PledgeApplication).order_by(PledgeApplication.id).limit(query["limit"] + 1)
        if not who.sees_all():
            stmt = stmt.where(party_filter_for_applications(who))
        if after := decode_cursor(query["cursor"]):
            stmt = stmt.where(PledgeApplication.id > after)
        with unit_of_work(write=False) as uow:
            return page(list(uow.session.execute(stmt).scalars()), query["limit"])

    @require(Role.BANK, Role.CLERK)
    @idempotent
    @blp.arguments(ApplicationIn)
    @blp.response(201, ApplicationOut)
    def post(self, data):
        """File a joint pledge application (the pledgee bank, or a clerk on its behalf)."""
        with unit_of_work() as uow:
            application = service.submit_application(uow, principal(), data)
            uow.commit()
        return application


@blp.route("/<int:application_id>")
class ApplicationById(MethodView):
    @require(Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
    @blp.response(200, ApplicationOut)
    def get(self, application_id):
        """Read an application."""
        with unit_of_work(write=False) as uow:
            application = get_or_404(
                uow.session, PledgeApplication, application_id, what="pledge application"
            )
            ensure_sees_application(principal(), application)
            return application

    @require(Role.BANK, Role.CLERK)
    @blp.arguments(ApplicationIn)
    @blp.response(200, ApplicationOut)
    def put(self, data, application_id):
        """Resubmit an application returned for correction, with the corrected body."""
        with unit_of_work() as uow:
            application = service.correct_application(uow, principal(), application_id, data)
            uow.commit()
        return application


@blp.route("/<int:application_id>/register")
class Register(MethodView):
    @require(Role.CLERK)
    @idempotent
    @blp.response(201, PledgeOut)
    @blp.alt_response(409, description="registration-refused with every applicable ground")
    def post(self, application_id):
        """Examine and register the pledge, or answer 409 with every ground for refusal."""
        with unit_of_work() as uow:
            pledge = registration.register_application(uow, principal(), application_id)
            uow.commit()
        return pledge


@blp.route("/<int:application_id>/refuse")
class Refuse(MethodView):
    @require(Role.CLERK)
    @blp.arguments(RefuseIn)
    @blp.response(200, ApplicationOut)
    def post(self, data, application_id):
        """Refuse the application with grounds (clerk)."""
        with unit_of_work() as uow:
            application = service.refuse_application(
                uow, principal(), application_id, data["grounds"], data["note"]
            )
            uow.commit()
        return application


@blp.route("/<int:application_id>/request-correction")
class RequestCorrection(MethodView):
    @require(Role.CLERK)
    @blp.arguments(NoteIn)
    @blp.response(200, ApplicationOut)
    def post(self, data, application_id):
        """Return the application to the applicant for correction (clerk)."""
        with unit_of_work() as uow:
            application = service.request_correction(uow, principal(), application_id, data["note"])
            uow.commit()
        return application

"""Registered pledges: reading, changes, cancellation, revocation, history."""

from __future__ import annotations

from operator import itemgetter

from flask.views import MethodView
from marshmallow import fields, validate

from ipx.auth import Role, require
from ipx.registry.commands import CancelPledge, ChangePledge, RevokePledge
from ipx.registry.model import PledgeStatus
from ipx.registry.schemas import HistoryOut, PledgeChangeIn, PledgeOut, ReasonIn, RevokeIn
from ipx.registry.services import pledges as service
from ipx.registry.services import queries
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import PageQuery, QueryId, WholePageQuery, decode_cursor, page
from ipx.web.http import page_schema, read, run

blp = Blueprint(
    "pledges",
    __name__,
    url_prefix=f"{API_PREFIX}/pledges",
    description="Registered pledges and their lifecycle.",
)

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)


class PledgeQuery(PageQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in PledgeStatus]))
    pledgor_id = QueryId()
    pledgee_id = QueryId()
    asset_id = QueryId()


@blp.route("")
class Pledges(MethodView):
    @require(*READERS)
    @blp.arguments(PledgeQuery, location="query")
    @blp.response(200, page_schema(PledgeOut))
    def get(self, query):
        """List pledges, filtered by status, pledgor, pledgee or asset."""
        items = read(
            service.list_pledges,
            filters=query,
            after=decode_cursor(query["cursor"]),
            limit=query["limit"],
        )
        return page(items, query["limit"])


@blp.route("/<int:pledge_id>")
class PledgeById(MethodView):
    @require(*READERS)
    @blp.response(200, PledgeOut)
    def get(self, pledge_id):
        """Read a pledge (its parties, clerks, auditors)."""
        return read(service.get_pledge, pledge_id)


@blp.route("/<int:pledge_id>/history")
class PledgeHistory(MethodView):
    @require(*READERS)
    @blp.arguments(WholePageQuery, location="query")
    @blp.response(200, HistoryOut)
    def get(self, query, pledge_id):
        """Every logged event concerning the pledge, oldest first."""
        limit, after = query["limit"], decode_cursor(query["cursor"])
        events = read(queries.pledge_history, pledge_id, after=after, limit=limit)
        return page(events, limit, id_of=itemgetter("seq"))


@blp.route("/<int:pledge_id>/changes")
class PledgeChanges(MethodView):
    @require(Role.CLERK)
    @blp.arguments(PledgeChangeIn)
    @blp.response(200, PledgeOut)
    def post(self, data, pledge_id):
        """Record a change of the secured amount or of the debt term (clerk)."""
        return run(ChangePledge(pledge_id, data))


@blp.route("/<int:pledge_id>/cancel")
class PledgeCancel(MethodView):
    @require(Role.CLERK)
    @blp.arguments(ReasonIn)
    @blp.response(200, PledgeOut)
    def post(self, data, pledge_id):
        """Cancel the pledge: repaid, waived or contract void (clerk)."""
        return run(CancelPledge(pledge_id, **data))


@blp.route("/<int:pledge_id>/revoke")
class PledgeRevoke(MethodView):
    @require(Role.CLERK)
    @blp.arguments(RevokeIn)
    @blp.response(200, PledgeOut)
    def post(self, data, pledge_id):
        """Revoke a registration made in error or obtained by deception (clerk)."""
        return run(RevokePledge(pledge_id, **data))

"""Parties: organizations and individuals."""

from __future__ import annotations

from flask.views import MethodView

from ipx.auth import Role, require
from ipx.registry.commands import CreateParty, RecordSme
from ipx.registry.schemas import PartyIn, PartyOut, PartySmeIn
from ipx.registry.services import parties
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import PageQuery, decode_cursor, page
from ipx.web.http import page_schema, read, run
from ipx.web.idempotency import idempotent

blp = Blueprint(
    "parties",
    __name__,
    url_prefix=f"{API_PREFIX}/parties",
    description="Pledgors, pledgees, holders and buyers.",
)


@blp.route("")
class Parties(MethodView):
    @require(Role.CLERK, Role.AUDITOR)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, page_schema(PartyOut))
    def get(self, query):
        """List parties (clerks, auditors)."""
        items = read(
            parties.list_parties,
            query=None,
            after=decode_cursor(query["cursor"]),
            limit=query["limit"],
        )
        return page(items, query["limit"])

    @require(Role.CLERK)
    @idempotent
    @blp.arguments(PartyIn)
    @blp.response(201, PartyOut)
    def post(self, data):
        """Register a party (clerk)."""
        return run(CreateParty(**data))


@blp.route("/<int:party_id>")
class PartyById(MethodView):
    @require(Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
    @blp.response(200, PartyOut)
    def get(self, party_id):
        """Read a party (banks and owners: themselves and their counterparties)."""
        return read(parties.get_party, party_id)

    @require(Role.CLERK)
    @blp.arguments(PartySmeIn)
    @blp.response(200, PartyOut)
    def patch(self, data, party_id):
        """Record whether the party is a small or medium enterprise, with the source (clerk)."""
        return run(RecordSme(party_id, **data))

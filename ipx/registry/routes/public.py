"""The public encumbrance query: no key needed."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from ipx.auth import Principal
from ipx.db_ext import database
from ipx.ledger.certificates import search_certificate
from ipx.ledger.replica import held_checkpoint
from ipx.ledger.signing import current_checkpoint
from ipx.registry.schemas import EncumbrancesOut, PublicQuery
from ipx.registry.services import queries
from ipx.uow import UnitOfWork
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import cursor_scope, decode_key_cursor, key_page
from ipx.web.http import plain_json, read
from ipx.web.problems import REPLICA_503

blp = Blueprint(
    "public",
    __name__,
    url_prefix=f"{API_PREFIX}/public",
    description="Is this asset encumbered? Public-notice fields only.",
)


@blp.route("/encumbrances")
class Encumbrances(MethodView):
    @blp.arguments(PublicQuery, location="query")
    @blp.response(200, EncumbrancesOut)
    @blp.alt_response(401, description="`unauthorized`: a key was sent and is not valid")
    @blp.alt_response(429)  # rate-limited per client address (ipx.web.limits)
    @blp.alt_response(503, description=REPLICA_503)  # read from the replica (held_checkpoint)
    def get(self, query):
        """Pledges on an asset number, or by a pledgor's name or credit code (cancelled too)."""
        # From the read replica when there is one: the answer says which checkpoint it shows.
        number, pledgor = query.get("number"), query.get("pledgor")
        after, scope = public_cursor(number, pledgor, query["cursor"])  # (a bad one: 422 now)
        search = {
            "number": number,
            "pledgor": pledgor,
            "limit": query["limit"],
            "after": after,
            "scope": scope,
        }
        if query["proof"]:  # a search certificate: from the primary, which signs checkpoints
            return plain_json(read(_certified, **search))
        answer = read(_answer, replica=True, **search)
        # Plain public fields: skipping the schema's pass halves the time of a 200-item answer.
        return plain_json(answer)


def _certified(uow: UnitOfWork, _who: Principal | None, *, number: str, **search: Any) -> dict:
    """The answer with a search certificate of the number (``ipx.ledger.certificates``): the
    same certificate on every page of the answer."""
    engine = database().engine
    certificate = search_certificate(
        engine,
        queries.map_number(uow, number),
        lambda force: current_checkpoint(engine, force=force),
    )
    return {
        "checkpoint": {"tree_size": certificate["tree_size"], "root_hash": _root(certificate)},
        **public_page(uow, number=number, **search),
        "certificate": certificate,
    }


def _root(certificate: dict) -> str:
    return certificate["checkpoint"].split("\n")[2]


def _answer(uow: UnitOfWork, _who: Principal | None, **search: Any) -> dict:
    """A page of the public notice's fields, stamped with the checkpoint they were read
    against (one the database they were read from holds)."""
    checkpoint = held_checkpoint(uow.session).reference()
    return {"checkpoint": checkpoint, **public_page(uow, **search)}


def public_cursor(
    number: str | None, pledgor: str | None, cursor: str | None
) -> tuple[tuple[int, ...] | None, int]:
    """Where a page of the query starts (None: the first page) and the query's scope, which
    its cursors carry: the API and the console's public search read the same pages, so each
    takes the other's cursors (422 for a cursor of another query)."""
    scope = cursor_scope(number, pledgor)
    return decode_key_cursor(queries.PUBLIC_CURSOR, cursor, 2, scope=scope), scope


def public_page(uow: UnitOfWork, *, limit: int, scope: int, **search: Any) -> dict:
    """``{items, next_cursor}``: a page of the query (its cursor good for this query only)."""
    rows = queries.public_encumbrances(uow, limit=limit, **search)
    return key_page(rows, limit, queries.PUBLIC_CURSOR, queries.PUBLIC_KEY, scope=scope)

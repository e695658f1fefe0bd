"""Assets, their legal status, court freezes and histories."""

from __future__ import annotations

from operator import itemgetter

from flask.views import MethodView
from marshmallow import fields

from ipx.auth import Role, require
from ipx.registry.commands import CreateAsset, FreezeAsset, LiftFreeze, UpdateAsset
from ipx.registry.schemas import AssetIn, AssetOut, AssetPatch, FreezeIn, FreezeOut, HistoryOut
from ipx.registry.services import assets, queries
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import PageQuery, QueryId, WholePageQuery, decode_cursor, page
from ipx.web.http import page_schema, read, run
from ipx.web.idempotency import idempotent

blp = Blueprint(
    "assets",
    __name__,
    url_prefix=API_PREFIX,
    description="Patents, trademarks and copyrights, with holders and risk flags.",
)

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)


class AssetQuery(PageQuery):
    number = fields.String()
    holder_id = QueryId()


@blp.route("/assets")
class Assets(MethodView):
    @require(*READERS)
    @blp.arguments(AssetQuery, location="query")
    @blp.response(200, page_schema(AssetOut))
    def get(self, query):
        """List assets (banks and owners: those they hold or that are pledged to them)."""
        items = read(
            assets.list_assets,
            number=query.get("number"),
            holder_id=query.get("holder_id"),
            after=decode_cursor(query["cursor"]),
            limit=query["limit"],
        )
        return page(items, query["limit"])

    @require(Role.CLERK)
    @idempotent
    @blp.arguments(AssetIn)
    @blp.response(201, AssetOut)
    def post(self, data):
        """Register an asset with its holders (clerk)."""
        return run(CreateAsset(**data))


@blp.route("/assets/<int:asset_id>")
class AssetById(MethodView):
    @require(*READERS)
    @blp.response(200, AssetOut)
    def get(self, asset_id):
        """Read an asset."""
        return read(assets.get_asset, asset_id)

    @require(Role.CLERK)
    @blp.arguments(AssetPatch)
    @blp.response(200, AssetOut)
    def patch(self, changes, asset_id):
        """Record a change of legal status, fees paid, or pending invalidation (clerk)."""
        return run(UpdateAsset(asset_id, changes))


@blp.route("/assets/<int:asset_id>/history")
class AssetHistory(MethodView):
    @require(*READERS)
    @blp.arguments(WholePageQuery, location="query")
    @blp.response(200, HistoryOut)
    def get(self, query, asset_id):
        """Every logged event concerning the asset, oldest first."""
        limit, after = query["limit"], decode_cursor(query["cursor"])
        events = read(queries.asset_history, asset_id, after=after, limit=limit)
        return page(events, limit, id_of=itemgetter("seq"))


@blp.route("/assets/<int:asset_id>/freezes")
class AssetFreezes(MethodView):
    @require(Role.CLERK)
    @idempotent
    @blp.arguments(FreezeIn)
    @blp.response(201, FreezeOut)
    def post(self, data, asset_id):
        """Record a court's preservation order, or an ownership dispute's suspension, on the
        asset (clerk)."""
        return run(FreezeAsset(asset_id, **data))


@blp.route("/freezes/<int:freeze_id>/lift")
class FreezeLift(MethodView):
    @require(Role.CLERK)
    @blp.response(200, FreezeOut)
    def post(self, freeze_id):
        """Lift a court freeze (clerk)."""
        return run(LiftFreeze(freeze_id))

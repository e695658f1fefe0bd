"""Assets, their legal status, court freezes and histories."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from ipx.auth import Role, require
from ipx.registry.orm import Asset
from ipx.registry.schemas import AssetIn, AssetOut, AssetPatch, FreezeIn, FreezeOut, HistoryOut
from ipx.registry.services import assets, queries
from ipx.registry.services.common import ensure_sees_asset, visible_asset_ids_clause
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import PageQuery, QueryId, decode_cursor, page
from ipx.web.http import page_schema, principal, unit_of_work
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
        who = principal()
        with unit_of_work(write=False) as uow:
            clause = None if who.sees_all() else visible_asset_ids_clause(who, Asset.id)
            items = assets.list_assets(
                uow,
                visible_clause=clause,
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
        with unit_of_work() as uow:
            asset = assets.create_asset(uow, data)
            uow.commit()
        return asset


@blp.route("/assets/<int:asset_id>")
class AssetById(MethodView):
    @require(*READERS)
    @blp.response(200, AssetOut)
    def get(self, asset_id):
        """Read an asset."""
        with unit_of_work(write=False) as uow:
            ensure_sees_asset(uow.session, principal(), asset_id)
            return assets.require_asset(uow, asset_id)

    @require(Role.CLERK)
    @blp.arguments(AssetPatch)
    @blp.response(200, AssetOut)
    def patch(self, changes, asset_id):
        """Record a change of legal status, fees paid, or pending invalidation (clerk)."""
        with unit_of_work() as uow:
            asset = assets.update_asset(uow, asset_id, changes)
            uow.commit()
        return asset


@blp.route("/assets/<int:asset_id>/history")
class AssetHistory(MethodView):
    @require(*READERS)
    @blp.response(200, HistoryOut)
    def get(self, asset_id):
        """Every logged event concerning the asset, oldest first."""
        with unit_of_work(write=False) as uow:
            ensure_sees_asset(uow.session, principal(), asset_id)
            assets.require_asset(uow, asset_id)
            return {"items": queries.history(uow, principal(), "asset", asset_id)}


@blp.route("/assets/<int:asset_id>/freezes")
class AssetFreezes(MethodView):
    @require(Role.CLERK)
    @idempotent
    @blp.arguments(FreezeIn)
    @blp.response(201, FreezeOut)
    def post(self, data, asset_id):
        """Record a court's preservation order on the asset (clerk)."""
        with unit_of_work() as uow:
            freeze = assets.add_freeze(uow, asset_id, data["court"], data["order_number"])
            uow.commit()
        return freeze


@blp.route("/freezes/<int:freeze_id>/lift")
class FreezeLift(MethodView):
    @require(Role.CLERK)
    @blp.response(200, FreezeOut)
    def post(self, freeze_id):
        """Lift a court freeze (clerk)."""
        with unit_of_work() as uow:
            freeze = assets.lift_freeze(uow, freeze_id)
            uow.commit()
        return freeze

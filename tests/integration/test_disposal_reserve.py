"""The default reserve price comes from the latest stored valuations' lower bound."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ipx.db_ext import database
from ipx.uow import utcnow
from tests.api.test_disposal_flow import Scene

valuation_orm = pytest.importorskip("ipx.valuation.orm")


def _valuation(asset_id: int, p10: str, age_days: int):
    return valuation_orm.Valuation(
        asset_id=asset_id,
        requested_by="test",
        model_version="test",
        feature_schema_hash="0" * 64,
        as_of=date.today(),
        value_p10=Decimal(p10),
        currency="CNY",
        request={},
        result={},
        created_at=utcnow() - timedelta(days=age_days),
    )


def test_the_reserve_defaults_to_the_latest_valuations_lower_bound(app, client, registry, keys):
    scene = Scene(client, registry, keys, n_assets=2)
    first, second = scene.asset_ids
    with database(app).sessions() as session:
        session.add_all(
            [
                _valuation(first, "900000.00", age_days=30),
                _valuation(first, "700000.00", age_days=1),  # the latest counts
                _valuation(second, "250000.50", age_days=2),
            ]
        )
        session.commit()
    scene.default()
    disposal = scene.post(
        f"/pledges/{scene.pledge['id']}/disposals",
        {"method": "auction", "costs": "0.00", "announcement_days": 0},
        status=201,
    )
    assert (disposal["reserve_price"], disposal["reserve_source"]) == ("950000.50", "valuation")

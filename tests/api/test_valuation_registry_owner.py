"""A registered asset is valued with its owner named as the outcome export names it, so a model
trained with the registry's outcomes finds the owner's history (and the bundled one does not)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np

from ipx.db_ext import database
from ipx.ops.outcomes import export_table
from ipx.valuation import features as F
from ipx.valuation.orm import Valuation
from ipx.valuation.registry_outcomes import owner_digest
from ipx.valuation.sample import load_sample
from tests.conftest import registry_key


def test_the_valuation_names_the_owner_by_the_exports_digest(app, client, registry, keys, tmp_path):
    owner, co_owner = registry.party("华东材料科技股份有限公司"), registry.party("滨海理工大学")
    grant = date(2014, 3, 1)
    asset = registry.asset(
        [co_owner, owner],
        filing_date=grant - timedelta(days=700),
        grant_date=grant.isoformat(),
        fees_paid_until=(registry.today + timedelta(days=100)).isoformat(),
    )
    bank = keys.header("bank", registry.party("中国银行股份有限公司上海分行"))
    answer = client.post("/api/v1/valuations", json={"asset_id": asset["id"]}, headers=bank)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    key = registry_key(app)
    digest = owner_digest(key, [owner, co_owner])
    with database(app).sessions() as session:
        stored = session.get(Valuation, body["id"])
        assert stored is not None and stored.request["owner"] == digest
        out = io.StringIO()
        export_table(session, key, out)
    assert "华东" not in str(stored.request) and "有限公司" not in str(stored.request)
    # The bundled model has no registry owners: the owner is unseen, as before.
    assert body["validity"]["case"] == "unseen-owner"
    # The export names the same owner, so history fitted on its rows is found for the asset.
    path = tmp_path / "registry.csv"
    path.write_text(out.getvalue())
    exported = load_sample(path)
    assert exported.assignees == [digest]
    history = F.OwnerHistory.fit(exported.assignees, exported.payments, exported.observed_stages)
    n1 = history.encode_one(stored.request["owner"])[2]
    assert n1 == 1 and np.isclose(history.encode_one("registry-owner other")[2], 0)

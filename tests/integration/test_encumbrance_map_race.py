"""Concurrent writers keep the map of encumbrances and the log consistent (PostgreSQL race).

Registrations of pledges, cancellations, freezes and lifts race over real HTTP, each request in
its own transaction on its own connection, several of them on assets whose keys share the
upper part of the tree. Afterwards the stored map is exactly the one replayed from the log
(``ipx verify``), every asset's certificate verifies offline with its expected state, and the
map's roots were written in log order, one row per append that changed it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ipx.db_ext import database
from ipx.ledger.encumbrance_map import MapRoots
from ipx.ledger.tables import LedgerHead
from ipx.ledger.verify import verify_certificate
from tests.http_race import race, serving
from tests.registry_helpers import audit

ASSETS = 16


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_racing_writers_keep_map_and_log_consistent(app, client, registry, clerk):
    owner, bank = registry.party(), registry.party("中国银行股份有限公司")
    assets = [registry.asset([owner]) for _ in range(ASSETS)]
    # Half the assets start pledged, to be cancelled in the race; the other half get pledged.
    first = [registry.pledge(owner, bank, [a["id"]]) for a in assets[: ASSETS // 2]]
    frozen = [
        registry.post(
            f"/assets/{a['id']}/freezes", {"court": "上海金融法院", "order_number": f"F-{n}"}
        )
        for n, a in enumerate(assets[: ASSETS // 4])
    ]
    applications = [
        registry.application(owner, bank, [a["id"]], contract_number=f"JK-RACE-{n}")
        for n, a in enumerate(assets[ASSETS // 2 :])
    ]
    posts = [(f"/api/v1/pledges/{p['id']}/cancel", {"reason": "repaid"}) for p in first]
    posts += [(f"/api/v1/pledge-applications/{a['id']}/register", {}) for a in applications]
    posts += [(f"/api/v1/freezes/{f['id']}/lift", {}) for f in frozen]
    posts += [
        (f"/api/v1/assets/{a['id']}/freezes", {"court": "上海金融法院", "order_number": f"G-{n}"})
        for n, a in enumerate(assets[ASSETS // 4 : ASSETS // 2])
    ]

    with serving(app) as port:
        results = race(port, clerk, posts)

    assert all(status in (200, 201) for status, _ in results), results
    registered = {
        body["asset_ids"][0]: body
        for status, body in results
        if status == 201 and "registration_number" in body
    }
    assert len(registered) == len(applications)

    report = audit(app)
    assert report.ok, report.problems
    with database(app).sessions() as session:
        sizes = list(
            session.execute(select(MapRoots.tree_size).order_by(MapRoots.tree_size)).scalars()
        )
        size = session.execute(select(LedgerHead.size)).scalar_one()
    assert sizes == sorted(set(sizes)) and sizes[-1] <= size

    key = client.get("/api/v1/ledger/public-key").get_json()["public_key"]
    for asset in assets:
        answer = client.get(
            "/api/v1/public/encumbrances", query_string={"number": asset["number"], "proof": "1"}
        ).get_json()
        found, _ = verify_certificate(answer, key)
        expected = registered.get(asset["id"])
        if expected is None:
            assert found.pledges == [], asset
        else:
            assert [p["registration_number"] for p in found.pledges] == [
                expected["registration_number"]
            ]

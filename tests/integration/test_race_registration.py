"""32 clients race to register 32 different applications on the same asset, over real HTTP.

Each racer has its own connection to a real server thread (tests/http_race.py), so the requests
really run concurrently in separate database transactions. Exactly one may win.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from ipx.db_ext import database
from ipx.ledger.tables import LedgerEntry, LedgerHead
from ipx.registry.orm import Pledge, PledgeApplication, PledgeAsset
from tests.http_race import race, serving
from tests.registry_helpers import event_types

RACERS = 32
# Both backends; the PostgreSQL run is the slow race test CI runs.
SLOW_ON_POSTGRESQL = pytest.mark.parametrize(
    "backend",
    [pytest.param("postgresql", marks=[pytest.mark.slow, pytest.mark.postgres]), "sqlite"],
)


def _register_all(port: int, clerk: dict, application_ids: list[int]) -> list[tuple[int, dict]]:
    paths = [f"/api/v1/pledge-applications/{a}/register" for a in application_ids]
    return race(port, clerk, [(path, {}) for path in paths])


@SLOW_ON_POSTGRESQL
def test_one_registration_wins_the_race_for_an_asset(app, registry, clerk):
    owner, bank = registry.party(), registry.party("中国银行股份有限公司")
    asset = registry.asset([owner])
    application_ids = [
        registry.application(owner, bank, [asset["id"]], contract_number=f"JK-RACE-{n:02d}")["id"]
        for n in range(RACERS)
    ]

    with serving(app) as port:
        results = _register_all(port, clerk, application_ids)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (RACERS - 1), statuses
    (winner,) = [body for status, body in results if status == 201]
    assert winner["registration_number"].startswith("IPX-P-")
    for status, body in results:
        if status == 409:
            assert body["code"] == "registration-refused"
            assert "R09" in {g["code"] for g in body["grounds"]}

    with database(app).sessions() as session:
        assert session.execute(select(func.count()).select_from(Pledge)).scalar_one() == 1
        active = select(func.count()).select_from(PledgeAsset).where(PledgeAsset.active)
        assert session.execute(active).scalar_one() == 1
        statuses_by_app = dict(
            session.execute(select(PledgeApplication.id, PledgeApplication.status)).all()
        )
        size = session.execute(select(LedgerHead.size)).scalar_one()
        seqs = list(session.execute(select(LedgerEntry.seq).order_by(LedgerEntry.seq)).scalars())
    assert sorted(statuses_by_app.values()) == ["registered"] + ["submitted"] * (RACERS - 1)
    assert statuses_by_app[winner["application_id"]] == "registered"
    # Nothing half-written: the log is gapless and holds exactly one registration.
    assert seqs == list(range(size))
    assert event_types(app).count("pledge.registered") == 1


@SLOW_ON_POSTGRESQL
def test_concurrent_registrations_are_numbered_without_gaps_in_log_order(app, registry, clerk):
    owner, bank = registry.party(), registry.party("中国农业银行股份有限公司")
    application_ids = [
        registry.application(owner, bank, [registry.asset([owner])["id"]])["id"]
        for _ in range(RACERS)
    ]

    with serving(app) as port:
        results = _register_all(port, clerk, application_ids)

    assert [status for status, _ in results] == [201] * RACERS
    with database(app).sessions() as session:
        leaves = session.execute(
            select(LedgerEntry.leaf)
            .where(LedgerEntry.type == "pledge.registered")
            .order_by(LedgerEntry.seq)
        ).scalars()
        in_log_order = [json.loads(leaf)["data"]["registration_number"] for leaf in leaves]
    year = in_log_order[0][6:10]
    # Gapless and in the order the registrations were committed to the log.
    assert in_log_order == [f"IPX-P-{year}-{n:06d}" for n in range(1, RACERS + 1)]
    assert sorted(body["registration_number"] for _, body in results) == in_log_order

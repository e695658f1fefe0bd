"""Disposal invariants in the database (SQLite and PostgreSQL), races, and the log's digests."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ipx.db_ext import database
from ipx.ledger.disclosure import open_entry
from ipx.ledger.tables import LedgerEntry
from ipx.registry.disposal.orm import Disposal, DisposalAsset
from ipx.registry.disposal.state import DISPOSAL_STATE_OF
from ipx.registry.state import current_state_digests
from ipx.uow import utcnow
from tests.api.test_disposal_flow import Scene
from tests.conftest import registry_key
from tests.http_race import race, serving

RACERS = 16


def _disposal(pledge: dict, asset_id: int, *, open_: bool = True) -> Disposal:
    now = utcnow()
    return Disposal(
        pledge_id=pledge["id"],
        method="auction",
        status="open" if open_ else "failed",
        reserve_price=Decimal("1.00"),
        reserve_source="given",
        costs=Decimal("0.00"),
        costs_payee_id=pledge["pledgee_id"],
        currency="CNY",
        announcement_days=0,
        opened_at=now,
        bids_open_at=now,
        assets=[DisposalAsset(asset_id=asset_id, open=open_)],
    )


@pytest.fixture
def scene(client, registry, keys):
    return Scene(client, registry, keys)


def test_the_database_refuses_two_open_disposals_of_one_asset(app, scene):
    asset_id = scene.asset_ids[0]
    with database(app).sessions() as session:
        session.add(_disposal(scene.pledge, asset_id))
        session.add(_disposal(scene.pledge, asset_id, open_=False))  # closed ones do not count
        session.commit()
        session.add(_disposal(scene.pledge, asset_id))
        with pytest.raises(IntegrityError):
            session.commit()


def test_closed_disposals_free_their_assets_for_the_next_one(scene):
    scene.default()
    first = scene.open(reserve_price="9000000.00")
    scene.close(first)
    second = scene.open(reserve_price="1000.00")
    assert second["asset_ids"] == first["asset_ids"]


def test_every_disposal_record_matches_its_latest_logged_state(app, scene):
    """Nothing changed without an event: each record's state digest is the one last logged."""
    scene.default()
    failed = scene.open(reserve_price="5000000.00")
    scene.close(failed)
    disposal = scene.open(reserve_price="100.00")
    scene.bid(disposal, scene.buyers[0], "100.00")
    scene.bid(disposal, scene.buyers[1], "200.00")
    scene.close(disposal)
    kinds = {*DISPOSAL_STATE_OF, "pledge", "asset", "transfer"}
    with database(app).sessions() as session:
        current = {
            key: digest
            for key, digest in current_state_digests(session, registry_key(app))
            if key.split(":")[1] in kinds
        }
        logged: dict[str, str] = {}
        rows = session.execute(
            select(LedgerEntry.leaf, LedgerEntry.details).order_by(LedgerEntry.seq)
        )
        for leaf, details in rows:
            logged.update(open_entry(leaf, details).digests)
    assert {k.split(":")[1] for k in current} >= {"default", "disposal", "bid", "claim"}
    assert {k: logged.get(k) for k in current} == current


@pytest.mark.parametrize(
    "backend",
    [pytest.param("postgresql", marks=[pytest.mark.slow, pytest.mark.postgres]), "sqlite"],
)
def test_one_disposal_wins_the_race_to_open_on_a_pledge(app, scene):
    scene.default()
    bodies = [
        {"method": "auction", "reserve_price": f"{1000 + n}.00", "costs": "0.00"}
        for n in range(RACERS)
    ]
    with serving(app) as port:
        path = f"/api/v1/pledges/{scene.pledge['id']}/disposals"
        results = race(port, scene.clerk, [(path, body) for body in bodies])
    assert sorted(s for s, _ in results) == [201] + [409] * (RACERS - 1)
    assert {b["code"] for s, b in results if s == 409} <= {
        "invalid-transition",
        "asset-in-disposal",
    }
    with database(app).sessions() as session:
        opened = select(func.count()).select_from(DisposalAsset).where(DisposalAsset.open)
        assert session.execute(opened).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(Disposal)).scalar_one() == 1


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_index_alone_stops_concurrent_open_disposals_of_one_asset(app, scene):
    """Writers that skip every lock still cannot both commit an open disposal of one asset."""
    sessions = database(app).sessions
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []

    def insert() -> None:
        with sessions() as session:
            session.add(_disposal(scene.pledge, scene.asset_ids[0]))
            barrier.wait(timeout=60)
            try:
                session.commit()
                outcomes.append("committed")
            except IntegrityError:
                outcomes.append("refused")

    threads = [threading.Thread(target=insert) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["committed"] + ["refused"] * (RACERS - 1)

"""Migration 0013 builds the map of a log that predates it, and ``rebuild`` reproduces the map
the write path keeps: both from the stored entries alone."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select
from sqlalchemy.orm import Session

import ipx
from ipx.db_ext import database
from ipx.ledger import encumbrance_map
from ipx.ledger.encumbrance_map import MapAsset, MapNode
from ipx.ledger.store import log_size
from tests.registry_helpers import audit


def _migration_0013():
    path = Path(ipx.__file__).parent / "migrations" / "versions" / "0013_encumbrance_map.py"
    spec = importlib.util.spec_from_file_location("migration_0013", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(engine, step) -> None:
    with engine.begin() as connection, Operations.context(MigrationContext.configure(connection)):
        step()


def _scene(registry) -> None:
    owner, bank = registry.party(), registry.party("工商银行上海分行")
    assets = [registry.asset([owner]) for _ in range(5)]
    registry.pledge(owner, bank, [assets[0]["id"], assets[1]["id"]])
    gone = registry.pledge(owner, bank, [assets[2]["id"]], contract_number="JK-2")
    registry.post(f"/pledges/{gone['id']}/cancel", {"reason": "repaid"}, status=200)
    registry.post(f"/assets/{assets[3]['id']}/freezes", {"court": "法院", "order_number": "1"})
    registry.client.patch(
        f"/api/v1/assets/{assets[4]['id']}",
        json={"invalidation_pending": True},
        headers=registry.clerk,
    )


def _stored(session: Session) -> tuple[set, set, tuple[bytes, bytes]]:
    nodes = {
        (tree, bytes(path), bytes(hashed), key and bytes(key), value)
        for tree, path, hashed, key, value in session.execute(
            select(MapNode.tree, MapNode.path, MapNode.hash, MapNode.leaf_key, MapNode.value)
        )
    }
    assets = {(a, bytes(k)) for a, k in session.execute(select(MapAsset.asset_id, MapAsset.key))}
    return nodes, assets, encumbrance_map.roots_at(session, log_size(session))


def test_rebuilding_from_the_log_gives_the_map_the_write_path_kept(app, registry):
    _scene(registry)
    with database(app).sessions() as session:
        kept = _stored(session)
        assert kept[2][0] != kept[2][1]  # both trees hold something
        encumbrance_map.rebuild(session)
        session.commit()
        assert _stored(session) == kept
    assert audit(app).ok


def test_migration_0013_builds_the_map_of_an_existing_log(app, registry):
    _scene(registry)
    engine = database(app).engine
    with database(app).sessions() as session:
        kept = _stored(session)
    migration = _migration_0013()
    _run(engine, migration.downgrade)  # back to before the map (its tables dropped) ...
    _run(engine, migration.upgrade)  # ... and 0013 again: it replays the log into them
    with database(app).sessions() as session:
        assert _stored(session) == kept
    assert audit(app).ok

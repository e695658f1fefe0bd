"""Migrations 0013 and 0017 build the map of a log that predates it, 0017 moves stored nodes
into pages (and back) without changing them, and ``rebuild`` reproduces the map the write
path keeps: all from the stored entries alone."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select, text
from sqlalchemy.orm import Session

import ipx
from ipx.db_ext import database
from ipx.ledger import encumbrance_map
from ipx.ledger.encumbrance_map import MapAsset, MapPage, MapRoots
from ipx.ledger.store import log_size
from tests.registry_helpers import audit


def _migration(name: str):
    path = Path(ipx.__file__).parent / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
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
    pages = {
        (tree, bytes(path), bytes(data))
        for tree, path, data in session.execute(select(MapPage.tree, MapPage.path, MapPage.nodes))
    }
    assets = {(a, bytes(k)) for a, k in session.execute(select(MapAsset.asset_id, MapAsset.key))}
    roots = {(r.tree_size, r.public_root, r.restricted_root) for r in _roots(session)}
    return pages, assets, encumbrance_map.roots_at(session, log_size(session)), roots


def _roots(session: Session):
    return session.execute(select(MapRoots)).scalars().all()


def test_rebuilding_from_the_log_gives_the_map_the_write_path_kept(app, registry):
    _scene(registry)
    with database(app).sessions() as session:
        kept = _stored(session)
        assert kept[2][0] != kept[2][1]  # both trees hold something
        encumbrance_map.rebuild(session)
        session.commit()
        assert _stored(session)[:3] == kept[:3]  # (one roots row now: the map as of now)
    assert audit(app).ok


def test_migrations_build_the_map_of_a_log_that_predates_it(app, registry):
    _scene(registry)
    engine = database(app).engine
    with database(app).sessions() as session:
        kept = _stored(session)
    pages, map_tables = _migration("0017_encumbrance_map_pages"), _migration("0013_encumbrance_map")
    _run(engine, pages.downgrade)  # back to before the map (its tables dropped) ...
    _run(engine, map_tables.downgrade)
    _run(engine, map_tables.upgrade)  # ... 0013 again: the map's tables, empty ...
    with database(app).sessions() as session:
        assert session.execute(select(MapAsset)).first() is None
    _run(engine, pages.upgrade)  # ... and 0017, which replays the log into them
    with database(app).sessions() as session:
        assert _stored(session)[:3] == kept[:3]  # (one roots row now: the map as of now)
    assert audit(app).ok


def test_migration_0017_moves_the_nodes_into_pages_and_back_unchanged(app, registry):
    _scene(registry)
    engine = database(app).engine
    with database(app).sessions() as session:
        kept = _stored(session)
        assert kept[0] and len(kept[3]) > 1  # pages, and roots rows of several sizes
    pages = _migration("0017_encumbrance_map_pages")
    with database(app).sessions() as session:
        replayed = {
            (tree, path, node.hash, node.key, node.value and node.value.decode())
            for tree, store in enumerate(encumbrance_map.replay_log(session).stores)
            for path, node in store.nodes.items()  # type: ignore[attr-defined]
        }
    _run(engine, pages.downgrade)
    with engine.connect() as connection:  # one row per node again: the replay's nodes exactly
        rows = connection.execute(
            text("SELECT tree, path, hash, leaf_key, value FROM encumbrance_map_nodes")
        )
        nodes = {(t, bytes(p), bytes(h), k and bytes(k), v) for t, p, h, k, v in rows}
    assert nodes == replayed and len(nodes) > len(kept[0])
    _run(engine, pages.upgrade)  # converts them, keys and roots rows untouched
    with database(app).sessions() as session:
        assert _stored(session) == kept
    assert audit(app).ok

"""The map of encumbrances written by the log's appends equals the map replayed from the log.

Seeded random runs of registrations, pledges, cancellations, freezes, lifts and invalidation
flags over 60 assets, appended in batches of one to three events through
``ipx.ledger.log.append``: after every append the stored pages of nodes, keys and roots are
exactly what the replay of the stored log makes (its entries applied as they are appended, and
at the end the whole log replayed from scratch, ``encumbrance_map.replay_log``). On PostgreSQL
each append also runs exactly the statements the module promises: the head lock, one read of
the map when its events change it (the walk down each key's way, which must leave nothing to
read one page at a time), and one write statement for the log and the map together.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from ipx.db import begin_write
from ipx.db_ext import database
from ipx.ledger import encumbrance_map, log, smt_pages
from ipx.ledger.disclosure import derive_blinding_key
from ipx.ledger.encumbrance_map import MapAsset, MapPage
from ipx.ledger.encumbrances import Replay
from ipx.ledger.events import Event
from ipx.ledger.store import log_size
from ipx.ledger.tables import LedgerEntry

BLINDING = derive_blinding_key(bytes(range(32)))
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ASSETS = 60


def _runs(seed: int) -> list[list[Event]]:
    """Batches of events a registry could log, in order (each asset registered first)."""
    rng = random.Random(seed)
    events = [
        Event(
            "asset.registered",
            {"asset": a, "parties": [1]},
            {"kind": "invention", "number": f"CN2024{seed}{a:05d}.{a % 10}", "status": "granted"},
        )
        for a in range(1, ASSETS + 1)
    ]
    pledges: dict[int, list[int]] = {}
    freezes: dict[int, int] = {}
    for serial in range(1, 160):
        action = rng.choice(["pledge", "pledge", "cancel", "freeze", "lift", "pending", "cleared"])
        assets = rng.sample(range(1, ASSETS + 1), rng.randint(1, 3))
        encumbered = {a for held in pledges.values() for a in held}
        if action == "pledge" and not encumbered & set(assets):
            pledges[serial] = assets
            refs = {"pledge": serial, "assets": assets}
            events.append(Event("pledge.registered", refs, {"registration_number": f"P-{serial}"}))
        elif action == "cancel" and pledges:
            pledge = rng.choice(sorted(pledges))
            refs = {"pledge": pledge, "assets": pledges.pop(pledge)}
            events.append(Event("pledge.cancelled", refs, {"status": "cancelled"}))
        elif action == "freeze":
            freezes[serial] = assets[0]
            refs = {"asset": assets[0], "freeze": serial}
            events.append(Event("asset.frozen", refs, {"court": "上海金融法院"}))
        elif action == "lift" and freezes:
            freeze = rng.choice(sorted(freezes))
            refs = {"asset": freezes.pop(freeze), "freeze": freeze}
            events.append(Event("asset.freeze_lifted", refs, {"frozen": False}))
        elif action in ("pending", "cleared"):
            data = {"invalidation_pending": action == "pending"}
            events.append(Event("asset.changed", {"asset": assets[0]}, data))
    batches, i = [], 0
    while i < len(events):
        size = rng.randint(1, 3)
        batches.append(events[i : i + size])
        i += size
    return batches


def _stored(session) -> tuple[dict, dict]:
    pages = {
        (page.tree, bytes(page.path)): bytes(page.nodes)
        for page in session.execute(select(MapPage)).scalars()
    }
    keys = {a: bytes(k) for a, k in session.execute(select(MapAsset.asset_id, MapAsset.key))}
    return pages, keys


def _replay_new_entries(session, replay: Replay, since: int) -> tuple[dict, tuple[bytes, bytes]]:
    """Apply the log's entries from ``since`` on (their stored leaves and sealed records) to
    ``replay``; return its nodes as stored pages and its roots."""
    rows = session.execute(
        select(LedgerEntry.leaf, LedgerEntry.details)
        .where(LedgerEntry.seq >= since)
        .order_by(LedgerEntry.seq)
    )
    for leaf, details in rows:
        event = encumbrance_map.stored_event(leaf, details)
        if event is not None:
            replay.apply(event)
    pages = {
        (tree, page): data
        for tree, store in enumerate(replay.stores)
        for page, data in smt_pages.paginate(store.nodes.items()).items()  # type: ignore[attr-defined]
    }
    return pages, replay.roots()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_append_leaves_the_stored_map_equal_to_the_replayed_log(app, seed, monkeypatch):
    engine = database(app).engine
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    run = encumbrance_map._execute  # the map's own statements run on the driver's cursor

    def run_seen(connection, statement, *args, **kwargs):
        statements.append(statement)
        return run(connection, statement, *args, **kwargs)

    monkeypatch.setattr(encumbrance_map, "_execute", run_seen)
    one_at_a_time: list[int] = []  # a page the append's read did not bring: read on its own
    fetch_pages = encumbrance_map.fetch_pages
    monkeypatch.setattr(
        encumbrance_map,
        "fetch_pages",
        lambda *a, **k: one_at_a_time.append(1) or fetch_pages(*a, **k),
    )
    postgresql = engine.dialect.name == "postgresql"
    replay, size = Replay(), 0  # the stored log's entries applied as they are appended
    try:
        for batch in _runs(seed):
            statements.clear()
            with database(app).sessions() as session:
                begin_write(session)
                log.append(session, batch, actor="test", now=T0, blinding_key=BLINDING)
                session.commit()
            if postgresql:
                changes_map = any(e.type != "asset.registered" for e in batch)
                assert [s.split()[0:3] for s in statements] == [
                    ["SELECT", "ledger_head.size,", "ledger_head.last_time,"],
                    *([["WITH", "RECURSIVE", "stored"]] if changes_map else []),
                    ["WITH", "entries", "AS"],
                ], batch
                assert not one_at_a_time, batch
            with database(app).sessions() as session:
                pages, roots = _replay_new_entries(session, replay, size)
                assert _stored(session) == (pages, replay.keys)
                size = log_size(session)
                assert encumbrance_map.roots_at(session, size) == roots
        with database(app).sessions() as session:  # and the whole log, replayed from scratch
            assert encumbrance_map.replay_log(session).roots() == roots
    finally:
        event.remove(engine, "before_cursor_execute", seen)

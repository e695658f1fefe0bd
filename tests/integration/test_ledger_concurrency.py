"""Concurrent writers on PostgreSQL: no gaps, no duplicates, order = commit order, sound tree."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from ipx.db_ext import database
from ipx.ledger import merkle, store
from ipx.ledger.audit import audit_log
from ipx.ledger.signing import app_signer
from ipx.registry.state import STATE_OF, current_state_digests
from tests.conftest import registry_key
from tests.registry_helpers import credit_code

WRITERS, PARTIES_EACH = 8, 15


def _writer(app, clerk, errors: list) -> None:
    client = app.test_client()
    for i in range(PARTIES_EACH):
        body = {"kind": "organization", "name": f"并发测试公司{i}", "credit_code": credit_code()}
        response = client.post("/api/v1/parties", json=body, headers=clerk)
        if response.status_code != 201:
            errors.append(response.get_json())


def _watch_prefix(engine, stop: threading.Event, seen: list) -> None:
    """A reader that must only ever see a gap-free prefix 0..k-1 of the log."""
    with engine.connect() as conn:
        while not stop.is_set():
            count, top = conn.execute(
                text("SELECT count(*), coalesce(max(seq), -1) FROM ledger_entries")
            ).one()
            conn.commit()
            seen.append((count, top))


@pytest.mark.slow
@pytest.mark.postgres
def test_concurrent_registry_writes_append_in_commit_order_without_gaps(app, clerk, backend):
    if backend != "postgresql":
        pytest.skip("concurrency of appenders is a PostgreSQL matter (SQLite has one writer)")
    engine = database(app).engine
    errors, snapshots, stop = [], [], threading.Event()
    watcher = threading.Thread(target=_watch_prefix, args=(engine, stop, snapshots))
    writers = [threading.Thread(target=_writer, args=(app, clerk, errors)) for _ in range(WRITERS)]
    watcher.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    watcher.join()
    assert errors == []
    total = WRITERS * PARTIES_EACH
    # A later seq visible before an earlier one would show as count <= max(seq).
    assert snapshots and all(count == top + 1 for count, top in snapshots)
    with database(app).sessions() as session:
        seqs = session.execute(text("SELECT seq FROM ledger_entries ORDER BY seq")).scalars().all()
        assert seqs == list(range(total)) and store.log_size(session) == total
        hashes = session.execute(
            text("SELECT leaf_hash FROM ledger_entries ORDER BY seq")
        ).scalars()
        assert store.root_at(session, total) == merkle.root_from_leaf_hashes(
            [bytes(h) for h in hashes]
        )
        report = audit_log(
            session,
            app_signer(app).public_key,
            registry_states=current_state_digests(session, registry_key(app)),
            state_kinds=STATE_OF.keys(),
        )
    assert report.ok, report.problems[:5]

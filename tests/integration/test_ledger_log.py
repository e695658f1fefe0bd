"""Appending to the stored log: contiguous seq, stored subtree nodes, roots and proofs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ipx.db import begin_write
from ipx.db_ext import database
from ipx.ledger import merkle, store
from ipx.ledger.canonical import parse_canonical_json
from ipx.ledger.disclosure import check_sealed, derive_blinding_key, entry_key
from ipx.ledger.events import Event
from ipx.ledger.log import append
from ipx.ledger.tables import LedgerEntry, LedgerNode, LedgerRef

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
BLINDING = derive_blinding_key(bytes(range(32)))
BATCHES = [1, 3, 2, 7, 1, 1, 8, 4, 5]  # 32 leaves in uneven batches


def _append(app, count: int, *, now=T0, first: int = 0) -> list[int]:
    with database(app).sessions() as session:
        begin_write(session)
        events = [
            Event("party.registered", refs={"party": first + i}, data={"n": first + i})
            for i in range(count)
        ]
        seqs = append(session, events, actor="test", now=now, blinding_key=BLINDING)
        session.commit()
    return seqs


def _leaf_hashes(session) -> list[bytes]:
    return list(session.execute(select(LedgerEntry.leaf_hash).order_by(LedgerEntry.seq)).scalars())


def test_batches_get_contiguous_seqs_and_every_completed_subtree_is_stored(app):
    seqs, done = [], 0
    for count in BATCHES:
        seqs += _append(app, count, first=done)
        done += count
    assert seqs == list(range(done))
    reference = merkle.MemoryTree()
    with database(app).sessions() as session:
        for h in _leaf_hashes(session):
            reference.append_hash(h)
        stored = {
            (lv, pos): h
            for lv, pos, h in session.execute(
                select(LedgerNode.level, LedgerNode.position, LedgerNode.hash)
            )
        }
        assert store.log_size(session) == done
    expected = {
        (lv, pos): h
        for lv, level in enumerate(reference.levels)
        if lv > 0
        for pos, h in enumerate(level)
    }
    assert stored == expected
    assert len(stored) == done - 1  # 2n - popcount(n) nodes in all, n of them leaves (n = 32)


def test_roots_and_proofs_from_the_database_match_the_memory_tree(app):
    total = sum(BATCHES)
    _append(app, total)
    with database(app).sessions() as session:
        hashes = _leaf_hashes(session)
        reference = merkle.MemoryTree()
        for h in hashes:
            reference.append_hash(h)
        for size in (1, 2, 5, 17, 31, 32):
            assert store.root_at(session, size) == merkle.root_from_leaf_hashes(hashes[:size])
            for index in range(0, size, 3):
                proof = store.inclusion_proof(session, index, size)
                assert proof == reference.inclusion_proof(index, size)
                root = reference.root(size)
                assert merkle.verify_inclusion(hashes[index], index, size, proof, root)
            for first in range(0, size + 1, 4):
                assert store.consistency_proof(session, first, size) == (
                    reference.consistency_proof(first, size)
                )
        assert store.root_at(session, 0) == merkle.EMPTY_ROOT


def test_a_missing_node_is_reported_not_papered_over(app):
    _append(app, 4)
    with database(app).sessions() as session, pytest.raises(store.MissingNode):
        store.inclusion_proof(session, 0, 8)


def test_leaves_are_canonical_with_seq_time_and_refs_indexed(app):
    _append(app, 2)
    with database(app).sessions() as session:
        rows = session.execute(select(LedgerEntry).order_by(LedgerEntry.seq)).scalars().all()
        refs = session.execute(select(func.count()).select_from(LedgerRef)).scalar_one()
    leaves = [parse_canonical_json(row.leaf) for row in rows]
    assert [leaf["seq"] for leaf in leaves] == [0, 1]
    assert leaves[0]["time"] == "2026-03-01T08:00:00.000000Z"
    assert [row.leaf_hash for row in rows] == [merkle.leaf_hash(r.leaf.encode()) for r in rows]
    assert refs == 2
    # Format 2: a party's creation is no public notice, so it is sealed beside its leaf.
    assert {leaf["v"] for leaf in leaves} == {2} and all("type" not in leaf for leaf in leaves)
    for row, leaf in zip(rows, leaves, strict=True):
        opened = check_sealed(leaf, row.details, entry_key(BLINDING, row.seq))
        assert (opened.type, opened.actor, opened.refs) == (
            "party.registered",
            "test",
            {"party": row.seq},
        )


def test_a_transaction_that_started_earlier_but_commits_later_does_not_go_back_in_time(app):
    _append(app, 1, now=T0)
    _append(app, 1, now=T0 - timedelta(seconds=5))
    with database(app).sessions() as session:
        times = session.execute(select(LedgerEntry.time).order_by(LedgerEntry.seq)).scalars()
        assert list(times) == [T0, T0]


def test_nothing_is_appended_for_no_events(app):
    assert _append(app, 0) == []

"""Appending to the log inside the caller's transaction.

The head row is locked (``FOR UPDATE``) at the end of a unit of work and held to its commit,
so concurrent appenders are serialised and the log's order is the commit order with neither
gaps nor duplicates. The append itself is two statements under that lock: the locking read of
the head, which also carries the Merkle frontier (the complete subtrees the next leaves build
on), and one write of the entries, the subtree nodes they complete, their record refs and the
new head (on PostgreSQL a single statement; SQLite, in process and with one writer, runs them
as separate inserts). An append that changes the map of encumbrances adds one read of the map
(``encumbrance_map.plan_appended``); its writes ride in the same write. A unit of work may take
the lock a little earlier, with ``lock_head``, to do work that must happen in commit order
(``UnitOfWork.when_sequenced``). Nothing is cached between transactions: the head read under
the lock is the only state an append depends on, so it is always the committed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ipx.ledger import disclosure, encumbrance_map, merkle
from ipx.ledger.events import Event, format_time
from ipx.ledger.store import HEAD_ID, fetch_nodes, frontier_keys
from ipx.ledger.tables import LedgerEntry, LedgerHead, LedgerNode, LedgerRef

leaf_hash = merkle.leaf_hash
H = merkle.HASH_SIZE

_INSERT_ENTRIES = insert(LedgerEntry.__table__)
_INSERT_NODES = insert(LedgerNode.__table__)
_INSERT_REFS = insert(LedgerRef.__table__)
_UPDATE_HEAD = (
    update(LedgerHead.__table__)
    .where(LedgerHead.__table__.c.id == HEAD_ID)
    .values(size=bindparam("size"), last_time=bindparam("last_time"), frontier=bindparam("fr"))
)
# PostgreSQL: the whole write in one statement and one round trip, the same text every time
# (so psycopg prepares it once), whatever the number of entries, nodes and refs; with the
# map's writes (``encumbrance_map.PG_WRITE_CTES``) when the append changes the map. Hashes
# and pages go in binary (``%(...)b``): as text, each array of bytes is hex-escaped and quoted
# element by element, which cost more than the statement's work.
_PG_LOG_CTES = """
entries AS (
    INSERT INTO ledger_entries (seq, time, type, leaf, leaf_hash, details)
    SELECT e.seq, %(time)s, e.type, e.leaf, e.leaf_hash, e.details
    FROM unnest(%(seqs)s::bigint[], %(types)s::text[], %(leaves)s::text[],
                %(hashes)b::bytea[], %(details)s::text[]) AS e(seq, type, leaf, leaf_hash, details)
), nodes AS (
    INSERT INTO ledger_nodes (level, position, hash)
    SELECT * FROM unnest(%(levels)s::smallint[], %(positions)s::bigint[], %(nodes)b::bytea[])
), refs AS (
    INSERT INTO ledger_refs (seq, kind, ref_id)
    SELECT * FROM unnest(%(ref_seqs)s::bigint[], %(ref_kinds)s::text[], %(ref_ids)s::bigint[])
)"""
_PG_HEAD_UPDATE = f"""
UPDATE ledger_head SET size = %(size)s, last_time = %(time)s, frontier = %(frontier)b
WHERE id = {HEAD_ID}
"""
PG_WRITE = f"WITH {_PG_LOG_CTES.strip()}{_PG_HEAD_UPDATE}"
PG_WRITE_WITH_MAP = f"WITH {_PG_LOG_CTES.strip()},{encumbrance_map.PG_WRITE_CTES}{_PG_HEAD_UPDATE}"


# The head lock, built once: through the ORM (a select built on every call, its cache key, the
# ORM's execution context) the same SELECT cost 0.88 ms here against 0.44 as a prebuilt Core
# statement on the connection, on every append. On PostgreSQL it also sets, in the same round
# trip, the planner for everything this transaction runs from here on: generic plans
# (``plan_cache_mode``: prepared statements and unnamed ones alike). That is the unit of work's
# sequenced steps (the year's counter and the pledge row, by primary key), the log's write and
# the map's read (the reason: they take arrays, whose lengths made the planner re-plan them on
# every call, ~0.3 ms each), the outbox rows, the idempotency and form-once claims (by primary
# key) and the final flush. ``set_config(..., true)`` lasts to the end of the transaction only.
# A query added under the lock that needs a partial index with a bound value in its predicate
# would not get it on a generic plan: keep such reads before it. (SQLite has no row locks, and
# its writers hold the database's write lock from their start.)
_LOCK = (
    select(LedgerHead.size, LedgerHead.last_time, LedgerHead.frontier)
    .where(LedgerHead.id == HEAD_ID)
    .with_for_update()
)
_PG_LOCK = _LOCK.add_columns(func.set_config("plan_cache_mode", "force_generic_plan", True))


@dataclass
class Head:
    """The locked head: size, last leaf time and frontier nodes keyed ``(level, position)``."""

    size: int
    last_time: datetime | None
    nodes: dict


def append(
    session: Session,
    events: list[Event],
    *,
    actor: str,
    now: datetime,
    blinding_key: bytes,
    head: Head | None = None,
) -> list[int]:
    """Append events to the log in the caller's transaction; return their sequence numbers.

    Each entry is a format-2 leaf with its sealed record (``ipx.ledger.disclosure``); the
    ``blinding_key`` (``disclosure.derive_blinding_key`` of the instance secret) keys its
    blinded digests. ``head`` is what ``lock_head`` returned when the caller took the lock
    itself, earlier in the same transaction. A leaf's time is ``now``, raised to the previous
    leaf's time when a transaction that started later committed first, so times never go
    backwards along the log.
    """
    if not events:
        return []
    if head is None:
        head = lock_head(session)
    size, last_time, nodes = head.size, head.last_time, dict(head.nodes)
    time = max(now, last_time) if last_time is not None else now
    entries, new_nodes = [], []
    refs: list[tuple[int, str, int]] = []
    for offset, event in enumerate(events):
        seq = size + offset
        leaf, record = _entry(event, seq, format_time(time), actor, blinding_key)
        hashed = leaf_hash(leaf)
        entries.append((seq, event.type, leaf.decode(), hashed, record))
        for level, position, value in merkle.new_nodes_for_append(
            seq, hashed, lambda lv, pos: nodes[(lv, pos)]
        ):
            nodes[(level, position)] = value
            if level:
                new_nodes.append((level, position, value))
        refs.extend((seq, kind, ref_id) for kind, ref_id in _flatten_refs(event.refs))
    new_size = size + len(events)
    frontier = b"".join(nodes[key] for key in frontier_keys(new_size))
    # The map of encumbrances changes with the log, under the same lock, in this transaction,
    # written by the same statement on PostgreSQL.
    map_write = encumbrance_map.plan_appended(session, events, [e[4] for e in entries], new_size)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        params = pg_write_params(time, entries, new_nodes, refs, new_size, frontier)
        if map_write is None:
            connection.exec_driver_sql(PG_WRITE, params)
        else:
            connection.exec_driver_sql(PG_WRITE_WITH_MAP, params | map_write.pg_params())
    else:
        _write_core(connection, time, entries, new_nodes, refs, new_size, frontier)
        if map_write is not None:
            encumbrance_map.write(connection, map_write)
    return list(range(size, new_size))


def lock_head(session: Session) -> Head:
    """Lock the head row until the transaction ends: from here on this transaction holds its
    place in the log's order, and so everything done under the lock is serialised with every
    other writer (``UnitOfWork.when_sequenced`` relies on this). The session's pending changes
    are flushed first, as an ORM read would have (the lock is read on the connection)."""
    session.flush()
    connection = session.connection()
    row = connection.execute(_PG_LOCK if connection.dialect.name == "postgresql" else _LOCK).first()
    if row is None:  # a database created without migration 0002's head row
        session.add(LedgerHead(id=HEAD_ID, size=0))
        session.flush()
        return Head(0, None, {})
    keys = frontier_keys(row.size)
    if row.frontier is not None and len(row.frontier) == H * len(keys):
        stored = bytes(row.frontier)
        nodes = {k: stored[i * H : (i + 1) * H] for i, k in enumerate(keys)}
    else:  # no frontier yet (a log from before migration 0006): read it from the nodes once
        nodes = fetch_nodes(session, keys)
    return Head(row.size, row.last_time, nodes)


def pg_write_params(time, entries, nodes, refs, size: int, frontier: bytes) -> dict:
    """``PG_WRITE``'s parameters: entries ``(seq, type, leaf, leaf_hash, details)``, nodes
    ``(level, position, hash)`` and refs ``(seq, kind, ref_id)`` as column arrays."""

    def columns(rows: list[tuple], width: int) -> list[list]:
        return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]

    seqs, types, leaves, hashes, details = columns(entries, 5)
    levels, positions, values = columns(nodes, 3)
    ref_seqs, kinds, ids = columns(refs, 3)
    return {
        "time": time,
        "seqs": seqs,
        "types": types,
        "leaves": leaves,
        "hashes": hashes,
        "details": details,
        "levels": levels,
        "positions": positions,
        "nodes": values,
        "ref_seqs": ref_seqs,
        "ref_kinds": kinds,
        "ref_ids": ids,
        "size": size,
        "frontier": frontier,
    }


def _write_core(connection: Connection, time, entries, nodes, refs, size, frontier) -> None:
    # Core statements on the session's connection: the ORM's bulk machinery costs more than
    # the inserts themselves at one event per transaction, and these rows have no objects.
    connection.execute(
        _INSERT_ENTRIES,
        [
            {"seq": s, "time": time, "type": t, "leaf": leaf, "leaf_hash": h, "details": d}
            for s, t, leaf, h, d in entries
        ],
    )
    if nodes:
        connection.execute(
            _INSERT_NODES, [{"level": lv, "position": p, "hash": h} for lv, p, h in nodes]
        )
    if refs:
        connection.execute(_INSERT_REFS, [{"seq": s, "kind": k, "ref_id": i} for s, k, i in refs])
    connection.execute(_UPDATE_HEAD, {"size": size, "last_time": time, "fr": frontier})


def _entry(event: Event, seq: int, time: str, actor: str, blinding_key: bytes):
    """The leaf bytes of entry ``seq`` and the text of its sealed record."""
    record = disclosure.seal_record(
        type=event.type,
        actor=actor,
        refs=event.refs,
        data=event.data,
        digests=event.digests,
        private=event.private,
    )
    key = disclosure.entry_key(blinding_key, seq)
    public = disclosure.is_public(event.type)
    return disclosure.build_leaf(record, seq=seq, time=time, key=key, public=public), record


def _flatten_refs(refs: dict):
    seen = set()
    for kind, value in refs.items():
        ids = value if isinstance(value, list | tuple) else [value]
        singular = kind[:-1] if kind.endswith("s") and isinstance(value, list | tuple) else kind
        for ref_id in ids:
            if ref_id is not None and (singular, ref_id) not in seen:
                seen.add((singular, ref_id))
                yield singular, int(ref_id)

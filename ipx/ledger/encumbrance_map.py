"""The map of encumbrances in the database, kept in step with the log.

``apply`` runs inside ``ipx.ledger.log.append``, under the log's head lock and in the
transaction that appends the events, so the map changes exactly when the log does, one
writer at a time, and commits or rolls back with it. What the events do is
``ipx.ledger.encumbrances``; the trees are ``ipx.ledger.smt``.

Tables: ``encumbrance_map_nodes`` (the two trees' nodes by ``(tree, path)``: only the nodes
of non-empty subtrees, about 2.5 rows per asset with a state), ``encumbrance_map_assets``
(asset id -> key, learnt from ``asset.registered`` events) and ``encumbrance_map_roots`` (the
two roots after each append that changed them, by log size: the map as of tree size N is the
row of the largest size <= N, which is what a checkpoint of N commits to).

An append that concerns the map costs it two round trips on PostgreSQL: one query reads the
changed assets' keys and the nodes on and beside their ways with both roots, one statement
writes the O(depth) nodes changed, the keys learnt and the roots row. On SQLite (in process)
the same takes four cheap statements (keys, nodes, nodes written, roots row). An append of
events that cannot change the map reads and writes nothing of it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Connection, LargeBinary, SmallInteger, Text, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ipx.db import Base
from ipx.ledger import smt
from ipx.ledger.disclosure import open_entry
from ipx.ledger.encumbrances import (
    MAP_EVENT_TYPES,
    PUBLIC,
    RESTRICTED,
    MapEvent,
    Replay,
    changes,
    decode,
    key_of,
    map_root,
)
from ipx.ledger.store import HEAD_ID
from ipx.ledger.tables import LedgerEntry, LedgerHead


class MapNode(Base):
    """A node of one of the two trees (``tree`` 0 public, 1 restricted; ``smt`` paths)."""

    __tablename__ = "encumbrance_map_nodes"

    tree: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    path: Mapped[bytes] = mapped_column(LargeBinary(34), primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    leaf_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    value: Mapped[str | None] = mapped_column(Text)


class MapAsset(Base):
    """The map key of each asset the log registered."""

    __tablename__ = "encumbrance_map_assets"

    asset_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    key: Mapped[bytes] = mapped_column(LargeBinary(32))


class MapRoots(Base):
    """The two roots once the log had ``tree_size`` entries (written when they changed)."""

    __tablename__ = "encumbrance_map_roots"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    public_root: Mapped[bytes] = mapped_column(LargeBinary(32))
    restricted_root: Mapped[bytes] = mapped_column(LargeBinary(32))


# Plain SQL on the session's connection (``_execute``): at one event per append SQLAlchemy's
# compilation and execution machinery costs more than running the statements. Every statement
# reads or writes by a primary key: ``(tree, path)`` of a node, ``asset_id`` of a key.
_PG_SELECT_NODES = """
SELECT n.tree, n.path, n.hash, n.leaf_key, n.value
FROM unnest(%(trees)s::smallint[], %(paths)s::bytea[]) AS w(tree, path)
CROSS JOIN LATERAL (
    SELECT * FROM encumbrance_map_nodes x WHERE x.tree = w.tree AND x.path = w.path LIMIT 1
) AS n
"""
# (The LIMIT keeps the lateral subquery a primary-key lookup per wanted path: as a plain join,
# or with ``path = ANY``, the planner may scan the table when its statistics are missing or
# stale, as after a bulk load.)
_PG_SELECT_KEYS = (
    "SELECT asset_id, key FROM encumbrance_map_assets WHERE asset_id = ANY(%(ids)s::bigint[])"
)
# PostgreSQL: all of an append's map writes in one statement and one round trip, the same
# text every time (prepared once): nodes removed, nodes written, keys learnt, the roots row.
_PG_WRITE = """
WITH gone AS (
    DELETE FROM encumbrance_map_nodes WHERE ctid = ANY(ARRAY(
        SELECT n.ctid
        FROM unnest(%(gone_trees)s::smallint[], %(gone_paths)s::bytea[]) AS w(tree, path)
        CROSS JOIN LATERAL (
            SELECT ctid FROM encumbrance_map_nodes x
            WHERE x.tree = w.tree AND x.path = w.path LIMIT 1
        ) AS n
    ))
), put AS (
    INSERT INTO encumbrance_map_nodes (tree, path, hash, leaf_key, value)
    SELECT * FROM unnest(%(trees)s::smallint[], %(paths)s::bytea[], %(hashes)s::bytea[],
                         %(leaf_keys)s::bytea[], %(values)s::text[])
    ON CONFLICT (tree, path) DO UPDATE SET
        hash = excluded.hash, leaf_key = excluded.leaf_key, value = excluded.value
), learnt AS (
    INSERT INTO encumbrance_map_assets (asset_id, key)
    SELECT * FROM unnest(%(asset_ids)s::bigint[], %(keys)s::bytea[])
)
INSERT INTO encumbrance_map_roots (tree_size, public_root, restricted_root)
SELECT %(size)s, %(public)s, %(restricted)s WHERE %(changed)s
"""
_SQLITE_UPSERT = (
    "INSERT INTO encumbrance_map_nodes (tree, path, hash, leaf_key, value) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (tree, path) DO UPDATE SET "
    "hash = excluded.hash, leaf_key = excluded.leaf_key, value = excluded.value"
)
_SQLITE_DELETE = "DELETE FROM encumbrance_map_nodes WHERE tree = ? AND path = ?"
_SQLITE_KEYS = "INSERT INTO encumbrance_map_assets (asset_id, key) VALUES (?, ?)"
_SQLITE_ROOTS = (
    "INSERT INTO encumbrance_map_roots (tree_size, public_root, restricted_root) VALUES (?, ?, ?)"
)


@functools.lru_cache(maxsize=256)
def _sqlite_select_nodes(counts: tuple[int, ...]) -> str:
    """The query of ``counts[tree]`` paths in each tree, built once per shape."""
    return " UNION ALL ".join(
        "SELECT tree, path, hash, leaf_key, value FROM encumbrance_map_nodes "
        f"WHERE tree = {tree} AND path IN ({', '.join('?' * count)})"
        for tree, count in enumerate(counts)
        if count
    )


@functools.lru_cache(maxsize=64)
def _sqlite_select_keys(count: int) -> str:
    marks = ", ".join("?" * count)
    return f"SELECT asset_id, key FROM encumbrance_map_assets WHERE asset_id IN ({marks})"


def _is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _execute(
    connection: Connection, statement: str, parameters: Any, *, many: bool = False
) -> list[Any]:
    """Run driver-level SQL in the connection's transaction; return its rows (if any).

    PostgreSQL: ``exec_driver_sql`` (a round trip costs far more than SQLAlchemy does).
    SQLite, in process, where SQLAlchemy's execution costs several times what the statement
    does: the DBAPI cursor directly, with its errors raised as SQLAlchemy's (``DBAPIError``
    subclasses, which the web error handlers map to problem responses)."""
    if _is_postgresql(connection):
        result = connection.exec_driver_sql(statement, parameters)
        return list(result) if result.returns_rows else []
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if many:
            cursor.executemany(statement, parameters)
        else:
            cursor.execute(statement, parameters)
        return list(cursor.fetchall())
    except dbapi.Error as exc:
        raise DBAPIError.instance(
            statement, parameters, exc, dbapi.Error, dialect=connection.dialect
        ) from exc
    finally:
        cursor.close()


def fetch_nodes(stores: list[DatabaseStore], paths: Iterable[bytes]) -> None:
    """Read ``paths`` of each of the stores' trees in one query."""
    paths = list(dict.fromkeys(paths))
    fetch_pairs(
        stores[0].connection,
        {store.tree: store for store in stores},
        [(store.tree, path) for store in stores for path in paths],
    )


def fetch_pairs(
    connection: Connection, stores: dict[int, DatabaseStore], wanted: Iterable[tuple[int, bytes]]
) -> None:
    """Read the ``(tree, path)`` nodes the stores have not read yet, in one query."""
    by_tree: dict[int, list[bytes]] = {}
    for tree, path in dict.fromkeys(wanted):
        if path not in stores[tree].read:
            by_tree.setdefault(tree, []).append(path)
    if not by_tree:
        return
    if _is_postgresql(connection):
        trees = [tree for tree, paths in by_tree.items() for _ in paths]
        flat = [path for paths in by_tree.values() for path in paths]
        rows = _execute(connection, _PG_SELECT_NODES, {"trees": trees, "paths": flat})
    else:
        counts = tuple(len(by_tree.get(tree, ())) for tree in range(max(by_tree) + 1))
        ordered = tuple(path for tree in sorted(by_tree) for path in by_tree[tree])
        rows = _execute(connection, _sqlite_select_nodes(counts), ordered)
    found: dict[tuple[int, bytes], smt.Node] = {}
    for tree, path, hashed, key, value in rows:
        found[(int(tree), bytes(path))] = smt.Node(
            bytes(hashed),
            None if key is None else bytes(key),
            None if value is None else value.encode("utf-8"),
        )
    for tree, paths in by_tree.items():
        read = stores[tree].read
        for path in paths:
            read[path] = found.get((tree, path))


def fetch_keys(connection: Connection, asset_ids: Iterable[int]) -> dict[int, bytes]:
    """The stored map keys of ``asset_ids`` (those the map has), in one query."""
    ids = list(dict.fromkeys(asset_ids))
    if not ids:
        return {}
    if _is_postgresql(connection):
        rows = _execute(connection, _PG_SELECT_KEYS, {"ids": ids})
    else:
        rows = _execute(connection, _sqlite_select_keys(len(ids)), tuple(ids))
    return {int(asset_id): bytes(key) for asset_id, key in rows}


class DatabaseStore:
    """One tree's nodes read from the session (prefetched by ``fetch``, else one at a time)
    with the changes kept in memory until ``DatabaseReplay.flush`` writes them."""

    def __init__(self, session: Session, tree: int, connection: Connection | None = None) -> None:
        self.session, self.tree = session, tree
        self.connection = session.connection() if connection is None else connection
        self.read: dict[bytes, smt.Node | None] = {}
        self.changed: dict[bytes, smt.Node | None] = {}

    def fetch(self, paths: Iterable[bytes]) -> None:
        fetch_nodes([self], [p for p in paths if p not in self.changed])

    def get(self, path: bytes) -> smt.Node | None:
        if path in self.changed:
            return self.changed[path]
        if path not in self.read:
            self.fetch([path])
        return self.read[path]

    def set(self, path: bytes, node: smt.Node | None) -> None:
        self.changed[path] = node

    def pending(self) -> tuple[list[bytes], list[tuple[bytes, smt.Node]]]:
        """The paths to delete and the nodes to write."""
        deletes, upserts = [], []
        for path, node in self.changed.items():
            if node is None:
                if self.read.get(path, smt.EMPTY) is not None:  # stored, or not known absent
                    deletes.append(path)
            else:
                upserts.append((path, node))
        return deletes, upserts

    def settle(self) -> None:
        """The pending changes were written."""
        self.read.update(self.changed)
        self.changed = {}


class DatabaseReplay(Replay):
    """``Replay`` over the database: asset keys from ``encumbrance_map_assets``."""

    def __init__(self, session: Session, connection: Connection | None = None) -> None:
        connection = session.connection() if connection is None else connection
        super().__init__(
            (
                DatabaseStore(session, PUBLIC, connection),
                DatabaseStore(session, RESTRICTED, connection),
            )
        )
        self.session, self.connection = session, connection
        self.new_keys: dict[int, bytes] = {}
        #: Assets looked up and not in the map (only ``flush`` adds keys, at the end).
        self.unknown: set[int] = set()

    def asset_key(self, asset_id: int) -> bytes | None:
        if asset_id not in self.keys and asset_id not in self.unknown:
            self.look_up([asset_id])
        return self.keys.get(asset_id)

    def look_up(self, asset_ids: list[int]) -> dict[int, bytes]:
        """Read the stored keys of ``asset_ids`` (in one query); return those found."""
        found = fetch_keys(self.connection, asset_ids)
        self.keys.update(found)
        self.unknown.update(set(asset_ids) - found.keys())
        return found

    def remember(self, asset_id: int, key: bytes) -> None:
        self.keys[asset_id] = key
        self.new_keys[asset_id] = key

    def database_stores(self) -> dict[int, DatabaseStore]:
        stores: dict[int, DatabaseStore] = {}
        for tree, store in enumerate(self.stores):
            assert isinstance(store, DatabaseStore)
            stores[tree] = store
        return stores

    def flush(self, new_size: int | None = None) -> None:
        """Write the changed nodes and the keys learnt, and with ``new_size`` the roots row
        of the log with that many entries (on PostgreSQL in one statement)."""
        stores = self.database_stores()
        gone: list[tuple[int, bytes]] = []
        put: list[tuple[int, bytes, bytes, bytes | None, str | None]] = []
        for tree, store in stores.items():
            deletes, upserts = store.pending()
            gone += [(tree, path) for path in deletes]
            put += [(tree, path, node.hash, node.key, _text(node.value)) for path, node in upserts]
        roots = self.roots() if new_size is not None else (smt.EMPTY, smt.EMPTY)
        if _is_postgresql(self.connection):
            if gone or put or self.new_keys or new_size is not None:
                _execute(
                    self.connection,
                    _PG_WRITE,
                    {
                        "gone_trees": [tree for tree, _ in gone],
                        "gone_paths": [path for _, path in gone],
                        "trees": [row[0] for row in put],
                        "paths": [row[1] for row in put],
                        "hashes": [row[2] for row in put],
                        "leaf_keys": [row[3] for row in put],
                        "values": [row[4] for row in put],
                        "asset_ids": list(self.new_keys),
                        "keys": list(self.new_keys.values()),
                        "size": new_size or 0,
                        "public": roots[0],
                        "restricted": roots[1],
                        "changed": new_size is not None,
                    },
                )
        else:
            if gone:
                _execute(self.connection, _SQLITE_DELETE, gone, many=True)
            if put:
                _execute(self.connection, _SQLITE_UPSERT, put, many=True)
            if self.new_keys:
                keys = list(self.new_keys.items())
                _execute(self.connection, _SQLITE_KEYS, keys, many=True)
            if new_size is not None:
                _execute(self.connection, _SQLITE_ROOTS, (new_size, *roots))
        for store in stores.values():
            store.settle()
        self.new_keys = {}


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8")


def apply_appended(session: Session, events: list, records: list[str], new_size: int) -> None:
    """Apply the events of one append (``ipx.ledger.events.Event`` objects and their sealed
    records; the log now has ``new_size`` entries) to the map, in the caller's transaction,
    under the log's head lock (``ipx.ledger.log.append``)."""
    if not any(event.type in MAP_EVENT_TYPES for event in events):
        return  # most appends: nothing to read or write
    apply(
        session,
        [
            MapEvent(event.type, event.refs, event.data, event.private, record)
            for event, record in zip(events, records, strict=True)
            if event.type in MAP_EVENT_TYPES
        ],
        new_size,
    )


def apply(session: Session, events: list[MapEvent], new_size: int) -> None:
    """Apply ``events`` to the map; the log has ``new_size`` entries with them.

    At most three statements: the keys of the assets the events change (one query), the
    nodes on and beside those keys' ways in the trees they change, with both roots (one
    query), and the writes (one statement on PostgreSQL; on SQLite one per kind of row)."""
    planned = [(event, *changes(event)) for event in events if event.type in MAP_EVENT_TYPES]
    if not any(registered or updates for _, registered, updates in planned):
        return  # e.g. an asset.changed that leaves invalidation proceedings as they were
    connection = session.connection()
    replay = DatabaseReplay(session, connection)
    _prefetch(replay, planned)
    changed = False
    for event, _, _ in planned:
        changed = replay.apply(event) or changed
    replay.flush(new_size if changed else None)


#: How deep a prefetch reads on a key's way (a tree of n random keys is about log2 n deep;
#: deeper nodes, if any, are read one at a time).
PREFETCH_DEPTH = 40


def _prefetch(replay: DatabaseReplay, planned: list[tuple[MapEvent, list, list]]) -> None:
    """Read the stored keys of the assets the events change and the nodes their updates will
    walk, with both roots for the roots row: in one query on PostgreSQL, two on SQLite."""
    registered: dict[int, bytes] = {}  # keys the events register, as of each event
    by_id: list[tuple[int, int]] = []  # (tree, asset id) whose key is stored
    by_key: list[tuple[int, bytes]] = []  # (tree, key) registered by an earlier event
    for _, learnt, changes_of_event in planned:
        registered.update((asset_id, key_of(number)) for asset_id, number in learnt)
        for tree, asset_id, _ in changes_of_event:
            if asset_id in registered:
                by_key.append((tree, registered[asset_id]))
            else:
                by_id.append((tree, asset_id))
    if not by_id and not by_key:
        return
    lookups = list(dict.fromkeys(asset_id for _, asset_id in by_id))
    if _is_postgresql(replay.connection):
        _prefetch_postgresql(replay, lookups, by_id, by_key)
        return
    stored = replay.look_up(lookups)  # what ``asset_key`` would read, read at once
    root = smt.path_of(smt.EMPTY, 0)
    wanted = [(PUBLIC, root), (RESTRICTED, root)]
    keys = by_key + [(tree, stored[a]) for tree, a in by_id if a in stored]
    for tree, key in dict.fromkeys(keys):
        wanted += [(tree, path) for path in smt.paths_for(key, PREFETCH_DEPTH)]
    fetch_pairs(replay.connection, replay.database_stores(), wanted)


# The keys of ``ids`` and, in the same round trip, the nodes on and beside the way of each
# (tree, key) wanted (``smt.paths_for`` to PREFETCH_DEPTH, computed here from the keys the first
# part finds), with both roots. Each node row names the path it was asked for, found or not
# (hash NULL): the store records exactly what the database holds at the paths it returns, so
# the paths computed here only decide what is read at once, never what is read.
_PG_PREFETCH = f"""
WITH stored AS (
    SELECT asset_id, key FROM encumbrance_map_assets WHERE asset_id = ANY(%(ids)s::bigint[])
), wanted AS (
    SELECT w.tree, s.key
    FROM unnest(%(id_trees)s::smallint[], %(tree_ids)s::bigint[]) AS w(tree, asset_id)
    JOIN stored s ON s.asset_id = w.asset_id
    UNION
    SELECT * FROM unnest(%(key_trees)s::smallint[], %(keys)s::bytea[])
), ways AS (  -- (tree, key, depth): the key's way, and its siblings as the flipped key's way
    SELECT w.tree, w.key, d FROM wanted w, generate_series(0, {PREFETCH_DEPTH}) AS d
    UNION
    SELECT w.tree, set_byte(w.key, d / 8, get_byte(w.key, d / 8) # (128 >> mod(d, 8))), d + 1
    FROM wanted w, generate_series(0, {PREFETCH_DEPTH - 1}) AS d
), paths AS (  -- smt.path_of: two bytes of depth, the key's first ``depth`` bits packed
    SELECT tree, int2send(d::smallint) || substring(key FROM 1 FOR d / 8)
        || CASE WHEN mod(d, 8) = 0 THEN ''::bytea ELSE set_byte(decode('00', 'hex'), 0,
            get_byte(key, d / 8) & ((65280 >> mod(d, 8)) & 255)) END AS path
    FROM ways
    UNION
    SELECT tree, decode('0000', 'hex') FROM (VALUES (0), (1)) AS r(tree)
)
SELECT asset_id, NULL::smallint, NULL::bytea, key, NULL::bytea, NULL::text FROM stored
UNION ALL
SELECT NULL, p.tree, p.path, n.hash, n.leaf_key, n.value
FROM paths p LEFT JOIN LATERAL (
    SELECT * FROM encumbrance_map_nodes x WHERE x.tree = p.tree AND x.path = p.path LIMIT 1
) AS n ON true
"""


def _prefetch_postgresql(
    replay: DatabaseReplay,
    lookups: list[int],
    by_id: list[tuple[int, int]],
    by_key: list[tuple[int, bytes]],
) -> None:
    params = {
        "ids": lookups,
        "id_trees": [tree for tree, _ in by_id],
        "tree_ids": [asset_id for _, asset_id in by_id],
        "key_trees": [tree for tree, _ in by_key],
        "keys": [key for _, key in by_key],
    }
    found: dict[int, bytes] = {}
    stores = replay.database_stores()
    for asset_id, tree, path, hashed, leaf_key, value in _execute(
        replay.connection, _PG_PREFETCH, params
    ):
        if path is None:
            found[int(asset_id)] = bytes(hashed)
        elif (path := bytes(path)) not in stores[tree].read:
            stores[tree].read[path] = (
                None
                if hashed is None
                else smt.Node(
                    bytes(hashed),
                    None if leaf_key is None else bytes(leaf_key),
                    None if value is None else value.encode("utf-8"),
                )
            )
    replay.keys.update(found)
    replay.unknown.update(set(lookups) - found.keys())


def roots_at(session: Session, tree_size: int) -> tuple[bytes, bytes]:
    """The public and restricted roots of the map as of ``tree_size`` log entries."""
    row = session.execute(
        select(MapRoots.public_root, MapRoots.restricted_root)
        .where(MapRoots.tree_size <= tree_size)
        .order_by(MapRoots.tree_size.desc())
        .limit(1)
    ).first()
    if row is None:
        return smt.EMPTY, smt.EMPTY
    return bytes(row.public_root), bytes(row.restricted_root)


def root_at(session: Session, tree_size: int) -> bytes:
    """The map root a checkpoint of ``tree_size`` entries commits to."""
    return map_root(*roots_at(session, tree_size))


def last_change(session: Session) -> int:
    """The log size at the map's latest change (0: never changed)."""
    size = session.execute(select(MapRoots.tree_size).order_by(MapRoots.tree_size.desc()).limit(1))
    return size.scalar() or 0


def prove(session: Session, number: str) -> tuple[dict, smt.Proof]:
    """The public state of ``number`` now and its proof in the public tree."""
    key = key_of(number)
    store = DatabaseStore(session, PUBLIC)
    store.fetch(smt.paths_for(key, 40))
    value = smt.get(store, key)
    return decode(PUBLIC, value), smt.prove(store, key)


def replay_log(session: Session, tree_size: int | None = None) -> Replay:
    """The map rebuilt in memory from the log's stored entries (their sealed records)."""
    replay = Replay()
    stmt = select(LedgerEntry.leaf, LedgerEntry.details).order_by(LedgerEntry.seq)
    if tree_size is not None:
        stmt = stmt.where(LedgerEntry.seq < tree_size)
    for leaf, details in session.execute(stmt.execution_options(yield_per=2000)):
        event = stored_event(leaf, details)
        if event is not None:
            replay.apply(event)
    return replay


def stored_event(leaf: str, details: str | None) -> MapEvent | None:
    """The map's view of a stored entry (None when its type does not concern the map)."""
    entry = open_entry(leaf, details)
    if entry.type not in MAP_EVENT_TYPES:
        return None
    return MapEvent(entry.type, entry.refs, entry.data, entry.private, details or leaf)


def rebuild(session: Session) -> tuple[bytes, bytes]:
    """Store the map replayed from the whole log (a database whose log predates the map,
    migration 0013), replacing what is stored; return the two roots."""
    size = session.execute(select(LedgerHead.size).where(LedgerHead.id == HEAD_ID)).scalar() or 0
    replay = replay_log(session, size)
    for table in (MapNode, MapAsset, MapRoots):
        session.execute(table.__table__.delete())
    rows = [
        {"tree": tree, "path": path, "hash": node.hash, "leaf_key": node.key}
        | {"value": None if node.value is None else node.value.decode("utf-8")}
        for tree, store in enumerate(replay.stores)
        for path, node in _nodes_of(store)
    ]
    if rows:
        session.execute(MapNode.__table__.insert(), rows)
    if replay.keys:
        session.execute(
            MapAsset.__table__.insert(),
            [{"asset_id": a, "key": k} for a, k in replay.keys.items()],
        )
    public, restricted = replay.roots()
    if size:
        session.execute(
            MapRoots.__table__.insert(),
            {"tree_size": size, "public_root": public, "restricted_root": restricted},
        )
    return public, restricted


def _nodes_of(store: smt.Store) -> Iterable[tuple[bytes, smt.Node]]:
    assert isinstance(store, smt.MemoryStore)
    return store.nodes.items()

"""The map of encumbrances in the database, kept in step with the log.

``plan_appended`` runs inside ``ipx.ledger.log.append``, under the log's head lock and in the
transaction that appends the events, so the map changes exactly when the log does, one
writer at a time, and commits or rolls back with it. What the events do is
``ipx.ledger.encumbrances``; the trees are ``ipx.ledger.smt``.

Tables: ``encumbrance_map_pages`` (the two trees' nodes in pages of four levels by ``(tree,
page path)``, ``ipx.ledger.smt_pages``: about one page per three assets with a state, so an
update reads and writes about depth / 4 rows), ``encumbrance_map_assets``
(asset id -> key, learnt from ``asset.registered`` events) and ``encumbrance_map_roots`` (the
two roots after each append that changed them, by log size: the map as of tree size N is the
row of the largest size <= N, which is what a checkpoint of N commits to).

An append that changes a state costs the map one round trip on PostgreSQL: one query reads
the changed assets' keys and, walking down each key's way to where it ends, the pages on it
(a node's sibling is in its page), with both root pages; its writes (the O(depth / 4) pages
changed, the keys learnt, the roots row) are common table expressions of the log's own write
statement (``PG_WRITE_CTES``). An ``asset.registered`` only learns a key and reads nothing. On
SQLite (in process) the same takes a few cheap statements (keys, pages to ``PREFETCH_DEPTH``,
pages written, keys, roots row). An append of events that cannot change the map reads and
writes nothing of it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Connection, LargeBinary, SmallInteger, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ipx.db import Base
from ipx.ledger import smt, smt_pages
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


class MapPage(Base):
    """A page of one of the two trees (``tree`` 0 public, 1 restricted): its path and its
    nodes' bytes (``ipx.ledger.smt_pages``)."""

    __tablename__ = "encumbrance_map_pages"

    tree: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    path: Mapped[bytes] = mapped_column(LargeBinary(34), primary_key=True)
    nodes: Mapped[bytes] = mapped_column(LargeBinary)


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
# reads or writes by a primary key: ``(tree, path)`` of a page, ``asset_id`` of a key.
_PG_SELECT_PAGES = """
SELECT w.tree, w.path, n.nodes
FROM unnest(%(trees)s::smallint[], %(paths)b::bytea[]) AS w(tree, path)
CROSS JOIN LATERAL (
    SELECT nodes FROM encumbrance_map_pages x WHERE x.tree = w.tree AND x.path = w.path LIMIT 1
) AS n
"""
# (The LIMIT keeps the lateral subquery a primary-key lookup per wanted path: as a plain join,
# or with ``path = ANY``, the planner may scan the table when its statistics are missing or
# stale, as after a bulk load.)
_PG_SELECT_KEYS = (
    "SELECT asset_id, key FROM encumbrance_map_assets WHERE asset_id = ANY(%(ids)s::bigint[])"
)
# PostgreSQL: an append's map writes as common table expressions of the log's own write
# statement (``ipx.ledger.log.PG_WRITE_WITH_MAP``), so they cost no round trip of their own:
# pages removed, pages written, keys learnt, the roots row (when ``map_changed``).
PG_WRITE_CTES = """
map_gone AS (
    DELETE FROM encumbrance_map_pages WHERE ctid = ANY(ARRAY(
        SELECT n.ctid
        FROM unnest(%(map_gone_trees)s::smallint[], %(map_gone_paths)b::bytea[]) AS w(tree, path)
        CROSS JOIN LATERAL (
            SELECT ctid FROM encumbrance_map_pages x
            WHERE x.tree = w.tree AND x.path = w.path LIMIT 1
        ) AS n
    ))
), map_put AS (
    INSERT INTO encumbrance_map_pages (tree, path, nodes)
    SELECT * FROM unnest(%(map_trees)s::smallint[], %(map_paths)b::bytea[],
                         %(map_pages)b::bytea[])
    ON CONFLICT (tree, path) DO UPDATE SET nodes = excluded.nodes
), map_keys AS (
    INSERT INTO encumbrance_map_assets (asset_id, key)
    SELECT * FROM unnest(%(map_asset_ids)s::bigint[], %(map_keys)b::bytea[])
), map_roots AS (
    INSERT INTO encumbrance_map_roots (tree_size, public_root, restricted_root)
    SELECT %(map_size)s, %(map_public)b, %(map_restricted)b WHERE %(map_changed)s
)"""
# The same writes on their own (``write``: ``apply`` outside an append). Data-modifying common
# table expressions run once, to completion, whether or not the main query reads them.
_PG_WRITE = f"WITH {PG_WRITE_CTES.strip()}\nSELECT 1"
_SQLITE_UPSERT = (
    "INSERT INTO encumbrance_map_pages (tree, path, nodes) VALUES (?, ?, ?) "
    "ON CONFLICT (tree, path) DO UPDATE SET nodes = excluded.nodes"
)
_SQLITE_DELETE = "DELETE FROM encumbrance_map_pages WHERE tree = ? AND path = ?"
_SQLITE_KEYS = "INSERT INTO encumbrance_map_assets (asset_id, key) VALUES (?, ?)"
_SQLITE_ROOTS = (
    "INSERT INTO encumbrance_map_roots (tree_size, public_root, restricted_root) VALUES (?, ?, ?)"
)


@functools.lru_cache(maxsize=256)
def _sqlite_select_pages(counts: tuple[int, ...]) -> str:
    """The query of ``counts[tree]`` page paths in each tree, built once per shape."""
    return " UNION ALL ".join(
        "SELECT tree, path, nodes FROM encumbrance_map_pages "
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

    On the DBAPI cursor directly (SQLAlchemy's execution machinery costs more than these
    statements do, in process on SQLite and next to a round trip on PostgreSQL), with its
    errors raised as SQLAlchemy's (``DBAPIError`` subclasses, which the web error handlers map
    to problem responses). On PostgreSQL the rows come back in binary, and the statements take
    their arrays of bytes in binary (``%(...)b``): pages and hashes, which as text would be sent
    and returned hex-escaped."""
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if many:
            cursor.executemany(statement, parameters)
        elif _is_postgresql(connection):
            cursor.execute(statement, parameters, binary=True)  # type: ignore[call-arg]
        else:
            cursor.execute(statement, parameters)
        return [] if cursor.description is None else list(cursor.fetchall())
    except dbapi.Error as exc:
        raise DBAPIError.instance(
            statement, parameters, exc, dbapi.Error, dialect=connection.dialect
        ) from exc
    finally:
        cursor.close()


def fetch_pages(
    connection: Connection, stores: dict[int, DatabaseStore], wanted: Iterable[tuple[int, bytes]]
) -> None:
    """Read the ``(tree, page path)`` pages the stores have not read yet, in one query."""
    by_tree: dict[int, list[bytes]] = {}
    for tree, page in dict.fromkeys(wanted):
        if page not in stores[tree].stored:
            by_tree.setdefault(tree, []).append(page)
    if not by_tree:
        return
    if _is_postgresql(connection):
        trees = [tree for tree, pages in by_tree.items() for _ in pages]
        flat = [page for pages in by_tree.values() for page in pages]
        rows = _execute(connection, _PG_SELECT_PAGES, {"trees": trees, "paths": flat})
    else:
        counts = tuple(len(by_tree.get(tree, ())) for tree in range(max(by_tree) + 1))
        ordered = tuple(page for tree in sorted(by_tree) for page in by_tree[tree])
        rows = _execute(connection, _sqlite_select_pages(counts), ordered)
    found = {(int(tree), bytes(page)): bytes(data) for tree, page, data in rows}
    for tree, pages in by_tree.items():
        stored = stores[tree].stored
        for page in pages:
            stored[page] = found.get((tree, page))


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
    """One tree's nodes, in pages read from the session (prefetched by the caller, else one at
    a time), with the changes kept in memory until ``DatabaseReplay.pending_write`` hands the
    changed pages on."""

    def __init__(self, session: Session, tree: int, connection: Connection | None = None) -> None:
        self.session, self.tree = session, tree
        self.connection = session.connection() if connection is None else connection
        #: Each page read, as stored: its bytes, or None where the database holds no page.
        self.stored: dict[bytes, bytes | None] = {}
        #: The pages in use, with this append's changes.
        self.pages: dict[bytes, smt_pages.Page] = {}
        self.written = smt_pages.Written()
        self.ways: dict[bytes, smt_pages.PageWay] = {}

    def fetch(self, pages: Iterable[bytes]) -> None:
        fetch_pages(self.connection, {self.tree: self}, [(self.tree, page) for page in pages])

    def way(self, key: bytes) -> smt.Way:
        found = self.ways.get(key)
        if found is None:
            found = self.ways[key] = smt_pages.PageWay(key, self._open, self.written)
        return found

    def _open(self, path: bytes, below_a_missing_page: bool) -> smt_pages.Page:
        """The page at ``path``, read if need be (not when a page above it on its way is not
        stored: then neither is it)."""
        found = self.pages.get(path)
        if found is None:
            if path not in self.stored:
                if below_a_missing_page:
                    self.stored[path] = None
                else:
                    self.fetch([path])
            found = self.pages[path] = smt_pages.Page(self.stored[path])
        return found

    def take_pending(self) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
        """The page paths to delete and the pages to write (path, bytes); from here on the
        store counts them as written."""
        deletes, upserts = [], []
        for page in self.written.pages:
            data = self.pages[page].encode()
            if data == self.stored[page]:
                continue
            if data is None:
                deletes.append(page)
            else:
                upserts.append((page, data))
            self.stored[page] = data
        self.written.pages.clear()
        return deletes, upserts


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
        #: Assets looked up and not in the map (only ``pending_write`` adds keys, at the end).
        self.unknown: set[int] = set()

    def asset_key(self, asset_id: int) -> bytes | None:
        if asset_id not in self.keys and asset_id not in self.unknown:
            self.look_up([asset_id])
        return self.keys.get(asset_id)

    def look_up(self, asset_ids: list[int]) -> dict[int, bytes]:
        """Read the stored keys of ``asset_ids`` (in one query); return those found."""
        return self.found_keys(asset_ids, fetch_keys(self.connection, asset_ids))

    def found_keys(self, asset_ids: list[int], found: dict[int, bytes]) -> dict[int, bytes]:
        """Record what a read of ``asset_ids``' keys found (the others are not in the map)."""
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

    def pending_write(self, new_size: int | None = None) -> MapWrite:
        """The changed pages and the keys learnt, and with ``new_size`` the roots row of the
        log with that many entries, as one write; the stores count them as written."""
        gone: list[tuple[int, bytes]] = []
        put: list[tuple[int, bytes, bytes]] = []
        for tree, store in self.database_stores().items():
            deletes, upserts = store.take_pending()
            gone += [(tree, page) for page in deletes]
            put += [(tree, page, data) for page, data in upserts]
        roots = self.roots() if new_size is not None else None
        pending = MapWrite(gone, put, self.new_keys, new_size, roots)
        self.new_keys = {}
        return pending


@dataclass(frozen=True)
class MapWrite:
    """What an append writes to the map: pages removed ``(tree, path)``, pages written
    ``(tree, path, bytes)``, asset keys learnt, and the roots row of the log's new size
    (``size`` None: the roots did not change, no row)."""

    gone: list[tuple[int, bytes]]
    put: list[tuple[int, bytes, bytes]]
    keys: dict[int, bytes]
    size: int | None
    roots: tuple[bytes, bytes] | None

    def pg_params(self) -> dict[str, Any]:
        """``PG_WRITE_CTES``' parameters, as column arrays."""
        public, restricted = self.roots or (smt.EMPTY, smt.EMPTY)
        return {
            "map_gone_trees": [tree for tree, _ in self.gone],
            "map_gone_paths": [path for _, path in self.gone],
            "map_trees": [row[0] for row in self.put],
            "map_paths": [row[1] for row in self.put],
            "map_pages": [row[2] for row in self.put],
            "map_asset_ids": list(self.keys),
            "map_keys": list(self.keys.values()),
            "map_size": self.size or 0,
            "map_public": public,
            "map_restricted": restricted,
            "map_changed": self.size is not None,
        }


def write(connection: Connection, pending: MapWrite) -> None:
    """Run ``pending`` on its own: one statement on PostgreSQL, one per kind of row on SQLite
    (an append on PostgreSQL folds it into the log's write instead)."""
    if _is_postgresql(connection):
        _execute(connection, _PG_WRITE, pending.pg_params())
        return
    if pending.gone:
        _execute(connection, _SQLITE_DELETE, pending.gone, many=True)
    if pending.put:
        _execute(connection, _SQLITE_UPSERT, pending.put, many=True)
    if pending.keys:
        _execute(connection, _SQLITE_KEYS, list(pending.keys.items()), many=True)
    if pending.size is not None and pending.roots is not None:
        _execute(connection, _SQLITE_ROOTS, (pending.size, *pending.roots))


def plan_appended(
    session: Session, events: list, records: list[str], new_size: int
) -> MapWrite | None:
    """What the events of one append (``ipx.ledger.events.Event`` objects and their sealed
    records; the log will have ``new_size`` entries) write to the map, read and worked out in
    the caller's transaction under the log's head lock (``ipx.ledger.log.append``, which runs
    the write with its own). None: the events leave the map as it is."""
    if not any(event.type in MAP_EVENT_TYPES for event in events):
        return None  # most appends: nothing to read or write
    return plan(
        session,
        [
            MapEvent(event.type, event.refs, event.data, event.private, record)
            for event, record in zip(events, records, strict=True)
            if event.type in MAP_EVENT_TYPES
        ],
        new_size,
    )


def plan(session: Session, events: list[MapEvent], new_size: int) -> MapWrite | None:
    """The map's write for ``events``; the log has ``new_size`` entries with them.

    One query on PostgreSQL (the keys of the assets the events change, the pages on those
    keys' ways in the trees they change, both root pages), two on SQLite. An
    ``asset.registered`` only learns its key and reads nothing."""
    planned = [(event, *changes(event)) for event in events if event.type in MAP_EVENT_TYPES]
    if not any(registered or updates for _, registered, updates in planned):
        return None  # e.g. an asset.changed that leaves invalidation proceedings as they were
    replay = DatabaseReplay(session, session.connection())
    _prefetch(replay, planned)
    changed = False
    for event, _, _ in planned:
        changed = replay.apply(event) or changed
    pending = replay.pending_write(new_size if changed else None)
    return pending if changed or pending.keys else None


def apply(session: Session, events: list[MapEvent], new_size: int) -> None:
    """Apply ``events`` to the map and write it, in the caller's transaction (``plan``, then
    ``write``): the map on its own, as ``bench/encumbrance_map.py`` times it."""
    pending = plan(session, events, new_size)
    if pending is not None:
        write(session.connection(), pending)


#: How deep SQLite's prefetch reads on a key's way (a tree of n random keys is about log2 n
#: deep; deeper pages, if any, are read one at a time). PostgreSQL walks to the way's end.
PREFETCH_DEPTH = 40


def _prefetch(replay: DatabaseReplay, planned: list[tuple[MapEvent, list, list]]) -> None:
    """Read the stored keys of the assets the events change and the pages their updates will
    walk, with both root pages for the roots row: in one query on PostgreSQL, two on SQLite."""
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
    stores = replay.database_stores()
    if _is_postgresql(replay.connection):
        found = _walk_postgresql(replay.connection, stores, lookups, by_id, by_key)
        replay.found_keys(lookups, found)
        return
    stored = replay.look_up(lookups)  # what ``asset_key`` would read, read at once
    keys = by_key + [(tree, stored[a]) for tree, a in by_id if a in stored]
    _fetch_ways(replay.connection, stores, keys)


def _fetch_ways(
    connection: Connection, stores: dict[int, DatabaseStore], keys: list[tuple[int, bytes]]
) -> None:
    """Read the pages on each ``(tree, key)``'s way to ``PREFETCH_DEPTH``, and both root pages,
    in one query."""
    wanted = [(tree, smt_pages.ROOT_PAGE) for tree in stores]
    for tree, key in dict.fromkeys(keys):
        wanted += [(tree, page) for page in smt_pages.page_paths(key, PREFETCH_DEPTH)]
    fetch_pages(connection, stores, wanted)


def _pg_path(key: str, depth: str) -> str:
    """SQL for ``smt.path_of(key, depth)``: two bytes of depth, the key's first bits packed."""
    return (
        f"int2send(({depth})::smallint) || substring({key} FROM 1 FOR ({depth}) / 8)"
        f" || CASE WHEN mod({depth}, 8) = 0 THEN ''::bytea ELSE set_byte(decode('00', 'hex'), 0,"
        f" get_byte({key}, ({depth}) / 8) & ((65280 >> mod({depth}, 8)) & 255)) END"
    )


_PG_PAGE = (
    "SELECT nodes FROM encumbrance_map_pages x WHERE x.tree = {tree} AND x.path = {path} LIMIT 1"
)
_ROOT_PATH = "decode('0000', 'hex')"

# The keys of ``ids`` and, in the same round trip, what an update of each (tree, key) wanted
# reads: the pages on its way down from the root page (a recursive walk that stops at the
# first page missing, which ends the way: about depth / 4 steps), with both root pages for the
# roots row. Every page row names the path read, found or not (nodes NULL), so the stores
# record exactly what the database holds there.
_PG_WALK = f"""
WITH RECURSIVE stored AS (
    SELECT asset_id, key FROM encumbrance_map_assets WHERE asset_id = ANY(%(ids)s::bigint[])
), wanted AS (
    SELECT w.tree, s.key
    FROM unnest(%(id_trees)s::smallint[], %(tree_ids)s::bigint[]) AS w(tree, asset_id)
    JOIN stored s ON s.asset_id = w.asset_id
    UNION
    SELECT * FROM unnest(%(key_trees)s::smallint[], %(keys)b::bytea[])
), walk AS (  -- (tree, key, depth, the page path there, its bytes) while the page is stored
    SELECT w.tree, w.key, 0 AS d, {_ROOT_PATH} AS path, n.nodes
    FROM wanted w
    LEFT JOIN LATERAL ({_PG_PAGE.format(tree="w.tree", path=_ROOT_PATH)}) AS n ON true
    UNION ALL
    SELECT w.tree, w.key, w.d + {smt_pages.STRIDE}, p.path, n.nodes
    FROM walk w
    CROSS JOIN LATERAL (SELECT {_pg_path("w.key", f"w.d + {smt_pages.STRIDE}")} AS path) AS p
    LEFT JOIN LATERAL ({_PG_PAGE.format(tree="w.tree", path="p.path")}) AS n ON true
    WHERE w.nodes IS NOT NULL AND w.d + {smt_pages.STRIDE} < {smt.DEPTH}
)
SELECT asset_id, NULL::smallint, key, NULL::bytea FROM stored
UNION ALL
SELECT NULL, tree, path, nodes FROM walk
UNION ALL
SELECT NULL, r.tree, {_ROOT_PATH}, n.nodes
FROM (VALUES (0), (1)) AS r(tree)
LEFT JOIN LATERAL ({_PG_PAGE.format(tree="r.tree", path=_ROOT_PATH)}) AS n ON true
WHERE r.tree NOT IN (SELECT tree FROM wanted)
"""


def _walk_postgresql(
    connection: Connection,
    stores: dict[int, DatabaseStore],
    lookups: list[int],
    by_id: list[tuple[int, int]],
    by_key: list[tuple[int, bytes]],
) -> dict[int, bytes]:
    """Run ``_PG_WALK`` into the stores; return the stored keys of ``lookups`` it found."""
    params = {
        "ids": lookups,
        "id_trees": [tree for tree, _ in by_id],
        "tree_ids": [asset_id for _, asset_id in by_id],
        "key_trees": [tree for tree, _ in by_key],
        "keys": [key for _, key in by_key],
    }
    found: dict[int, bytes] = {}
    for asset_id, tree, path, data in _execute(connection, _PG_WALK, params):
        if tree is None:
            found[int(asset_id)] = bytes(path)
        elif tree in stores:  # (a root page of a tree the caller does not read: skipped)
            stores[tree].stored.setdefault(bytes(path), None if data is None else bytes(data))
    return found


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
    if _is_postgresql(store.connection):
        _walk_postgresql(store.connection, {PUBLIC: store}, [], [], [(PUBLIC, key)])
    else:
        _fetch_ways(store.connection, {PUBLIC: store}, [(PUBLIC, key)])
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
    for table in (MapPage, MapAsset, MapRoots):
        session.execute(table.__table__.delete())
    rows = [
        {"tree": tree, "path": page, "nodes": data}
        for tree, store in enumerate(replay.stores)
        for page, data in smt_pages.paginate(_nodes_of(store)).items()
    ]
    if rows:
        session.execute(MapPage.__table__.insert(), rows)
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

"""``ipx verify``: re-check the whole stored log, its signed checkpoints and the registry.

No Flask here: the audit takes a Session (ideally one snapshot: REPEATABLE READ on PostgreSQL)
and the public key. It trusts nothing it reads: every leaf is re-hashed and checked canonical
and against its sealed record (``ipx.ledger.audit_entries``), the tree is rebuilt from those
hashes and compared with every stored node, every checkpoint's signature and root are checked
against the rebuilt tree, successive checkpoints are proven consistent from the stored nodes,
and the registry's current records are compared with the latest ``state:`` digest the log
holds for each. The registry's states come in as an iterator, so the ledger does not import
the registry (``ipx.ops.audit`` wires the two together).

The audit reads each thing once, in as few statements as a small log allows: the head, the
entries, the stored nodes of every level, the checkpoints and the stored map of encumbrances
are one read each (the entries and the nodes in chunks of ``audit_entries.STREAM_ROWS`` rows
when long; the checkpoints and the map, both trees at once, fetched whole), and the map's
replay is fed the entries the check of entries reads; each consistency proof adds one.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Row, Select, bindparam, select, union_all
from sqlalchemy.orm import Session

from ipx.ledger import audit_entries, keyset, map_audit, merkle, note, store
from ipx.ledger.audit_entries import check_entries, read_in_chunks
from ipx.ledger.tables import LedgerCheckpoint, LedgerHead, LedgerNode

H = merkle.HASH_SIZE


@dataclass(frozen=True)
class Problem:
    """One mismatch; ``entry`` is the first log entry it concerns (None: not an entry)."""

    entry: int | None
    message: str


@dataclass
class AuditReport:
    """What was checked (one line per check) and every problem found."""

    checked: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def first_problem(self) -> Problem | None:
        """The problem concerning the earliest entry (those naming no entry come last)."""
        return min(self.problems, key=_problem_order, default=None)

    def add(self, entry: int | None, message: str) -> None:
        self.problems.append(Problem(entry, message))


def _problem_order(problem: Problem) -> tuple[int, int]:
    return (0, problem.entry) if problem.entry is not None else (1, 0)


@dataclass
class _Levels:
    """The rebuilt tree: level 0 is the recomputed leaf hashes, packed 32 bytes each."""

    levels: list[bytearray]

    def get_node(self, level: int, position: int) -> bytes:
        return bytes(self.levels[level][position * H : (position + 1) * H])


def audit_log(
    session: Session,
    public_key: bytes | Collection[bytes],
    *,
    key_name: str | None = None,
    origin: str | None = None,
    registry_states: Iterable[tuple[str, str]] | None = None,
    state_kinds: Collection[str] | None = None,
    blinding_key: bytes | None = None,
) -> AuditReport:
    """Audit everything; ``registry_states`` yields ``(state:<kind>:<id>, digest)`` per record.

    ``blinding_key`` (``disclosure.derive_blinding_key`` of the instance secret) lets the
    keyed digests of format-2 leaves be recomputed; without it they are left unchecked (and
    the report says so).
    """
    report = AuditReport()
    connection = session.connection()
    size, frontier = _read_head(connection)
    map_check = map_audit.MapCheck()  # the map of encumbrances, replayed from the log
    leaves, latest_states, bad_leaves = check_entries(
        session, report, blinding_key, head_size=size, each_entry=map_check.feed
    )
    tree = _check_tree(connection, leaves, bad_leaves, report)
    _check_frontier(frontier, tree, report)
    checkpoints = connection.execute(_CHECKPOINTS).all()
    _check_checkpoints(session, checkpoints, tree, public_key, key_name, origin, report)
    map_check.finish(session, report, [(row.tree_size, row.note) for row in checkpoints])
    if registry_states is not None:
        _check_registry(registry_states, latest_states, state_kinds, report)
    return report


_HEAD = select(LedgerHead.size, LedgerHead.frontier).where(LedgerHead.id == store.HEAD_ID)
_CHECKPOINTS = select(
    LedgerCheckpoint.tree_size, LedgerCheckpoint.root_hash, LedgerCheckpoint.note
).order_by(LedgerCheckpoint.tree_size)


def _read_head(connection: Connection) -> tuple[int, bytes | None]:
    """The head's size (0 when none is stored) and its frontier (None: not stored yet)."""
    row = connection.execute(_HEAD).first()
    if row is None:
        return 0, None
    return row.size or 0, row.frontier


def _node_rows(connection: Connection) -> Iterable[Row]:
    """Every stored node above the leaves (level >= 1), by level and position."""
    rows = audit_entries.STREAM_ROWS
    first, after = _node_statements(rows)

    def resume(row: Row) -> dict[str, int]:
        return {"level": row.level, "position": row.position}

    return read_in_chunks(connection, first, after, resume, rows)


@functools.lru_cache(maxsize=8)
def _node_statements(rows: int) -> tuple[Select, Select]:
    """The first chunk of nodes, and the next after ``(level, position)``: the rest of that
    level, then the levels above (two ranges of the primary key: SQLite would scan for a
    row-value comparison, from the start of the level on)."""
    level, position = LedgerNode.level, LedgerNode.position
    nodes = select(level, position, LedgerNode.hash)
    same_level = (
        nodes.where(level == bindparam("level"), position > bindparam("position"))
        .order_by(position)
        .limit(rows)
        .subquery()
    )
    above = nodes.where(level > bindparam("level")).order_by(level, position).limit(rows)
    both = union_all(select(same_level), select(above.subquery())).subquery()
    after = select(both.c.level, both.c.position, both.c.hash)
    first = nodes.where(level >= 1).order_by(level, position).limit(rows)
    return first, after.order_by(both.c.level, both.c.position).limit(rows)


def _check_tree(
    connection: Connection, leaves: bytearray, bad: set[int], report: AuditReport
) -> _Levels:
    """Rebuild the tree and compare each stored node; a node over an already reported bad
    node or leaf differs as a consequence and is not reported again.

    The stored nodes of every level come in one read, by level: each level is compared when
    the next begins (a level's bad nodes decide what is reported over them), and stored nodes
    above the top of the tree are counted."""
    levels = [leaves]
    while len(levels[-1]) // H > 1:
        below = levels[-1]
        built = bytearray()
        for i in range(0, len(below) // (2 * H) * 2 * H, 2 * H):
            built += merkle.node_hash(below[i : i + H], below[i + H : i + 2 * H])
        levels.append(built)
    top = len(levels)  # stored levels 1 .. top - 1 are compared; any above are extra
    stored_total, extra = 0, 0
    level, check = 0, None
    for row in _node_rows(connection):
        if row.level >= top:
            extra += 1
            continue
        while level < row.level:  # the levels up to this row's: finish each, start the next
            if check is not None:
                seen, bad = check.finish()
                stored_total += seen
            level += 1
            check = _LevelCheck(level, levels[level], bad, report)
        assert check is not None
        check.add(row.position, row.hash)
    while level < top - 1 or check is not None:  # the levels no stored node reached
        if check is not None:
            seen, bad = check.finish()
            stored_total += seen
            check = None
        if level < top - 1:
            level += 1
            check = _LevelCheck(level, levels[level], bad, report)
    if extra:
        report.add(None, f"{extra} stored nodes lie above the top of the tree")
    report.checked.append(
        f"tree: rebuilt from {len(leaves) // H} recomputed leaf hashes; "
        f"{stored_total} stored nodes compared"
    )
    return _Levels(levels)


def _check_frontier(stored: bytes | None, tree: _Levels, report: AuditReport) -> None:
    """The head's frontier (what the next append builds on) must be the rebuilt tree's."""
    size = len(tree.levels[0]) // H
    if stored is None:
        report.checked.append("head: no frontier stored yet (the next append stores it)")
        return
    expected = b"".join(tree.get_node(lv, pos) for lv, pos in store.frontier_keys(size))
    if bytes(stored) != expected:
        report.add(None, f"the log head's frontier is not that of the {size} stored entries")
    report.checked.append("head: frontier matches the rebuilt tree")


class _LevelCheck:
    """The stored nodes of one level, fed in position order, against the rebuilt level."""

    def __init__(
        self, level: int, built: bytearray, bad_below: set[int], report: AuditReport
    ) -> None:
        self.level, self.built, self.bad_below, self.report = level, built, bad_below, report
        self.width, self.seen, self.bad = len(built) // H, 0, set[int]()

    def add(self, position: int, value: bytes) -> None:
        level, report, seen = self.level, self.report, self.seen
        first_entry = position << level
        if position > seen:
            report.add(seen << level, f"node (level {level}, position {seen}) is missing")
        if position >= self.width:
            report.add(first_entry, f"node (level {level}, position {position}) is not in the tree")
        elif bytes(value) != self.built[position * H : (position + 1) * H]:
            self.bad.add(position)
            if not {2 * position, 2 * position + 1} & self.bad_below:
                report.add(
                    first_entry,
                    f"node (level {level}, position {position}) over entries "
                    f"{first_entry}..{((position + 1) << level) - 1} differs",
                )
        self.seen = position + 1

    def finish(self) -> tuple[int, set[int]]:
        """The positions read up to (the last one's + 1) and the bad ones; a node missing at
        the end of the level is reported."""
        if self.seen < self.width:
            self.report.add(
                self.seen << self.level,
                f"node (level {self.level}, position {self.seen}) is missing",
            )
        return self.seen, self.bad


def _check_checkpoints(
    session: Session,
    checkpoints: Iterable[Row],
    tree: _Levels,
    public_key: bytes | Collection[bytes],
    key_name: str | None,
    origin: str | None,
    report: AuditReport,
) -> None:
    """Each stored checkpoint (``_CHECKPOINTS``' rows, by tree size) against the tree."""
    size = len(tree.levels[0]) // H
    previous, count = None, 0
    for row in checkpoints:
        count += 1
        try:  # by any of the trusted keys: the current one and those rotated out
            signed, _ = keyset.open_checkpoint(row.note, key_name, public_key)
        except note.InvalidNote as exc:
            report.add(None, f"checkpoint {row.tree_size}: {exc}")
            continue
        where = previous.tree_size if previous else 0
        if (signed.tree_size, signed.root_hash) != (row.tree_size, bytes(row.root_hash)):
            report.add(None, f"checkpoint {row.tree_size}: columns disagree with its signed note")
        if origin is not None and signed.origin != origin:
            report.add(None, f"checkpoint {row.tree_size}: signed for origin {signed.origin!r}")
        if signed.tree_size > size:
            report.add(size, f"checkpoint {signed.tree_size} signs entries the log lacks")
        elif merkle.root_at(signed.tree_size, tree.get_node) != signed.root_hash:
            report.add(
                _first_known_bad(report, where, signed.tree_size),
                f"entries {where}..{signed.tree_size - 1} are not what checkpoint "
                f"{signed.tree_size} signed (root {_b64(signed.root_hash)})",
            )
        if previous is not None:
            _check_consistency(session, previous, signed, report)
        previous = signed
    report.checked.append(
        f"checkpoints: {count} signatures and roots checked, "
        f"{max(count - 1, 0)} consistency proofs from the stored nodes"
    )


def _first_known_bad(report: AuditReport, start: int, end: int) -> int:
    """The earliest entry in ``[start, end)`` already found bad, else ``start``."""
    inside = [p.entry for p in report.problems if p.entry is not None and start <= p.entry < end]
    return min(inside, default=start)


def _check_consistency(session, old: note.Checkpoint, new: note.Checkpoint, report) -> None:
    try:
        proof = store.consistency_proof(session, old.tree_size, new.tree_size)
    except (store.MissingNode, ValueError) as exc:
        report.add(old.tree_size, f"no consistency proof {old.tree_size}->{new.tree_size}: {exc}")
        return
    if not merkle.verify_consistency(
        old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof
    ):
        report.add(
            old.tree_size, f"checkpoint {new.tree_size} is not consistent with {old.tree_size}"
        )


def _check_registry(states, logged: dict, kinds, report: AuditReport) -> None:
    seen, count = set(), 0
    for key, digest in states:
        seen.add(key)
        count += 1
        found = logged.get(key)
        if found is None:
            report.add(None, f"{key}: the record is in the database but not in the log")
        elif found[0] != digest:
            report.add(found[1], f"{key}: the record differs from its state logged at {found[1]}")
    for key, (_, seq) in logged.items():
        kind = key.split(":")[1] if key.count(":") >= 2 else ""
        if key not in seen and (kinds is None or kind in kinds):
            report.add(seq, f"{key}: logged at entry {seq} but missing from the database")
    report.checked.append(
        f"registry: {count} records compared with the latest state the log holds for each"
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

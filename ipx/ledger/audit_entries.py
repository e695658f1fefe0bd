"""``ipx verify``'s check of each stored entry: its leaf, its sealed record, its place in order.

Part of ``ipx.ledger.audit`` (which rebuilds the tree from the hashes recomputed here). Every
leaf is re-hashed and checked canonical, at its own seq, at the time stored beside it and not
before its predecessor's. Its sealed record is checked against it (``disclosure.check_sealed``:
the leaf's seal of the record and, with the blinding key, every keyed digest, so the clear
record shown to clerks, auditors and parties is the one the public leaf commits to), its type
against the stored type, and a format-2 leaf showing a non-public event in clear is reported.
A format-1 leaf after a format-2 one is a downgrade, never written by the log: reported.

The entries are read in chunks of ``STREAM_ROWS`` by their primary key (``read_in_chunks``):
a log of tens of entries in one statement and one fetch, a long one in bounded memory.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from sqlalchemy import Connection, Row, Select, bindparam, select
from sqlalchemy.orm import Session

from ipx.ledger import disclosure, merkle
from ipx.ledger.canonical import parse_canonical_json
from ipx.ledger.events import format_time
from ipx.ledger.tables import LedgerEntry

STREAM_ROWS = 10_000
H = merkle.HASH_SIZE


class AuditReport(Protocol):
    """What the checks write to (``ipx.ledger.audit.AuditReport``)."""

    checked: list[str]

    @property
    def problems(self) -> list: ...

    def add(self, entry: int | None, message: str) -> None: ...


class _Order:
    """What the check of an entry needs to know of the ones before it."""

    def __init__(self) -> None:
        self.last_time: str | None = None
        self.formats: set[int] = set()


def read_in_chunks(
    connection: Connection,
    first: Select,
    after: Select,
    resume: Callable[[Row], dict[str, Any]],
    rows: int,
) -> Iterator[Row]:
    """The rows of ``first`` (ordered by a unique key and limited to ``rows``), then of
    ``after`` (the same from past the key ``resume`` names in the last row read), chunk by
    chunk until one comes back short.

    Each chunk is one plain statement fetched whole: no server-side cursor (which on PostgreSQL
    costs round trips of its own to declare, fetch from and close, for a handful of rows), and
    no more than ``rows`` rows in memory at once. The key is unique, so no row is read twice or
    skipped."""
    chunk = connection.execute(first).all()
    while True:
        yield from chunk
        if len(chunk) < rows:
            return
        chunk = connection.execute(after, resume(chunk[-1])).all()


def entry_rows(connection: Connection) -> Iterator[Row]:
    """Every stored entry in seq order: seq, time, type, leaf, leaf_hash, details."""
    rows = STREAM_ROWS
    first, after = _entry_statements(rows)
    return read_in_chunks(connection, first, after, lambda row: {"after": row.seq}, rows)


@functools.lru_cache(maxsize=8)
def _entry_statements(rows: int) -> tuple[Select, Select]:
    stmt = select(
        LedgerEntry.seq,
        LedgerEntry.time,
        LedgerEntry.type,
        LedgerEntry.leaf,
        LedgerEntry.leaf_hash,
        LedgerEntry.details,
    ).order_by(LedgerEntry.seq)
    return stmt.limit(rows), stmt.where(LedgerEntry.seq > bindparam("after")).limit(rows)


def check_entries(
    session: Session,
    report: AuditReport,
    blinding_key: bytes | None,
    *,
    head_size: int,
    each_entry: Callable[[int, str, str | None], object] | None = None,
) -> tuple[bytearray, dict, set[int]]:
    """Check every entry in order; return the recomputed leaf hashes (packed), the latest
    ``state:`` digest per record with the entry that logged it, and the positions found bad.

    ``head_size`` is the log head's size as the caller read it;
    ``each_entry(seq, leaf, details)`` sees every stored entry as it is read, so another check
    of the entries (the map's replay) needs no read of its own."""
    hashes, bad = bytearray(), set()
    states: dict[str, tuple[str, int]] = {}
    expected, order = 0, _Order()
    for row in entry_rows(session.connection()):
        if each_entry is not None:
            each_entry(row.seq, row.leaf, row.details)
        problems_before = len(report.problems)
        if row.seq != expected:
            report.add(expected, f"entry {expected} is missing (the next stored is {row.seq})")
        hashed, digests = _check_entry(row, order, blinding_key, report)
        if len(report.problems) > problems_before:
            bad.add(len(hashes) // H)  # the position this row takes in the rebuilt tree
        hashes += hashed
        expected = row.seq + 1
        states.update(
            (key, (digest, row.seq)) for key, digest in digests.items() if key.startswith("state:")
        )
    count = len(hashes) // H
    if head_size != count:
        report.add(
            min(head_size, count), f"the log head says {head_size} entries but {count} exist"
        )
    keyed = "with" if blinding_key is not None else "without (no blinding key given)"
    report.checked.append(
        f"entries: {count} read; seq contiguous, leaves canonical, hashes and times checked; "
        f"sealed records checked against their leaves, {keyed} their keyed digests"
    )
    return hashes, states, bad


def _check_entry(row, order: _Order, blinding_key: bytes | None, report: AuditReport):
    """The recomputed leaf hash, and the digests the entry holds (empty when unreadable)."""
    seq = row.seq
    hashed = merkle.leaf_hash(row.leaf.encode("utf-8"))
    if hashed != bytes(row.leaf_hash):
        report.add(seq, f"entry {seq}: stored leaf hash does not match its text")
    leaf = _leaf(seq, row.leaf, report)
    if leaf is None:
        return hashed, {}
    if leaf.get("seq") != seq:
        report.add(seq, f"entry {seq}: leaf says seq {leaf.get('seq')!r} (moved or reordered)")
    time = leaf.get("time")
    if time != format_time(row.time):
        report.add(seq, f"entry {seq}: stored type or time disagrees with its leaf")
    if order.last_time is not None and str(time) < order.last_time:
        report.add(seq, f"entry {seq}: time {time} is before the previous entry's")
    order.last_time = str(time)
    version = leaf.get("v")
    if version == disclosure.LEGACY_FORMAT and disclosure.FORMAT in order.formats:
        report.add(seq, f"entry {seq}: a format-{version} leaf after format-2 ones (a downgrade)")
    order.formats.add(version if isinstance(version, int) else -1)
    key = None if blinding_key is None else disclosure.entry_key(blinding_key, seq)
    try:
        opened = disclosure.check_sealed(leaf, row.details, key)
    except (ValueError, KeyError, TypeError) as exc:
        report.add(seq, f"entry {seq}: {exc}")
        return hashed, _digests_as_stored(row)
    if opened.type != row.type:
        report.add(seq, f"entry {seq}: stored type or time disagrees with its leaf")
    if version == disclosure.FORMAT and opened.public and not disclosure.is_public(opened.type):
        report.add(seq, f"entry {seq}: a non-public event ({opened.type}) is in clear in its leaf")
    return hashed, opened.digests


def _digests_as_stored(row) -> dict:
    """The digests a bad entry says it holds: the registry's records are then compared with
    what it claims, so one bad entry is not also blamed on the records it concerns."""
    try:
        return dict(disclosure.open_entry(row.leaf, row.details).digests)
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def _leaf(seq: int, text: str, report: AuditReport) -> dict | None:
    try:
        leaf = parse_canonical_json(text)
    except ValueError as exc:
        report.add(seq, f"entry {seq}: leaf is not canonical JSON ({exc})")
        return None
    if not isinstance(leaf, dict):
        report.add(seq, f"entry {seq}: leaf is not a JSON object")
        return None
    return leaf

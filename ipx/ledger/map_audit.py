"""``ipx verify``'s check of the map of encumbrances: replay the log, compare with what is stored.

The map is derived data (``ipx.ledger.encumbrance_map``): the log's entries and their sealed
records are the truth. The audit rebuilds both trees in memory from them and reports every
stored root (``encumbrance_map_roots``), page of nodes and asset key that is not what the
replay makes, and every signed checkpoint whose map line commits to another root than the
replay's at its size. Checkpoints signed before the map (no line) are not reported.
"""

from __future__ import annotations

import bisect
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.ledger import encumbrances, smt, smt_pages
from ipx.ledger.certificates import committed_map_root
from ipx.ledger.encumbrance_map import MapAsset, MapPage, MapRoots, stored_event
from ipx.ledger.encumbrances import Replay, map_root
from ipx.ledger.tables import LedgerCheckpoint, LedgerEntry


class Report(Protocol):
    checked: list[str]

    def add(self, entry: int | None, message: str) -> None: ...


def check_map(session: Session, report: Report) -> Replay:
    """Replay the map from the log and report where the stored map or a checkpoint differs."""
    replay = Replay()
    sizes: list[int] = [0]
    history: list[tuple[bytes, bytes]] = [(smt.EMPTY, smt.EMPTY)]
    rows = session.execute(
        select(LedgerEntry.seq, LedgerEntry.leaf, LedgerEntry.details)
        .order_by(LedgerEntry.seq)
        .execution_options(yield_per=2000)
    )
    for seq, leaf, details in rows:
        try:
            event = stored_event(leaf, details)
        except (ValueError, KeyError, TypeError):
            continue  # an unreadable entry: check_entries reports it
        if event is not None and replay.apply(event):
            sizes.append(seq + 1)
            history.append(replay.roots())

    def as_of(size: int) -> tuple[bytes, bytes]:
        return history[bisect.bisect_right(sizes, size) - 1]

    problems = 0
    for row in session.execute(select(MapRoots)).scalars():
        if (bytes(row.public_root), bytes(row.restricted_root)) != as_of(row.tree_size):
            report.add(None, f"map of encumbrances: stored roots at size {row.tree_size} differ")
            problems += 1
    problems += _compare_nodes(session, replay, report)
    stored_keys = {a: bytes(k) for a, k in session.execute(select(MapAsset.asset_id, MapAsset.key))}
    if stored_keys != replay.keys:
        report.add(None, "map of encumbrances: the stored asset keys are not the replayed ones")
        problems += 1
    signed = 0
    for tree_size, text in session.execute(
        select(LedgerCheckpoint.tree_size, LedgerCheckpoint.note)
    ):
        committed = committed_map_root(text)
        if committed is None:
            continue
        signed += 1
        if committed != map_root(*as_of(tree_size)):
            report.add(
                None,
                f"checkpoint {tree_size} commits to a map of encumbrances the log does not make",
            )
    report.checked.append(
        f"map of encumbrances: replayed from {sizes[-1]} entries, "
        f"{len(replay.keys)} assets, {signed} checkpoint map roots checked"
        + ("" if not problems else f", {problems} differences")
    )
    return replay


def _compare_nodes(session: Session, replay: Replay, report: Report) -> int:
    problems = 0
    for tree, store in enumerate(replay.stores):
        assert isinstance(store, smt.MemoryStore)
        replayed = smt_pages.paginate(store.nodes.items())
        stored = {
            bytes(page): bytes(data)
            for page, data in session.execute(
                select(MapPage.path, MapPage.nodes).where(MapPage.tree == tree)
            )
        }
        if stored != replayed:
            name = "public" if tree == encumbrances.PUBLIC else "restricted"
            differing = len(set(stored.items()) ^ set(replayed.items()))
            report.add(
                None, f"map of encumbrances: {differing} {name} tree pages differ from the replay"
            )
            problems += 1
    return problems

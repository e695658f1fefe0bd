"""``ipx verify``'s check of the map of encumbrances: replay the log, compare with what is stored.

The map is derived data (``ipx.ledger.encumbrance_map``): the log's entries and their sealed
records are the truth. The audit rebuilds both trees in memory from them and reports every
stored root (``encumbrance_map_roots``), page of nodes and asset key that is not what the
replay makes, and every signed checkpoint whose map line commits to another root than the
replay's at its size. Checkpoints signed before the map (no line) are not reported.

Within ``ipx.ledger.audit`` the replay is fed the entries the check of entries reads
(``MapCheck.feed``), and the stored map comes back in one statement (``MapCheck.finish``), so
the map costs the audit one read of its own.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import Integer, LargeBinary, cast, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from ipx.ledger import encumbrances, smt, smt_pages
from ipx.ledger.certificates import committed_map_root
from ipx.ledger.encumbrance_map import MapAsset, MapPage, MapRoots, stored_event
from ipx.ledger.encumbrances import Replay, map_root


class Report(Protocol):
    checked: list[str]

    def add(self, entry: int | None, message: str) -> None: ...


# The stored map in one statement: (0, tree size, public root, restricted root) per roots row,
# (1, tree, page path, nodes) per page, (2, asset id, key, NULL) per asset key.
_ROOTS, _PAGE, _KEY = 0, 1, 2


def _kind(kind: int) -> Any:
    return literal_column(str(kind), Integer).label("kind")


_STORED_MAP = union_all(
    select(_kind(_ROOTS), MapRoots.tree_size, MapRoots.public_root, MapRoots.restricted_root),
    select(_kind(_PAGE), MapPage.tree, MapPage.path, MapPage.nodes),
    select(_kind(_KEY), MapAsset.asset_id, MapAsset.key, cast(null(), LargeBinary)),
)


class MapCheck:
    """The replay of the log's entries, fed one at a time in seq order, then the comparison."""

    def __init__(self) -> None:
        self.replay = Replay()
        self.sizes: list[int] = [0]
        self.history: list[tuple[bytes, bytes]] = [(smt.EMPTY, smt.EMPTY)]

    def feed(self, seq: int, leaf: str, details: str | None) -> None:
        try:
            event = stored_event(leaf, details)
        except (ValueError, KeyError, TypeError):
            return  # an unreadable entry: check_entries reports it
        if event is not None and self.replay.apply(event):
            self.sizes.append(seq + 1)
            self.history.append(self.replay.roots())

    def as_of(self, size: int) -> tuple[bytes, bytes]:
        return self.history[bisect.bisect_right(self.sizes, size) - 1]

    def finish(
        self, session: Session, report: Report, checkpoints: Iterable[tuple[int, str]]
    ) -> Replay:
        """Report where the stored map or a checkpoint (``(tree size, note)``) differs from the
        replay of the entries fed."""
        replay, as_of = self.replay, self.as_of
        roots: list[Any] = []
        pages: dict[int, dict[bytes, bytes]] = {}
        stored_keys: dict[int, bytes] = {}
        for kind, number, first, second in session.connection().execute(_STORED_MAP):
            if kind == _ROOTS:
                roots.append((number, bytes(first), bytes(second)))
            elif kind == _PAGE:
                pages.setdefault(number, {})[bytes(first)] = bytes(second)
            else:
                stored_keys[number] = bytes(first)
        problems = 0
        for tree_size, public_root, restricted_root in roots:
            if (public_root, restricted_root) != as_of(tree_size):
                report.add(None, f"map of encumbrances: stored roots at size {tree_size} differ")
                problems += 1
        problems += _compare_nodes(pages, replay, report)
        if stored_keys != replay.keys:
            report.add(None, "map of encumbrances: the stored asset keys are not the replayed ones")
            problems += 1
        signed = 0
        for tree_size, text in checkpoints:
            committed = committed_map_root(text)
            if committed is None:
                continue
            signed += 1
            if committed != map_root(*as_of(tree_size)):
                report.add(
                    None,
                    f"checkpoint {tree_size} commits to a map of encumbrances "
                    "the log does not make",
                )
        report.checked.append(
            f"map of encumbrances: replayed from {self.sizes[-1]} entries, "
            f"{len(replay.keys)} assets, {signed} checkpoint map roots checked"
            + ("" if not problems else f", {problems} differences")
        )
        return replay


def _compare_nodes(
    stored_pages: dict[int, dict[bytes, bytes]], replay: Replay, report: Report
) -> int:
    problems = 0
    for tree, store in enumerate(replay.stores):
        assert isinstance(store, smt.MemoryStore)
        replayed = smt_pages.paginate(store.nodes.items())
        stored = stored_pages.get(tree, {})
        if stored != replayed:
            name = "public" if tree == encumbrances.PUBLIC else "restricted"
            differing = len(set(stored.items()) ^ set(replayed.items()))
            report.add(
                None, f"map of encumbrances: {differing} {name} tree pages differ from the replay"
            )
            problems += 1
    return problems

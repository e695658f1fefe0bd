"""``ipx tiles export DIR``: the log as static C2SP tlog-tiles files.

Writes ``DIR/tile/<L>/<N>[.p/<W>]`` and ``DIR/tile/entries/<N>[.p/<W>]`` for the latest signed
checkpoint, then ``DIR/checkpoint`` (its signed note with the witnesses' cosignatures), so that
any web server, CDN or object store serving ``DIR`` is a tlog-tiles log: the same bytes as
``/api/v1/ledger/tile/...``. Run again, it adds what the log grew by: a full tile already there
is never rewritten (its bytes cannot change), partial tiles of older sizes are removed once the
new checkpoint is in place. Every file is written to a temporary name and renamed, and the
checkpoint last, so a reader never finds a checkpoint whose tiles are not all there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from ipx.atomic_files import replace_file
from ipx.ledger import tiles
from ipx.ledger.checkpoints import SignedCheckpoint

#: Tiles and the checkpoint are public: any web server or CDN reading ``DIR`` serves them, and
#: so the directories it walks to them (set whatever the umask: 077 would hide the tree).
PUBLIC = 0o644
PUBLIC_DIRECTORY = 0o755


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the tree size, files written, full tiles already there."""

    tree_size: int
    written: int
    kept: int
    removed: int


def export_tiles(session: Session, checkpoint: SignedCheckpoint, directory: Path) -> Exported:
    """Write the tiles of ``checkpoint``'s tree and then its note under ``directory``."""
    _public_directories(directory)
    written = kept = 0
    wanted = tiles.tiles_of(checkpoint.tree_size)
    for tile in wanted:
        path = directory / tile.path()
        if tiles.is_immutable(tile) and path.is_file():
            kept += 1
            continue
        _public_directories(path.parent)
        _write_atomically(path, tiles.read_tile(session, tile))
        written += 1
    _write_atomically(directory / "checkpoint", checkpoint.note.encode("utf-8"))
    removed = _remove_stale_partials(directory, {directory / t.path() for t in wanted})
    return Exported(checkpoint.tree_size, written + 1, kept, removed)


def _public_directories(directory: Path) -> None:
    """Create ``directory`` and its missing parents, each ``PUBLIC_DIRECTORY`` (one that exists
    is left as the operator made it)."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        path.chmod(PUBLIC_DIRECTORY)


def _write_atomically(path: Path, data: bytes) -> None:
    """Renamed into place (and its directory synced, so the checkpoint written last never
    outlives, after a crash, a tile it covers); world-readable, as whatever serves ``DIR``
    needs."""
    replace_file(path, data, mode=PUBLIC)


def _remove_stale_partials(directory: Path, current: set[Path]) -> int:
    """Partial tiles of earlier sizes (``<N>.p/<W>`` not of this size): superseded."""
    removed = 0
    for partial in (directory / "tile").rglob("*.p/*"):
        if partial.is_file() and partial not in current:
            partial.unlink()
            removed += 1
            if not any(partial.parent.iterdir()):
                partial.parent.rmdir()
    return removed

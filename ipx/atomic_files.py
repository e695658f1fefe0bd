"""Files written whole or not at all, readable by their owner only unless asked otherwise: the
instance's key files (``ipx.instance_keys``), the witness's state (``ipx.ledger.witness``) and
a backup's manifest (``ipx.ops.backup``); the exported tiles (``ipx.ops.tiles_export``), public,
are written mode 0644.

The data goes to a temporary file beside the target (created mode 0600, given the file's mode
once written, whatever the umask; flushed and fsynced), which is then renamed over the target
(``replace_file``: readers see the old file or the new one, never a mix) or linked to a name
that must not exist yet (``write_new_file``: processes starting together never read a
half-written file, and the one that loses the race gets ``FileExistsError``); the directory is
synced after, so the new name survives a crash.

Standard library only: the witness runs beside the log, without its database.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

#: Owner-only: what the instance's secrets need, and the default.
PRIVATE = 0o600


def replace_file(path: str | Path, data: bytes, *, mode: int = PRIVATE) -> None:
    """Replace the file's content atomically (created when missing), owner-only by default."""
    path = Path(path)
    temporary = _temporary(path, data, mode)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def write_new_file(path: str | Path, data: bytes, *, mode: int = PRIVATE) -> None:
    """Write a file that must not exist yet (``FileExistsError`` otherwise: never overwrites)."""
    path = Path(path)
    temporary = _temporary(path, data, mode)
    try:
        os.link(temporary, path)
    finally:
        temporary.unlink()
    _sync_directory(path.parent)


def _temporary(path: Path, data: bytes, mode: int) -> Path:
    """The data in a new file beside ``path``: private while written, then exactly ``mode``
    (``fchmod``, so a restrictive umask cannot leave a public file unreadable to others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a directory be opened
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

"""``ipx verify --since-checkpoint FILE``: is the stored log still the one a caller saw?

The audit of the stored log finds every inconsistency *inside* the database, but not a
database rolled back whole to an older, self-consistent state, nor the newest checkpoint row
deleted: both leave a log that agrees with itself. A caller who saved a checkpoint earlier (a
bank keeping the one its receipt came with) holds what the log promised. This compares the
stored log with it: the log must hold at least as many entries, its first ``tree_size``
entries must hash to the saved root, the saved checkpoint must still be stored, and the latest
checkpoint must extend it by a consistency proof (checked as ``ipx.ledger.verify`` would,
offline, with the log's trusted keys).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from ipx.ledger import keyset, note, store
from ipx.ledger.checkpoints import checkpoint_at, latest_checkpoint
from ipx.ledger.verify import VerificationError, verify_extends_saved


@dataclass
class SinceReport:
    """What was compared with the saved checkpoint, and every problem found."""

    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_saved_checkpoint(path: str | Path) -> str:
    """The signed note text in ``path``: the note itself (as ``ipx checkpoint`` prints it and
    ``ipx tiles export`` writes it), or the JSON ``GET /api/v1/ledger/checkpoint`` answers."""
    text = Path(path).read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        try:
            answer = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON nor a signed note ({exc})") from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("note"), str):
            raise ValueError(f"{path}: a checkpoint answer carries its signed note in 'note'")
        return answer["note"]
    return text


def check_since(
    session: Session,
    saved_note: str,
    public_keys: Sequence[bytes],
    *,
    key_name: str | None = None,
    origin: str | None = None,
) -> SinceReport:
    """Compare the log ``session`` reads with a checkpoint a caller saved (module docstring)."""
    report = SinceReport()
    try:
        saved, _ = keyset.open_checkpoint(saved_note, key_name, public_keys)
    except note.InvalidNote as exc:
        report.problems.append(f"the saved checkpoint is not one this log signed: {exc}")
        return report
    if origin is not None and saved.origin != origin:
        report.problems.append(f"the saved checkpoint is of log {saved.origin!r}, not {origin!r}")
        return report
    size = saved.tree_size
    entries = store.log_size(session)
    if entries < size:
        report.problems.append(
            f"the log shrank: it holds {entries} entries, fewer than the {size} of the saved "
            "checkpoint (rolled back, or restored from an older backup)"
        )
        return report
    _check_saved_tree(session, saved, report)
    _check_latest_extends(session, saved_note, saved, public_keys, key_name, report)
    return report


def _check_saved_tree(session: Session, saved: note.Checkpoint, report: SinceReport) -> None:
    size = saved.tree_size
    try:
        root = store.root_at(session, size)
    except store.MissingNode as exc:
        report.problems.append(f"the log's tree of {size} entries cannot be rebuilt: {exc}")
        return
    if root != saved.root_hash:
        report.problems.append(
            f"the history diverged: the log's first {size} entries hash to "
            f"{_b64(root)}, not to the saved root {_b64(saved.root_hash)}"
        )
    stored = checkpoint_at(session, size)
    if stored is None:
        report.problems.append(f"the saved checkpoint of {size} entries is no longer stored")
    elif stored.root_hash != saved.root_hash:
        report.problems.append(f"the stored checkpoint of {size} entries has another root")
    report.checked.append(f"saved checkpoint: {size} entries, root {_b64(saved.root_hash)}")


def _check_latest_extends(
    session: Session,
    saved_note: str,
    saved: note.Checkpoint,
    public_keys: Sequence[bytes],
    key_name: str | None,
    report: SinceReport,
) -> None:
    latest = latest_checkpoint(session)
    proof: list[str] = []
    if latest is not None and latest.tree_size > saved.tree_size:
        try:
            hashes = store.consistency_proof(session, saved.tree_size, latest.tree_size)
        except store.MissingNode as exc:
            report.problems.append(f"no consistency proof from {saved.tree_size}: {exc}")
            return
        proof = [_b64(h) for h in hashes]
    try:
        verify_extends_saved(
            saved_note,
            latest.note if latest is not None else None,
            proof,
            [_b64(key) for key in public_keys],
            key_name,
        )
    except VerificationError as exc:
        report.problems.append(exc.message)
        return
    assert latest is not None  # verify_extends_saved refuses a log without checkpoints
    report.checked.append(
        f"latest checkpoint {latest.tree_size} extends the saved one (consistency proof of "
        f"{len(proof)} hashes)"
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

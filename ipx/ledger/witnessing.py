"""The log's side of C2SP tlog-witness: asking witnesses to cosign, keeping their cosignatures.

When a checkpoint is signed, each configured witness gets ``POST <url>/add-checkpoint`` with the
size it last cosigned (the largest this log holds a cosignature of it for, else 0), the
consistency proof from there and the signed note. A 409 naming another size (a witness that
lost track, or a checkpoint cosigned by another worker meanwhile) is retried once from that
size when this tree extends it. Every cosignature line answered is verified against the
witness's key before it is stored; a witness down, slow or refusing costs a log line, never
the checkpoint (witnesses vouch for the log; they do not gate it).

``ipx.ledger.cosigned`` puts the stored lines after the log's own signature in the note served
with the checkpoint and in receipts: a verifier that trusts the witnesses counts them (``python -m
ipx.ledger.verify --witness KEY --quorum K``); one that does not ignores them, as signed-note
verifiers ignore unknown keys.
"""

from __future__ import annotations

import base64
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ipx.ledger import cosignature, store
from ipx.ledger.checkpoints import SignedCheckpoint
from ipx.ledger.cosigned import LedgerCosignature

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConfiguredWitness:
    """A witness the log asks: its submission URL prefix and its key."""

    url: str
    witness: cosignature.Witness


def configured(entries: Sequence[tuple[str, str]]) -> list[ConfiguredWitness]:
    """``(url, verifier key)`` pairs (``IPX_WITNESSES``) as witnesses."""
    return [
        ConfiguredWitness(url.rstrip("/"), cosignature.parse_witness_key(vkey))
        for url, vkey in entries
    ]


def last_cosigned_size(session: Session, witness: cosignature.Witness) -> int:
    """The largest tree size this witness's cosignature is stored for (0: none)."""
    return (
        session.execute(
            select(func.max(LedgerCosignature.tree_size)).where(
                LedgerCosignature.witness == witness.name,
                LedgerCosignature.key_id == witness.key_id.hex(),
            )
        ).scalar()
        or 0
    )


def collect(
    bind: Engine | Connection,
    checkpoint: SignedCheckpoint,
    witnesses: Sequence[ConfiguredWitness],
    timeout: float,
) -> int:
    """Ask every witness (in parallel) to cosign ``checkpoint``; store what verifies. Returns
    how many cosignatures were stored."""
    if not witnesses:
        return 0
    with ThreadPoolExecutor(max_workers=min(8, len(witnesses))) as pool:
        answers = list(pool.map(lambda w: _ask(bind, checkpoint, w, timeout), witnesses))
    stored = 0
    with Session(bind) as session:
        for found in answers:
            if found is None:
                continue
            try:
                with session.begin_nested():
                    session.add(found)
                stored += 1
            except IntegrityError:  # another worker stored this witness's line first
                pass
        session.commit()
    return stored


def _ask(
    bind: Engine | Connection,
    checkpoint: SignedCheckpoint,
    target: ConfiguredWitness,
    timeout: float,
) -> LedgerCosignature | None:
    with Session(bind) as session:
        old = last_cosigned_size(session, target.witness)
        for _attempt in range(2):
            if old > checkpoint.tree_size:
                log.warning("witness %s holds %d > %d", target.url, old, checkpoint.tree_size)
                return None
            proof = store.consistency_proof(session, old, checkpoint.tree_size) if old else []
            status, text = _post(target.url, _body(old, proof, checkpoint.note), timeout)
            if status == 409 and text.strip().isdigit() and int(text) != old:
                old = int(text)  # the size the witness holds: prove from there, once
                continue
            break
    if status != 200:
        log.warning(
            "witness %s refused checkpoint %d: %s %s",
            target.url,
            checkpoint.tree_size,
            status,
            text.strip()[:200],
        )
        return None
    body, _ = cosignature.split_note(checkpoint.note)
    for line in text.splitlines(keepends=True):
        try:
            cosigned = cosignature.verify_line(body, target.witness, line)
        except cosignature.InvalidCosignature:
            continue  # another key's line, or a bad one: ignored, never stored
        return LedgerCosignature(
            tree_size=checkpoint.tree_size,
            witness=target.witness.name,
            key_id=target.witness.key_id.hex(),
            timestamp=cosigned.timestamp,
            line=cosigned.line,
        )
    log.warning("witness %s answered no valid cosignature", target.url)
    return None


def _body(old: int, proof: list[bytes], note_text: str) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note_text).encode("utf-8")


def _post(url: str, body: bytes, timeout: float) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{url}/add-checkpoint",
        data=body,
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(64 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(64 * 1024).decode("utf-8", "replace")
    except (OSError, ValueError) as exc:
        return 0, str(exc)

"""Search certificates: a signed answer to "is this asset encumbered?" anyone can check offline.

A certificate is the public state of one asset number in the map of encumbrances (the pledges
the public notice shows on it and not ended; none at all is a state too), its proof in the
public tree, the restricted tree's root, and the signed checkpoint whose extension line commits
to the map root (``ipx.ledger.encumbrances``). It proves: *as of tree size N, number X had
exactly these pledges, or none*. ``python -m ipx.ledger.verify --certificate`` checks it.

The proof must be against a signed root, and the map may have changed since the latest
checkpoint: then a checkpoint of the current tree is signed first. The proof is read after the
checkpoint, so a write in between can make it a proof of a newer map: it is checked against the
signed root before it is answered, and read again (after signing again) if it does not fit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ipx.db import reading
from ipx.errors import LedgerInconsistent
from ipx.ledger import encumbrance_map, encumbrances, smt
from ipx.ledger.checkpoints import SignedCheckpoint, b64
from ipx.ledger.cosignature import split_note
from ipx.ledger.note import Checkpoint, InvalidNote

ATTEMPTS = 4


def committed_map_root(signed_note: str) -> bytes | None:
    """The map root a signed checkpoint's text commits to (None: it has no map line)."""
    try:
        body, _ = split_note(signed_note)
        return encumbrances.root_in(Checkpoint.from_body(body).extensions)
    except (InvalidNote, ValueError):
        return None


def search_certificate(
    bind: Engine, number: str, checkpoint: Callable[[bool], SignedCheckpoint]
) -> dict:
    """The certificate of ``number`` (its normalised form) against a signed checkpoint.

    ``checkpoint(force)`` is the latest signed checkpoint, signing the current tree first when
    due or ``force`` (``ipx.ledger.signing.current_checkpoint``).
    """
    key = encumbrances.key_of(number)
    for attempt in range(ATTEMPTS):
        signed = checkpoint(attempt > 0)
        committed = committed_map_root(signed.note)
        with reading(functools.partial(Session, bind, expire_on_commit=False)) as session:
            if committed is None or encumbrance_map.last_change(session) > signed.tree_size:
                continue  # signed before the map, or the map changed since: sign again
            public, restricted = encumbrance_map.roots_at(session, signed.tree_size)
            if encumbrances.map_root(public, restricted) != committed:
                raise LedgerInconsistent(
                    f"The stored map of encumbrances is not the one checkpoint "
                    f"{signed.tree_size} signed; run ipx verify."
                )
            state, proof = encumbrance_map.prove(session, number)
        value = encumbrances.encode(encumbrances.PUBLIC, state, "")
        if smt.proven_root(key, value, proof) != public:
            continue  # the map moved on between the checkpoint and the proof
        return {
            "number": number,
            "key": key.hex(),
            "tree_size": signed.tree_size,
            "state": {"pledges": sorted(state["pledges"], key=lambda p: p["id"])},
            "proof": proof.to_json(),
            "restricted_root": b64(restricted),
            "map_root": b64(committed),
            "checkpoint": signed.note,
        }
    raise LedgerInconsistent(
        "No signed checkpoint fits the map of encumbrances yet; try again shortly."
    )

"""Checking a checkpoint against several trusted keys: the log's current and retired ones.

After ``ipx signing rotate`` the log's checkpoints are signed by more than one key over its
life; a checkpoint is good when one of the trusted keys signed it (the signature line's key id
says which) and no signature line of a trusted key fails. Standard library + ``cryptography``
only, like ``note``: the offline verifier may import it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence

from ipx.ledger import note

NO_SIGNATURE = "note has no signature by"


def raw_public_key(text: str) -> tuple[bytes, str | None]:
    """A trusted key as an operator gives it: base64 of the 32 raw bytes (no key name), or Go's
    verifier key ``<name>+<id>+<key>`` (its name then bound). Raises ``note.InvalidKey``.

    The offline verifier's ``--public-key`` and the witness's ``--log`` read keys this way."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) == 32:
        return raw, None
    # A verifier key is at least 55 characters, so it never decodes to 32 bytes above.
    name, key = note.parse_verifier_key(text)
    return key.public_bytes_raw(), name


def open_checkpoint(
    note_text: str | bytes, key_name: str | None, public_keys: bytes | Iterable[bytes]
) -> tuple[note.Checkpoint, bytes]:
    """The checkpoint and the raw public key (the first of ``public_keys``) that signed it.

    Raises ``note.InvalidNote``: for a malformed note, or a bad signature line by any of the
    trusted keys, even when another trusted key signed the note well (as Go's ``note.Open``:
    the verdict never depends on the keys' order); when no trusted key signed it, one saying so.
    """
    keys = [public_keys] if isinstance(public_keys, bytes) else list(public_keys)
    if len(keys) == 1:
        return note.parse_and_verify_note(note_text, key_name, keys[0]), keys[0]
    return open_checkpoint_by_keys(note_text, [(key, key_name) for key in keys])


def open_checkpoint_by_keys(
    note_text: str | bytes, keys: Sequence[tuple[bytes, str | None]]
) -> tuple[note.Checkpoint, bytes]:
    """``open_checkpoint`` with a name for each key: ``(raw key, the name it binds)``, None for
    a key given without one (any line whose key id it fits). A key counts only lines under its
    own name, so the witness's ``--log`` keys, which may come under several names for one log,
    are each checked as their verifier key says. Returns the first key that signed."""
    by_name: dict[str | None, list[bytes]] = {}
    for raw, name in keys:
        by_name.setdefault(name, []).append(raw)
    if not by_name:
        raise note.InvalidNote("no trusted public key to check the note with")
    text, signers = "", []
    for name, raws in by_name.items():
        text, signed = note.open_note_signers(note_text, name, raws)
        signers += signed
    if not signers:
        raise note.InvalidNote(f"{NO_SIGNATURE} any of the {len(keys)} trusted keys")
    return note.Checkpoint.from_body(text), signers[0]


def signer_key_ids(note_text: str) -> list[str]:
    """The hex key ids of the signature lines of a signed note (nothing is verified)."""
    split = note_text.rfind("\n\n")
    ids = []
    for line in note_text[split + 2 :].splitlines():
        _, _, blob = line.removeprefix(note.SIGNATURE_PREFIX).partition(" ")
        try:
            raw = base64.b64decode(blob.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            continue
        if len(raw) >= 4:
            ids.append(raw[:4].hex())
    return ids

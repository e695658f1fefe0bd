"""The offline verifier: what a bank runs, with only the registry's public key, on a receipt.

Standard library + ``cryptography`` only; no network, no database. A receipt is
``{"leaf": <canonical JSON text>, "leaf_index": int, "inclusion_proof": [base64 hashes],
"checkpoint": <signed note text>}`` as ``GET /api/v1/pledges/{id}/receipt`` returns it, and, for
a holder who may see the event in clear, ``"record"`` (the text the leaf's ``digests.details``
seals) and ``"entry_key"`` (hex key of the leaf's keyed digests): the leaf is then recomputed
from the record, so what the holder reads is what the public leaf commits to.

    python -m ipx.ledger.verify receipt.json --public-key <base64 key or Go verifier key>

prints ``OK ...`` and exits 0, or names the check that failed and exits 1.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from ipx.ledger.canonical import parse_canonical_json
from ipx.ledger.disclosure import FORMAT, check_sealed
from ipx.ledger.keyset import open_checkpoint
from ipx.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ipx.ledger.note import (
    Checkpoint,
    InvalidKey,
    InvalidNote,
    parse_and_verify_note,
    parse_verifier_key,
)


class VerificationError(Exception):
    """A receipt or proof failed; ``check`` names which check (``"checkpoint"``, ``"leaf"``...)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"{check}: {message}")
        self.check = check
        self.message = message


@dataclass(frozen=True)
class VerifiedReceipt:
    """What a verified receipt proves: this leaf is entry ``leaf_index`` of the signed tree."""

    leaf: object
    leaf_index: int
    leaf_hash: bytes
    checkpoint: Checkpoint
    #: The event in clear, from a receipt's sealed record checked against the leaf (else None).
    event: dict[str, object] | None = None


def _public_key(public_key: str, key_name: str | None) -> tuple[bytes, str | None]:
    """Accept base64 of the 32 raw bytes, or Go's ``<name>+<id>+<key>`` verifier key."""
    if not isinstance(public_key, str):
        raise VerificationError("public_key", "the public key must be a string")
    try:
        raw = base64.b64decode(public_key.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) == 32:
        return raw, key_name
    # A verifier key is at least 55 characters, so it never decodes to 32 bytes above.
    try:
        name, key = parse_verifier_key(public_key)
    except InvalidKey as exc:
        raise VerificationError(
            "public_key", f"neither 32 base64-encoded bytes nor a verifier key: {exc}"
        ) from exc
    if key_name is not None and key_name != name:
        raise VerificationError("public_key", f"verifier key is for {name}, not {key_name}")
    return key.public_bytes_raw(), name


def _b64(text: object, check: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise VerificationError(check, f"{what} must be a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise VerificationError(check, f"{what} is not valid base64") from exc


def _checkpoint(note: object, raw_key: bytes, key_name: str | None, what: str) -> Checkpoint:
    if not isinstance(note, str):
        raise VerificationError("checkpoint", f"the {what} must be signed note text")
    try:
        return parse_and_verify_note(note, key_name, raw_key)
    except InvalidNote as exc:
        raise VerificationError("checkpoint", f"the {what} is not valid: {exc}") from exc


def _hashes(items: object, check: str) -> list[bytes]:
    if not isinstance(items, list | tuple):
        raise VerificationError(check, "the proof must be a list of base64 hashes")
    hashes = [_b64(item, check, "a proof hash") for item in items]
    if any(len(h) != 32 for h in hashes):
        raise VerificationError(check, "every proof hash must be 32 bytes")
    return hashes


def verify_receipt(
    receipt: object,
    public_key_b64: str,
    key_name: str | None = None,
    *,
    expected_origin: str | None = None,
) -> VerifiedReceipt:
    """Verify a receipt offline; raise ``VerificationError`` naming the first failed check.

    Checks, in order: the receipt's shape; the checkpoint's Ed25519 signature (by ``key_name``
    when given, else by whichever name the signature line carries with a matching key id) and,
    when given, its origin; that the leaf is canonical JSON and, if it carries ``seq``, that
    ``seq`` is its index; and the inclusion proof from the leaf's hash to the signed root.
    """
    raw_key, key_name = _public_key(public_key_b64, key_name)
    if not isinstance(receipt, dict):
        raise VerificationError("receipt", "a receipt is a JSON object")
    missing = {"leaf", "leaf_index", "inclusion_proof", "checkpoint"} - receipt.keys()
    if missing:
        raise VerificationError("receipt", f"missing fields: {', '.join(sorted(missing))}")
    index = receipt["leaf_index"]
    if type(index) is not int or index < 0:
        raise VerificationError("receipt", "leaf_index must be a non-negative integer")
    checkpoint = _checkpoint(receipt["checkpoint"], raw_key, key_name, "checkpoint")
    if expected_origin is not None and checkpoint.origin != expected_origin:
        raise VerificationError("origin", f"checkpoint is for log {checkpoint.origin!r}")
    leaf_text = receipt["leaf"]
    if not isinstance(leaf_text, str):
        raise VerificationError("leaf", "the leaf must be its canonical JSON text")
    try:
        leaf = parse_canonical_json(leaf_text)
    except ValueError as exc:
        raise VerificationError("leaf", str(exc)) from exc
    seq = leaf.get("seq", index) if isinstance(leaf, dict) else index
    if type(seq) is not int or seq != index:
        raise VerificationError("leaf", f"leaf says seq {seq!r} but sits at index {index}")
    proof = _hashes(receipt["inclusion_proof"], "inclusion_proof")
    if index >= checkpoint.tree_size:
        raise VerificationError(
            "inclusion_proof", f"index {index} is beyond the tree size {checkpoint.tree_size}"
        )
    hashed = leaf_hash(leaf_text.encode("utf-8"))
    if not verify_inclusion(hashed, index, checkpoint.tree_size, proof, checkpoint.root_hash):
        raise VerificationError(
            "inclusion_proof", "the proof does not lead from this leaf to the signed root"
        )
    return VerifiedReceipt(leaf, index, hashed, checkpoint, _sealed_event(leaf, receipt))


def _sealed_event(leaf: object, receipt: dict[str, object]) -> dict[str, object] | None:
    """The event in clear, when the receipt carries the record its leaf seals: the record must
    be the one the leaf binds and make exactly that leaf under the entry key; an ``event``
    the receipt shows must be the record's."""
    if not {"record", "event", "entry_key"} & receipt.keys():
        return None
    record, key = receipt.get("record"), None
    if record is not None and not isinstance(record, str):
        raise VerificationError("record", "the record must be its stored text")
    if "entry_key" in receipt:
        key = _entry_key(receipt["entry_key"])
    elif isinstance(leaf, dict) and leaf.get("v") == FORMAT:
        raise VerificationError("record", "a format-2 leaf's record comes with its entry_key")
    try:
        event = check_sealed(leaf, record, key).event()
    except (ValueError, KeyError, TypeError) as exc:
        raise VerificationError("record", str(exc)) from exc
    if "event" in receipt and receipt["event"] != event:
        raise VerificationError("event", "the event shown is not the one the record seals")
    return event


def _entry_key(text: object) -> bytes:
    try:
        key = bytes.fromhex(text) if isinstance(text, str) else b""
    except ValueError:
        key = b""
    if len(key) != 32:
        raise VerificationError("record", "entry_key must be 32 bytes in hex")
    return key


def verify_consistency_between(
    old_note: str,
    new_note: str,
    proof: Sequence[str],
    public_key_b64: str,
    key_name: str | None = None,
) -> tuple[Checkpoint, Checkpoint]:
    """Verify two signed checkpoints of one log and that the older is a prefix of the newer.

    ``proof`` is the list of base64 hashes from ``GET /ledger/proofs/consistency``. Raises
    ``VerificationError``; returns both checkpoints when everything holds.
    """
    raw_key, key_name = _public_key(public_key_b64, key_name)
    old = _checkpoint(old_note, raw_key, key_name, "older checkpoint")
    new = _checkpoint(new_note, raw_key, key_name, "newer checkpoint")
    if old.origin != new.origin:
        raise VerificationError(
            "origin", f"checkpoints of two logs: {old.origin!r}, {new.origin!r}"
        )
    if old.tree_size > new.tree_size:
        raise VerificationError("consistency_proof", "the older checkpoint is the larger tree")
    hashes = _hashes(proof, "consistency_proof")
    if not verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, hashes):
        raise VerificationError(
            "consistency_proof",
            f"tree {old.tree_size} is not proven a prefix of tree {new.tree_size}",
        )
    return old, new


# --- A log that still extends a checkpoint a caller saved (ipx verify --since-checkpoint) ---


def verify_extends_saved(
    saved_note: str,
    current_note: str | None,
    proof: Sequence[str],
    public_keys: Sequence[str],
    key_name: str | None = None,
) -> tuple[Checkpoint, Checkpoint]:
    """Verify that the log's latest checkpoint extends one a caller saved earlier.

    ``public_keys`` are the log's trusted keys (base64 or verifier keys; after a rotation the
    saved checkpoint may be signed by a retired one); ``proof`` is the consistency proof from
    the saved size to the current one. Fails (``VerificationError``) when the saved checkpoint
    is not the log's, when the log holds no checkpoint as large (its newest checkpoint was
    deleted, or the log was rolled back), or when the saved tree is not a prefix of the
    current one (the history diverged). Returns ``(saved, current)``.
    """
    trusted = [_public_key(key, key_name) for key in public_keys]
    raw_keys = [raw for raw, _ in trusted]
    saved = _checkpoint_by_any(saved_note, raw_keys, key_name, "saved checkpoint")
    if current_note is None:
        raise VerificationError(
            "rollback", f"the log holds no checkpoint, yet you saved one of {saved.tree_size}"
        )
    current = _checkpoint_by_any(current_note, raw_keys, key_name, "latest checkpoint")
    if saved.origin != current.origin:
        raise VerificationError(
            "origin", f"the saved checkpoint is of log {saved.origin!r}, not {current.origin!r}"
        )
    if current.tree_size < saved.tree_size:
        raise VerificationError(
            "rollback",
            f"the log's latest checkpoint covers {current.tree_size} entries, fewer than the "
            f"{saved.tree_size} of the one you saved: a newer checkpoint was deleted or the "
            "log was rolled back",
        )
    hashes = _hashes(proof, "consistency_proof")
    if not verify_consistency(
        saved.tree_size, current.tree_size, saved.root_hash, current.root_hash, hashes
    ):
        raise VerificationError(
            "consistency_proof",
            f"the history diverged: the saved tree of {saved.tree_size} entries is not a "
            f"prefix of the log's tree of {current.tree_size}",
        )
    return saved, current


def _checkpoint_by_any(
    note_text: str, raw_keys: Sequence[bytes], key_name: str | None, what: str
) -> Checkpoint:
    try:
        checkpoint, _ = open_checkpoint(note_text, key_name, raw_keys)
    except InvalidNote as exc:
        raise VerificationError("checkpoint", f"the {what} is not valid: {exc}") from exc
    return checkpoint


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: verify a receipt file; print OK or the failure; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m ipx.ledger.verify", description="Verify an IPX ledger receipt offline."
    )
    parser.add_argument("receipt", help="receipt JSON file, or - for standard input")
    parser.add_argument(
        "--public-key", required=True, help="base64 Ed25519 key, or <name>+<id>+<key>"
    )
    parser.add_argument("--key-name", help="the key name the checkpoint must be signed under")
    parser.add_argument("--origin", help="the log origin the checkpoint must name")
    args = parser.parse_args(argv)
    try:
        receipt = _read_receipt(args.receipt)
        result = verify_receipt(
            receipt, args.public_key, args.key_name, expected_origin=args.origin
        )
    except VerificationError as exc:
        print(f"FAILED {exc.check}: {exc.message}")
        return 1
    cp = result.checkpoint
    root = base64.b64encode(cp.root_hash).decode()
    print(f"OK leaf {result.leaf_index} is in {cp.origin} at tree size {cp.tree_size} ({root})")
    if result.event is not None:
        print(f"OK its sealed record ({result.event['type']}) is the one the leaf commits to")
    return 0


def _read_receipt(path: str) -> object:
    try:
        if path == "-":
            return json.load(sys.stdin)
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationError("receipt", f"cannot read {path}: {exc}") from exc


if __name__ == "__main__":
    sys.exit(main())

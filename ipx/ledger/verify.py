"""The offline verifier: what a bank runs, with only the registry's public key, on a receipt.

Standard library + ``cryptography`` only; no network, no database. A receipt is
``{"leaf": <canonical JSON text>, "leaf_index": int, "inclusion_proof": [base64 hashes],
"checkpoint": <signed note text>}`` as ``GET /api/v1/pledges/{id}/receipt`` returns it, and, for
a holder who may see the event in clear, ``"record"`` (the text the leaf's ``digests.details``
seals) and ``"entry_key"`` (hex key of the leaf's keyed digests): the leaf is then recomputed
from the record, so what the holder reads is what the public leaf commits to.

    python -m ipx.ledger.verify receipt.json --public-key <base64 key or Go verifier key>
    python -m ipx.ledger.verify receipt.json --public-keys keys.json  # every key, after rotations
    python -m ipx.ledger.verify answer.json --certificate --public-key ...  # a search certificate

prints ``OK ...`` and exits 0, or names the check that failed and exits 1.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

from ipx.ledger.canonical import parse_canonical_json
from ipx.ledger.cosignature import InvalidCosignature, check_policy
from ipx.ledger.disclosure import FORMAT, check_sealed
from ipx.ledger.encumbrances import Certified, check_certificate, root_in
from ipx.ledger.keyset import open_checkpoint, raw_public_key
from ipx.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ipx.ledger.note import Checkpoint, InvalidKey, InvalidNote
from ipx.ledger.note import verifier_key as make_verifier_key


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
        raw, name = raw_public_key(public_key)
    except InvalidKey as exc:
        raise VerificationError(
            "public_key", f"neither 32 base64-encoded bytes nor a verifier key: {exc}"
        ) from exc
    if name is None:
        return raw, key_name
    if key_name is not None and key_name != name:
        raise VerificationError("public_key", f"verifier key is for {name}, not {key_name}")
    return raw, name


@dataclass(frozen=True)
class TrustedKey:
    """One key of a key list (``GET /api/v1/ledger/public-key``) with the window it vouches
    for: a ``retired`` key only for checkpoints of at most ``last_tree_size`` entries (none,
    if it never signed one); a current key, or one given without a status, for any. The list's
    ``first_tree_size`` is not read: the window is bounded above only, as docs/VERIFYING.md
    says (a stolen retired key cannot vouch for a newer tree; no lower bound is promised)."""

    key: str  #: base64 of the 32 raw bytes, or a verifier key (which binds the key name)
    status: str | None = None
    last_tree_size: int | None = None

    @property
    def max_tree_size(self) -> int | None:
        """The largest tree size it may have signed (None: no limit; -1: none)."""
        if self.status in (None, "current"):
            return None
        return -1 if self.last_tree_size is None else self.last_tree_size


#: A trusted key as the verifier's functions take it: a key text (trusted for any tree size),
#: or an entry of a key list with its window.
KeyArg = str | TrustedKey


@dataclass(frozen=True)
class _Key:
    raw: bytes
    max_tree_size: int | None


def _trusted_keys(
    public_keys: KeyArg | Sequence[KeyArg], key_name: str | None
) -> tuple[list[_Key], str | None]:
    """The raw bytes (and windows) of one key or several, and the key name a checkpoint must be
    signed under: ``key_name``, else the one name the verifier keys given carry. Keys of
    several names are refused (give ``key_name``): never is the name check dropped for them."""
    keys = [public_keys] if isinstance(public_keys, str | TrustedKey) else list(public_keys)
    if not keys:
        raise VerificationError("public_key", "no public key given")
    trusted, names = [], set()
    for key in keys:
        entry = key if isinstance(key, TrustedKey) else TrustedKey(key)
        raw, name = _public_key(entry.key, key_name)
        trusted.append(_Key(raw, entry.max_tree_size))
        if name is not None:
            names.add(name)
    if key_name is None and len(names) > 1:
        raise VerificationError(
            "public_key",
            f"the keys given are of several key names ({', '.join(sorted(names))}): "
            "give the one the checkpoint must be signed under (--key-name)",
        )
    return trusted, (key_name if key_name is not None else next(iter(names), None))


def public_keys_from_list(document: object) -> list[TrustedKey]:
    """The keys of a key list as ``GET /api/v1/ledger/public-key`` serves it (its ``keys``,
    current and retired, each with its status and the tree sizes it signed, and its
    ``public_key``), or of a JSON list of such entries or keys. An entry's ``verifier_key``
    (else its ``key_name`` with its ``public_key``) is taken, so its key name is bound."""
    entries = document.get("keys", []) if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise VerificationError("public_key", "a key list is a JSON object with keys, or a list")
    found = [_listed_key(entry) for entry in entries]
    if isinstance(document, dict) and "public_key" in document:
        found.append(_listed_key(document))  # the current key: no window
    if not found:
        raise VerificationError("public_key", "the key list holds no public keys, or not text")
    return list(dict.fromkeys(found))  # in order, once each


def _listed_key(entry: object) -> TrustedKey:
    if isinstance(entry, str):
        return TrustedKey(entry)
    if not isinstance(entry, dict):
        raise VerificationError("public_key", "the key list holds no public keys, or not text")
    key = entry.get("verifier_key") or entry.get("public_key")
    if not isinstance(key, str):
        raise VerificationError("public_key", "the key list holds no public keys, or not text")
    name = entry.get("key_name")
    if not entry.get("verifier_key") and isinstance(name, str):
        try:
            key = make_verifier_key(name, _public_key(key, None)[0])
        except InvalidKey as exc:
            raise VerificationError("public_key", f"invalid key name {name!r}: {exc}") from exc
    status, last = entry.get("status"), entry.get("last_tree_size")
    if status is not None and not isinstance(status, str):
        raise VerificationError("public_key", "a key's status must be text")
    if last is not None and type(last) is not int:
        raise VerificationError("public_key", "a key's last tree size must be an integer")
    return TrustedKey(key, status, last)


def _b64(text: object, check: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise VerificationError(check, f"{what} must be a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise VerificationError(check, f"{what} is not valid base64") from exc


def _hashes(items: object, check: str) -> list[bytes]:
    if not isinstance(items, list | tuple):
        raise VerificationError(check, "the proof must be a list of base64 hashes")
    hashes = [_b64(item, check, "a proof hash") for item in items]
    if any(len(h) != 32 for h in hashes):
        raise VerificationError(check, "every proof hash must be 32 bytes")
    return hashes


def verify_receipt(
    receipt: object,
    public_key_b64: KeyArg | Sequence[KeyArg],
    key_name: str | None = None,
    *,
    expected_origin: str | None = None,
    witnesses: Sequence[str] = (),
    quorum: int | None = None,
) -> VerifiedReceipt:
    """Verify a receipt offline; raise ``VerificationError`` naming the first failed check.

    ``witnesses`` (witness verifier keys, ``<name>+<id>+<base64(0x04 || key)>``) and ``quorum``
    (default: all of them) are a witness policy: at least ``quorum`` of them must have cosigned
    the checkpoint (C2SP tlog-cosignature lines in its note), else check ``cosignatures`` fails.

    ``public_key_b64`` is one key or several (base64 or verifier keys: the log's current and
    retired keys, so receipts signed before and after ``ipx signing rotate`` verify).

    Checks, in order: the receipt's shape; the checkpoint's Ed25519 signature by one of the keys
    (by ``key_name`` when given, else by whichever name the signature line carries with a
    matching key id) and, when given, its origin; that the leaf is canonical JSON and, if it
    carries ``seq``, that ``seq`` is its index; and the inclusion proof from the leaf's hash to
    the signed root.
    """
    raw_keys, key_name = _trusted_keys(public_key_b64, key_name)
    if not isinstance(receipt, dict):
        raise VerificationError("receipt", "a receipt is a JSON object")
    missing = {"leaf", "leaf_index", "inclusion_proof", "checkpoint"} - receipt.keys()
    if missing:
        raise VerificationError("receipt", f"missing fields: {', '.join(sorted(missing))}")
    index = receipt["leaf_index"]
    if type(index) is not int or index < 0:
        raise VerificationError("receipt", "leaf_index must be a non-negative integer")
    checkpoint = _checkpoint_by_any(receipt["checkpoint"], raw_keys, key_name, "checkpoint")
    if expected_origin is not None and checkpoint.origin != expected_origin:
        raise VerificationError("origin", f"checkpoint is for log {checkpoint.origin!r}")
    if witnesses or quorum:
        check_witness_policy(receipt["checkpoint"], witnesses, quorum)
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


def check_witness_policy(note_text: str, witnesses: Sequence[str], quorum: int | None) -> int:
    """At least ``quorum`` (default: all) of ``witnesses`` cosigned the checkpoint note; returns
    how many did. Raises ``VerificationError("cosignatures", ...)``."""
    try:
        found = check_policy(note_text, witnesses, len(witnesses) if quorum is None else quorum)
    except InvalidCosignature as exc:
        raise VerificationError("cosignatures", str(exc)) from exc
    return len(found)


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
    public_key_b64: KeyArg | Sequence[KeyArg],
    key_name: str | None = None,
) -> tuple[Checkpoint, Checkpoint]:
    """Verify two signed checkpoints of one log and that the older is a prefix of the newer.

    ``proof`` is the list of base64 hashes from ``GET /ledger/proofs/consistency``; each
    checkpoint may be signed by any of the keys given (one, or the log's keys across a
    rotation). Raises ``VerificationError``; returns both checkpoints when everything holds.
    """
    raw_keys, key_name = _trusted_keys(public_key_b64, key_name)
    old = _checkpoint_by_any(old_note, raw_keys, key_name, "older checkpoint")
    new = _checkpoint_by_any(new_note, raw_keys, key_name, "newer checkpoint")
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
    public_keys: Sequence[KeyArg],
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
    raw_keys, key_name = _trusted_keys(public_keys, key_name)
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
    note_text: str, raw_keys: Sequence[_Key], key_name: str | None, what: str
) -> Checkpoint:
    """The checkpoint, signed by one of the keys that may sign a tree of its size (a retired
    key only up to the last tree size it signed)."""
    try:
        checkpoint, signer = open_checkpoint(note_text, key_name, [k.raw for k in raw_keys])
        size = checkpoint.tree_size
        allowed = [k.raw for k in raw_keys if k.max_tree_size is None or size <= k.max_tree_size]
        if signer in allowed:
            return checkpoint
        if allowed:
            with suppress(InvalidNote):  # another trusted signature line on the same note
                return open_checkpoint(note_text, key_name, allowed)[0]
    except InvalidNote as exc:
        raise VerificationError("checkpoint", f"the {what} is not valid: {exc}") from exc
    windows = [k.max_tree_size for k in raw_keys if k.raw == signer and k.max_tree_size is not None]
    last = max(windows, default=-1)
    signed = f"signed up to tree size {last}" if last >= 0 else "signed no checkpoint"
    raise VerificationError(
        "checkpoint",
        f"the {what} (tree size {size}) is signed only by a retired key, which {signed}",
    )


# --- A search certificate (GET /public/encumbrances?number=...&proof=1) ---


def verify_certificate(
    document: object,
    public_keys: KeyArg | Sequence[KeyArg],
    key_name: str | None = None,
    *,
    expected_origin: str | None = None,
    witnesses: Sequence[str] = (),
    quorum: int | None = None,
) -> tuple[Certified, Checkpoint]:
    """Verify a search certificate offline; return what it proves and its checkpoint; raise
    ``VerificationError`` naming the failed check.

    ``witnesses`` and ``quorum`` are the same witness policy as ``verify_receipt``'s: at least
    ``quorum`` (default: all) of those witnesses must have cosigned the certificate's checkpoint.

    ``document`` is the public answer with ``proof=1`` (or its ``certificate``). The checkpoint
    must be signed by one of the keys and commit, on its ``ipx.encumbrance-map/v1`` extension
    line, to the map root; the map proof must lead from SHA-256 of the number and the stated
    public state (``{pledges: [{id, registration_number}]}``, empty: none) to the public root
    which, with the restricted root, makes that map root (``ipx.ledger.encumbrances``). It
    then proves: as of the checkpoint's tree size, the number had exactly those pledges.
    """
    raw_keys, key_name = _trusted_keys(public_keys, key_name)
    certificate = document.get("certificate", document) if isinstance(document, dict) else None
    if not isinstance(certificate, dict) or "checkpoint" not in certificate:
        raise VerificationError("certificate", "a certificate is a JSON object with a checkpoint")
    checkpoint = _checkpoint_by_any(certificate["checkpoint"], raw_keys, key_name, "checkpoint")
    if expected_origin is not None and checkpoint.origin != expected_origin:
        raise VerificationError("origin", f"checkpoint is for log {checkpoint.origin!r}")
    if witnesses or quorum:
        check_witness_policy(certificate["checkpoint"], witnesses, quorum)
    try:
        committed = root_in(checkpoint.extensions)
    except ValueError as exc:
        raise VerificationError("map_root", str(exc)) from exc
    if committed is None:
        raise VerificationError("map_root", "the checkpoint commits to no map of encumbrances")
    if certificate.get("tree_size", checkpoint.tree_size) != checkpoint.tree_size:
        raise VerificationError("certificate", "tree_size is not the checkpoint's")
    try:
        return check_certificate(certificate, checkpoint.tree_size, committed), checkpoint
    except (ValueError, KeyError, TypeError) as exc:
        raise VerificationError("map_proof", str(exc)) from exc


def describe_certificate(result: Certified, checkpoint: Checkpoint) -> str:
    """The line the command prints for a verified certificate."""
    head = f"OK as of tree size {result.tree_size} of {checkpoint.origin}, {result.number} had"
    if not result.pledges:
        return f"{head} no pledge on it (no public encumbrance)"
    listed = ", ".join(f"{p['registration_number']} (pledge {p['id']})" for p in result.pledges)
    return f"{head} exactly these pledges on it: {listed}"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: verify a receipt file; print OK or the failure; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m ipx.ledger.verify", description="Verify an IPX ledger receipt offline."
    )
    parser.add_argument("receipt", help="receipt JSON file, or - for standard input")
    parser.add_argument(
        "--public-key",
        action="append",
        default=[],
        help="base64 Ed25519 key, or <name>+<id>+<key>; repeat it for each of the log's keys",
    )
    parser.add_argument(
        "--public-keys",
        metavar="FILE",
        help="the log's key list as GET /api/v1/ledger/public-key serves it (every key, "
        "current and retired), or - for standard input",
    )
    parser.add_argument("--key-name", help="the key name the checkpoint must be signed under")
    parser.add_argument("--origin", help="the log origin the checkpoint must name")
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        help="a witness's verifier key <name>+<id>+<base64 key>; repeat for each trusted one",
    )
    parser.add_argument(
        "--quorum",
        type=int,
        help="how many of the --witness keys must have cosigned the checkpoint (default: all)",
    )
    parser.add_argument(
        "--certificate",
        action="store_true",
        help="the file is a search certificate (GET /public/encumbrances?number=...&proof=1)",
    )
    args = parser.parse_args(argv)
    if not args.public_key and not args.public_keys:
        parser.error("give the log's key: --public-key KEY (repeatable) or --public-keys FILE")
    if args.receipt == "-" and args.public_keys == "-":
        parser.error("the receipt and the key list cannot both come from standard input")
    try:
        keys: list[KeyArg] = list(args.public_key)
        if args.public_keys:
            keys += public_keys_from_list(_read_json(args.public_keys, "public_key"))
        receipt = _read_receipt(args.receipt)
        policy = {"expected_origin": args.origin, "witnesses": args.witness, "quorum": args.quorum}
        if args.certificate:
            print(describe_certificate(*verify_certificate(receipt, keys, args.key_name, **policy)))
            _print_policy(args.witness, args.quorum)
            return 0
        result = verify_receipt(receipt, keys, args.key_name, **policy)
    except VerificationError as exc:
        print(f"FAILED {exc.check}: {exc.message}")
        return 1
    cp = result.checkpoint
    root = base64.b64encode(cp.root_hash).decode()
    print(f"OK leaf {result.leaf_index} is in {cp.origin} at tree size {cp.tree_size} ({root})")
    _print_policy(args.witness, args.quorum)
    if result.event is not None:
        print(f"OK its sealed record ({result.event['type']}) is the one the leaf commits to")
    return 0


def _print_policy(witnesses: Sequence[str], quorum: int | None) -> None:
    if witnesses:
        needed = len(witnesses) if quorum is None else quorum
        print(f"OK cosigned as the witness policy asks ({needed} of {len(witnesses)})")


def _read_receipt(path: str) -> object:
    return _read_json(path, "receipt")


def _read_json(path: str, check: str) -> object:
    try:
        if path == "-":
            return json.load(sys.stdin)
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationError(check, f"cannot read {path}: {exc}") from exc


if __name__ == "__main__":
    sys.exit(main())

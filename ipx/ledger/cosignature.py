"""Witness cosignatures of checkpoints: C2SP tlog-cosignature, the timestamped Ed25519 type.

Standard library + ``cryptography`` only: the offline verifier imports this module.

- A cosignature is a signed-note signature line ``"\u2014 " + name + " " + base64(key id ||
  timestamp || signature) + "\n"``: the key id SHA-256(name || "\\n" || 0x04 || public key)[:4],
  the timestamp a big-endian u64 of POSIX seconds, the signature 64 bytes of Ed25519;
- the signed message is ``"cosignature/v1\\n" + "time <timestamp>\\n"`` followed by the whole
  note body of the checkpoint (its extension lines too, not its signature lines);
- a witness's verifier key reads ``<name>+<hex key id>+<base64(0x04 || public key)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ipx.ledger import note

ALG_COSIGNATURE_V1 = 0x04
HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1


class InvalidCosignature(ValueError):
    """A trusted witness's cosignature line does not verify, or a key is malformed."""


@dataclass(frozen=True)
class Witness:
    """A witness a verifier trusts: its name and 32-byte Ed25519 public key."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def verifier_key(self) -> str:
        encoded = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: who, when (POSIX seconds), and the signature line itself."""

    witness: Witness
    timestamp: int
    line: str


def key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || "\\n" || 0x04 || public key)[:4]."""
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    ).digest()[:4]


def message(body: str, timestamp: int) -> bytes:
    """The bytes a cosignature signs over a checkpoint's note body."""
    return f"{HEADER}time {timestamp}\n{body}".encode()


def cosign(body: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line of ``name`` on the checkpoint whose note body is ``body``."""
    if not note.is_valid_key_name(name):
        raise InvalidCosignature(f"invalid witness name {name!r}")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise InvalidCosignature("timestamp out of range")
    public = private_key.public_key().public_bytes_raw()
    signature = private_key.sign(message(body, timestamp))
    blob = key_id(name, public) + timestamp.to_bytes(8, "big") + signature
    return f"{note.SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


def parse_witness_key(vkey: str) -> Witness:
    """A witness's verifier key ``<name>+<hex id>+<base64(0x04 || key)>``; raises
    ``InvalidCosignature``."""
    name, _, rest = vkey.strip().partition("+")
    hex_id, _, encoded = rest.partition("+")
    if not note.is_valid_key_name(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", hex_id):
        raise InvalidCosignature("malformed witness key: expected <name>+<8 hex>+<base64 key>")
    try:
        blob = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise InvalidCosignature("witness key data is not valid base64") from exc
    if len(blob) != 33 or blob[0] != ALG_COSIGNATURE_V1:
        raise InvalidCosignature("witness key data is not 0x04 and a 32-byte Ed25519 key")
    witness = Witness(name, blob[1:])
    if witness.key_id.hex() != hex_id.lower():
        raise InvalidCosignature("witness key id does not match the key")
    return witness


def split_note(note_text: str) -> tuple[str, list[str]]:
    """A signed note's body and its signature lines (each with its newline)."""
    split = note_text.rfind("\n\n")
    if split < 0 or not note_text.endswith("\n"):
        raise note.InvalidNote("note has no blank line before its signatures")
    return note_text[: split + 1], [f"{line}\n" for line in note_text[split + 2 : -1].split("\n")]


def cosignatures(note_text: str, witnesses: Iterable[Witness]) -> list[Cosignature]:
    """The cosignatures in ``note_text`` by the given witnesses, each verified; lines of other
    keys are ignored (as a signed-note verifier ignores unknown keys). Raises
    ``InvalidCosignature`` when a line names a trusted witness's key and does not verify."""
    body, lines = split_note(note_text)
    by_id = {(w.name, w.key_id): w for w in witnesses}
    found = []
    for line in lines:
        parsed = _parse_line(line)
        if parsed is None:
            continue
        name, blob = parsed
        witness = by_id.get((name, blob[:4]))
        if witness is None:
            continue
        found.append(verify_line(body, witness, line))
    return found


def verify_line(body: str, witness: Witness, line: str) -> Cosignature:
    """Verify one cosignature line of ``witness`` over the note body ``body``."""
    parsed = _parse_line(line)
    if parsed is None or parsed[0] != witness.name or parsed[1][:4] != witness.key_id:
        raise InvalidCosignature(f"not a cosignature line of {witness.name}")
    blob = parsed[1]
    if len(blob) != 4 + 8 + 64:
        raise InvalidCosignature(f"cosignature of {witness.name} is not timestamped Ed25519")
    timestamp = int.from_bytes(blob[4:12], "big")
    if timestamp > MAX_TIMESTAMP:
        raise InvalidCosignature(f"cosignature of {witness.name} has an invalid timestamp")
    try:
        Ed25519PublicKey.from_public_bytes(witness.public_key).verify(
            blob[12:], message(body, timestamp)
        )
    except InvalidSignature as exc:
        raise InvalidCosignature(f"invalid cosignature by witness {witness.name}") from exc
    return Cosignature(witness, timestamp, line)


def _parse_line(line: str) -> tuple[str, bytes] | None:
    if not line.startswith(note.SIGNATURE_PREFIX) or not line.endswith("\n"):
        return None
    name, _, encoded = line[len(note.SIGNATURE_PREFIX) : -1].partition(" ")
    try:
        blob = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return (name, blob) if len(blob) >= 4 else None


class PolicyNotMet(InvalidCosignature):
    """Fewer of the trusted witnesses cosigned than the policy asks."""


def check_policy(note_text: str, witness_keys: Iterable[str], quorum: int) -> list[Cosignature]:
    """The policy "at least ``quorum`` of these witnesses cosigned this checkpoint": each
    trusted witness counts once, by a line that verifies over the note's body. Raises
    ``PolicyNotMet`` below the quorum, ``InvalidCosignature`` for a malformed key or a bad line
    of a trusted witness."""
    witnesses = list(dict.fromkeys(parse_witness_key(key) for key in witness_keys))
    if not 0 <= quorum <= len(witnesses):
        raise InvalidCosignature(f"a quorum of {quorum} of {len(witnesses)} witnesses")
    found = {c.witness: c for c in cosignatures(note_text, witnesses)}
    if len(found) < quorum:
        names = ", ".join(w.name for w in found) or "none"
        raise PolicyNotMet(
            f"{len(found)} of the {len(witnesses)} trusted witnesses cosigned ({names}); "
            f"the policy asks for {quorum}"
        )
    return list(found.values())

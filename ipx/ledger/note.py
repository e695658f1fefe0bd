"""Signed checkpoints in the C2SP signed-note format, as golang.org/x/mod/sumdb/note writes them.

Standard library + ``cryptography`` only: the offline verifier imports this module.

Format (golang.org/x/mod/sumdb/note/note.go, package doc "Signed Note Format", ``Sign`` and
``Open``; C2SP signed-note.md and tlog-checkpoint.md):
- the note text ends in a newline; then one blank line; then one or more signature lines
  ``"\u2014 " + key name + " " + base64(4-byte big-endian key id || signature) + "\n"``;
- the whole note is valid UTF-8 with no control character other than newline, and the
  signatures are split from the text at the LAST blank line;
- key names are non-empty and hold no Unicode space and no ``+``;
- key id = SHA-256(key name || "\n" || 0x01 || 32-byte Ed25519 public key)[:4];
- verifier keys read ``<name>+<8 hex digits of key id>+<base64(0x01 || public key)>`` and
  signer keys ``PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>`` (``NewVerifier``,
  ``NewSigner``); Go's own example key pair is used as a test vector;
- signatures by other keys (witness cosignatures, say) are ignored, as ``Open`` ignores
  unknown verifiers; at most 100 signature lines are read, as in ``Open``.
The checkpoint text is ``<origin>\n<tree size>\n<base64 root hash>\n`` and then the extension
lines tlog-checkpoint allows (non-empty, one per line): this log writes one, committing to the
root of its map of encumbrances (``ipx.ledger.encumbrances``); checkpoints signed before it have
none and read as before.
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
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class InvalidNote(ValueError):
    """A note is malformed, or not signed by the expected key, or its text is not a checkpoint."""


class InvalidKey(ValueError):
    """A verifier or signer key string is malformed or its key id does not match."""


def is_valid_key_name(name: str) -> bool:
    """Go's isValidName: non-empty, no Unicode space, no '+'."""
    return isinstance(name, str) and name != "" and "+" not in name and not _has_space(name)


def _has_space(text: str) -> bool:
    # str.isspace covers Go's unicode.IsSpace (White_Space) plus a few control characters,
    # which a note may not contain anyway.
    return any(ch.isspace() for ch in text)


def _raw_public_key(public_key: Ed25519PublicKey | bytes) -> bytes:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if isinstance(public_key, bytes) and len(public_key) == 32:
        return public_key
    raise InvalidKey("an Ed25519 public key is 32 raw bytes")


def key_id(key_name: str, public_key_bytes: Ed25519PublicKey | bytes) -> bytes:
    """The 4-byte key id: SHA-256(key name || "\\n" || 0x01 || public key)[:4]."""
    encoded = bytes([ALG_ED25519]) + _raw_public_key(public_key_bytes)
    return hashlib.sha256(key_name.encode("utf-8") + b"\n" + encoded).digest()[:4]


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin line, its size and its root hash."""

    origin: str
    tree_size: int
    root_hash: bytes
    #: tlog-checkpoint extension lines after the root hash (this log writes one: the map of
    #: encumbrances' root, ``ipx.ledger.encumbrances.extension_line``); older ones have none.
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin or "\n" in self.origin:
            raise InvalidNote("origin must be one non-empty line")
        if _CONTROL.search(self.origin):
            raise InvalidNote("origin holds a control character")
        if type(self.tree_size) is not int or not 0 <= self.tree_size < 2**64:
            raise InvalidNote("tree size must be an integer in 0..2^64-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != 32:
            raise InvalidNote("root hash must be 32 bytes")
        if not isinstance(self.extensions, tuple) or any(
            not isinstance(line, str) or not line or "\n" in line or _CONTROL.search(line)
            for line in self.extensions
        ):
            raise InvalidNote("an extension line is one non-empty line")

    def body(self) -> str:
        """The note text: origin, decimal tree size and base64 root hash, one per line, then
        the extension lines."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        extra = "".join(f"{line}\n" for line in self.extensions)
        return f"{self.origin}\n{self.tree_size}\n{root}\n{extra}"

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        """Parse a checkpoint text; refuse anything that ``body()`` would not write back."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or "" in lines[3:-1]:
            raise InvalidNote(
                "a checkpoint is three lines (origin, size, root hash), then extension lines"
            )
        origin, size, root = lines[:3]
        if not _DECIMAL.fullmatch(size):
            raise InvalidNote("tree size is not a decimal number without leading zeros")
        extensions = tuple(lines[3:-1])
        checkpoint = cls(origin, int(size), _b64decode(root, "root hash"), extensions)
        if checkpoint.body() != text:
            raise InvalidNote("root hash is not in canonical base64")
        return checkpoint


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise InvalidNote(f"{what} is not valid base64") from exc


def sign_note(text: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign a note text (ending in a newline) with one Ed25519 key; return the signed note."""
    if not text.endswith("\n") or _CONTROL.search(text):
        raise InvalidNote("note text must end in a newline and hold no control characters")
    if not is_valid_key_name(key_name):
        raise InvalidKey(f"invalid key name {key_name!r}")
    signature = private_key.sign(text.encode("utf-8"))
    kid = key_id(key_name, private_key.public_key())
    line = base64.b64encode(kid + signature).decode("ascii")
    return f"{text}\n{SIGNATURE_PREFIX}{key_name} {line}\n"


def sign_checkpoint(checkpoint: Checkpoint, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note text of a checkpoint."""
    return sign_note(checkpoint.body(), key_name, private_key)


def open_note(
    note_text: str | bytes, key_name: str | None, public_key: Ed25519PublicKey | bytes
) -> str:
    """Verify a signed note against one public key and return its text.

    ``key_name`` None accepts whichever name the note's signature line gives, provided its key
    id matches this public key (the name is then bound by the id). Raises ``InvalidNote`` when
    the note is malformed, a signature by this key fails, or no signature by this key exists.
    """
    text, signers = open_note_signers(note_text, key_name, [public_key])
    if not signers:
        wanted = key_name if key_name is not None else "the given public key"
        raise InvalidNote(f"note has no signature by {wanted}")
    return text


def open_note_signers(
    note_text: str | bytes,
    key_name: str | None,
    public_keys: Iterable[Ed25519PublicKey | bytes],
) -> tuple[str, list[bytes]]:
    """The note's text and the raw keys of ``public_keys`` (in their order) that signed it.

    Every signature line whose name and key id are those of a given key is checked, and one
    that does not verify refuses the whole note, whichever other given key signed it well, so
    whether a note passes never depends on the order keys are tried in (as with Go's ``Open``,
    which fails on a known verifier's bad signature). Stricter than ``Open`` in one way: Go
    verifies only the first line of each verifier and drops repeats; here a repeated line must
    verify too. Lines by other keys are ignored, as ``Open`` ignores unknown verifiers. Raises
    ``InvalidNote``; an empty list of signers is for the caller to refuse.
    """
    raws = list(dict.fromkeys(_raw_public_key(key) for key in public_keys))
    text, lines = _split_note(note_text)
    signed: set[bytes] = set()
    for name, kid, signature in lines:
        if key_name is not None and name != key_name:
            continue  # another key's signature (the name is part of the key): ignored
        for raw in raws:
            if kid == key_id(name, raw):
                _check_signature(raw, text, name, kid, signature)
                signed.add(raw)
    return text, [raw for raw in raws if raw in signed]


def _check_signature(raw: bytes, text: str, name: str, kid: bytes, signature: bytes) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, text.encode("utf-8"))
    except InvalidSignature as exc:
        raise InvalidNote(f"invalid signature for key {name}+{kid.hex()}") from exc


def split_signed_note(note_text: str | bytes) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """The note's text and its signature lines as (key name, key id, signature), nothing
    verified: a server telling a malformed note (Go's ``errMalformedNote``) from one no trusted
    key signed reads it this way. Raises ``InvalidNote`` for a malformed note."""
    return _split_note(note_text)


def _split_note(note_text: str | bytes) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    if isinstance(note_text, bytes):
        try:
            note_text = note_text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidNote("note is not valid UTF-8") from exc
    if not isinstance(note_text, str):
        raise InvalidNote("note must be text")
    if _CONTROL.search(note_text) or _has_surrogate(note_text):
        raise InvalidNote("note holds a control character or invalid Unicode")
    split = note_text.rfind("\n\n")
    if split < 0:
        raise InvalidNote("note has no blank line before its signatures")
    text, block = note_text[: split + 1], note_text[split + 2 :]
    if not block.endswith("\n"):
        raise InvalidNote("signature block must end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidNote("too many signatures")
    return text, [_parse_signature_line(line) for line in lines]


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _parse_signature_line(line: str) -> tuple[str, bytes, bytes]:
    if not line.startswith(SIGNATURE_PREFIX):
        raise InvalidNote("signature line does not start with an em dash and a space")
    name, _, b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not is_valid_key_name(name) or not b64:
        raise InvalidNote("malformed signature line")
    blob = _b64decode(b64, "signature")
    if len(blob) < 5:
        raise InvalidNote("signature too short")
    return name, blob[:4], blob[4:]


def parse_and_verify_note(
    note_text: str | bytes, key_name: str | None, public_key: Ed25519PublicKey | bytes
) -> Checkpoint:
    """Verify a signed checkpoint note and return its checkpoint; raises ``InvalidNote``."""
    return Checkpoint.from_body(open_note(note_text, key_name, public_key))


def verifier_key(key_name: str, public_key: Ed25519PublicKey | bytes) -> str:
    """Go's verifier key string ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
    if not is_valid_key_name(key_name):
        raise InvalidKey(f"invalid key name {key_name!r}")
    raw = _raw_public_key(public_key)
    encoded = base64.b64encode(bytes([ALG_ED25519]) + raw).decode("ascii")
    return f"{key_name}+{key_id(key_name, raw).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """Parse a verifier key string (as Go's ``note.NewVerifier``); raises ``InvalidKey``."""
    name, _, rest = vkey.partition("+")
    hex_id, raw = _parse_key_fields(name, rest)
    if key_id(name, raw).hex() != hex_id:
        raise InvalidKey("key id does not match the key")
    return name, Ed25519PublicKey.from_public_bytes(raw)


def _parse_key_fields(name: str, rest: str) -> tuple[str, bytes]:
    """Split ``<hex id>+<base64(0x01 || 32 bytes)>``; return the lower-case id and the 32 bytes."""
    hex_id, _, b64 = rest.partition("+")
    if not is_valid_key_name(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", hex_id):
        raise InvalidKey("malformed key: expected <name>+<8 hex digits>+<base64 key>")
    try:
        blob = base64.b64decode(b64.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise InvalidKey("key data is not valid base64") from exc
    if len(blob) != 33 or blob[0] != ALG_ED25519:
        raise InvalidKey("key data is not 0x01 followed by a 32-byte Ed25519 key")
    return hex_id.lower(), blob[1:]


def signer_key(key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Go's signer key string ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``."""
    if not is_valid_key_name(key_name):
        raise InvalidKey(f"invalid key name {key_name!r}")
    seed = base64.b64encode(bytes([ALG_ED25519]) + private_key.private_bytes_raw()).decode()
    return f"PRIVATE+KEY+{key_name}+{key_id(key_name, private_key.public_key()).hex()}+{seed}"


def parse_signer_key(skey: str) -> tuple[str, Ed25519PrivateKey]:
    """Parse a signer key string (as Go's ``note.NewSigner``); raises ``InvalidKey``."""
    if not skey.startswith("PRIVATE+KEY+"):
        raise InvalidKey("signer key must start with PRIVATE+KEY+")
    name, _, rest = skey[len("PRIVATE+KEY+") :].partition("+")
    hex_id, seed = _parse_key_fields(name, rest)
    private_key = Ed25519PrivateKey.from_private_bytes(seed)
    if key_id(name, private_key.public_key()).hex() != hex_id:
        raise InvalidKey("key id does not match the key")
    return name, private_key

"""Signed-note checkpoints: Go's published vectors, round trips, and every tampering refused."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ipx.ledger.note import (
    Checkpoint,
    InvalidKey,
    InvalidNote,
    key_id,
    open_note,
    parse_and_verify_note,
    parse_signer_key,
    parse_verifier_key,
    sign_checkpoint,
    sign_note,
    signer_key,
    verifier_key,
)

# golang.org/x/mod/sumdb/note: package doc example and note_test.go (TestSign, TestOpen).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6"
    "KE6RyyBwJnAM=\n"
)
GO_ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WW"
    "d1RvMc+QQ=\n"
)

NAME = "ipx.example/log"
ROOT = hashlib.sha256(b"some root").digest()
ROOT64 = base64.b64encode(ROOT).decode()
OTHER_ROOT64 = base64.b64encode(ROOT[::-1]).decode()
# The last character before "=" carries 2 unused bits; setting one gives the same 32 bytes.
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
NONCANONICAL_ROOT64 = ROOT64[:-2] + B64_ALPHABET[B64_ALPHABET.index(ROOT64[-2]) ^ 1] + "="


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def note(key) -> str:
    return sign_checkpoint(Checkpoint(NAME, 1234, ROOT), NAME, key)


# --- Go's vectors ----------------------------------------------------------------------------


def test_signing_gos_example_key_reproduces_gos_published_note():
    name, private_key = parse_signer_key(GO_SKEY)
    assert name == "PeterNeumann"
    assert sign_note(GO_TEXT, name, private_key) == GO_TEXT + "\n" + GO_PETER_SIG
    assert verifier_key(name, private_key.public_key()) == GO_VKEY
    assert signer_key(name, private_key) == GO_SKEY
    assert key_id(name, private_key.public_key()) == bytes.fromhex("c74f20a3")


def test_gos_doubly_signed_note_opens_with_either_key_and_ignores_the_other():
    message = GO_TEXT + "\n" + GO_PETER_SIG + GO_ENOCH_SIG
    for vkey in (GO_VKEY, GO_ENOCH_VKEY):
        name, public_key = parse_verifier_key(vkey)
        assert open_note(message, name, public_key) == GO_TEXT
        assert open_note(message.encode(), None, public_key) == GO_TEXT


@pytest.mark.parametrize(
    "message",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + GO_PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + GO_PETER_SIG,
        GO_TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2p"
        "ZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        GO_TEXT + "\n" + GO_PETER_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + GO_PETER_SIG[:60] + "ABCD" + GO_PETER_SIG[60:],  # invalid signature
        GO_TEXT + "\n" + GO_ENOCH_SIG,  # signed, but not by the key we trust
    ],
)
def test_gos_malformed_and_badly_signed_notes_are_refused(message):
    name, public_key = parse_verifier_key(GO_VKEY)
    with pytest.raises(InvalidNote):
        open_note(message, name, public_key)


def test_invalid_utf8_is_refused():
    _, public_key = parse_verifier_key(GO_VKEY)
    with pytest.raises(InvalidNote):
        open_note(b"\xff" + (GO_TEXT + "\n" + GO_PETER_SIG).encode(), None, public_key)


def test_every_truncation_or_corruption_of_gos_verifier_key_is_refused():
    # As Go's TestNewVerifier: every proper substring and every single-byte change fails.
    for i in range(len(GO_VKEY) + 1):
        for j in range(i + 1, len(GO_VKEY) + 1):
            if (i, j) != (0, len(GO_VKEY)):
                with pytest.raises((InvalidKey, ValueError)):
                    parse_verifier_key(GO_VKEY[i:j])
    for i in range(len(GO_VKEY)):
        changed = GO_VKEY[:i] + chr(ord(GO_VKEY[i]) + 1) + GO_VKEY[i + 1 :]
        with pytest.raises((InvalidKey, ValueError)):
            parse_verifier_key(changed)


# --- checkpoints ----------------------------------------------------------------------------


def test_the_non_canonical_root_encoding_decodes_to_the_same_bytes():
    assert NONCANONICAL_ROOT64 != ROOT64
    assert base64.b64decode(NONCANONICAL_ROOT64) == ROOT


def test_checkpoint_note_has_the_exact_c2sp_layout(key, note):
    kid = key_id(NAME, key.public_key())
    text, signature_line = note.split("\n\n")
    assert text + "\n" == f"{NAME}\n1234\n{ROOT64}\n"
    assert signature_line.startswith(f"\u2014 {NAME} ")
    blob = base64.b64decode(signature_line.split(" ")[2])
    assert blob[:4] == kid and len(blob) == 68
    raw = key.public_key().public_bytes_raw()
    assert kid == hashlib.sha256(NAME.encode() + b"\n\x01" + raw).digest()[:4]


def test_round_trip(key, note):
    checkpoint = parse_and_verify_note(note, NAME, key.public_key())
    assert checkpoint == Checkpoint(NAME, 1234, ROOT)
    assert parse_and_verify_note(note, None, key.public_key().public_bytes_raw()) == checkpoint
    name, public_key = parse_verifier_key(verifier_key(NAME, key.public_key()))
    assert parse_and_verify_note(note, name, public_key) == checkpoint


def _tamper(note: str, old: str, new: str) -> str:
    assert old in note
    return note.replace(old, new, 1)


def _flip_signature(note: str) -> str:
    head, b64 = note.rstrip("\n").rsplit(" ", 1)
    blob = bytearray(base64.b64decode(b64))
    blob[10] ^= 1
    return f"{head} {base64.b64encode(bytes(blob)).decode()}\n"


TAMPERINGS = {
    "origin": lambda n: _tamper(n, NAME + "\n", "ipx.example/other\n"),
    "size": lambda n: _tamper(n, "\n1234\n", "\n1235\n"),
    "root": lambda n: _tamper(n, ROOT64, OTHER_ROOT64),
    "non-canonical root": lambda n: _tamper(
        n, ROOT64, ROOT64[:-2] + chr(ord(ROOT64[-2]) + 1) + "="
    ),
    "signature": _flip_signature,
    "key name": lambda n: _tamper(n, f"\u2014 {NAME} ", "\u2014 ipx.example/logs "),
    "extra text": lambda n: n + "trailing words\n",
    "extension line": lambda n: _tamper(n, "\n\n", "\nextension\n\n"),
    "leading zero": lambda n: _tamper(n, "\n1234\n", "\n01234\n"),
    "no blank line": lambda n: _tamper(n, "\n\n", "\n"),
    "crlf": lambda n: n.replace("\n", "\r\n"),
    "hyphen for em dash": lambda n: _tamper(n, "\u2014", "-"),
    "no signature": lambda n: n.split("\n\n")[0] + "\n\n",
}


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_tampered_notes_are_refused(key, note, tampering):
    with pytest.raises(InvalidNote):
        parse_and_verify_note(TAMPERINGS[tampering](note), NAME, key.public_key())


def test_a_note_signed_by_another_key_is_refused(key, note):
    impostor = Ed25519PrivateKey.generate()
    forged = sign_checkpoint(Checkpoint(NAME, 1234, ROOT), NAME, impostor)
    with pytest.raises(InvalidNote):
        parse_and_verify_note(forged, NAME, key.public_key())
    with pytest.raises(InvalidNote):
        parse_and_verify_note(note, NAME, impostor.public_key())
    with pytest.raises(InvalidNote):
        parse_and_verify_note(note, "ipx.example/other", key.public_key())


def test_cosignatures_by_other_keys_are_ignored_but_a_bad_one_of_ours_is_not(key, note):
    witness = Ed25519PrivateKey.generate()
    text = note.split("\n\n")[0] + "\n"
    cosigned = note + sign_note(text, "witness.example", witness).split("\n\n")[1]
    assert parse_and_verify_note(cosigned, NAME, key.public_key()).tree_size == 1234
    ours_forged = note + _flip_signature(note).split("\n\n")[1]
    with pytest.raises(InvalidNote):
        parse_and_verify_note(ours_forged, NAME, key.public_key())


@pytest.mark.parametrize(
    "fields",
    [("", 1, ROOT), ("a\nb", 1, ROOT), ("o", -1, ROOT), ("o", True, ROOT), ("o", 1, ROOT[:31]),
     ("o", 2**64, ROOT), ("o\x00", 1, ROOT)],
)  # fmt: skip
def test_invalid_checkpoints_cannot_be_built(fields):
    with pytest.raises(InvalidNote):
        Checkpoint(*fields)


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\there", "nbsp\u00a0"])
def test_invalid_key_names_are_refused(key, name):
    with pytest.raises(InvalidKey):
        sign_checkpoint(Checkpoint(NAME, 1, ROOT), name, key)
    with pytest.raises(InvalidKey):
        verifier_key(name, key.public_key())


def test_signer_key_round_trip_and_mismatched_id(key):
    skey = signer_key(NAME, key)
    name, parsed = parse_signer_key(skey)
    assert name == NAME and parsed.private_bytes_raw() == key.private_bytes_raw()
    with pytest.raises(InvalidKey):
        parse_signer_key(skey.replace(f"+{NAME}+", "+ipx.example/other+"))
    with pytest.raises(InvalidKey):
        parse_signer_key(skey.removeprefix("PRIVATE+KEY+"))


origins = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda s: "\n" not in s
)


@settings(max_examples=60, deadline=None)
@given(origin=origins, size=st.integers(0, 2**64 - 1), root=st.binary(min_size=32, max_size=32))
def test_any_checkpoint_round_trips(key, origin, size, root):
    checkpoint = Checkpoint(origin, size, root)
    signed = sign_checkpoint(checkpoint, NAME, key)
    assert parse_and_verify_note(signed, NAME, key.public_key()) == checkpoint


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_arbitrary_input_raises_only_invalid_note(key, text):
    with pytest.raises(InvalidNote):
        parse_and_verify_note(text, NAME, key.public_key())

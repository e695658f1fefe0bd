"""A checkpoint against several trusted keys: refused when any trusted key's signature line
fails, whatever the order the keys are given in (as Go's ``note.Open``), while lines by keys
nobody trusts are ignored. The receipt verifier and the witness read notes this way."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ipx.ledger import merkle, note
from ipx.ledger.keyset import open_checkpoint
from ipx.ledger.verify import VerificationError, verify_receipt
from ipx.ledger.witness import StateFile, WitnessService
from tests.unit.test_ledger_verify import ORIGIN, Log, b64, make_leaf

CHECKPOINT = note.Checkpoint(ORIGIN, 7, hashlib.sha256(b"root").digest())
GOOD, OTHER, STRANGER = (Ed25519PrivateKey.generate() for _ in range(3))


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def _line(key: Ed25519PrivateKey, name: str = ORIGIN, *, bad: bool = False) -> str:
    """One signature line of ``CHECKPOINT`` by ``key``; ``bad`` flips a bit of the signature."""
    signed = note.sign_checkpoint(CHECKPOINT, name, key).split("\n\n")[1]
    return _flip(signed) if bad else signed


def _flip(line: str) -> str:
    """The signature line with one bit of its signature flipped (its key id kept)."""
    head, blob64 = line.rstrip("\n").rsplit(" ", 1)
    blob = bytearray(base64.b64decode(blob64))
    blob[10] ^= 1
    return f"{head} {base64.b64encode(bytes(blob)).decode()}\n"


def _note(*lines: str) -> str:
    return CHECKPOINT.body() + "\n" + "".join(lines)


BAD_BY_OTHER = [
    _note(_line(GOOD), _line(OTHER, bad=True)),
    _note(_line(OTHER, bad=True), _line(GOOD)),
]


@pytest.mark.parametrize("signed", BAD_BY_OTHER, ids=["good-line-first", "bad-line-first"])
@pytest.mark.parametrize("key_name", [ORIGIN, None])
def test_a_bad_line_by_a_trusted_key_refuses_the_note_in_any_key_order(signed, key_name):
    for keys in itertools.permutations([_raw(GOOD), _raw(OTHER)]):
        with pytest.raises(note.InvalidNote, match="invalid signature for key"):
            open_checkpoint(signed, key_name, list(keys))


def test_a_bad_line_by_a_key_nobody_trusts_is_ignored():
    for lines in itertools.permutations([_line(GOOD), _line(STRANGER, bad=True)]):
        for keys in itertools.permutations([_raw(GOOD), _raw(OTHER)]):
            assert open_checkpoint(_note(*lines), ORIGIN, list(keys)) == (CHECKPOINT, _raw(GOOD))


def test_a_trusted_keys_bad_line_under_another_name_is_another_key():
    """A key is its name and its public key: with the name fixed, the same public key under
    another name is unknown (ignored); with any name allowed, its line is checked."""
    signed = _note(_line(GOOD), _line(OTHER, "other.example/log", bad=True))
    keys = [_raw(OTHER), _raw(GOOD)]
    assert open_checkpoint(signed, ORIGIN, keys) == (CHECKPOINT, _raw(GOOD))
    with pytest.raises(note.InvalidNote, match="invalid signature"):
        open_checkpoint(signed, None, keys)


def test_two_good_signatures_give_the_first_given_key():
    signed = _note(_line(GOOD), _line(OTHER))
    assert open_checkpoint(signed, ORIGIN, [_raw(OTHER), _raw(GOOD)])[1] == _raw(OTHER)
    assert open_checkpoint(signed, ORIGIN, [_raw(GOOD), _raw(OTHER)])[1] == _raw(GOOD)


def test_no_signature_by_a_trusted_key_is_refused_saying_so():
    with pytest.raises(note.InvalidNote, match="no signature by any of the 2 trusted keys"):
        open_checkpoint(_note(_line(STRANGER)), ORIGIN, [_raw(GOOD), _raw(OTHER)])
    with pytest.raises(note.InvalidNote, match=f"no signature by {ORIGIN}"):
        open_checkpoint(_note(_line(STRANGER)), ORIGIN, _raw(GOOD))
    with pytest.raises(note.InvalidNote, match="no trusted public key"):
        open_checkpoint(_note(_line(GOOD)), ORIGIN, [])


def test_a_receipt_whose_checkpoint_carries_a_bad_trusted_line_fails():
    log = Log(GOOD, [make_leaf(i) for i in range(3)])
    receipt = log.receipt(1, 3)
    body = receipt["checkpoint"].split("\n\n")[0] + "\n"
    receipt["checkpoint"] += _flip(note.sign_note(body, ORIGIN, OTHER).split("\n\n")[1])
    for keys in ([b64(_raw(GOOD)), b64(_raw(OTHER))], [b64(_raw(OTHER)), b64(_raw(GOOD))]):
        with pytest.raises(VerificationError) as failed:
            verify_receipt(receipt, keys)
        assert failed.value.check == "checkpoint" and "invalid signature" in failed.value.message
    assert verify_receipt(receipt, [b64(_raw(GOOD))]).leaf_index == 1  # OTHER not trusted


def test_the_witness_refuses_a_checkpoint_with_a_bad_line_by_a_key_of_the_log(tmp_path):
    tree = merkle.MemoryTree()
    for i in range(3):
        tree.append(f"entry {i}".encode())
    checkpoint = note.Checkpoint(ORIGIN, 3, tree.root(3))
    good = note.sign_checkpoint(checkpoint, ORIGIN, GOOD)
    signed = good + _flip(note.sign_checkpoint(checkpoint, ORIGIN, OTHER).split("\n\n")[1])
    service = WitnessService(
        "witness.example/w1",
        Ed25519PrivateKey.generate(),
        {ORIGIN: [_raw(GOOD), _raw(OTHER)]},
        StateFile(tmp_path / "state.json"),
        clock=lambda: 1_700_000_000,
    )
    body = ("old 0\n\n" + signed).encode()
    answered: dict = {}
    environ = {
        "PATH_INFO": "/add-checkpoint",
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    text = b"".join(service.wsgi(environ, lambda status, _: answered.update(status=status)))
    assert answered["status"].startswith("403") and b"invalid signature" in text

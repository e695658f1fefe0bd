"""The offline verifier a bank runs, the canonical leaf form it checks, and personal digests."""

from __future__ import annotations

import ast
import base64
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ipx.ledger.canonical import (
    canonical_json,
    digest_personal,
    new_digest_key,
    parse_canonical_json,
    sha256_hex,
)
from ipx.ledger.disclosure import build_leaf, derive_blinding_key, entry_key, seal_record
from ipx.ledger.merkle import MemoryTree
from ipx.ledger.note import Checkpoint, sign_checkpoint, verifier_key
from ipx.ledger.verify import (
    VerificationError,
    main,
    verify_consistency_between,
    verify_receipt,
)

ORIGIN = "ipx.example/log"
LEDGER_DIR = Path(__file__).resolve().parents[2] / "ipx" / "ledger"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def make_leaf(seq: int, **extra) -> str:
    fields = {"v": 1, "seq": seq, "time": f"2025-01-0{1 + seq % 9}T00:00:00Z",
              "type": "pledge.registered", "refs": {"pledge": seq}, "data": {"amount": "1000.00"},
              "digests": {"pledgor_id": "ab" * 32}} | extra  # fmt: skip
    return canonical_json(fields).decode()


class Log:
    """A log as the registry keeps it: leaves, a node store and signed checkpoints."""

    def __init__(self, key: Ed25519PrivateKey, leaves: list[str]) -> None:
        self.key, self.leaves, self.tree = key, leaves, MemoryTree()
        for leaf in leaves:
            self.tree.append(leaf.encode())

    def note(self, size: int | None = None) -> str:
        size = self.tree.size if size is None else size
        return sign_checkpoint(Checkpoint(ORIGIN, size, self.tree.root(size)), ORIGIN, self.key)

    def receipt(self, index: int, size: int | None = None) -> dict:
        size = self.tree.size if size is None else size
        return {
            "leaf": self.leaves[index],
            "leaf_index": index,
            "inclusion_proof": [b64(h) for h in self.tree.inclusion_proof(index, size)],
            "checkpoint": self.note(size),
        }


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def public_key(key) -> str:
    return b64(key.public_key().public_bytes_raw())


@pytest.fixture(scope="module")
def log(key) -> Log:
    return Log(key, [make_leaf(i) for i in range(13)])


# --- receipts ---------------------------------------------------------------------------------


def test_every_receipt_of_a_log_verifies_offline(log, public_key):
    for index in range(13):
        result = verify_receipt(log.receipt(index), public_key, ORIGIN, expected_origin=ORIGIN)
        assert result.leaf_index == index and result.leaf["seq"] == index
        assert result.checkpoint == Checkpoint(ORIGIN, 13, log.tree.root())


def test_receipts_against_an_earlier_signed_size_verify(log, public_key):
    result = verify_receipt(log.receipt(2, size=5), public_key)
    assert result.checkpoint.tree_size == 5


def test_a_go_verifier_key_is_accepted_in_place_of_the_raw_key(log, key):
    assert verify_receipt(log.receipt(4), verifier_key(ORIGIN, key.public_key())).leaf_index == 4


def _replace(field: str, old: str, new: str):
    def change(receipt: dict) -> None:
        assert old in receipt[field]
        receipt[field] = receipt[field].replace(old, new, 1)

    return change


def _set(field: str, value: object):
    return lambda receipt: receipt.__setitem__(field, value)


def _reorder_keys(receipt: dict) -> None:
    fields = json.loads(receipt["leaf"])
    reordered = dict(reversed(list(fields.items())))
    receipt["leaf"] = json.dumps(reordered, separators=(",", ":"), ensure_ascii=False)


def _flip_proof(receipt: dict) -> None:
    first = bytearray(base64.b64decode(receipt["inclusion_proof"][0]))
    first[0] ^= 0x80
    receipt["inclusion_proof"][0] = b64(bytes(first))


def _unsign(receipt: dict) -> None:
    receipt["checkpoint"] = receipt["checkpoint"].split("\n\n")[0] + "\n"


PROOF = "inclusion_proof"
TAMPERINGS = {
    "leaf value": (PROOF, _replace("leaf", "1000.00", "9000.00")),
    "leaf spacing": ("leaf", _replace("leaf", ",", ", ")),
    "leaf key order": ("leaf", _reorder_keys),
    "leaf with a float": ("leaf", _replace("leaf", '"1000.00"', "1000.0")),
    "leaf not json": ("leaf", _set("leaf", "{not json")),
    "leaf escaped": ("leaf", _replace("leaf", "pledge", "pl\\u0065dge")),
    "index +1": ("leaf", lambda r: r.__setitem__("leaf_index", r["leaf_index"] + 1)),
    "index as string": ("receipt", _set("leaf_index", "5")),
    "proof bit flip": (PROOF, _flip_proof),
    "proof component dropped": (PROOF, lambda r: r[PROOF].pop()),
    "proof component added": (PROOF, lambda r: r[PROOF].append(b64(bytes(32)))),
    "proof components swapped": (PROOF, lambda r: r[PROOF].reverse()),
    "proof not base64": (PROOF, lambda r: r[PROOF].__setitem__(0, "%%")),
    "proof hash short": (PROOF, lambda r: r[PROOF].__setitem__(0, "AAAA")),
    "checkpoint size": ("checkpoint", _replace("checkpoint", "\n13\n", "\n14\n")),
    "checkpoint unsigned": ("checkpoint", _unsign),
    "checkpoint missing": ("receipt", lambda r: r.pop("checkpoint")),
}


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_each_kind_of_tampering_fails_naming_the_check(log, public_key, name):
    check, tamper = TAMPERINGS[name]
    receipt = copy.deepcopy(log.receipt(5))
    tamper(receipt)
    with pytest.raises(VerificationError) as failure:
        verify_receipt(receipt, public_key)
    assert failure.value.check == check


def test_a_leaf_without_seq_moved_to_another_index_fails_the_inclusion_proof(key, public_key):
    leaves = [canonical_json({"n": i}).decode() for i in range(6)]
    receipt = Log(key, leaves).receipt(2)
    assert verify_receipt(receipt, public_key).leaf == {"n": 2}
    receipt["leaf_index"] = 3
    with pytest.raises(VerificationError, match="inclusion_proof"):
        verify_receipt(receipt, public_key)


def test_a_receipt_from_a_forked_log_signed_with_the_right_key_fails(log, key, public_key):
    # The registry signs a different history that still contains the leaf at the same index:
    # the proof from the honest log does not reach the forked root.
    forked = Log(key, log.leaves[:12] + [make_leaf(12, data={"amount": "1.00"})])
    receipt = log.receipt(5)
    receipt["checkpoint"] = forked.note()
    with pytest.raises(VerificationError) as failure:
        verify_receipt(receipt, public_key)
    assert failure.value.check == "inclusion_proof"


def test_wrong_key_wrong_name_and_wrong_origin_fail(log, public_key):
    other = b64(Ed25519PrivateKey.generate().public_key().public_bytes_raw())
    for args, kwargs, check in [
        ((other,), {}, "checkpoint"),
        ((public_key, "ipx.example/other"), {}, "checkpoint"),
        ((public_key,), {"expected_origin": "ipx.example/other"}, "origin"),
        (("not a key",), {}, "public_key"),
        ((b64(b"short"),), {}, "public_key"),
    ]:
        with pytest.raises(VerificationError) as failure:
            verify_receipt(log.receipt(1), *args, **kwargs)
        assert failure.value.check == check


def test_index_beyond_the_signed_size_fails(log, public_key):
    receipt = log.receipt(3, size=4)
    receipt["leaf"], receipt["leaf_index"] = log.leaves[9], 9
    with pytest.raises(VerificationError, match="beyond the tree size"):
        verify_receipt(receipt, public_key)


@settings(max_examples=100, deadline=None)
@given(receipt=st.dictionaries(st.sampled_from(["leaf", "leaf_index", "inclusion_proof",
       "checkpoint", "x"]), st.one_of(st.none(), st.integers(), st.text(max_size=20),
       st.lists(st.text(max_size=8), max_size=3))))  # fmt: skip
def test_junk_receipts_raise_only_verification_error(public_key, receipt):
    with pytest.raises(VerificationError):
        verify_receipt(receipt, public_key)


# --- receipts with the sealed record (format-2 leaves) ---------------------------------------

BLINDING = derive_blinding_key(bytes(range(32)))
BID = {
    "type": "disposal.bid",
    "actor": "key:0a1b2c3d4e5f",
    "refs": {"bid": 9, "parties": [4]},
    "data": {},
    "digests": {"state:bid:9": "ab" * 32},
    "private": {"amount": "900000.00"},
}


@pytest.fixture(scope="module")
def sealed(key) -> tuple[Log, list[str]]:
    """A log of format-2 leaves (every third one public) and their sealed records."""
    records, leaves = [], []
    for seq in range(9):
        public = seq % 3 == 0
        fields = {**BID, "type": "pledge.registered"} if public else BID
        records.append(seal_record(**fields))
        leaf = build_leaf(records[-1], seq=seq, time=f"2026-01-0{1 + seq}T00:00:00.000000Z",
                          key=entry_key(BLINDING, seq), public=public)  # fmt: skip
        leaves.append(leaf.decode())
    return Log(key, leaves), records


def _sealed_receipt(sealed, index: int) -> dict:
    log, records = sealed
    return log.receipt(index) | {
        "record": records[index],
        "entry_key": entry_key(BLINDING, index).hex(),
    }


def test_a_receipt_of_a_blinded_event_verifies_with_the_event_in_clear(sealed, public_key):
    result = verify_receipt(_sealed_receipt(sealed, 4), public_key)
    assert "disposal.bid" not in sealed[0].leaves[4]
    assert result.event["type"] == "disposal.bid"
    assert result.event["private"] == {"amount": "900000.00"}
    assert verify_receipt(_sealed_receipt(sealed, 3), public_key).event["type"] == (
        "pledge.registered"
    )


def test_the_public_part_of_a_sealed_receipt_verifies_without_the_record(sealed, public_key):
    assert verify_receipt(sealed[0].receipt(4), public_key).event is None


def _other_key(receipt: dict) -> None:
    receipt["entry_key"] = entry_key(BLINDING, 5).hex()


SEALED_TAMPERINGS = {
    "record amount": ("record", _replace("record", "900000.00", "9.00")),
    "record of another entry": ("record", lambda r: r.__setitem__("record", seal_record(**BID))),
    "record not text": ("record", _set("record", {"type": "disposal.bid"})),
    "entry key of another entry": ("record", _other_key),
    "entry key not hex": ("record", _set("entry_key", "zz")),
    "entry key missing": ("record", lambda r: r.pop("entry_key")),
    "record missing": ("record", lambda r: r.pop("record")),
    "event not the record's": ("event", _set("event", {**BID, "type": "pledge.cancelled"})),
}


@pytest.mark.parametrize("name", sorted(SEALED_TAMPERINGS))
def test_a_sealed_record_that_is_not_the_leafs_fails(sealed, public_key, name):
    check, tamper = SEALED_TAMPERINGS[name]
    receipt = _sealed_receipt(sealed, 4)
    tamper(receipt)
    with pytest.raises(VerificationError) as failure:
        verify_receipt(receipt, public_key)
    assert failure.value.check == check


def test_the_cli_says_the_record_matches(tmp_path, sealed, public_key, capsys):
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(_sealed_receipt(sealed, 4)))
    assert main([str(path), "--public-key", public_key]) == 0
    assert "sealed record (disposal.bid) is the one the leaf commits to" in capsys.readouterr().out


# --- consistency between signed checkpoints ---------------------------------------------------


def test_consistency_between_signed_checkpoints(log, key, public_key):
    proof = [b64(h) for h in log.tree.consistency_proof(5, 13)]
    old, new = verify_consistency_between(log.note(5), log.note(13), proof, public_key)
    assert (old.tree_size, new.tree_size) == (5, 13)
    forked = Log(key, [make_leaf(0, type="pledge.cancelled")] + log.leaves[1:])
    forked_proof = [b64(h) for h in forked.tree.consistency_proof(5, 13)]
    cases = [
        ((log.note(5), forked.note(13), proof), "consistency_proof"),
        ((log.note(5), forked.note(13), forked_proof), "consistency_proof"),
        ((log.note(13), log.note(5), proof), "consistency_proof"),
        ((log.note(5), log.note(13), proof[:-1]), "consistency_proof"),
        ((log.note(5), log.note(13).replace("13", "12", 1), proof), "checkpoint"),
    ]
    for args, check in cases:
        with pytest.raises(VerificationError) as failure:
            verify_consistency_between(*args, public_key)
        assert failure.value.check == check


# --- command line -----------------------------------------------------------------------------


def test_cli_prints_ok_or_the_failure(tmp_path, log, public_key, capsys):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(log.receipt(7)))
    tampered = log.receipt(7)
    tampered["leaf"] = tampered["leaf"].replace("1000.00", "1.00")
    bad.write_text(json.dumps(tampered))
    assert main([str(good), "--public-key", public_key, "--origin", ORIGIN]) == 0
    assert capsys.readouterr().out.startswith(f"OK leaf 7 is in {ORIGIN} at tree size 13")
    assert main([str(bad), "--public-key", public_key]) == 1
    assert capsys.readouterr().out.startswith("FAILED inclusion_proof:")
    assert main([str(tmp_path / "missing.json"), "--public-key", public_key]) == 1
    assert capsys.readouterr().out.startswith("FAILED receipt:")


def test_cli_runs_as_a_module(tmp_path, log, public_key):
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(log.receipt(0)))
    run = subprocess.run(
        [sys.executable, "-m", "ipx.ledger.verify", str(path), "--public-key", public_key],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("OK leaf 0")


VERIFIER_MODULES = (
    "canonical",
    "cosignature",
    "disclosure",
    "encumbrances",
    "keyset",
    "merkle",
    "note",
    "smt",
    "verify",
)


def test_verifier_modules_import_only_stdlib_and_cryptography():
    allowed_local = {f"ipx.ledger.{name}" for name in VERIFIER_MODULES}
    for name in VERIFIER_MODULES:
        tree = ast.parse((LEDGER_DIR / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module == "ipx.ledger":
                modules = [f"ipx.ledger.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                assert (
                    top in sys.stdlib_module_names
                    or top == "cryptography"
                    or module in allowed_local
                ), f"{name}.py imports {module}"


# --- canonical JSON -----------------------------------------------------------------------------


def test_canonical_json_form():
    assert (
        canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()
    )
    assert parse_canonical_json('{"a":[true,null,"é"],"b":1}') == {"a": [True, None, "é"], "b": 1}


@pytest.mark.parametrize(
    "value", [1.5, float("nan"), float("inf"), {"a": [0.0]}, {1: "x"}, {"s": {1, 2}}, b"x"]
)
def test_canonical_json_refuses_floats_and_foreign_types(value):
    with pytest.raises(TypeError):
        canonical_json(value)


@pytest.mark.parametrize(
    "text",
    ['{"b":1,"a":2}', '{"a": 1}', '{"a":1,"a":1}', '{"a":1.0}', '{"a":NaN}', '"\\u00e9"',
     '{"a":1}\n', "[1,]", '"\\ud800"'],
)  # fmt: skip
def test_non_canonical_leaf_text_is_refused(text):
    with pytest.raises(ValueError):
        parse_canonical_json(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_canonical_json_round_trips(value):
    try:
        encoded = canonical_json(value)
    except ValueError:  # lone surrogates cannot be UTF-8
        return
    assert parse_canonical_json(encoded) == value
    assert parse_canonical_json(encoded.decode()) == value


# --- personal-data digests ----------------------------------------------------------------------


def test_personal_digest_is_hmac_sha256_under_the_record_key():
    # RFC 4231 test case 1: key 20 x 0x0b, data "Hi There".
    expected = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    assert digest_personal("Hi There", b"\x0b" * 20) == expected


def test_personal_digests_unlink_records_and_normalise_unicode():
    id_number = "11010519491231002X"
    first, second = new_digest_key(), new_digest_key()
    assert digest_personal(id_number, first) == digest_personal(id_number, first)
    assert digest_personal(id_number, first) != digest_personal(id_number, second)
    assert digest_personal(id_number, first) != sha256_hex(id_number)
    assert digest_personal("Jos\u00e9", first) == digest_personal("Jose\u0301", first)
    with pytest.raises(ValueError):
        digest_personal(id_number, b"short")

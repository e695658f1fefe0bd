"""The offline verifier trusts several keys: a repeated ``--public-key``, or ``--public-keys FILE``
holding the key list the public-key endpoint serves, so receipts signed before and after
``ipx signing rotate`` both verify; a receipt by a key not given still fails. A retired key of
the list vouches only for trees up to the last size it signed, a listed key is bound to its
key name, and keys of several names are refused rather than checked under none."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ipx.ledger.note import Checkpoint, sign_checkpoint, verifier_key
from ipx.ledger.verify import (
    TrustedKey,
    VerificationError,
    main,
    public_keys_from_list,
    verify_consistency_between,
    verify_receipt,
)
from tests.unit.test_ledger_verify import ORIGIN, Log, b64, make_leaf


def _public(key: Ed25519PrivateKey) -> str:
    return b64(key.public_key().public_bytes_raw())


@pytest.fixture(scope="module")
def rotation():
    """One log signed by an old key up to 3 entries, then by a new one at 6."""
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    leaves = [make_leaf(i) for i in range(6)]
    before, after = Log(old, leaves), Log(new, leaves)
    return old, new, before.receipt(1, 3), after.receipt(4, 6)


def _vkey(key: Ed25519PrivateKey, name: str = ORIGIN) -> str:
    return verifier_key(name, key.public_key().public_bytes_raw())


def _listing(*keys: Ed25519PrivateKey, retired_last: int = 3) -> dict:
    """A key list as ``GET /api/v1/ledger/public-key`` serves it (the last key is current;
    the retired ones signed trees up to ``retired_last``, as in ``rotation``)."""
    entries = [
        {
            "key_name": ORIGIN,
            "public_key": _public(key),
            "verifier_key": _vkey(key),
            "status": "current" if key is keys[-1] else "retired",
            "first_tree_size": 1 if key is not keys[-1] else retired_last + 1,
            "last_tree_size": retired_last if key is not keys[-1] else None,
        }
        for key in keys
    ]
    return {
        "algorithm": "Ed25519",
        "key_name": ORIGIN,
        "public_key": _public(keys[-1]),
        "verifier_key": _vkey(keys[-1]),
        "keys": entries,
    }


def _file(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(content), encoding="utf-8")
    return str(path)


def test_receipts_of_both_keys_verify_with_both_keys_given(rotation):
    old, new, old_receipt, new_receipt = rotation
    both = [_public(old), _public(new)]
    assert verify_receipt(old_receipt, both).checkpoint.tree_size == 3
    assert verify_receipt(new_receipt, both).checkpoint.tree_size == 6
    with pytest.raises(VerificationError) as failed:
        verify_receipt(new_receipt, [_public(old)])
    assert failed.value.check == "checkpoint" and "no signature by" in failed.value.message


def test_verifier_keys_of_one_name_are_accepted_together(rotation):
    old, new, old_receipt, new_receipt = rotation
    keys = [verifier_key(ORIGIN, k.public_key().public_bytes_raw()) for k in (old, new)]
    assert verify_receipt(old_receipt, keys).leaf_index == 1
    assert verify_receipt(new_receipt, keys, ORIGIN).leaf_index == 4


def test_a_consistency_proof_across_the_rotation_verifies(rotation):
    old, new, old_receipt, _ = rotation
    leaves = [make_leaf(i) for i in range(6)]
    proof = [b64(h) for h in Log(new, leaves).tree.consistency_proof(3, 6)]
    newer = Log(new, leaves).note(6)
    first, second = verify_consistency_between(
        old_receipt["checkpoint"], newer, proof, [_public(old), _public(new)]
    )
    assert (first.tree_size, second.tree_size) == (3, 6)


def test_the_command_line_takes_a_repeated_public_key(rotation, tmp_path, capsys):
    old, new, old_receipt, new_receipt = rotation
    flags = ["--public-key", _public(old), "--public-key", _public(new)]
    for receipt in (old_receipt, new_receipt):
        assert main([_file(tmp_path, "r.json", receipt), *flags]) == 0
    assert main([_file(tmp_path, "r.json", new_receipt), "--public-key", _public(old)]) == 1
    assert "FAILED checkpoint" in capsys.readouterr().out


def test_the_command_line_takes_the_served_key_list(rotation, tmp_path, capsys):
    old, new, old_receipt, new_receipt = rotation
    listing = _file(tmp_path, "keys.json", _listing(old, new))
    for receipt in (old_receipt, new_receipt):
        assert main([_file(tmp_path, "r.json", receipt), "--public-keys", listing]) == 0
    assert capsys.readouterr().out.count("OK leaf") == 2
    only_new = _file(tmp_path, "new.json", _listing(new))
    assert main([_file(tmp_path, "r.json", old_receipt), "--public-keys", only_new]) == 1
    assert "FAILED checkpoint" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content",
    [{"keys": []}, {"keys": [{"status": "current"}]}, [1, 2], {"keys": "x"}, "text"],
    ids=["empty", "entry-without-key", "not-text", "keys-not-a-list", "not-a-list"],
)
def test_a_key_list_without_keys_fails_naming_the_public_key(rotation, tmp_path, capsys, content):
    receipt = _file(tmp_path, "r.json", rotation[2])
    assert main([receipt, "--public-keys", _file(tmp_path, "keys.json", content)]) == 1
    assert capsys.readouterr().out.startswith("FAILED public_key:")


def test_an_unreadable_key_list_fails_naming_the_public_key(rotation, tmp_path, capsys):
    receipt = _file(tmp_path, "r.json", rotation[2])
    assert main([receipt, "--public-keys", str(tmp_path / "missing.json")]) == 1
    assert capsys.readouterr().out.startswith("FAILED public_key: cannot read")


def test_some_key_is_required(rotation, tmp_path):
    with pytest.raises(SystemExit) as usage:
        main([_file(tmp_path, "r.json", rotation[2])])
    assert usage.value.code == 2


def test_the_listing_gives_each_key_once_in_order_with_its_window_and_name():
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    assert public_keys_from_list(_listing(old, new)) == [
        TrustedKey(_vkey(old), "retired", 3),
        TrustedKey(_vkey(new), "current", None),
        TrustedKey(_vkey(new)),  # the document's own public_key: the current one
    ]
    assert public_keys_from_list([_public(new), {"public_key": _public(old)}, _public(new)]) == [
        TrustedKey(_public(new)),
        TrustedKey(_public(old)),
    ]
    named = public_keys_from_list([{"public_key": _public(old), "key_name": ORIGIN}])
    assert named == [TrustedKey(_vkey(old))]  # the name is bound even without a verifier key


def _old_key_signs_beyond_its_window(rotation) -> dict:
    """The retired key (stolen, say) signing a tree larger than any it signed while current."""
    old = rotation[0]
    return Log(old, [make_leaf(i) for i in range(6)]).receipt(4, 6)


def test_a_retired_key_vouches_only_up_to_its_last_tree_size(rotation, tmp_path, capsys):
    old, new, old_receipt, new_receipt = rotation
    keys = public_keys_from_list(_listing(old, new, retired_last=3))
    assert verify_receipt(old_receipt, keys).checkpoint.tree_size == 3
    assert verify_receipt(new_receipt, keys).checkpoint.tree_size == 6
    forged = _old_key_signs_beyond_its_window(rotation)
    with pytest.raises(VerificationError) as failed:
        verify_receipt(forged, keys)
    assert failed.value.check == "checkpoint"
    assert "tree size 6" in failed.value.message and "retired key" in failed.value.message
    assert "signed up to tree size 3" in failed.value.message
    never_signed = _listing(old, new)
    never_signed["keys"][0]["last_tree_size"] = None
    with pytest.raises(VerificationError):
        verify_receipt(old_receipt, public_keys_from_list(never_signed))
    listing = _file(tmp_path, "keys.json", _listing(old, new, retired_last=3))
    assert main([_file(tmp_path, "r.json", forged), "--public-keys", listing]) == 1
    assert "FAILED checkpoint" in capsys.readouterr().out
    # The same key given by the operator as a plain --public-key has no window.
    assert verify_receipt(forged, [_public(old)]).checkpoint.tree_size == 6


def test_a_keys_first_tree_size_is_no_lower_bound(rotation):
    """The listing's ``first_tree_size`` is what the key signed first, not a window: only a
    retired key's ``last_tree_size`` bounds what it vouches for (docs/VERIFYING.md)."""
    old, new = rotation[0], rotation[1]
    listing = _listing(old, new, retired_last=3)
    assert listing["keys"][1]["first_tree_size"] == 4
    smaller = Log(new, [make_leaf(i) for i in range(3)]).receipt(1, 3)
    keys = public_keys_from_list(listing)
    assert verify_receipt(smaller, keys).checkpoint.tree_size == 3
    listing["keys"][1]["first_tree_size"] = "not read"
    assert public_keys_from_list(listing) == keys


def test_a_listed_key_is_bound_to_its_key_name(rotation):
    old = rotation[0]
    leaves = [make_leaf(i) for i in range(3)]
    log = Log(old, leaves)
    other_name = "other.example/log"
    receipt = log.receipt(1, 3)
    receipt["checkpoint"] = sign_checkpoint(
        Checkpoint(ORIGIN, 3, log.tree.root(3)), other_name, old
    )
    listed = public_keys_from_list([{"public_key": _public(old), "key_name": ORIGIN}])
    with pytest.raises(VerificationError) as failed:
        verify_receipt(receipt, listed)
    assert failed.value.check == "checkpoint"
    assert verify_receipt(receipt, [_vkey(old, other_name)]).leaf_index == 1


def test_keys_of_several_names_are_refused_not_checked_under_none(rotation):
    old, new, old_receipt, _ = rotation
    mixed = [_vkey(old), _vkey(new, "other.example/log")]
    with pytest.raises(VerificationError) as failed:
        verify_receipt(old_receipt, mixed)
    assert failed.value.check == "public_key" and "several key names" in failed.value.message
    assert verify_receipt(old_receipt, [_vkey(old), _public(new)]).leaf_index == 1

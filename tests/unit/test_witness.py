"""The witness (C2SP tlog-witness) and its cosignatures (C2SP tlog-cosignature), in process:
every status the spec names, the state it keeps, and the k-of-n policy of the verifier."""

from __future__ import annotations

import base64
import io
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ipx.ledger import cosignature, merkle, note
from ipx.ledger.witness import SIZE_TYPE, StateFile, WitnessService, log_keys

ORIGIN = "ipx.example/pledge-log"
LOG_KEY = Ed25519PrivateKey.generate()


def _checkpoint(tree: merkle.MemoryTree, size: int, key=LOG_KEY, origin=ORIGIN) -> str:
    return note.sign_checkpoint(note.Checkpoint(origin, size, tree.root(size)), origin, key)


def _body(old: int, proof: list[bytes], note_text: str) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note_text).encode()


@pytest.fixture
def tree():
    tree = merkle.MemoryTree()
    for i in range(40):
        tree.append(f"entry {i}".encode())
    return tree


@pytest.fixture
def service(tmp_path):
    logs = {ORIGIN: [LOG_KEY.public_key().public_bytes_raw()]}
    return WitnessService(
        "witness.example/w1",
        Ed25519PrivateKey.generate(),
        logs,
        StateFile(tmp_path / "state.json"),
        clock=lambda: 1_700_000_000,
    )


def _post(service: WitnessService, body: bytes) -> tuple[int, str, str]:
    answered = {}

    def start_response(status, headers):
        answered["status"], answered["headers"] = int(status.split()[0]), dict(headers)

    environ = {
        "PATH_INFO": "/add-checkpoint",
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    text = b"".join(service.wsgi(environ, start_response)).decode()
    return answered["status"], answered["headers"]["Content-Type"], text


def test_a_first_checkpoint_is_cosigned_and_its_cosignature_verifies(service, tree):
    signed = _checkpoint(tree, 10)
    status, content_type, lines = _post(service, _body(0, [], signed))
    assert status == 200 and content_type.startswith("text/plain")
    found = cosignature.check_policy(signed + lines, [service.verifier_key], 1)
    assert found[0].timestamp == 1_700_000_000
    state = json.loads(service.state.path.read_text())
    assert state[ORIGIN] == {"size": 10, "root": base64.b64encode(tree.root(10)).decode()}


def test_a_consistent_larger_checkpoint_is_cosigned(service, tree):
    _post(service, _body(0, [], _checkpoint(tree, 10)))
    status, _, _ = _post(service, _body(10, tree.consistency_proof(10, 30), _checkpoint(tree, 30)))
    assert status == 200
    assert json.loads(service.state.path.read_text())[ORIGIN]["size"] == 30


def test_an_old_size_not_the_one_held_is_409_with_the_size(service, tree):
    _post(service, _body(0, [], _checkpoint(tree, 10)))
    status, content_type, text = _post(service, _body(0, [], _checkpoint(tree, 20)))
    assert (status, text) == (409, "10\n") and content_type.startswith(SIZE_TYPE)
    status, _, text = _post(service, _body(5, tree.consistency_proof(5, 20), _checkpoint(tree, 20)))
    assert (status, text) == (409, "10\n")


def test_a_fork_of_the_size_cosigned_is_409(service, tree):
    _post(service, _body(0, [], _checkpoint(tree, 10)))
    forked = merkle.MemoryTree()
    for i in range(10):
        forked.append(f"other {i}".encode())
    status, _, text = _post(service, _body(10, [], _checkpoint(forked, 10)))
    assert status == 409 and "fork" in text
    status, _, _ = _post(service, _body(10, [], _checkpoint(tree, 10)))  # the same: fine
    assert status == 200


def test_a_bad_proof_is_422_and_changes_nothing(service, tree):
    _post(service, _body(0, [], _checkpoint(tree, 10)))
    wrong = tree.consistency_proof(11, 30)
    assert _post(service, _body(10, wrong, _checkpoint(tree, 30)))[0] == 422
    assert _post(service, _body(10, [], _checkpoint(tree, 30)))[0] == 422
    assert json.loads(service.state.path.read_text())[ORIGIN]["size"] == 10


def test_unknown_log_404_bad_signature_403_old_larger_400(service, tree):
    other = _checkpoint(tree, 10, origin="other.example/log")
    assert _post(service, _body(0, [], other))[0] == 404
    stranger = _checkpoint(tree, 10, key=Ed25519PrivateKey.generate())
    assert _post(service, _body(0, [], stranger))[0] == 403
    assert _post(service, _body(11, [], _checkpoint(tree, 10)))[0] == 400
    assert _post(service, b"old 01\n\n" + _checkpoint(tree, 10).encode())[0] == 400
    assert _post(service, b"no old line")[0] == 400
    assert not service.state.path.exists()


def test_the_policy_counts_distinct_trusted_witnesses(service, tree, tmp_path):
    second = WitnessService(
        "witness.example/w2",
        Ed25519PrivateKey.generate(),
        service.logs,
        StateFile(tmp_path / "second.json"),
    )
    signed = _checkpoint(tree, 10)
    one = _post(service, _body(0, [], signed))[2]
    two = _post(second, _body(0, [], signed))[2]
    keys = [service.verifier_key, second.verifier_key]
    assert len(cosignature.check_policy(signed + one + two, keys, 2)) == 2
    with pytest.raises(cosignature.PolicyNotMet):
        cosignature.check_policy(signed + one + one, keys, 2)  # the same witness twice
    with pytest.raises(cosignature.PolicyNotMet):
        cosignature.check_policy(signed + one, keys, 2)
    moved = _checkpoint(tree, 11)  # a cosignature of another checkpoint does not count
    with pytest.raises(cosignature.InvalidCosignature):
        cosignature.check_policy(moved + one, keys, 1)


def test_log_keys_from_verifier_keys_or_origin_pairs():
    public = LOG_KEY.public_key().public_bytes_raw()
    vkey = note.verifier_key(ORIGIN, public)
    legacy = f"{ORIGIN}=" + note.verifier_key("ipx.example", public)
    raw = f"{ORIGIN}=" + base64.b64encode(public).decode()
    assert log_keys([vkey, legacy, raw]) == {ORIGIN: [public, public, public]}


def test_the_state_survives_a_restart(service, tree):
    _post(service, _body(0, [], _checkpoint(tree, 10)))
    restarted = WitnessService(
        "witness.example/w1", service.private_key, service.logs, StateFile(service.state.path)
    )
    assert _post(restarted, _body(0, [], _checkpoint(tree, 20)))[1:] == (
        f"{SIZE_TYPE}; charset=utf-8",
        "10\n",
    )


def test_concurrent_submissions_from_one_size_cosign_exactly_one(service, tree):
    _post(service, _body(0, [], _checkpoint(tree, 10)))
    bodies = [_body(10, tree.consistency_proof(10, n), _checkpoint(tree, n)) for n in range(11, 41)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda body: _post(service, body)[0], bodies))
    assert statuses.count(200) == 1 and statuses.count(409) == len(bodies) - 1
    held = json.loads(service.state.path.read_text())[ORIGIN]["size"]
    assert statuses[held - 11] == 200  # the state is the checkpoint that was cosigned

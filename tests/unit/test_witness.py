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
    assert log_keys([vkey, legacy, raw]) == {
        ORIGIN: [(public, ORIGIN), (public, "ipx.example"), (public, None)]
    }


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


# --- Each status the spec names, through the request handler, with what it answers ----------


def _state(service: WitnessService) -> dict:
    return json.loads(service.state.path.read_text()) if service.state.path.exists() else {}


def _corrupt_signature(note_text: str) -> str:
    """The note with the last signature line's signature bytes changed (its key id kept)."""
    body, lines = cosignature.split_note(note_text)
    name, blob = lines[-1][len(note.SIGNATURE_PREFIX) : -1].split(" ")
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 0x01
    bad = f"{note.SIGNATURE_PREFIX}{name} {base64.b64encode(bytes(raw)).decode()}\n"
    return body + "\n" + "".join(lines[:-1]) + bad


def _non_canonical_root(tree: merkle.MemoryTree, size: int) -> str:
    """A checkpoint signed by the log's key whose root's base64 sets the unused low bits: it
    decodes to the same hash, but ``Checkpoint.body()`` would not write it back."""
    root = base64.b64encode(tree.root(size)).decode()
    last = root[-2]  # 32 bytes: 43 characters and one "=", the last one's 2 low bits unused
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    other = alphabet[alphabet.index(last) ^ 0b01]
    assert base64.b64decode(root[:-2] + other + "=") == tree.root(size)
    text = f"{ORIGIN}\n{size}\n{root[:-2]}{other}=\n"
    return note.sign_note(text, ORIGIN, LOG_KEY)


def test_200_cosigns_a_checkpoint_with_extension_lines_over_its_whole_body(service, tree):
    extension = "ipx.encumbrance-map/v1 " + base64.b64encode(bytes(32)).decode()
    checkpoint = note.Checkpoint(ORIGIN, 10, tree.root(10), (extension,))
    signed = note.sign_checkpoint(checkpoint, ORIGIN, LOG_KEY)
    status, content_type, lines = _post(service, _body(0, [], signed))
    assert (status, content_type) == (200, "text/plain; charset=utf-8")
    witness = cosignature.parse_witness_key(service.verifier_key)
    assert cosignature.verify_line(checkpoint.body(), witness, lines).timestamp == 1_700_000_000


def test_404_for_a_log_it_does_not_witness_and_nothing_is_recorded(service, tree):
    other = _checkpoint(tree, 10, origin="other.example/log")
    status, content_type, text = _post(service, _body(0, [], other))
    assert (status, text) == (404, "unknown log other.example/log\n")
    assert content_type == "text/plain; charset=utf-8"
    assert _state(service) == {}


def test_403_when_no_trusted_key_signed_it(service, tree):
    stranger = _checkpoint(tree, 10, key=Ed25519PrivateKey.generate())
    status, _, text = _post(service, _body(0, [], stranger))
    assert status == 403 and text.startswith(f"not signed by a key of {ORIGIN}")
    assert _state(service) == {}


def test_403_when_a_trusted_keys_signature_does_not_verify(service, tree):
    status, _, text = _post(service, _body(0, [], _corrupt_signature(_checkpoint(tree, 10))))
    assert status == 403 and "invalid signature" in text
    assert _state(service) == {}


def test_400_for_an_old_size_larger_than_the_checkpoints(service, tree):
    status, _, text = _post(service, _body(11, [], _checkpoint(tree, 10)))
    assert (status, text) == (400, "the old size is larger than the checkpoint's\n")
    assert _state(service) == {}


@pytest.mark.parametrize(
    "body",
    [
        b"no old line",
        b"old 01\n\n",
        b"old 0\nnot base64!\n\n",
        b"old 0\n\n" + b"ipx.example/pledge-log\n10\n",  # no blank line before signatures
        b"\xff\xfe",
    ],
    ids=["no-old-line", "leading-zero", "proof-not-base64", "no-signatures", "not-utf8"],
)
def test_400_for_a_malformed_request(service, body):
    assert _post(service, body)[0] == 400
    assert _state(service) == {}


def test_400_for_a_checkpoint_body_not_written_canonically(service, tree):
    """The witness reads checkpoints as the verifier does (``Checkpoint.from_body``): a root in
    non-canonical base64 is refused, signed or not."""
    status, _, text = _post(service, _body(0, [], _non_canonical_root(tree, 10)))
    assert status == 400 and "canonical" in text
    assert _post(service, _body(0, [], _checkpoint(tree, 10)))[0] == 200


def _served(tmp_path, *logs: str) -> WitnessService:
    """A witness of the logs ``--log`` values name."""
    return WitnessService(
        "witness.example/w1",
        Ed25519PrivateKey.generate(),
        log_keys(logs),
        StateFile(tmp_path / "state.json"),
        clock=lambda: 1_700_000_000,
    )


def _line(name: str, blob: bytes) -> str:
    return f"{note.SIGNATURE_PREFIX}{name} {base64.b64encode(blob).decode()}\n"


def test_a_verifier_keys_name_is_bound_a_junk_line_under_another_name_is_ignored(tmp_path, tree):
    """Anyone relaying a submission can append a line whose key id is the log key's under
    another name: for a log given by its verifier key (its name bound) it is not the log's
    line and the checkpoint is cosigned; for a bare base64 key (any name) it is, and fails."""
    public = LOG_KEY.public_key().public_bytes_raw()
    junk = _checkpoint(tree, 10) + _line("x", note.key_id("x", public) + b"junk")
    named = _served(tmp_path / "named", note.verifier_key(ORIGIN, public))
    assert _post(named, _body(0, [], junk))[0] == 200
    bare = _served(tmp_path / "bare", f"{ORIGIN}={base64.b64encode(public).decode()}")
    status, _, text = _post(bare, _body(0, [], junk))
    assert status == 403 and "invalid signature" in text
    assert _state(bare) == {}


def test_a_verifier_key_counts_only_signatures_under_its_name(tmp_path, tree):
    """The log's key signing under another name is not the verifier key's signature (Go's
    verifier is a name and a key); a bare key takes it, as before. One origin's keys may be
    given under several names: each counts its own lines."""
    public = LOG_KEY.public_key().public_bytes_raw()
    checkpoint = note.Checkpoint(ORIGIN, 10, tree.root(10))
    renamed = note.sign_checkpoint(checkpoint, "ipx.example", LOG_KEY)
    named = _served(tmp_path / "named", note.verifier_key(ORIGIN, public))
    status, _, text = _post(named, _body(0, [], renamed))
    assert status == 403 and text.startswith(f"not signed by a key of {ORIGIN}")
    bare = _served(tmp_path / "bare", f"{ORIGIN}={base64.b64encode(public).decode()}")
    assert _post(bare, _body(0, [], renamed))[0] == 200
    both = _served(
        tmp_path / "both",
        note.verifier_key(ORIGIN, public),
        f"{ORIGIN}=" + note.verifier_key("ipx.example", public),
    )
    assert _post(both, _body(0, [], renamed))[0] == 200
    assert _post(both, _body(10, [], _checkpoint(tree, 10)))[0] == 200


@pytest.mark.parametrize(
    "line",
    [
        f"{note.SIGNATURE_PREFIX}{ORIGIN} not-base64!\n",
        "- ipx.example/pledge-log " + base64.b64encode(bytes(68)).decode() + "\n",
        _line(ORIGIN, bytes(4)),
        f"{note.SIGNATURE_PREFIX}{ORIGIN}\n",
        _line("a+b", bytes(68)),
    ],
    ids=["not-base64", "no-em-dash", "under-5-bytes", "no-signature", "bad-key-name"],
)
def test_400_for_a_malformed_signature_line_not_403(service, tree, line):
    """C2SP tlog-witness: a malformed body is 400, 403 is for a note no trusted key signed; a
    malformed signature line makes the note malformed (as Go's ``note.Open``), whoever's."""
    status, _, text = _post(service, _body(0, [], _checkpoint(tree, 10) + line))
    assert status == 400, text
    assert _state(service) == {}


def test_a_well_formed_line_of_an_unknown_key_is_ignored(service, tree):
    stranger, name = Ed25519PrivateKey.generate().public_key(), "witness.example/other"
    line = _line(name, note.key_id(name, stranger) + b"x")
    assert _post(service, _body(0, [], _checkpoint(tree, 10) + line))[0] == 200


def test_409_answers_the_size_it_holds_as_text_x_tlog_size(service, tree):
    assert _post(service, _body(0, [], _checkpoint(tree, 10)))[0] == 200
    status, content_type, text = _post(
        service, _body(4, tree.consistency_proof(4, 20), _checkpoint(tree, 20))
    )
    assert (status, content_type, text) == (409, f"{SIZE_TYPE}; charset=utf-8", "10\n")
    assert _state(service)[ORIGIN]["size"] == 10


def test_409_for_another_root_of_the_size_it_holds(service, tree):
    assert _post(service, _body(0, [], _checkpoint(tree, 10)))[0] == 200
    forked = merkle.MemoryTree()
    for i in range(10):
        forked.append(f"fork {i}".encode())
    status, content_type, text = _post(service, _body(10, [], _checkpoint(forked, 10)))
    assert status == 409 and content_type == "text/plain; charset=utf-8" and "fork" in text
    assert _state(service)[ORIGIN]["root"] == base64.b64encode(tree.root(10)).decode()


def test_422_for_a_proof_that_does_not_verify(service, tree):
    assert _post(service, _body(0, [], _checkpoint(tree, 10)))[0] == 200
    proof = tree.consistency_proof(10, 30)
    proof[0] = bytes(32)
    status, _, text = _post(service, _body(10, proof, _checkpoint(tree, 30)))
    assert (status, text) == (422, "the consistency proof does not verify\n")
    assert _state(service)[ORIGIN]["size"] == 10


def test_422_for_a_proof_from_size_0(service, tree):
    status, _, text = _post(service, _body(0, [bytes(32)], _checkpoint(tree, 10)))
    assert (status, text) == (422, "the proof from size 0 is empty\n")
    assert _state(service) == {}


# --- The state file: written whole, owner-only, by the instance's atomic writer ---------------


def test_the_state_file_is_owner_only_and_leaves_no_temporary(service, tree):
    assert _post(service, _body(0, [], _checkpoint(tree, 10)))[0] == 200
    larger = _body(10, tree.consistency_proof(10, 20), _checkpoint(tree, 20))
    assert _post(service, larger)[0] == 200
    assert oct(service.state.path.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in service.state.path.parent.iterdir()) == [
        "state.json",
        "state.json.lock",
    ]


def test_a_failed_write_keeps_the_state_held_and_answers_no_cosignature(service, tree, monkeypatch):
    assert _post(service, _body(0, [], _checkpoint(tree, 10)))[0] == 200

    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ipx.atomic_files.os.replace", disk_full)
    with pytest.raises(OSError):
        _post(service, _body(10, tree.consistency_proof(10, 20), _checkpoint(tree, 20)))
    monkeypatch.undo()
    assert _state(service)[ORIGIN]["size"] == 10
    assert [p.name for p in service.state.path.parent.iterdir() if p.name.startswith(".")] == []


def test_the_witness_key_is_created_owner_only_and_a_lost_race_reads_the_winners(
    tmp_path, monkeypatch
):
    from ipx.ledger import witness

    path = tmp_path / "keys" / "witness.key"
    key = witness.load_or_create_key(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert witness.load_or_create_key(path).private_bytes_raw() == key.private_bytes_raw()
    winner = Ed25519PrivateKey.generate()
    raced = tmp_path / "raced.key"

    def another_process_first(target, data):
        target.write_text(base64.b64encode(winner.private_bytes_raw()).decode() + "\n")
        raise FileExistsError(target)

    monkeypatch.setattr(witness, "write_new_file", another_process_first)
    assert witness.load_or_create_key(raced).private_bytes_raw() == winner.private_bytes_raw()


def _run_serve(monkeypatch, tmp_path, *args: str):
    """``ipx witness serve ARGS`` in process, its instance folder under ``tmp_path``: the
    service it would serve (or None) and the command's result."""
    from click.testing import CliRunner

    from ipx import config
    from ipx.cli import main
    from ipx.ledger import witness

    monkeypatch.setattr(config, "instance_path", lambda: tmp_path / "instance")
    served = {}

    def serve(service, host, port, ready):
        served["service"] = service
        ready(port)

    monkeypatch.setattr(witness, "serve", serve)
    result = CliRunner().invoke(main, ["witness", "serve", *args])
    return served.get("service"), result


def test_witness_serve_with_no_options_witnesses_this_instances_own_log(
    tmp_path, monkeypatch, tree
):
    from ipx.instance_keys import add_retired_key, generate_signing_key, load_signing_key

    origin = "registry.example/pledge-log"
    key_file = tmp_path / "ledger-signing.key"
    key_file.write_bytes(generate_signing_key())
    retired = Ed25519PrivateKey.generate()
    add_retired_key(key_file, note.verifier_key(origin, retired.public_key().public_bytes_raw()))
    monkeypatch.setenv("IPX_SIGNING_KEY_FILE", str(key_file))
    monkeypatch.setenv("IPX_LOG_ORIGIN", origin)
    monkeypatch.setenv("IPX_WITNESS_NAME", "court.example/witness")

    service, result = _run_serve(monkeypatch, tmp_path, "--port", "8399")

    assert result.exit_code == 0, result.output
    assert f"witness {service.verifier_key} listening on http://127.0.0.1:8399" in result.output
    assert service.name == "court.example/witness"
    assert (tmp_path / "instance" / "witness.key").exists()
    current = load_signing_key(key_file)
    # Checkpoints of this instance's log, under its key and under the one it retired, are
    # cosigned; the state goes to the instance folder.
    first = _checkpoint(tree, 10, retired, origin)
    assert _post(service, _body(0, [], first))[0] == 200
    later = _checkpoint(tree, 30, current, origin)
    assert _post(service, _body(10, tree.consistency_proof(10, 30), later))[0] == 200
    state = json.loads((tmp_path / "instance" / "witness-state.json").read_text())
    assert state[origin]["size"] == 30
    # ... and another log's is not known to it.
    assert _post(service, _body(0, [], _checkpoint(tree, 10)))[0] == 404


def test_witness_serve_with_no_log_and_no_signing_key_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("IPX_SIGNING_KEY_FILE", str(tmp_path / "missing.key"))
    service, result = _run_serve(monkeypatch, tmp_path)
    assert service is None and result.exit_code == 2
    assert "no --log given" in result.output and "missing.key" in result.output


def test_the_default_name_is_saved_beside_the_key_so_a_renamed_host_keeps_it(tmp_path, monkeypatch):
    import socket

    from click.testing import CliRunner

    from ipx import config
    from ipx.cli import main

    monkeypatch.delenv("IPX_WITNESS_NAME", raising=False)
    monkeypatch.setattr(config, "instance_path", lambda: tmp_path / "instance")
    monkeypatch.setattr(socket, "getfqdn", lambda: "court-1.example")
    first = CliRunner().invoke(main, ["witness", "key"])
    monkeypatch.setattr(socket, "getfqdn", lambda: "court-2.example")  # the host renamed
    again = CliRunner().invoke(main, ["witness", "key"])
    assert first.exit_code == again.exit_code == 0, first.output
    assert first.output == again.output and first.output.startswith("court-1.example/witness+")
    saved = tmp_path / "instance" / "witness.key.name"
    assert saved.read_text() == "court-1.example/witness\n"
    named = CliRunner().invoke(main, ["witness", "key", "--name", "court.example/w"])
    assert named.output.startswith("court.example/w+")

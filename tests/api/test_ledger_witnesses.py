"""The log with two witnesses (``ipx witness serve`` processes on loopback, C2SP tlog-witness):
every checkpoint it signs goes to both, their cosignatures come back in the checkpoint's note
and in receipts, a receipt below the verifier's witness policy fails offline verification, and
a forked checkpoint (another root for a size a witness cosigned) is refused with 409."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from ipx.ledger import cosignature, note
from ipx.ledger.signing import app_signer
from ipx.ledger.verify import VerificationError, main, verify_certificate, verify_receipt
from ipx.ledger.witness import load_or_create_key

API = "/api/v1"


class WitnessProcess:
    """``ipx witness serve`` on a free loopback port."""

    def __init__(self, tmp_path, name: str, log_vkey: str) -> None:
        key_file = tmp_path / f"{name}.key"
        public = load_or_create_key(key_file).public_key().public_bytes_raw()
        self.vkey = cosignature.Witness(f"witness.example/{name}", public).verifier_key
        self.state = tmp_path / f"{name}-state.json"
        command = [
            sys.executable, "-m", "ipx.cli", "witness", "serve",
            "--name", f"witness.example/{name}", "--key-file", str(key_file),
            "--state-file", str(self.state), "--log", log_vkey, "--port", "0",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()  # "witness <vkey> listening on http://..."
        assert line.startswith(f"witness {self.vkey} listening on "), line
        self.url = line.split(" listening on ")[1].strip()

    def post(self, body: bytes) -> tuple[int, str]:
        request = urllib.request.Request(f"{self.url}/add-checkpoint", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def witnesses(app, tmp_path):
    with app.app_context():
        signer = app_signer(app)
    log_vkey = note.verifier_key(signer.key_name, signer.public_key)
    started = [WitnessProcess(tmp_path, name, log_vkey) for name in ("w1", "w2")]
    app.config["WITNESSES"] = [(w.url, w.vkey) for w in started]
    yield started
    for w in started:
        w.stop()


def _public_key(client) -> str:
    return client.get(f"{API}/ledger/public-key").get_json()["public_key"]


def _pledge(registry):
    owner = registry.party("华东材料科技股份有限公司")
    bank = registry.party("中国工商银行股份有限公司上海分行")
    asset = registry.asset([owner])
    return registry.pledge(owner, bank, [asset["id"]])


def test_checkpoints_and_receipts_carry_both_witnesses_cosignatures(
    app, client, registry, clerk, witnesses, tmp_path
):
    vkeys = [w.vkey for w in witnesses]
    registry.party()
    first = client.get(f"{API}/ledger/checkpoint").get_json()
    assert len(cosignature.check_policy(first["note"], vkeys, 2)) == 2
    as_tiles_serve_it = client.get(f"{API}/ledger/checkpoint", headers={"Accept": "text/plain"})
    assert as_tiles_serve_it.get_data(as_text=True) == first["note"]  # cosignatures and all
    pledge = _pledge(registry)  # the log grows: the next checkpoint goes with a proof
    receipt = client.get(f"{API}/pledges/{pledge['id']}/receipt", headers=clerk).get_json()
    public_key = _public_key(client)
    verified = verify_receipt(receipt, public_key, witnesses=vkeys, quorum=2)
    assert verified.checkpoint.tree_size > first["tree_size"]
    for w in witnesses:  # each holds the latest checkpoint it cosigned
        assert json.loads(w.state.read_text())[app.config["LEDGER_ORIGIN"]]["size"] == (
            verified.checkpoint.tree_size
        )
    # The offline verifier's command line applies the same policy.
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    args = [str(path), "--public-key", public_key, *(f"--witness={k}" for k in vkeys)]
    assert main(args) == 0

    # One witness goes away: the log goes on signing; its receipts carry one cosignature.
    witnesses[1].stop()
    other = _pledge(registry)
    receipt = client.get(f"{API}/pledges/{other['id']}/receipt", headers=clerk).get_json()
    assert verify_receipt(receipt, public_key, witnesses=vkeys, quorum=1)
    with pytest.raises(VerificationError) as failed:
        verify_receipt(receipt, public_key, witnesses=vkeys, quorum=2)
    assert failed.value.check == "cosignatures"
    path.write_text(json.dumps(receipt))
    assert main([str(path), "--public-key", public_key, *(f"--witness={k}" for k in vkeys)]) == 1


def test_a_forked_checkpoint_is_refused_with_409_by_a_witness_that_cosigned(
    app, client, registry, witnesses
):
    registry.party()
    registry.party()
    signed = client.get(f"{API}/ledger/checkpoint").get_json()
    size = signed["tree_size"]
    with app.app_context():
        signer = app_signer(app)
    fork = signer.sign(size, bytes(32))  # the same log key and size, another root
    status, text = witnesses[0].post(f"old {size}\n\n{fork}".encode())
    assert status == 409 and "fork" in text
    status, text = witnesses[0].post(f"old 0\n\n{fork}".encode())
    assert (status, text) == (409, f"{size}\n")
    # The witness still holds the log's checkpoint, not the fork.
    state = json.loads(witnesses[0].state.read_text())[app.config["LEDGER_ORIGIN"]]
    assert state == {"size": size, "root": signed["root_hash"]}
    assert base64.b64decode(state["root"]) != bytes(32)


def test_a_search_certificate_is_held_to_the_same_witness_policy(
    client, registry, witnesses, tmp_path
):
    """The certificate's checkpoint carries the witnesses' cosignatures; the offline verifier
    checks them as it does a receipt's: k of n, a key that did not cosign, a forged line."""
    owner, bank = registry.party("华东材料科技股份有限公司"), registry.party("浦江商业银行")
    asset = registry.asset([owner])
    pledge = registry.pledge(owner, bank, [asset["id"]])
    answer = client.get(
        f"{API}/public/encumbrances", query_string={"number": asset["number"], "proof": "1"}
    ).get_json()
    public_key, vkeys = _public_key(client), [w.vkey for w in witnesses]
    found, _ = verify_certificate(answer, public_key, witnesses=vkeys, quorum=2)
    assert [p["id"] for p in found.pledges] == [pledge["id"]]
    assert verify_certificate(answer, public_key)  # no policy asked: the log's key alone

    stranger = cosignature.Witness("witness.example/w3", bytes(range(32))).verifier_key
    with pytest.raises(VerificationError) as failed:
        verify_certificate(answer, public_key, witnesses=[*vkeys, stranger], quorum=3)
    assert failed.value.check == "cosignatures"
    assert verify_certificate(answer, public_key, witnesses=[*vkeys, stranger], quorum=2)

    body, signatures = answer["certificate"]["checkpoint"].split("\n\n", 1)
    lines = signatures.splitlines()
    forged_at = next(i for i, line in enumerate(lines) if "witness.example/w1" in line)
    name, signature = lines[forged_at].rsplit(" ", 1)
    raw = bytearray(base64.b64decode(signature))
    raw[-1] ^= 1
    lines[forged_at] = f"{name} {base64.b64encode(bytes(raw)).decode()}"
    forged = {**answer, "certificate": {**answer["certificate"]}}
    forged["certificate"]["checkpoint"] = body + "\n\n" + "\n".join(lines) + "\n"
    with pytest.raises(VerificationError) as failed:
        verify_certificate(forged, public_key, witnesses=vkeys, quorum=2)
    assert failed.value.check == "cosignatures"

    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(answer))
    args = [str(path), "--certificate", "--public-key", public_key]
    assert main([*args, *(f"--witness={k}" for k in vkeys)]) == 0
    assert main([*args, *(f"--witness={k}" for k in [*vkeys, stranger]), "--quorum=3"]) == 1

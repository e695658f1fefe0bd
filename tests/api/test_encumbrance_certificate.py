"""Search certificates: ``GET /public/encumbrances?number=...&proof=1``, verified offline.

On SQLite and PostgreSQL: a pledged asset is certified with exactly its pledge, a free one, a
cancelled one's and a never-registered number with none; the certificate verifies with only
the log's public key (the function and the command line), and every tampering fails; a frozen
asset's certificate says nothing of the freeze; ``ipx verify`` replays the map from the log and
finds it equal to the stored one (and reports a damaged one).
"""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import text

from ipx.db_ext import database
from ipx.ledger import smt_pages, verify
from ipx.ledger.verify import VerificationError
from tests.registry_helpers import assert_problem, audit

URL = "/api/v1/public/encumbrances"


@pytest.fixture
def scene(client, registry):
    owner, bank = registry.party(), registry.party("工商银行上海分行")
    pledged, free, ended, frozen = (registry.asset([owner]) for _ in range(4))
    pledge = registry.pledge(owner, bank, [pledged["id"]])
    gone = registry.pledge(owner, bank, [ended["id"]], contract_number="JK-2026-0002")
    registry.post(f"/pledges/{gone['id']}/cancel", {"reason": "repaid"}, status=200)
    registry.post(
        f"/assets/{frozen['id']}/freezes",
        {"court": "上海市浦东新区人民法院", "order_number": "(2026)沪0115执保123号"},
    )
    key = client.get("/api/v1/ledger/public-key").get_json()["public_key"]
    return {
        "pledged": pledged,
        "free": free,
        "ended": ended,
        "frozen": frozen,
        "pledge": pledge,
        "key": key,
    }


def _certified(client, number: str) -> dict:
    response = client.get(URL, query_string={"number": number, "proof": "1"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_pledged_asset_is_certified_with_exactly_its_pledge(client, scene):
    answer = _certified(client, scene["pledged"]["number"])
    certificate = answer["certificate"]
    assert certificate["state"] == {
        "pledges": [
            {
                "id": scene["pledge"]["id"],
                "registration_number": scene["pledge"]["registration_number"],
            }
        ]
    }
    assert answer["checkpoint"]["tree_size"] == certificate["tree_size"]
    assert [i["registration_number"] for i in answer["items"]] == [
        scene["pledge"]["registration_number"]
    ]
    found, checkpoint = verify.verify_certificate(answer, scene["key"])
    assert found.pledges == certificate["state"]["pledges"]
    assert found.number == scene["pledged"]["number"]
    assert checkpoint.tree_size == certificate["tree_size"]


@pytest.mark.parametrize("which", ["free", "ended", "frozen"])
def test_free_cancelled_and_frozen_assets_are_certified_with_no_pledge(client, scene, which):
    answer = _certified(client, scene[which]["number"])
    found, _ = verify.verify_certificate(answer, scene["key"])
    assert found.pledges == []
    assert answer["certificate"]["proof"]["leaf"] is None or (
        answer["certificate"]["proof"]["leaf"]["key"] != answer["certificate"]["key"]
    )
    if which == "frozen":  # the public notice shows no freeze: nor does the certificate
        shown = json.dumps(answer["certificate"], ensure_ascii=False)
        assert "法院" not in shown and "freeze" not in shown and "执保" not in shown


def test_a_number_never_registered_is_certified_absent(client, scene):
    answer = _certified(client, "ZL 2019 1 0000001.X")
    found, _ = verify.verify_certificate(answer, scene["key"])
    assert found.pledges == [] and answer["items"] == []


def _tampered(certificate: dict) -> dict[str, dict]:
    cases = {}
    for name, change in {
        "state emptied": lambda c: c["state"].update(pledges=[]),
        "pledge renamed": lambda c: c["state"]["pledges"][0].update(
            registration_number="IPX-P-1999-000001"
        ),
        "pledge added": lambda c: c["state"]["pledges"].append(
            {"id": 999, "registration_number": "IPX-P-2026-999999"}
        ),
        "other number": lambda c: c.update(number="202310999999.9", key=None),
        "restricted root": lambda c: c.update(restricted_root="AQ" + c["restricted_root"][2:]),
        "sibling": lambda c: c["proof"]["siblings"].append(None),
        "checkpoint": lambda c: c.update(checkpoint=c["checkpoint"].replace("\n", "\n\n", 1)),
        "tree size": lambda c: c.update(tree_size=c["tree_size"] - 1),
    }.items():
        forged = copy.deepcopy(certificate)
        change(forged)
        if forged.get("key", "") is None:
            forged.pop("key")
        cases[name] = forged
    return cases


def test_every_tampering_of_a_certificate_fails_offline(client, scene):
    certificate = _certified(client, scene["pledged"]["number"])["certificate"]
    for name, forged in _tampered(certificate).items():
        with pytest.raises(VerificationError):
            verify.verify_certificate(forged, scene["key"])
            pytest.fail(f"accepted: {name}")
    other_key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    with pytest.raises(VerificationError) as failed:
        verify.verify_certificate(certificate, other_key)
    assert failed.value.check == "checkpoint"


def test_an_older_certificate_still_proves_its_own_tree_size(client, registry, scene):
    number = scene["free"]["number"]
    before = _certified(client, number)
    owner = registry.party()
    bank = registry.party("建设银行上海分行")
    asset = registry.asset([owner])
    later = _certified(client, asset["number"])
    assert later["certificate"]["tree_size"] >= before["certificate"]["tree_size"]
    found, _ = verify.verify_certificate(before, scene["key"])
    assert found.pledges == []
    pledge = registry.pledge(owner, bank, [asset["id"]])
    after = _certified(client, asset["number"])
    assert after["certificate"]["tree_size"] > later["certificate"]["tree_size"]
    found, _ = verify.verify_certificate(after, scene["key"])
    assert [p["registration_number"] for p in found.pledges] == [pledge["registration_number"]]
    # The old "none" still verifies, as of its own (smaller) tree size only.
    found, checkpoint = verify.verify_certificate(later, scene["key"])
    assert found.pledges == [] and checkpoint.tree_size < after["certificate"]["tree_size"]


def test_the_command_line_checks_a_certificate_file(client, scene, tmp_path, capsys):
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(_certified(client, scene["pledged"]["number"])), "utf-8")
    assert verify.main([str(path), "--certificate", "--public-key", scene["key"]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK as of tree size") and scene["pledge"]["registration_number"] in out
    forged = _tampered(json.loads(path.read_text("utf-8"))["certificate"])["state emptied"]
    path.write_text(json.dumps(forged), "utf-8")
    assert verify.main([str(path), "--certificate", "--public-key", scene["key"]]) == 1
    assert capsys.readouterr().out.startswith("FAILED map_proof")


def test_proof_needs_a_number(client):
    response = client.get(URL, query_string={"pledgor": "华东", "proof": "1"})
    assert_problem(response, 422, "validation-failed")
    response = client.get(URL, query_string={"number": "1", "proof": "maybe"})
    assert_problem(response, 422, "validation-failed")


def test_checkpoints_carry_the_map_root_and_the_audit_replays_it(app, client, scene):
    checkpoint = client.get("/api/v1/ledger/checkpoint").get_json()
    assert "\nipx.encumbrance-map/v1 " in checkpoint["note"].split("\n\n")[0]
    report = audit(app)
    assert report.ok, report.problems
    assert any(line.startswith("map of encumbrances: replayed") for line in report.checked)


@pytest.mark.tampers
def test_the_audit_reports_a_damaged_map(app, client, scene):
    _certified(client, scene["pledged"]["number"])
    with database(app).engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        pages = connection.execute(text("SELECT tree, path, nodes FROM encumbrance_map_pages"))
        for tree, path, data in list(pages):
            nodes = smt_pages.decode(bytes(data))
            emptied = {
                slot: node if node.key is None else node._replace(value=b'{"pledges":[]}')
                for slot, node in nodes.items()
            }
            connection.execute(
                text("UPDATE encumbrance_map_pages SET nodes = :n WHERE tree = :t AND path = :p"),
                {"n": smt_pages.encode(emptied), "t": tree, "p": bytes(path)},
            )
    report = audit(app)
    assert not report.ok
    assert any("map of encumbrances" in problem.message for problem in report.problems)

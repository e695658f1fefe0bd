"""``ipx verify`` over blinded entries: the clear record beside each leaf is checked against it,
and a log written before leaf format 2 stays as it was published and verifiable.

The "attacker" has the database (triggers off on PostgreSQL) but not the instance keys.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import text

import ipx
from ipx.db_ext import database
from ipx.instance_keys import ledger_blinding_key
from ipx.ledger import disclosure, merkle
from ipx.ledger import log as ledger_log
from ipx.ledger.canonical import sha256_hex
from ipx.ledger.events import leaf_bytes, sealed_details
from ipx.ledger.signing import app_signer, current_checkpoint
from ipx.ledger.verify import verify_receipt
from ipx.ops.ledger_cli import verify
from tests.api.test_disposal_flow import Scene
from tests.registry_helpers import audit


def _tamper(app, *statements: tuple[str, dict]) -> None:
    engine = database(app).engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for sql, params in statements:
            conn.execute(text(sql), params)


def _stored(app, event_type: str) -> tuple[int, str, str]:
    """(seq, leaf, record) of the first entry of that type."""
    with database(app).sessions() as session:
        return tuple(
            session.execute(
                text(
                    "SELECT seq, leaf, details FROM ledger_entries WHERE type = :t "
                    "ORDER BY seq LIMIT 1"
                ),
                {"t": event_type},
            ).one()
        )


def _store(app, seq: int, leaf: str, record: str) -> None:
    _tamper(
        app,
        (
            "UPDATE ledger_entries SET leaf = :l, leaf_hash = :h, details = :d WHERE seq = :s",
            {"l": leaf, "h": merkle.leaf_hash(leaf.encode()), "d": record, "s": seq},
        ),
    )


@pytest.fixture
def scene(client, registry, keys):
    """A registered pledge, defaulted, in disposal, with two bids; a checkpoint over it all."""
    scene = Scene(client, registry, keys)
    scene.default()
    disposal = scene.open()
    scene.bid(disposal, scene.buyers[0], "900000.00")
    scene.bid(disposal, scene.buyers[1], "950000.00")
    return scene


@pytest.fixture
def cli_app(app, monkeypatch):
    monkeypatch.setattr(ipx, "create_app", lambda: app)
    return app


def _signed(app) -> None:
    current_checkpoint(database(app).engine, force=True, app=app)


def test_a_clean_log_of_blinded_entries_passes_ipx_verify(cli_app, scene):
    _signed(cli_app)
    result = CliRunner().invoke(verify)
    assert result.exit_code == 0, result.output
    assert "sealed records checked against their leaves, with their keyed digests" in (
        result.output
    )


def test_an_edited_clear_record_is_caught_by_ipx_verify(cli_app, scene):
    _signed(cli_app)
    seq, _, record = _stored(cli_app, "pledge.defaulted")
    edited = record.replace('"principal":"1000000.00"', '"principal":"10.00"')
    assert edited != record
    _tamper(
        cli_app, ("UPDATE ledger_entries SET details = :d WHERE seq = :s", {"d": edited, "s": seq})
    )
    result = CliRunner().invoke(verify)
    assert result.exit_code == 1
    assert f"first bad entry {seq}: entry {seq}: its confidential details" in result.output


def test_a_record_rewritten_with_its_seal_recomputed_fails_the_keyed_digests(app, scene):
    # Without the keys the attacker can make the seal match, but not the blinded type and ids.
    seq, leaf, record = _stored(app, "disposal.bid")
    edited = record.replace('"type":"disposal.bid"', '"type":"pledge.changed"')
    forged = leaf.replace(sha256_hex(record), sha256_hex(edited))
    _store(app, seq, forged, edited)
    first = audit(app).first_problem()
    assert first.entry == seq and "not what its sealed record makes of it" in first.message


def test_records_swapped_between_two_entries_are_caught(app, scene):
    first_seq, first_leaf, first_record = _stored(app, "disposal.bid")
    with database(app).sessions() as session:
        second_seq, second_record = session.execute(
            text(
                "SELECT seq, details FROM ledger_entries WHERE type = 'disposal.bid' "
                "ORDER BY seq DESC LIMIT 1"
            )
        ).one()
    _tamper(
        app,
        (
            "UPDATE ledger_entries SET details = :d WHERE seq = :s",
            {"d": second_record, "s": first_seq},
        ),
        (
            "UPDATE ledger_entries SET details = :d WHERE seq = :s",
            {"d": first_record, "s": second_seq},
        ),
    )
    problems = {p.entry for p in audit(app).problems}
    assert {first_seq, second_seq} <= problems


def test_a_confidential_event_put_in_clear_is_reported(app, scene):
    # What a bug (or an insider with the keys) might write: the default as a public leaf.
    seq, leaf, record = _stored(app, "pledge.defaulted")
    key = disclosure.entry_key(ledger_blinding_key(app.config["DIGEST_KEY_FILE"]), seq)
    time = json.loads(leaf)["time"]
    in_clear = disclosure.build_leaf(record, seq=seq, time=time, key=key, public=True).decode()
    assert '"type":"pledge.defaulted"' in in_clear
    _store(app, seq, in_clear, record)
    messages = [p.message for p in audit(app).problems if p.entry == seq]
    assert f"entry {seq}: a non-public event (pledge.defaulted) is in clear in its leaf" in messages


# --- a log written before leaf format 2 ---------------------------------------------------------


def _format_1_entry(event, seq: int, time: str, actor: str, blinding_key: bytes):
    """What the log wrote before format 2 (its code, verbatim): everything in clear, private
    facts sealed apart."""
    details = None
    if event.private:
        details, digest = sealed_details(event.private)
        event = replace(event, digests={**event.digests, "details": digest})
    moment = datetime.strptime(time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return leaf_bytes(event, seq=seq, time=moment, actor=actor), details


@pytest.fixture
def upgraded(app, client, registry, keys, monkeypatch):
    """A pledge registered by the previous release (format-1 entries, a checkpoint over
    them), then defaulted under this one."""
    with monkeypatch.context() as old_release:
        old_release.setattr(ledger_log, "_entry", _format_1_entry)
        scene = Scene(client, registry, keys)
        old = current_checkpoint(database(app).engine, force=True, app=app)
    scene.default()
    return scene, old.tree_size


def _formats(app) -> list[int]:
    with database(app).sessions() as session:
        leaves = session.execute(text("SELECT leaf FROM ledger_entries ORDER BY seq")).scalars()
        return [json.loads(leaf)["v"] for leaf in leaves]


def test_entries_written_before_format_2_stay_as_published_and_verify(app, client, upgraded):
    scene, old_size = upgraded
    formats = _formats(app)
    assert formats[:old_size] == [1] * old_size and set(formats[old_size:]) == {2}
    assert audit(app).ok, audit(app).problems
    # The old registration is served exactly as it was published, and its receipt verifies.
    old_leaf = json.loads(client.get("/api/v1/ledger/entries/0").get_json()["leaf"])
    assert old_leaf["v"] == 1 and old_leaf["type"] == "party.created"
    public_key = client.get("/api/v1/ledger/public-key").get_json()["public_key"]
    receipt = client.get(
        f"/api/v1/pledges/{scene.pledge['id']}/receipt", headers=scene.bank_key
    ).get_json()
    verified = verify_receipt(receipt, public_key)
    assert verified.leaf["v"] == 1 and verified.event["private"]["secured_amount"] == "5000000.00"
    # Histories read both formats.
    history = scene.get(f"/pledges/{scene.pledge['id']}/history", scene.bank_key)["items"]
    assert [e["type"] for e in history] == ["pledge.registered", "pledge.defaulted"]
    assert history[0]["changes"]["secured_amount"] == "5000000.00"
    assert history[1]["changes"]["principal"] == "1000000.00"


def test_a_format_1_entry_after_format_2_ones_is_a_downgrade(app, upgraded, registry, monkeypatch):
    monkeypatch.setattr(ledger_log, "_entry", _format_1_entry)
    registry.party()
    last = len(_formats(app)) - 1
    problems = [p for p in audit(app).problems if p.entry == last]
    assert [p.message for p in problems] == [
        f"entry {last}: a format-1 leaf after format-2 ones (a downgrade)"
    ]


def test_the_audit_without_the_blinding_key_says_what_it_left_unchecked(app, scene):
    from ipx.ledger.audit import audit_log

    with database(app).sessions() as session:
        report = audit_log(session, app_signer(app).public_key)
    assert report.ok and "without (no blinding key given)" in report.checked[0]

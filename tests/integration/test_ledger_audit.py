"""``ipx verify``'s audit: a clean log passes; every kind of tampering is caught and located.

On PostgreSQL the append-only trigger would refuse these edits, so the "attacker" here has
database access and switches triggers off (``session_replication_role = replica``).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from ipx.db_ext import database
from ipx.ledger import merkle
from ipx.ledger.audit import audit_log
from ipx.ledger.canonical import sha256_hex
from ipx.ledger.signing import app_signer, current_checkpoint
from ipx.registry.state import current_state_digests
from tests.conftest import registry_key
from tests.registry_helpers import audit


def _tamper(app, *statements: tuple[str, dict]) -> None:
    engine = database(app).engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for sql, params in statements:
            conn.execute(text(sql), params)


def _leaf(app, seq: int) -> str:
    with database(app).sessions() as session:
        return session.execute(
            text("SELECT leaf FROM ledger_entries WHERE seq = :s"), {"s": seq}
        ).scalar_one()


def _resealed(app, seq: int) -> str:
    """Entry ``seq`` edited the way an attacker with the database but not the instance keys
    can make it pass every check of its own: a new salt in its sealed record (written back
    here) and the leaf's seal of the record recomputed. Returns the edited leaf text."""
    with database(app).sessions() as session:
        leaf, record = session.execute(
            text("SELECT leaf, details FROM ledger_entries WHERE seq = :s"), {"s": seq}
        ).one()
    salt = json.loads(record)["salt"]
    edited = record.replace(f'"salt":"{salt}"', f'"salt":"{"0" * len(salt)}"')
    new_leaf = leaf.replace(sha256_hex(record), sha256_hex(edited))
    assert edited != record and new_leaf != leaf
    _tamper(app, ("UPDATE ledger_entries SET details = :d WHERE seq = :s", {"d": edited, "s": seq}))
    return new_leaf


@pytest.fixture
def log(app, registry):
    """A registry with a pledge, and checkpoints signed at 4 entries and at the end."""
    owner = registry.party("华东材料科技股份有限公司")
    bank = registry.party("中国工商银行股份有限公司上海分行")
    asset = registry.asset([owner])
    registry.party()
    current_checkpoint(database(app).engine, force=True, app=app)
    pledge = registry.pledge(owner, bank, [asset["id"]])
    registry.party()
    end = current_checkpoint(database(app).engine, force=True, app=app)
    return {"owner": owner, "pledge": pledge, "size": end.tree_size}


def test_a_clean_log_passes_and_says_what_it_checked(app, log):
    report = audit(app)
    assert report.ok, report.problems
    assert [line.split(":")[0] for line in report.checked] == [
        "entries",
        "tree",
        "head",
        "checkpoints",
        "map of encumbrances",
        "registry",
    ]
    assert f"{log['size']} read" in report.checked[0]


def test_a_wrong_frontier_in_the_head_is_caught(app, log):
    _tamper(app, ("UPDATE ledger_head SET frontier = :f", {"f": bytes(32) * 3}))
    report = audit(app)
    assert [p.message for p in report.problems] == [
        f"the log head's frontier is not that of the {log['size']} stored entries"
    ]


def test_a_log_without_a_stored_frontier_reads_its_nodes_once_and_stores_it(app, log, registry):
    _tamper(app, ("UPDATE ledger_head SET frontier = NULL", {}))
    report = audit(app)
    assert report.ok and "no frontier stored yet" in " ".join(report.checked)
    registry.party()  # the next append rebuilds the frontier from the stored nodes
    report = audit(app)
    assert report.ok, report.problems
    assert "head: frontier matches the rebuilt tree" in report.checked


def test_an_edited_leaf_is_named(app, log):
    leaf = _leaf(app, 2).replace('"v":2', '"v":3')
    _tamper(app, ("UPDATE ledger_entries SET leaf = :l WHERE seq = 2", {"l": leaf}))
    first = audit(app).first_problem()
    assert first.entry == 2 and "leaf hash" in first.message


def test_an_edited_leaf_with_its_hash_recomputed_is_caught_by_the_tree(app, log):
    leaf = _resealed(app, 3)
    new_hash = merkle.leaf_hash(leaf.encode())
    _tamper(
        app,
        (
            "UPDATE ledger_entries SET leaf = :l, leaf_hash = :h WHERE seq = 3",
            {"l": leaf, "h": new_hash},
        ),
    )
    report = audit(app)
    first = report.first_problem()
    assert first.entry == 2 and "entries 2..3 differs" in first.message
    assert any("not what checkpoint 4 signed" in p.message for p in report.problems)


def test_a_rewrite_with_every_node_rebuilt_still_fails_the_signed_checkpoints(app, log):
    leaf = _resealed(app, 1)
    _tamper(app, ("UPDATE ledger_entries SET leaf = :l WHERE seq = 1", {"l": leaf}))
    with database(app).sessions() as session:
        leaves = session.execute(text("SELECT leaf FROM ledger_entries ORDER BY seq")).scalars()
        tree = merkle.MemoryTree()
        for item in leaves:
            tree.append(item.encode())
    rebuilt = [("DELETE FROM ledger_nodes", {})]
    rebuilt += [
        ("UPDATE ledger_entries SET leaf_hash = :h WHERE seq = 1", {"h": tree.get_node(0, 1)})
    ]
    for level, hashes in enumerate(tree.levels[1:], start=1):
        for position, value in enumerate(hashes):
            rebuilt.append(
                (
                    "INSERT INTO ledger_nodes VALUES (:l, :p, :h)",
                    {"l": level, "p": position, "h": value},
                )
            )
    _tamper(app, *rebuilt)
    report = audit(app)
    first = report.first_problem()
    assert first.entry == 0 and "not what checkpoint 4 signed" in first.message
    assert all("differs" not in p.message for p in report.problems)  # the nodes are consistent


def test_a_deleted_entry_is_named(app, log):
    _tamper(
        app,
        ("DELETE FROM ledger_refs WHERE seq = 3", {}),
        ("DELETE FROM ledger_entries WHERE seq = 3", {}),
    )
    first = audit(app).first_problem()
    assert first.entry == 3 and "missing" in first.message


def test_a_deleted_last_entry_is_caught(app, log):
    last = log["size"] - 1
    _tamper(
        app,
        ("DELETE FROM ledger_refs WHERE seq = :s", {"s": last}),
        ("DELETE FROM ledger_entries WHERE seq = :s", {"s": last}),
    )
    report = audit(app)
    assert not report.ok
    assert any("head says" in p.message for p in report.problems)
    assert any("signs entries the log lacks" in p.message for p in report.problems)


def test_reordered_entries_are_named(app, log):
    a, b = _leaf(app, 1), _leaf(app, 4)
    ha, hb = merkle.leaf_hash(a.encode()), merkle.leaf_hash(b.encode())
    _tamper(
        app,
        ("UPDATE ledger_entries SET leaf = :l, leaf_hash = :h WHERE seq = 1", {"l": b, "h": hb}),
        ("UPDATE ledger_entries SET leaf = :l, leaf_hash = :h WHERE seq = 4", {"l": a, "h": ha}),
    )
    first = audit(app).first_problem()
    assert first.entry == 1 and "leaf says seq 4" in first.message


def test_an_edited_registry_row_is_named_by_the_entry_that_logged_it(app, log):
    _tamper(app, ("UPDATE parties SET name = 'someone else' WHERE id = :i", {"i": log["owner"]}))
    report = audit(app)
    (problem,) = report.problems
    assert problem.message.startswith(f"state:party:{log['owner']}:")
    assert problem.entry == 0  # the owner's registration, its last logged state


def test_a_pledge_row_edited_behind_the_registry_is_caught(app, log):
    pledge_id = log["pledge"]["id"]
    _tamper(app, ("UPDATE pledges SET status = 'cancelled' WHERE id = :i", {"i": pledge_id}))
    (problem,) = audit(app).problems
    assert problem.message.startswith(f"state:pledge:{pledge_id}:")


def test_records_missing_from_either_side_are_mismatches(app, log):
    with database(app).sessions() as session:
        states = list(current_state_digests(session, registry_key(app)))
    signer = app_signer(app)
    dropped, kept = states[0], states[1:] + [("state:party:999", "00" * 32)]
    with database(app).sessions() as session:
        report = audit_log(session, signer.public_key, registry_states=kept, state_kinds={"party"})
    messages = [p.message for p in report.problems]
    assert any(m.startswith("state:party:999:") and "not in the log" in m for m in messages)
    assert any(m.startswith(dropped[0]) and "missing from the database" in m for m in messages)


def test_a_forged_checkpoint_note_is_refused(app, log):
    _tamper(
        app,
        (
            "UPDATE ledger_checkpoints SET note = replace(note, :a, :b) WHERE tree_size = 4",
            {"a": "\n4\n", "b": "\n3\n"},
        ),
    )
    problems = audit(app, states=False).problems
    assert any(p.message.startswith("checkpoint 4:") for p in problems)


@pytest.mark.postgres
def test_the_trigger_refuses_update_and_delete_on_the_log_tables(app, log, backend):
    if backend != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    from sqlalchemy.exc import DBAPIError

    for table in ("ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_refs"):
        for sql in (f"UPDATE {table} SET {_column(table)}", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="append-only"), database(app).engine.begin() as c:
                c.execute(text(sql))
    assert audit(app).ok


def _column(table: str) -> str:
    return {
        "ledger_entries": "type = 'x'",
        "ledger_nodes": "level = level",
        "ledger_checkpoints": "note = note",
        "ledger_refs": "kind = kind",
    }[table]


def test_edited_confidential_details_are_caught_by_the_leaf_digest(app, log):
    with database(app).sessions() as session:
        seq, details = session.execute(
            text(
                "SELECT seq, details FROM ledger_entries "
                "WHERE type = 'pledge.registered' ORDER BY seq LIMIT 1"
            )
        ).one()
    edited = details.replace('"secured_amount":"5000000.00"', '"secured_amount":"50.00"')
    assert edited != details
    _tamper(app, ("UPDATE ledger_entries SET details = :d WHERE seq = :s", {"d": edited, "s": seq}))
    first = audit(app).first_problem()
    assert first.entry == seq and "confidential details" in first.message


def test_a_tree_grown_from_a_bad_frontier_is_never_signed(app, log, registry):
    from ipx.db_ext import database as db
    from ipx.ledger.checkpoints import TreeNotConsistent
    from ipx.ledger.tables import LedgerHead

    with db(app).sessions() as session:
        frontier = bytes(session.get(LedgerHead, 1).frontier)
    # Same length, wrong hashes: appends trust it, so the nodes they complete are wrong.
    _tamper(app, ("UPDATE ledger_head SET frontier = :f", {"f": bytes(len(frontier))}))
    size = log["size"]
    for _ in range((1 << size.bit_length()) - size):  # up to the next power of two
        registry.party()
    with pytest.raises(TreeNotConsistent, match=f"does not extend checkpoint {size}"):
        current_checkpoint(database(app).engine, force=True, app=app)
    assert not audit(app).ok
    # Answers that carry a checkpoint fail closed, with a code that says why.
    app.config["CHECKPOINT_EVERY_SECONDS"] = 0
    public = app.test_client().get("/api/v1/public/encumbrances?number=ZL201010000001")
    assert public.status_code == 503
    assert public.get_json()["code"] == "ledger-inconsistent"

"""``ipx verify``'s audit reads a long log in chunks (``audit_entries.STREAM_ROWS`` rows): it
reports exactly what it reports from one read, wherever the chunks end.

The suite's logs are far shorter than a chunk, so here chunks of a few rows stand in for a
long log: entries, the stored nodes of every level (a chunk ending inside a level, at its end,
or with the levels above) and the map are read across chunk boundaries.
"""

from __future__ import annotations

import pytest

from ipx.ledger import audit_entries
from tests.integration.test_ledger_audit import _tamper, log  # noqa: F401 - the fixture
from tests.registry_helpers import audit

TAMPERINGS = {
    "none": [],
    "a node edited": [
        ("UPDATE ledger_nodes SET hash = :h WHERE level = 2 AND position = 0", {"h": bytes(32)})
    ],
    "nodes missing, extra and outside the tree": [
        ("DELETE FROM ledger_nodes WHERE level = 1 AND position = 1", {}),
        ("INSERT INTO ledger_nodes VALUES (1, 500, :h)", {"h": bytes(32)}),
        ("INSERT INTO ledger_nodes VALUES (20, 0, :h)", {"h": bytes(32)}),
    ],
    "a level gone": [("DELETE FROM ledger_nodes WHERE level = 2", {})],
    "an entry gone": [
        ("DELETE FROM ledger_refs WHERE seq = 3", {}),
        ("DELETE FROM ledger_entries WHERE seq = 3", {}),
    ],
    "a map page edited": [
        ("UPDATE encumbrance_map_pages SET nodes = :n WHERE tree = 0", {"n": b"x"})
    ],
}


def _outcome(app) -> tuple[list[tuple[int | None, str]], list[str]]:
    report = audit(app)
    return [(p.entry, p.message) for p in report.problems], report.checked


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_chunks_of_any_size_give_the_same_report(app, log, monkeypatch, tampering):  # noqa: F811
    _tamper(app, *TAMPERINGS[tampering])
    whole = _outcome(app)
    assert bool(whole[0]) == (tampering != "none"), whole
    for rows in (1, 2, 3, 5):
        monkeypatch.setattr(audit_entries, "STREAM_ROWS", rows)
        assert _outcome(app) == whole, rows

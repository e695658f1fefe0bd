"""Guard rails of every API test: after a test that wrote, ``ipx verify``'s audit is clean.

"Wrote" means a POST, PUT, PATCH or DELETE went through the test client, or the log is not
empty (each test starts from empty tables). A test that damages the log or the records on
purpose opts out with ``@pytest.mark.tampers``. Every JSON answer is also checked against the
OpenAPI document, by the client itself (``tests.contract``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ipx.db_ext import database
from ipx.ledger.tables import LedgerHead
from tests.contract import writes_seen
from tests.registry_helpers import audit


@pytest.fixture(autouse=True)
def ledger_audit_stays_clean(request):
    """Audit the log and every record against it after the test (before the tables empty)."""
    if "app" not in request.fixturenames or request.node.get_closest_marker("tampers"):
        yield
        return
    app = request.getfixturevalue("app")  # set up first, so torn down after this audit
    yield
    if writes_seen(app) or _log_size(app):
        report = audit(app)
        assert report.ok, f"the ledger audit found problems after this test: {report.problems}"


def _log_size(app) -> int:
    with database(app).sessions() as session:
        return session.execute(select(LedgerHead.size)).scalar_one_or_none() or 0

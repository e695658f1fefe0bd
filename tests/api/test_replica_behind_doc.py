"""503 ``replica-behind`` is documented on every operation that can answer it, and only there.

An operation can answer it when its view reads on the read replica: it stamps its answer with
``held_checkpoint`` (``ipx.ledger.replica``), directly or through a ``read(..., replica=True)``
of the use cases. Such views are found in the source of the registered view classes, so a new
replica read that forgets its 503 fails here.
"""

from __future__ import annotations

import inspect
import re

import pytest

from ipx.web.api import API_PREFIX
from ipx.web.errors import PROBLEM_JSON

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the document needs no database

CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")
READS_THE_REPLICA = re.compile(r"held_checkpoint\(|replica=True")


def _replica_reads(app) -> set[tuple[str, str]]:
    """(method, documented path) of every API view whose code reads on the replica."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if view_class is None:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(view_class, method.lower(), None)
            if handler is not None and READS_THE_REPLICA.search(inspect.getsource(handler)):
                found.add((method.lower(), CONVERTER.sub(r"{\1}", rule.rule)))
    return found


def test_every_replica_read_documents_replica_behind(app, client):
    document = client.get(f"{API_PREFIX}/openapi.json").get_json()
    reads = _replica_reads(app)
    assert {
        ("get", f"{API_PREFIX}/public/encumbrances"),
        ("get", f"{API_PREFIX}/ledger/checkpoint"),
        ("get", f"{API_PREFIX}/ledger/proofs/inclusion"),
        ("get", f"{API_PREFIX}/ledger/proofs/consistency"),
    } <= reads
    for method, path in sorted(reads):
        answer = document["paths"][path][method]["responses"]["503"]
        assert "`replica-behind`" in answer["description"], (method, path)
        assert "Retry-After" in answer["headers"]
        example = answer["content"][PROBLEM_JSON]["example"]
        assert example["code"] == "replica-behind" and example["status"] == 503
    documented = {
        (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
        and "replica-behind" in str(operation.get("responses", {}).get("503", ""))
    }
    assert documented == reads, "documented on an operation that never reads the replica"

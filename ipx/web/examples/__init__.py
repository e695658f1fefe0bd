"""What the OpenAPI document says of each operation beyond its marshmallow schemas.

For every operation: its ``operationId`` (the function name a generated client gives it), a
description, a worked example of the request and of the answer, the links a client (or a
stateful test) follows from the answer to the next operations, and the rules the service checks
beyond the schema (a check character, a record that must exist, one date after another): a
request that the schema allows may still be refused with 422 ``validation-failed`` naming one of
these fields, and only these. Kept here, keyed by ``"METHOD /path"`` as the document writes the
path (without ``/api/v1``), so the route modules stay short; ``ipx.web.api.OperationDocs`` merges
each entry into its operation when the document is built. ``tests/api/test_examples.py`` holds
every documented operation to an entry, and every example to the schema it illustrates.

The examples tell one story, the README's: the clerk registers 上海新材科技有限公司 (party 1)
and 浦江商业银行 (party 2), patent ZL202110355218.9 (asset 1), the bank files application 1,
the clerk registers pledge 1, IPX-P-2026-000001; pledge 2 later defaults and is sold.
"""

from __future__ import annotations

from ipx.web.examples.entries import Link, Operation, by_id

__all__ = ["RULES_EXTENSION", "Link", "Operation", "by_id", "operations"]

#: The extension listing, per operation, the fields checked beyond the schema.
RULES_EXTENSION = "x-ipx-rules"


def operations() -> dict[str, Operation]:
    """Every operation's entry, keyed by ``"METHOD /path"``."""
    from ipx.web.examples import (
        disposal,
        ledger,
        model_risk,
        notify,
        registry,
        support,
        transfer_requests,
        valuation,
    )

    merged: dict[str, Operation] = {}
    modules = (registry, transfer_requests, disposal, ledger, valuation, model_risk, notify)
    for module in (*modules, support):
        overlap = merged.keys() & module.OPERATIONS.keys()
        assert not overlap, overlap
        merged.update(module.OPERATIONS)
    return merged

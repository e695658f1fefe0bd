"""Deny by default, checked on the URL map: every endpoint is role-guarded or listed as public.

A view is guarded when ``ipx.auth.require`` (API) or the console's ``login_required`` wraps
it: both leave ``required_roles`` on the view. Anything else must be on ``PUBLIC`` below, so
adding a route without a guard fails here until someone decides, in review, that it is public.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the URL map needs no database

GET, POST = frozenset({"GET"}), frozenset({"POST"})

#: endpoint -> the methods anyone may call without a key or a login.
PUBLIC: dict[str, frozenset[str]] = {
    # "Is this asset encumbered?" is open to anyone (DESIGN: public query).
    "public.Encumbrances": GET,
    # The log is verifiable by anyone: key, checkpoints, entries, proofs.
    "ledger.PublicKey": GET,
    "ledger.LatestCheckpoint": GET,
    "ledger.Entry": GET,
    "ledger.InclusionProof": GET,
    "ledger.ConsistencyProof": GET,
    "ledger.HashTile": GET,
    "ledger.EntryBundle": GET,
    # What the model is and how far to trust it.
    "valuations.CurrentModel": GET,
    # An operator's probes and metrics, outside /api/v1 (ipx.web.health, ipx.web.scrape).
    "health.healthz": GET,
    "health.readyz": GET,
    "metrics.metrics": GET,
    # The OpenAPI document and its Swagger UI.
    "api-docs.openapi_json": GET,
    "api_docs.docs": GET,
    "api_docs.swagger_ui": GET,
    "api_docs.static": GET,
    # Static files, and the console's way in and out.
    "static": GET,
    "console.static": GET,
    "console.login": GET | POST,
    "console.logout": POST,
    "console.root": GET,
    "console.public": GET,
    "console._unknown_page": GET,
}


def _handlers(app):
    """(endpoint, method, the function that answers it) for every rule of the URL map."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            handler = getattr(view_class, method.lower()) if view_class else view
            yield rule.endpoint, method, handler


def test_every_endpoint_is_guarded_or_explicitly_public(app):
    unguarded = {
        (endpoint, method)
        for endpoint, method, handler in _handlers(app)
        if not hasattr(handler, "required_roles")
        and method not in PUBLIC.get(endpoint, frozenset())
    }
    assert unguarded == set(), "guard these views with @require, or list them in PUBLIC"


def test_the_public_list_names_only_unguarded_endpoints_that_exist(app):
    public = {(e, m) for e, methods in PUBLIC.items() for m in methods}
    unguarded = {(e, m) for e, m, h in _handlers(app) if not hasattr(h, "required_roles")}
    assert public - unguarded == set(), "stale or guarded entries in PUBLIC"


def test_guarded_api_views_name_at_least_one_role(app):
    api_views = [h for e, m, h in _handlers(app) if not e.startswith(("console.", "api_docs."))]
    assert all(h.required_roles for h in api_views if hasattr(h, "required_roles"))

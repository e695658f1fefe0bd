"""The OpenAPI 3 document is valid and covers every route registered under /api/v1."""

from __future__ import annotations

import re

import pytest

from ipx.web.api import API_PREFIX

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the document needs no database

CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")


def _document(client) -> dict:
    response = client.get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _routes(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) for every API rule, the document's own route excepted."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/") or rule.rule.endswith("/openapi.json"):
            continue
        path = CONVERTER.sub(r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method.lower(), path))
    return routes


def test_the_document_is_valid_openapi_3(client):
    document = _document(client)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] and document["info"]["version"]
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


def test_every_api_route_is_documented(app, client):
    document = _document(client)
    documented = {
        (method, API_PREFIX + path if not path.startswith(API_PREFIX) else path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    routes = _routes(app)
    assert len(routes) > 20
    assert routes - documented == set()
    assert documented - routes == set()


def test_registry_operations_carry_summaries_and_schemas(client):
    document = _document(client)
    register = document["paths"]["/api/v1/pledge-applications/{application_id}/register"]["post"]
    assert register["summary"]
    assert {"201", "409"} <= register["responses"].keys()
    create = document["paths"]["/api/v1/pledge-applications"]["post"]
    assert "requestBody" in create
    schemas = document["components"]["schemas"]
    application = next(s for name, s in schemas.items() if name.startswith("Application"))
    for field in ("pledgor_id", "pledgee_id", "asset_ids", "secured_amount", "debt_end"):
        assert field in application["properties"], field


def test_creating_posts_document_the_idempotency_key_header(client):
    document = _document(client)
    with_header = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        and any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    # DESIGN: every POST that creates something (register creates the pledge).
    assert {
        ("post", "/api/v1/parties"),
        ("post", "/api/v1/assets"),
        ("post", "/api/v1/assets/{asset_id}/freezes"),
        ("post", "/api/v1/pledge-applications"),
        ("post", "/api/v1/pledge-applications/{application_id}/register"),
        ("post", "/api/v1/transfers"),
        ("post", "/api/v1/valuations"),
    } <= with_header
    assert all(method == "post" for method, _ in with_header)

"""The OpenAPI 3 document is valid and covers every route registered under /api/v1."""

from __future__ import annotations

import json
import re

import pytest

from ipx.web.api import API_PREFIX

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the document needs no database

METHODS = {"get", "post", "put", "patch", "delete"}
DOCS = ("api-docs.", "api_docs.")  # flask-smorest's openapi.json; the console's Swagger UI
CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")


def _document(client) -> dict:
    response = client.get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _routes(app) -> set[tuple[str, str]]:
    """(method, OpenAPI path) for every API rule, the document and its Swagger UI excepted."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/") or rule.endpoint.startswith(DOCS):
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


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, operation


def _response(document, response: dict) -> dict:
    """A response object, following a reference to components/responses."""
    ref = response.get("$ref")
    return document["components"]["responses"][ref.rsplit("/", 1)[1]] if ref else response


def test_every_error_is_documented_as_problem_json_with_the_real_members(client):
    document = _document(client)
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status == "default" or int(status) >= 400:
                content = _response(document, response)["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert problem["properties"]["status"]["type"] == "integer"
    assert problem["properties"]["code"]["type"] == "string"
    assert "errors" in document["components"]["schemas"]["ValidationProblem"]["properties"]


def test_guarded_operations_need_the_bearer_key_and_say_401_and_403(client):
    document = _document(client)
    for method, path, operation in _operations(document):
        if operation["security"]:
            assert operation["security"] == [{"bearer": []}], (method, path)
            assert {"401", "403"} <= operation["responses"].keys(), (method, path)
        if "{" in path:
            assert "404" in operation["responses"], (method, path)
    public = {path for method, path, op in _operations(document) if op["security"] == []}
    assert "/api/v1/public/encumbrances" in public and "/api/v1/ledger/checkpoint" in public
    assert "/api/v1/parties" not in public


def test_refusals_checkpoints_money_and_dates_say_what_the_service_answers(client):
    document = _document(client)
    paths, schemas = document["paths"], document["components"]["schemas"]
    register = paths["/api/v1/pledge-applications/{application_id}/register"]["post"]
    refusal = register["responses"]["409"]["content"]["application/problem+json"]["schema"]
    assert refusal == {"$ref": "#/components/schemas/RefusalProblem"}
    assert schemas["RefusalProblem"]["properties"]["grounds"]["type"] == "array"
    assert {"200", "201"} <= paths["/api/v1/ledger/checkpoints"]["post"]["responses"].keys()
    amount = schemas["PledgeOut"]["properties"]["secured_amount"]
    assert amount["type"] == "string" and amount["pattern"] and amount["example"] == "1250000.00"
    assert schemas["PledgeOut"]["properties"]["debt_end"]["format"] == "date"
    assert schemas["MoneyRange"]["properties"]["p10"]["type"] == "string"


def test_the_client_refuses_answers_the_document_does_not_allow(app):
    from tests.contract import ContractViolation, contract_of

    contract = contract_of(app.test_client().get(f"{API_PREFIX}/openapi.json").get_data(True))
    with app.test_request_context(f"{API_PREFIX}/parties/7") as context:
        request = context.request

    def answer(status: int, body, mimetype: str = "application/problem+json", headers=None):
        text = body if isinstance(body, str) else json.dumps(body)
        response = app.response_class(text, status=status, mimetype=mimetype, headers=headers)
        response.request = request
        return response

    problem = {"type": "about:blank", "title": "t", "status": 404, "detail": "d", "code": "c"}
    contract.check(answer(404, problem))
    with pytest.raises(ContractViolation, match="does not list"):
        contract.check(answer(418, {**problem, "status": 418}))
    with pytest.raises(ContractViolation, match="does not allow"):
        contract.check(answer(404, {**problem, "status": "404"}))
    with pytest.raises(ContractViolation, match="does not allow"):
        contract.check(answer(404, problem, mimetype="application/json"))
    with pytest.raises(ContractViolation, match="does not allow"):
        contract.check(answer(200, {"id": "seven"}, mimetype="application/json"))
    with pytest.raises(ContractViolation, match="not JSON"):
        contract.check(answer(404, "{", mimetype="application/problem+json"))
    # the headers a response declares: Retry-After is an integer, WWW-Authenticate a string
    busy = {**problem, "status": 503}
    contract.check(answer(503, busy, headers={"Retry-After": "5"}))
    contract.check(answer(503, busy))  # (not required)
    with pytest.raises(ContractViolation, match="Retry-After"):
        contract.check(answer(503, busy, headers={"Retry-After": "soon"}))
    contract.check(answer(401, {**problem, "status": 401}, headers={"WWW-Authenticate": "Bearer"}))
    # ``default`` answers for a server error only, as a problem
    contract.check(answer(500, {**problem, "status": 500}))
    with pytest.raises(ContractViolation, match="does not list"):
        contract.check(answer(418, {**problem, "status": 418}))
    with pytest.raises(ContractViolation, match="does not allow"):
        contract.check(answer(500, {"error": "boom"}))
    # a status documented without content has no body
    with app.test_request_context(f"{API_PREFIX}/ledger/tile/0/000") as context:
        tile = context.request
    unchanged = app.response_class("{}", status=304, mimetype="application/json")
    unchanged.request = tile
    with pytest.raises(ContractViolation, match="no content"):
        contract.check(unchanged)
    # a member the problem schema of a 404 does not have
    with pytest.raises(ContractViolation, match="errors"):
        contract.check(answer(404, {**problem, "errors": ["name"]}))


PUBLIC = {
    ("get", "/api/v1/public/encumbrances"),
    ("get", "/api/v1/ledger/public-key"),
    ("get", "/api/v1/ledger/checkpoint"),
    ("get", "/api/v1/ledger/entries/{index}"),
    ("get", "/api/v1/ledger/proofs/inclusion"),
    ("get", "/api/v1/ledger/proofs/consistency"),
    ("get", "/api/v1/ledger/tile/{level}/{tile}"),
    ("get", "/api/v1/ledger/tile/entries/{tile}"),
    ("get", "/api/v1/models/current"),
}


def test_exactly_the_public_operations_say_security_is_not_needed(client):
    document = _document(client)
    public = {(method, path) for method, path, op in _operations(document) if op["security"] == []}
    assert public == PUBLIC
    for method, path in PUBLIC:
        response = getattr(client, method)(path.replace("{index}", "0"), query_string={})
        assert response.status_code != 401, (method, path)  # no key needed (404/422 may come)


def test_signing_a_checkpoint_documents_both_answers_with_the_checkpoint(client):
    responses = _document(client)["paths"]["/api/v1/ledger/checkpoints"]["post"]["responses"]
    for status in ("200", "201"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/CheckpointOut"}, status
    assert "already covers" in responses["200"]["description"]


def test_bounds_and_nullable_objects_say_exactly_what_the_service_takes(client):
    schemas = _document(client)["components"]["schemas"]
    economics = schemas["EconomicsIn"]["properties"]
    assert (
        economics["discount_rate"]["minimum"] == 0
        and economics["discount_rate"]["exclusiveMinimum"]
    )
    assert economics["growth"]["minimum"] == -1 and economics["growth"]["exclusiveMinimum"]
    assert "exclusiveMinimum" not in economics["tax_rate"]
    features = schemas["AssetIn"]["properties"]["features"]["anyOf"]
    assert {"$ref": "#/components/schemas/FeaturesIn"} in features
    assert all("$ref" in branch or branch.get("enum") == [None] for branch in features)
    assert schemas["AssetPatch"]["minProperties"] == 1


def test_operations_have_ids_and_links_name_operations_that_exist(client):
    document = _document(client)
    ids = [op["operationId"] for _, _, op in _operations(document)]
    assert len(ids) == len(set(ids)) == len(list(_operations(document)))
    links = [
        link
        for _, _, op in _operations(document)
        for response in op["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) > 20
    assert {link["operationId"] for link in links} <= set(ids)


def test_a_method_the_document_does_not_list_answers_405_with_allow(client, clerk):
    document = _document(client)
    listed = {m.upper() for m in document["paths"]["/api/v1/parties/{party_id}"] if m in METHODS}
    response = client.delete("/api/v1/parties/1", headers=clerk)
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert listed <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert "DELETE" not in response.headers["Allow"]

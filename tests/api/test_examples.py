"""Every operation of the served document has an id, a description and worked examples, and every
example is valid against the schema it illustrates, so the examples cannot rot.

The request of each operation is rebuilt from its examples (path and query parameters, body) and
validated as a request, its example answers as responses of their status (``openapi-core``).
Each link must lead to a documented operation and parameter, with a JSON pointer that resolves
in the example answer it starts from; each field of ``x-ipx-rules`` must be one the operation
takes.
"""

from __future__ import annotations

import json
import re

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.testing import MockRequest, MockResponse

from ipx import create_app
from ipx.web.api import API_PREFIX
from ipx.web.errors import PROBLEM_JSON
from ipx.web.examples import RULES_EXTENSION, operations

METHODS = {"get", "post", "put", "patch", "delete"}
ENTRIES = operations()
WHOLE_REQUEST = {"_body", "_query", "_schema"}  # errors keys of rules on no single field


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    directory = tmp_path_factory.mktemp("examples")
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{directory / 'unused.sqlite3'}",  # the document needs none
            "TESTING": True,
            "SIGNING_KEY_FILE": str(directory / "signing.key"),
            "DIGEST_KEY_FILE": str(directory / "digest.key"),
            "SESSION_KEY_FILE": str(directory / "session.key"),
        }
    )
    return app.test_client().get(f"{API_PREFIX}/openapi.json").get_json()


@pytest.fixture(scope="module")
def openapi(document):
    config = Config(extra_media_type_deserializers={PROBLEM_JSON: json_loads})
    return OpenAPI.from_dict(document, config=config)


def _operations(document) -> dict[str, tuple[str, str, dict]]:
    """``"METHOD /path"`` (without the prefix) -> (method, documented path, operation)."""
    return {
        f"{method.upper()} {path.removeprefix(API_PREFIX)}": (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _parameters(document, path: str, operation: dict) -> list[dict]:
    return [*document["paths"][path].get("parameters", []), *operation.get("parameters", [])]


def _success(operation: dict) -> dict[str, dict]:
    return {s: r for s, r in operation["responses"].items() if s.startswith("2")}


def _media(response: dict) -> tuple[str, dict]:
    """The answer's media type and its entry: JSON, or the one other type (a binary tile)."""
    content = response["content"]
    media_type = "application/json" if "application/json" in content else next(iter(content))
    return media_type, content[media_type]


def test_every_documented_operation_has_an_entry_and_every_entry_an_operation(document):
    assert set(_operations(document)) == set(ENTRIES)
    ids = [operation["operationId"] for *_, operation in _operations(document).values()]
    assert len(ids) == len(set(ids)), "operation ids are unique"


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_the_operation_is_described_with_an_example_of_each_part(document, key):
    method, path, operation = _operations(document)[key]
    assert operation["summary"].strip() and operation["description"].strip()
    assert operation["operationId"] == ENTRIES[key].operation_id
    for parameter in _parameters(document, path, operation):
        if parameter["in"] == "path" or parameter.get("required"):
            assert "example" in parameter, parameter["name"]
    if "requestBody" in operation:
        assert "example" in operation["requestBody"]["content"]["application/json"]
    else:
        assert ENTRIES[key].request is None, "an example of a body the operation does not take"
    for status, response in _success(operation).items():
        assert "example" in _media(response)[1], status


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_the_example_request_is_valid(document, openapi, key):
    method, path, operation = _operations(document)[key]
    examples = {
        (p["in"], p["name"]): p["example"]
        for p in _parameters(document, path, operation)
        if "example" in p
    }
    concrete = re.sub(r"\{([^}]+)\}", lambda m: str(examples[("path", m[1])]), path)
    query = {name: str(value) for (where, name), value in examples.items() if where == "query"}
    headers = {"Authorization": "Bearer example"} if operation["security"] else {}
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    request = MockRequest(
        "http://localhost",
        method,
        concrete,
        args=query,
        headers=headers,
        data=json.dumps(body["example"]).encode() if "example" in body else None,
    )
    openapi.validate_request(request)


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_the_example_answers_are_valid(document, openapi, key):
    method, path, operation = _operations(document)[key]
    request = MockRequest("http://localhost", method, path)  # only its operation is looked up
    answers = [
        (status, _media(response)[0], _media(response)[1]["example"])
        for status, response in _success(operation).items()
    ]
    answers += [
        (str(status), PROBLEM_JSON, example) for status, example in ENTRIES[key].errors.items()
    ]
    for status, media_type, example in answers:
        assert media_type != PROBLEM_JSON or example["status"] == int(status)
        data = json.dumps(example).encode() if "json" in media_type else example.encode()
        answer = MockResponse(data, int(status), content_type=media_type)
        openapi.validate_response(request, answer)


@pytest.mark.parametrize("key", sorted(k for k, entry in ENTRIES.items() if entry.links))
def test_links_lead_to_documented_parameters_from_fields_the_answer_has(document, key):
    by_id = {op["operationId"]: (path, op) for _, path, op in _operations(document).values()}
    method, path, operation = _operations(document)[key]
    for response in _success(operation).values():
        example = _media(response)[1]["example"]
        for name, link in response["links"].items():
            target_path, target = by_id[link["operationId"]]
            names = {p["name"] for p in _parameters(document, target_path, target)}
            for parameter, expression in link["parameters"].items():
                assert parameter in names, (name, parameter)
                assert expression.startswith("$response.body#/"), expression
                value = example
                for token in expression.split("#/", 1)[1].split("/"):
                    value = value[int(token)] if isinstance(value, list) else value[token]
                assert isinstance(value, int), (name, expression, value)


def _resolve(document, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


@pytest.mark.parametrize("key", sorted(k for k, entry in ENTRIES.items() if entry.rules))
def test_the_rules_beyond_the_schema_name_fields_the_operation_takes(document, key):
    method, path, operation = _operations(document)[key]
    taken = WHOLE_REQUEST | {p["name"] for p in _parameters(document, path, operation)}
    if "requestBody" in operation:
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        taken |= set(_resolve(document, body).get("properties", {}))
    rules = operation[RULES_EXTENSION]
    assert set(ENTRIES[key].rules) <= set(rules)
    assert set(rules) <= taken, set(rules) - taken
    for name in rules:
        assert f"`{name}`" in operation["description"], "the description lists the rules too"

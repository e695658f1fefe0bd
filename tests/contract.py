"""Every JSON answer a test receives through the client, checked against the served document.

``ContractClient`` is the Flask test client of the API tests. After each request it finds the
operation the request addressed in ``/api/v1/openapi.json`` (the document of the same app) and
fails the test unless the answer's status is listed for that operation (``default`` stands
for a server error only), its content type is documented for that status (a status documented
without content has no body), its body is JSON and matches the schema, the headers the
document declares for it match their schemas, and every field the document declares
``date-time`` is written in UTC with ``Z``, as DESIGN's conventions say (not ``+00:00``).
Hand-built bodies are checked like any other: they pass through the same client.

The schemas are checked by ``openapi-schema-validator``'s OpenAPI 3.0 validator for answers
(``OAS30ReadValidator``: ``nullable``, ``readOnly`` and ``writeOnly`` as OpenAPI 3.0 means them,
its formats), the validator ``openapi-core`` runs, with the document as the one resource its
``$ref``s resolve in. A validator is made once per operation, status and content type, not per
answer: finding the operation, its response and its media type through ``openapi-core`` took
about 4 ms an answer, most of an API test's checking, and the validation itself 0.1 ms. (The
document's own validity is ``tests/api/test_openapi.py``'s test.)

Not checked: answers that are not JSON or not under ``/api/v1`` (the console's pages and its
receipt download), and a 404 or 405 for a path or method the document does not have (a test
probing for unknown URLs); any other answer on an undocumented API path fails. The parsed
document is cached per process by its text, so each app costs one fetch.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from ipx.web.api import API_PREFIX

DOCUMENT_PATH = f"{API_PREFIX}/openapi.json"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
UNKNOWN_URL_STATUSES = {404, 405}
#: The URI the document is known by in the validators' registry (its ``#/...`` references
#: resolve in it).
DOCUMENT_URI = "urn:ipx:openapi"


class ContractViolation(AssertionError):
    """An answer the OpenAPI document does not allow."""


class Contract:
    """One parsed OpenAPI document: finds operations and validates answers against them."""

    def __init__(self, document: dict) -> None:
        self._document = document
        self._components = document.get("components", {}).get("schemas", {})
        self._registry: Registry = Registry().with_resource(
            DOCUMENT_URI, Resource(contents=document, specification=DRAFT4)
        )
        # Literal paths first: /valuations/batch is not /valuations/{valuation_id}.
        self._paths = sorted(
            ((_template_regex(path), path, ops) for path, ops in document["paths"].items()),
            key=lambda entry: entry[1].count("{"),
        )
        self._answers: dict[tuple, _Answer] = {}

    def find(self, method: str, path: str) -> tuple[str | None, dict | None]:
        """(the documented path template, its operation for ``method``), None for either the
        document does not have."""
        for regex, template, operations in self._paths:
            if regex.fullmatch(path):
                return template, operations.get(method.lower())
        return None, None

    def check(self, response) -> None:
        """Raise ``ContractViolation`` unless the document allows this answer."""
        request = response.request
        method, path, status = request.method, request.path, response.status_code
        where = f"{method} {path} answered {status} {response.mimetype}"
        template, operation = self.find(method, path)
        if operation is None:
            if path == DOCUMENT_PATH or status in UNKNOWN_URL_STATUSES:
                return
            what = "method" if template else "path"
            raise ContractViolation(f"{where}, but the document has no such {what}.")
        listed = operation["responses"]
        if str(status) not in listed and not (status >= 500 and "default" in listed):
            raise ContractViolation(
                f"{where}, a status the document does not list for {method} {template} "
                f"(it lists {', '.join(sorted(listed))})."
            )
        key = (template, method.lower(), str(status), response.mimetype)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = self._answer(*key)
        problems, body = answer.judge(response)
        if problems:
            raise ContractViolation(
                f"{where}, which the document does not allow: {'; '.join(problems)}"
            )
        schema = answer.schema
        if schema is not None and (offset := next(self._offset_times(schema, body, 0), None)):
            raise ContractViolation(
                f"{where} with a date-time not in UTC with Z (DESIGN): {offset}"
            )

    def _answer(self, template: str, method: str, status: str, mimetype: str) -> _Answer:
        """What the document says of an answer of ``status`` and ``mimetype`` to the operation:
        the validators of its body and headers. (``check`` has let the status through: listed,
        or ``default`` for a server error.)"""
        responses = self._document["paths"][template][method]["responses"]
        listed = status if status in responses else "default"
        where, declared = self._follow(
            "#" + _pointer("paths", template, method, "responses", listed)
        )
        content = declared.get("content")
        media_type = None
        if content is not None:
            major = mimetype.split("/", 1)[0]
            media_type = next(
                (name for name in (mimetype, f"{major}/*", "*/*") if name in content), None
            )
        schema = None if media_type is None else content[media_type].get("schema")
        body_validator = None
        if schema is not None:
            body_validator = self._validator(where + _pointer("content", media_type, "schema"))
        headers = {}
        for name in declared.get("headers", {}):
            if name.lower() == "content-type":  # (OpenAPI: ignored where declared)
                continue
            at, header = self._follow(where + _pointer("headers", name))
            if "content" in header:
                raise ContractViolation(f"header {name}: a header by content is not checked")
            kind, validator = None, None
            if "schema" in header:
                kind = self._follow(at + _pointer("schema"))[1].get("type")
                validator = self._validator(at + _pointer("schema"))
            headers[name] = (bool(header.get("required")), kind, validator)
        documented = sorted(content) if content is not None else None
        return _Answer(schema, body_validator, headers, documented, media_type)

    def _follow(self, fragment: str) -> tuple[str, Any]:
        """The object at ``fragment`` of the document (a JSON pointer, as a ``$ref`` writes
        one), its references followed, and the fragment where it was found; resolved by
        ``referencing`` as the validators resolve theirs."""
        resolved = self._registry.resolver().lookup(f"{DOCUMENT_URI}{fragment}")
        while isinstance(resolved.contents, dict) and "$ref" in resolved.contents:
            fragment = resolved.contents["$ref"]
            resolved = self._registry.resolver().lookup(f"{DOCUMENT_URI}{fragment}")
        return fragment, resolved.contents

    def _validator(self, fragment: str) -> OAS30ReadValidator:
        """A validator of the schema at ``fragment`` of the document."""
        return OAS30ReadValidator(
            {"$ref": f"{DOCUMENT_URI}{fragment}"},
            registry=self._registry,
            format_checker=oas30_format_checker,
        )

    def _offset_times(self, schema: dict, value, depth: int):
        """The values the document declares ``date-time`` that are not written with ``Z`` (times
        inside recorded events, which the document leaves free-form, are theirs as logged)."""
        while "$ref" in schema and depth < 64:
            schema = self._components[schema["$ref"].rsplit("/", 1)[1]]
            depth += 1
        if depth >= 64:
            return
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key, ()):
                yield from self._offset_times(part, value, depth + 1)
        if isinstance(value, str):
            if schema.get("format") == "date-time" and not value.endswith("Z"):
                yield value
        elif isinstance(value, dict):
            properties = schema.get("properties", {})
            for name, item in value.items():
                if name in properties:
                    yield from self._offset_times(properties[name], item, depth + 1)
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            for item in value:
                yield from self._offset_times(schema["items"], item, depth + 1)


class _Answer:
    """The document's word on one kind of answer: the body's schema (None: none declared) and
    its validator, each declared header's (required, type, validator), the content types
    documented (None: the response declares no content) and the one this answer matched."""

    def __init__(self, schema, validator, headers, documented, media_type) -> None:
        self.schema, self.validator, self.headers = schema, validator, headers
        self.documented, self.media_type = documented, media_type

    def judge(self, response) -> tuple[list[str], Any]:
        """What in ``response`` the document does not allow (empty: nothing), and its body as
        parsed (None: no JSON body)."""
        problems, body = [], None
        data = response.get_data()
        if self.documented is None:
            if data:
                problems.append("the document declares no content for this status")
        elif self.media_type is None:
            problems.append(f"content type not documented (it has {', '.join(self.documented)})")
        else:  # (only JSON answers are checked: ``ContractClient.open``)
            try:
                body = json.loads(data)
            except ValueError as exc:
                problems.append(f"the body is not JSON: {exc}")
            else:
                if self.validator is not None:
                    problems += [_error_text(e) for e in self.validator.iter_errors(body)]
        for name, (required, kind, validator) in self.headers.items():
            value = response.headers.get(name)
            if value is None:
                if required:
                    problems.append(f"the required header {name} is missing")
                continue
            if validator is None:
                continue
            try:
                typed = _header_value(value, kind)
            except ValueError:
                problems.append(f"header {name}: {value!r} is not of type {kind}")
                continue
            problems += [f"header {name}: {_error_text(e)}" for e in validator.iter_errors(typed)]
        return problems, body


def _pointer(*parts: str) -> str:
    """The JSON pointer of ``parts`` as a URI fragment writes it (``~`` and ``/`` escaped, then
    percent-encoded: ``referencing`` decodes a fragment before it follows it, as RFC 6901
    says), to append to a fragment: ``"#" + _pointer("paths", ...)``."""
    return "".join("/" + quote(p.replace("~", "~0").replace("/", "~1"), safe="~") for p in parts)


def _header_value(value: str, kind: str | None):
    """A header's text as its schema's type (OpenAPI's ``simple`` style)."""
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        if value not in ("true", "false"):
            raise ValueError(value)
        return value == "true"
    if kind == "array":
        return value.split(",")
    return value


def _error_text(error) -> str:
    return f"{list(error.absolute_path)}: {error.message}"


_contracts: dict[str, Contract] = {}


def contract_of(document_text: str) -> Contract:
    """The parsed contract of a document text (parsed once per process)."""
    digest = hashlib.sha256(document_text.encode()).hexdigest()
    if digest not in _contracts:
        _contracts[digest] = Contract(json.loads(document_text))
    return _contracts[digest]


class ContractClient(FlaskClient):
    """The Flask test client, validating every JSON answer against the app's own document and
    counting the requests that may have written (for the ledger audit after the test)."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        if request.method in WRITE_METHODS:
            writes = self.application.extensions
            writes["tests.writes"] = writes.get("tests.writes", 0) + 1
        is_json = response.is_json or (response.mimetype or "").endswith("+json")
        if is_json and request.path.startswith(f"{API_PREFIX}/"):  # the console is not the API
            self._contract().check(response)
        return response

    def _contract(self) -> Contract:
        extensions = self.application.extensions
        if "tests.contract" not in extensions:
            served = FlaskClient.open(self, DOCUMENT_PATH)
            assert served.status_code == 200, served.status_code
            extensions["tests.contract"] = contract_of(served.get_data(as_text=True))
        return extensions["tests.contract"]


def writes_seen(app) -> int:
    """Requests with a writing method that went through a ``ContractClient`` of ``app``."""
    return app.extensions.get("tests.writes", 0)


def _template_regex(path: str) -> re.Pattern:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
    return re.compile(pattern)

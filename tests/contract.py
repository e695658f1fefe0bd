"""Every JSON answer a test receives through the client, checked against the served document.

``ContractClient`` is the Flask test client of the API tests. After each request it finds the
operation the request addressed in ``/api/v1/openapi.json`` (the document of the same app) and
fails the test unless the answer's status is listed for that operation, its content type is
documented for that status, its body matches the schema (``openapi-core``) and every field
the document declares ``date-time`` is written in UTC with ``Z``, as DESIGN's conventions say
(not ``+00:00``). Hand-built
bodies are checked like any other: they pass through the same client.

Not checked: answers that are not JSON or not under ``/api/v1`` (the console's pages and its
receipt download), and a 404 or 405 for a path or method the document does not have (a test
probing for unknown URLs); any other answer on an undocumented API path fails. The parsed
document is cached per process by its text, so each app costs one fetch.
"""

from __future__ import annotations

import hashlib
import json
import re

from flask.testing import FlaskClient
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.exceptions import OpenAPIError

from ipx.web.api import API_PREFIX

DOCUMENT_PATH = f"{API_PREFIX}/openapi.json"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
UNKNOWN_URL_STATUSES = {404, 405}


class ContractViolation(AssertionError):
    """An answer the OpenAPI document does not allow."""


class Contract:
    """One parsed OpenAPI document: finds operations and validates answers against them."""

    def __init__(self, document: dict) -> None:
        config = Config(extra_media_type_deserializers={"application/problem+json": json_loads})
        self.openapi = OpenAPI.from_dict(document, config=config)
        self._components = document.get("components", {}).get("schemas", {})
        # Literal paths first: /valuations/batch is not /valuations/{valuation_id}.
        self._paths = sorted(
            ((_template_regex(path), path, ops) for path, ops in document["paths"].items()),
            key=lambda entry: entry[1].count("{"),
        )

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
        try:
            self.openapi.validate_response(
                _AnsweredRequest(request), WerkzeugOpenAPIResponse(response)
            )
        except OpenAPIError as exc:
            raise ContractViolation(
                f"{where}, which the document does not allow: {_why(exc)}"
            ) from exc
        schema = (
            listed.get(str(status), listed.get("default", {}))
            .get("content", {})
            .get(response.mimetype, {})
            .get("schema")
        )
        if schema is not None:
            body = response.get_json(silent=True)
            if offset := next(self._offset_times(schema, body, 0), None):
                raise ContractViolation(
                    f"{where} with a date-time not in UTC with Z (DESIGN): {offset}"
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


class _AnsweredRequest:
    """The request side of an answer, as openapi-core reads it to find the operation (the body
    is not needed: requests are not validated, tests send invalid ones on purpose)."""

    def __init__(self, request) -> None:
        self.host_url, self.path = request.host_url, request.path
        self.method = request.method.lower()
        self.content_type = request.content_type or "application/octet-stream"
        self.body = None
        self.parameters = RequestParameters(
            query=request.args, header=request.headers, cookie=request.cookies
        )


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


def _why(exc: Exception) -> str:
    details = [str(exc)]
    cause = exc.__cause__ or exc.__context__
    for inner in getattr(cause, "schema_errors", None) or getattr(exc, "schema_errors", ()):
        details.append(f"{list(inner.absolute_path)}: {inner.message}")
    return "; ".join(details)

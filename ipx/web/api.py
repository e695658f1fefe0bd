"""The flask-smorest ``Api`` and ``Blueprint``: the OpenAPI document, problem+json for HTTP errors.

The document is the contract banks generate clients from. Beyond what the marshmallow schemas
say, every operation answers what the plumbing around its view adds, and that is documented
here for all of them at once: the bearer requirement and 401/403 where ``@require`` guards the
view (``security: []`` elsewhere), 404 where the path names a record, 400/409/413/415 where a
body is read or something is written, 422 and 503 everywhere, each with its problem+json body.
What the schemas cannot say (each operation's id, description, examples, links and the rules
checked beyond the schema) comes from ``ipx.web.examples``, merged by the ``OperationDocs``
plugin when the document is built.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import flask_smorest
import marshmallow
from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.arguments import ArgumentsMixin
from werkzeug.routing import IntegerConverter

from ipx.auth import PARTY_BOUND_ROLES
from ipx.web.errors import PROBLEM_JSON, problem_from_http_exception, problem_response
from ipx.web.examples import RULES_EXTENSION, Operation, operations
from ipx.web.problems import DEFAULT_ERROR, ERRORS, HEADERS, Problem, problem_doc

API_PREFIX = "/api/v1"
MAX_ID = 2**31 - 1


class RecordIdConverter(IntegerConverter):
    """``<int:...>`` path ids bounded to the database's integer range: a larger id names no
    record, so it answers 404 like any other unknown id (instead of a driver error)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def install_converters(app, api) -> None:
    app.url_map.converters["int"] = RecordIdConverter
    api.register_converter(
        RecordIdConverter, lambda _: {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    )


# mypy cannot follow a base class computed at run time (here from untyped flask-smorest).
class _OneSchemaPerClass(type(ArgumentsMixin.ARGUMENTS_PARSER)):  # type: ignore[misc]
    """webargs makes a new schema object from a schema class on every request, deep-copying
    each of its fields (about 0.1 ms for an asset's body). Argument schemas here keep no state
    between loads, so one instance per class serves every request and thread."""

    _instances: dict[type, marshmallow.Schema] = {}
    _lock = threading.Lock()

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, marshmallow.Schema):
            schema = self._instances.get(argmap)
            if schema is None:
                with self._lock:
                    schema = self._instances.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)


WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


@dataclass(frozen=True)
class Access:
    """What the OpenAPI document needs to know of a view beyond its flask-smorest decorators."""

    roles: tuple[str, ...]  # empty: a public view
    names_record: bool  # the path holds a record's id or index


class Blueprint(flask_smorest.Blueprint):
    """The project's blueprints: flask-smorest's, parsing arguments with cached schemas and
    documenting each operation's plumbing (see the module docstring)."""

    ARGUMENTS_PARSER = _OneSchemaPerClass()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks: list = [*self._prepare_doc_cbks, document_plumbing]

    def alt_response(self, status_code, response=None, *, schema=None, content_type=None, **kw):
        """flask-smorest's, with an error status documented as problem+json: a ``Problem``
        unless ``schema`` names a richer one."""
        if response is None and int(status_code) >= 400:
            schema = schema or ERRORS.get(int(status_code), DEFAULT_ERROR)[0]
            content_type = content_type or PROBLEM_JSON
            kw.setdefault("headers", HEADERS.get(int(status_code)))
        return super().alt_response(
            status_code, response, schema=schema, content_type=content_type, **kw
        )

    def register_views_in_doc(self, api, app, spec, *, name, parameters) -> None:
        """Note each operation's ``Access`` (from the registered rule and view) for
        ``document_plumbing``, then let flask-smorest build the operations."""
        for endpoint, endpoint_doc in self._docs.items():
            full_name = f"{name}.{endpoint}"
            rule = next(app.url_map.iter_rules(full_name))
            view = app.view_functions[full_name]
            view_class = getattr(view, "view_class", None)
            for method, operation_doc in endpoint_doc.items():
                if method == "parameters":
                    continue
                handler = getattr(view_class, method) if view_class else view
                operation_doc["access"] = Access(
                    roles=tuple(sorted(getattr(handler, "required_roles", ()))),
                    names_record=bool(rule.arguments),
                )
        super().register_views_in_doc(api, app, spec, name=name, parameters=parameters)


def document_plumbing(doc: dict, doc_info: dict, *, method: str, **kwargs) -> dict:
    """flask-smorest doc callback: security and the error answers every such view can give
    (an operation's own ``alt_response`` for a status wins over the general one)."""
    access: Access | None = doc_info.get("access")
    if access is None:
        return doc
    doc["security"] = [{"bearer": []}] if access.roles else []
    responses = doc.setdefault("responses", {})
    documented = {str(status) for status in responses}
    for status in _plumbing_statuses(method, access, has_body="requestBody" in doc):
        if str(status) not in documented:
            responses[status] = _plumbing_response(status, access)
    doc["responses"] = dict(sorted(responses.items(), key=lambda item: _order(item[0])))
    return doc


def _plumbing_statuses(method: str, access: Access, *, has_body: bool) -> list[int]:
    statuses = [422, 503]  # a NUL in the query string; the database busy or unreachable
    if access.roles:
        statuses += [401, 403]
    if access.names_record:
        statuses.append(404)
    if method in WRITE_METHODS:
        # A body's type and size are checked before the view; any write may meet a conflict
        # (a state that forbids it, or a database constraint: 409 `conflict`).
        statuses += [409, 413, 415]
    if has_body:
        statuses.append(400)
    return statuses


def _plumbing_response(status: int, access: Access):
    if status == 403:
        text = f"`forbidden`: only keys of role {', '.join(access.roles)} (or admin) may call"
        if PARTY_BOUND_ROLES.intersection(access.roles):
            text += "; a bank or owner key acts only for its own party"
        return problem_doc(403, text + ".")
    return HTTPStatus(status).name  # a reference to the shared response in components


def _order(status) -> tuple[bool, str]:
    return str(status) == "default", str(status)


#: Rules every operation with such a parameter checks beyond its schema.
PARAMETER_RULES = {
    ("header", "Idempotency-Key"): "a key reused with another body or path answers 422 "
    "`idempotency-mismatch`",
    ("query", "cursor"): "a `next_cursor` this API returned",
}


class OperationDocs(BasePlugin):
    """apispec plugin: each operation's entry of ``ipx.web.examples`` (its id, description,
    examples, links, rules), merged once flask-smorest and marshmallow have built it; and a
    schema's ``Meta.json_schema`` keywords (``minProperties``, ...) added to its component."""

    def __init__(self) -> None:
        super().__init__()
        self.entries = operations()

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        properties = {key: dict(value) for key, value in definition.get("properties", {}).items()}
        for field_name, field in getattr(schema, "_declared_fields", {}).items():
            prop = properties.get(field.data_key or field_name)
            if prop is not None:
                _exact_property(prop, field)
        extra = getattr(getattr(schema, "Meta", None), "json_schema", None) or {}
        return {"properties": properties, **extra} if properties else dict(extra)

    def path_helper(self, path=None, operations=None, parameters=None, **kwargs):
        """Examples of the path's parameters (shared by its operations)."""
        entries = [self.entries.get(f"{m.upper()} {_relative(path)}") for m in operations or {}]
        examples = {k: v for entry in entries if entry for k, v in entry.parameters.items()}
        for parameter in parameters or []:
            if isinstance(parameter, dict) and parameter.get("name") in examples:
                parameter.setdefault("example", examples[parameter["name"]])

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            entry = self.entries.get(f"{method.upper()} {_relative(path)}")
            if entry is not None:
                _merge(operation, entry)


#: What a nullable nested schema's other branch may hold: null and nothing else.
NULL_ONLY = {"nullable": True, "enum": [None]}
_ANY_OBJECT_OR_NULL = {"type": "object", "nullable": True}


def _exact_property(prop: dict, field: marshmallow.fields.Field) -> None:
    """What apispec leaves out of a property: exclusive bounds (``Range(min_inclusive=False)``),
    and that a nullable nested object is that object or null (apispec's second branch of the
    ``anyOf`` takes any object at all)."""
    for validator in field.validators:
        if isinstance(validator, marshmallow.validate.Range):
            if validator.min is not None and not validator.min_inclusive:
                prop["exclusiveMinimum"] = True
            if validator.max is not None and not validator.max_inclusive:
                prop["exclusiveMaximum"] = True
    branches = prop.get("anyOf") or []
    if _ANY_OBJECT_OR_NULL in branches and any("$ref" in branch for branch in branches):
        prop["anyOf"] = [NULL_ONLY if b == _ANY_OBJECT_OR_NULL else b for b in branches]


def _relative(path: str | None) -> str:
    return (path or "").removeprefix(API_PREFIX)


def _merge(operation: dict, entry: Operation) -> None:
    operation["operationId"] = entry.operation_id
    parameters = [p for p in operation.get("parameters", []) if isinstance(p, dict)]
    for parameter in parameters:
        if parameter.get("in") == "query" and parameter.get("name") in entry.parameters:
            parameter["example"] = entry.parameters[parameter["name"]]
    rules = {
        name: rule
        for (where, name), rule in PARAMETER_RULES.items()
        if any((p.get("in"), p.get("name")) == (where, name) for p in parameters)
    }
    rules.update(entry.rules)
    description = "\n\n".join(filter(None, [operation.get("description"), entry.description]))
    if rules:
        operation[RULES_EXTENSION] = rules
        description += (
            "\n\nChecked beyond the schema (a 422 `validation-failed` names the field):\n"
            + "\n".join(f"- `{name}`: {rule}" for name, rule in rules.items())
        )
    operation["description"] = description
    if entry.request is not None:
        operation["requestBody"]["content"]["application/json"]["example"] = entry.request
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2") and isinstance(response, dict):
            content = response["content"]  # JSON, or the one type a file answer has (a PDF)
            media = "application/json" if "application/json" in content else next(iter(content))
            content[media]["example"] = entry.response
            if entry.links:
                response["links"] = {name: link.to_doc() for name, link in entry.links.items()}
    for status, example in entry.errors.items():
        response = operation["responses"][status]  # the operation's own (alt_response)
        response["content"][PROBLEM_JSON]["example"] = example


def _method_not_allowed(error):
    """405 with the ``Allow`` header RFC 9110 requires (the methods the path has)."""
    allow = dict(error.get_headers()).get("Allow")
    return problem_response(problem_from_http_exception(error), {"Allow": allow} if allow else None)


#: The documents this process has built, by what they were built from (``IpxApi.document``):
#: another app of the same routes and document settings (a worker, each test) serves the same
#: text without building it again, which costs more than the rest of ``create_app``.
_DOCUMENTS: dict[str, str] = {}
_DOCUMENTS_LOCK = threading.Lock()
#: The settings flask-smorest reads for the document (its prefixed ones and ``ETAG_DISABLED``,
#: which drops the ETag headers from it); the other settings (the database, the key files, the
#: limits) change no word of it.
_DOCUMENT_SETTINGS = ("API_", "OPENAPI_", "ETAG_DISABLED")


class IpxApi(Api):
    """flask-smorest Api whose error responses use the project's problem+json shape, in the
    service's answers and in the document alike. The document is built when first asked for,
    not while the blueprints are registered."""

    ERROR_SCHEMA = Problem

    def init_app(self, app, *, spec_kwargs=None) -> None:
        self._registered: list[tuple] = []  # (blueprint, name, parameters)
        self._documented = 0  # how many of them are in self.spec
        # flask-smorest's components only the document needs, registered when this app builds
        # it (``document_dict``), in flask-smorest's order: most apps never do (a command's, or
        # one whose document this process has built already), and it was a fifth of create_app.
        self._deferred: list[Callable[[], None]] = []
        super().init_app(app, spec_kwargs=spec_kwargs)
        # A handler for the status itself: Flask prefers it to the one for every HTTPException.
        app.register_error_handler(405, _method_not_allowed)

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._registered.append((blp, name, parameters))

    def document(self) -> str:
        """The OpenAPI document as served (JSON text), built once per process for what it is
        built from: the blueprints (with their names and parameters), the app's routes (more
        than the document reads: every route, not only the blueprints') and the document's
        settings (``_DOCUMENT_SETTINGS``)."""
        rules = self._app.url_map.iter_rules()
        key = repr(
            (
                [(blp.import_name, name, parameters) for blp, name, parameters in self._registered],
                sorted((r.rule, r.endpoint, sorted(r.methods or ())) for r in rules),
                sorted(
                    (k, repr(v))
                    for k, v in self._app.config.items()
                    if k.startswith(_DOCUMENT_SETTINGS)
                ),
            )
        )
        with _DOCUMENTS_LOCK:
            if key not in _DOCUMENTS:
                _DOCUMENTS[key] = json.dumps(self.document_dict(), indent=2, ensure_ascii=False)
            return _DOCUMENTS[key]

    def document_dict(self) -> dict:
        """The document as a dict, its blueprints' operations added to ``self.spec`` first
        (each once)."""
        while self._deferred:
            self._deferred.pop(0)()
        for blp, name, parameters in self._registered[self._documented :]:
            blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
            self.spec.tag({"name": name, "description": blp.description})
        self._documented = len(self._registered)
        return self.spec.to_dict()

    def _openapi_json(self):
        return self._app.response_class(self.document(), mimetype="application/json")

    def _init_spec(self, *, extra_plugins=None, **options) -> None:
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), OperationDocs()], **options)

    def handle_http_exception(self, error):
        return problem_response(problem_from_http_exception(error))

    def _register_responses(self) -> None:
        self._deferred.append(self._document_responses)

    def _register_etag_headers(self) -> None:
        self._deferred.append(super()._register_etag_headers)

    def _register_pagination_header(self) -> None:
        self._deferred.append(super()._register_pagination_header)

    def _document_responses(self) -> None:
        # flask-smorest documents errors as application/json in its own shape; the service
        # answers problem+json (``ipx.web.errors``).
        for status in HTTPStatus:
            if status >= 400:
                self.spec.components.response(status.name, problem_doc(status), lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME, problem_doc(None), lazy=True
        )


def api_settings() -> dict:
    return {
        "API_TITLE": "IPX — IP pledge registry and valuation service",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": API_PREFIX,
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "info": {
                "description": "All money is a decimal string with an ISO 4217 currency. "
                "Errors are RFC 9457 problem+json with a stable `code`. No text may contain a "
                "NUL character (U+0000): 422. Where the service checks a value beyond what "
                "its schema states (a check character, a record that must exist, one date "
                "after another), the operation lists the field in `x-ipx-rules`, and a "
                "422 `validation-failed` names it in `errors`."
            },
        },
    }

"""The flask-smorest ``Api``: OpenAPI document, and problem+json for its HTTP errors."""

from __future__ import annotations

import threading

import flask_smorest
import marshmallow
from flask_smorest import Api
from flask_smorest.arguments import ArgumentsMixin
from werkzeug.routing import IntegerConverter

from ipx.errors import problem_from_http_exception, problem_response

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


class _OneSchemaPerClass(type(ArgumentsMixin.ARGUMENTS_PARSER)):
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


class Blueprint(flask_smorest.Blueprint):
    """The project's blueprints: flask-smorest's, parsing arguments with cached schemas."""

    ARGUMENTS_PARSER = _OneSchemaPerClass()


class IpxApi(Api):
    """flask-smorest Api whose error responses use the project's problem+json shape."""

    def handle_http_exception(self, error):
        return problem_response(problem_from_http_exception(error))


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
                "Errors are RFC 9457 problem+json with a stable `code`."
            },
        },
    }

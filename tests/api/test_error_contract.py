"""Defects of the error contract, each shown by a test that failed before its fix.

- Authentication comes before the body: without a key, a body that is not JSON, holds a NUL or
  is malformed is a 401 (not 415, 422 or 400); a key of another role is a 403.
- A body larger than the limit is a 413 however it is sent, ``Transfer-Encoding: chunked``
  included (werkzeug read such a body up to the limit and passed on the truncated bytes: 400).
- One problem ``type`` per ``code``: ``validation-failed`` came with ``about:blank`` (from the
  framework) and with ``https://ipx.example/problems/validation-failed`` (from the project).
  Every code in use, found by walking the source, answers with exactly one type.
"""

from __future__ import annotations

import ast
import http.client
import importlib
import io
import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from werkzeug.exceptions import default_exceptions

from ipx.registry.numbers import make_patent_number
from ipx.web.errors import PROBLEM_TYPE_BASE, http_code, problem_type
from tests.registry_helpers import assert_problem, credit_code, row_counts

ROOT = Path(__file__).resolve().parents[2]
PARTIES = "/api/v1/parties"


def _party_body() -> dict:
    return {"kind": "organization", "name": "南湖新能源有限公司", "credit_code": credit_code()}


# --- authentication before the body ------------------------------------------------------------

BODIES = {
    "not-json": ("text/plain", b"kind=organization"),
    "no-content-type": ("", b'{"kind": "organization"}'),
    "nul": ("application/json", b'{"kind": "organization", "name": "a\x00b"}'),
    "escaped-nul": ("application/json", b'{"kind": "organization", "name": "a\\u0000b"}'),
    "malformed": ("application/json", b'{"kind": '),
    "invalid": ("application/json", b'{"kind": 7}'),
}


@pytest.mark.parametrize("backend", ["sqlite"])  # refused before the database is reached
@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("key", ["none", "invalid"])
def test_without_a_valid_key_any_body_is_401(client, app, body, key):
    content_type, data = BODIES[body]
    headers = {"Content-Type": content_type}
    if key == "invalid":
        headers["Authorization"] = "Bearer ipx_0123456789ab_not-a-secret"
    before = row_counts(app)
    response = client.post(PARTIES, data=data, headers=headers)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert row_counts(app) == before


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("body", ["not-json", "nul", "malformed"])
def test_a_key_of_another_role_is_403_whatever_the_body(client, keys, registry, body):
    bank = keys.header("bank", registry.party())
    content_type, data = BODIES[body]
    response = client.post(PARTIES, data=data, headers={**bank, "Content-Type": content_type})
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("query", ["asset_id=%00", "limit=many", "cursor=%00%00"])
def test_without_a_key_a_bad_query_is_401(client, query):
    assert_problem(client.get(f"/api/v1/pledges?{query}"), 401, "unauthorized")


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "body,status,code",
    [("not-json", 415, "unsupported-media-type"), ("nul", 422, "validation-failed"),
     ("malformed", 400, "malformed-request"), ("invalid", 422, "validation-failed")],
)  # fmt: skip
def test_with_a_valid_key_the_body_is_judged_as_before(client, clerk, body, status, code):
    content_type, data = BODIES[body]
    response = client.post(PARTIES, data=data, headers={**clerk, "Content-Type": content_type})
    assert_problem(response, status, code)


# --- 413 however the body is sent --------------------------------------------------------------


def _chunked(client, headers: dict, data: bytes):
    """A POST as a server that de-chunks the body hands it on: no Content-Length, the stream
    marked terminated (gunicorn and werkzeug's server set ``wsgi.input_terminated``)."""
    return client.post(
        PARTIES,
        input_stream=io.BytesIO(data),
        headers={**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_oversized_chunked_body_is_413(client, app, clerk):
    limit = app.config["MAX_CONTENT_LENGTH"]
    data = json.dumps({**_party_body(), "name": "x" * (limit + 1024 * 1024)}).encode()
    before = row_counts(app)
    response = _chunked(client, clerk, data)
    assert response.request.content_length is None  # chunked: no length to check up front
    assert_problem(response, 413, "payload-too-large")
    assert row_counts(app) == before


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_chunked_body_one_byte_over_the_limit_is_413_and_one_at_it_is_read(app, clerk):
    from ipx import create_app
    from ipx.db_ext import database

    body = json.dumps(_party_body()).encode()
    small = create_app({**app.config, "MAX_CONTENT_LENGTH": len(body)})
    client = small.test_client()
    assert client.post(PARTIES, data=body + b" ", headers=clerk).status_code == 413
    assert_problem(_chunked(client, clerk, body + b" "), 413, "payload-too-large")
    assert _chunked(client, clerk, body).status_code == 201
    database(small).dispose()


def test_a_chunked_body_within_the_limit_is_read_whole(client, clerk):
    body = _party_body()
    response = _chunked(client, clerk, json.dumps(body).encode())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == body["name"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_oversized_body_without_a_key_is_401(client, app):
    data = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert_problem(_chunked(client, {}, data), 401, "unauthorized")
    assert_problem(client.post(PARTIES, data=data), 401, "unauthorized")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_oversized_body_of_another_type_is_413(client, app, clerk):
    data = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(PARTIES, data=data, headers={**clerk, "Content-Type": "text/plain"})
    assert_problem(response, 413, "payload-too-large")


@pytest.mark.slow
def test_a_9_mib_chunked_body_through_ipx_serve_is_413(tmp_path):
    from bench._server import HOST, Server, create_key, instance_env, run_ipx

    env = instance_env(
        f"sqlite:///{tmp_path / 'ipx.sqlite3'}",
        tmp_path / "instance",
        IPX_SESSION_KEY_FILE=str(tmp_path / "instance" / "session.key"),
    )
    run_ipx(["init"], env)
    clerk = create_key(env, "clerk")
    data = json.dumps({**_party_body(), "name": "x" * (9 * 1024 * 1024)}).encode()
    with Server(env, workers=1, threads=2, log_path=tmp_path / "serve.log") as server:
        connection = http.client.HTTPConnection(HOST, server.port, timeout=60)
        connection.putrequest("POST", PARTIES)
        connection.putheader("Authorization", f"Bearer {clerk}")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        try:
            for start in range(0, len(data), 64 * 1024):
                chunk = data[start : start + 64 * 1024]
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before the client has sent everything
        response = connection.getresponse()
        problem = json.loads(response.read())
        connection.close()
    assert response.status == 413 and problem["code"] == "payload-too-large", problem
    assert response.getheader("Content-Type") == "application/problem+json"


# --- one problem type per code -----------------------------------------------------------------


def _error_classes_and_codes() -> tuple[
    dict[str, tuple[str, str | None]], dict[str, tuple[str, str]]
]:
    """Walk the source: every class derived from ``IpxError`` (name -> (module, its own code,
    if it sets one)), and every code passed as ``code=`` to one of them (code -> (module,
    class)). A ``code=`` that is not a string literal fails here: the walk must see them all."""
    trees = {}
    for path in sorted((ROOT / "ipx").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        trees[module] = ast.parse(path.read_text(), str(path))
    classes: dict[str, tuple[str, str | None]] = {"IpxError": ("ipx.errors", "bad-request")}
    grew = True
    while grew:
        grew = False
        for module, tree in trees.items():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in classes:
                    bases = {getattr(b, "id", None) or getattr(b, "attr", None) for b in node.bases}
                    if bases & classes.keys():
                        classes[node.name] = (module, _own_code(node))
                        grew = True
    passed: dict[str, tuple[str, str]] = {}
    for module, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            for keyword in node.keywords:
                if name in classes and keyword.arg == "code":
                    for code in _literal_codes(module, keyword.value):
                        passed[code] = (module, name)
    return classes, passed


def _computed_codes() -> dict[tuple[str, str], list[str]]:
    """Codes computed at run time, each from an enumeration whose values are all codes: (module,
    the expression passed as ``code=``) -> the codes it can take."""
    from ipx.registry.disposal.model import BidRefusal

    return {("ipx.registry.disposal.disposals", "refusal.value"): [r.value for r in BidRefusal]}


def _literal_codes(module: str, value: ast.expr) -> list[str]:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    computed = _computed_codes().get((module, ast.unparse(value)))
    assert computed, f"{module}: code={ast.unparse(value)} is neither a literal nor listed"
    return computed


def _own_code(node: ast.ClassDef) -> str | None:
    for statement in node.body:
        if not isinstance(statement, ast.Assign):
            continue
        for target in statement.targets:
            if isinstance(target, ast.Name) and target.id == "code":
                return statement.value.value  # type: ignore[attr-defined]
            if isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple):
                for element, value in zip(target.elts, statement.value.elts, strict=True):
                    if isinstance(element, ast.Name) and element.id == "code":
                        return value.value  # type: ignore[attr-defined]
    return None


def _answered(app, error: Exception) -> dict:
    """The problem the app answers for ``error`` raised in a request (its error handlers)."""
    with app.test_request_context("/api/v1/anything"):
        response = app.make_response(app.handle_user_exception(error))
    assert response.mimetype == "application/problem+json"
    return response.get_json()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_problem_code_in_use_has_exactly_one_type(app):
    classes, passed = _error_classes_and_codes()
    types: dict[str, set[str]] = defaultdict(set)
    for name, (module, code) in classes.items():
        cls = getattr(importlib.import_module(module), name)
        error = cls.__new__(cls)
        Exception.__init__(error, "detail")
        error.detail, error.extra = "detail", {}
        problem = _answered(app, error)
        assert problem["code"] == (code or problem["code"]) == error.code
        types[error.code] |= {problem["type"], error.to_problem()["type"]}
    for code, (module, name) in passed.items():
        cls = getattr(importlib.import_module(module), name, None) or getattr(
            importlib.import_module(classes[name][0]), name
        )
        error = cls.__new__(cls)
        Exception.__init__(error, "detail")
        error.detail, error.extra, error.code = "detail", {}, code
        problem = _answered(app, error)
        types[code] |= {problem["type"], error.to_problem()["type"]}
    for status, exception in default_exceptions.items():
        problem = _answered(app, exception())
        assert problem["code"] == http_code(status)
        types[problem["code"]].add(problem["type"])
    assert {"validation-failed", "not-found", "rate-limited", "asset-exists"} <= types.keys()
    assert {code: sorted(t) for code, t in types.items() if t != {problem_type(code)}} == {}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_two_http_statuses_share_a_code(app):
    codes = [http_code(status) for status in default_exceptions]
    assert len(codes) == len(set(codes))
    assert all(code.replace("-", "").isalnum() and code.islower() for code in codes)


def test_answers_over_http_carry_the_type_of_their_code(client, clerk, keys, registry):
    owner = registry.party()
    asset = _asset_body(owner)
    assert client.post("/api/v1/assets", json=asset, headers=clerk).status_code == 201
    bank = keys.header("bank", registry.party())
    answers = [
        client.post(PARTIES, json={"kind": 7}, headers=clerk),  # the framework's 422
        client.post(PARTIES, json={**_party_body(), "name": "名\x00称"}, headers=clerk),  # ours
        client.get("/api/v1/public/encumbrances?number=%00"),  # ours, from a query
        client.post(PARTIES, data=b"{", headers={**clerk, "Content-Type": "application/json"}),
        client.post(PARTIES, data=b"x", headers={**clerk, "Content-Type": "text/plain"}),
        client.get("/api/v1/nowhere", headers=clerk),  # the framework's 404
        client.get("/api/v1/parties/999999", headers=clerk),  # ours
        client.delete("/api/v1/parties/1", headers=clerk),  # 405
        client.get("/api/v1/pledges"),  # 401
        client.post(PARTIES, json=_party_body(), headers=bank),  # 403
        client.post("/api/v1/assets", json=asset, headers=clerk),  # 409 asset-exists
    ]
    seen: dict[str, set[str]] = defaultdict(set)
    for response in answers:
        problem = assert_problem(response, response.status_code)
        seen[problem["code"]].add(problem["type"])
    assert {code: types for code, types in seen.items() if types != {problem_type(code)}} == {}
    assert seen["validation-failed"] == {f"{PROBLEM_TYPE_BASE}validation-failed"}
    assert {"not-found", "asset-exists", "method-not-allowed", "unauthorized"} <= seen.keys()


def _asset_body(holder: int) -> dict:
    filing = date.today() - timedelta(days=3 * 365)
    return {
        "kind": "invention",
        "number": make_patent_number(filing.year, 1, 90000 + holder),
        "title": "一种重复登记的检测方法",
        "holder_ids": [holder],
        "filing_date": filing.isoformat(),
        "grant_date": (filing + timedelta(days=700)).isoformat(),
        "status": "granted",
    }

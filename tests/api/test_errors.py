"""Every error is problem+json with a stable code; bad input is 4xx and changes nothing; no 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.registry_helpers import assert_problem, row_counts, scene

APPLICATIONS = "/api/v1/pledge-applications"


@pytest.fixture
def cast(registry, keys):
    return scene(registry, keys)


def _valid_application(s) -> dict:
    return {
        "pledgor_id": s.owner,
        "pledgee_id": s.bank,
        "asset_ids": [s.asset["id"]],
        "secured_amount": "5000000.00",
        "currency": "CNY",
        "debt_start": "2026-03-01",
        "debt_end": "2028-03-01",
        "contract_number": "JK-2026-0001",
    }


def _raw(client, path, data, headers, content_type="application/json", method="POST"):
    return client.open(
        path, method=method, data=data, headers={**headers, "Content-Type": content_type}
    )


@pytest.mark.parametrize("backend", ["sqlite"])  # refused before the database is reached
@pytest.mark.parametrize(
    "data",
    [
        b"{",
        b'{"pledgor_id": 1,}',
        b"\xff\xfe\x00",
        b"NaN",
        b'{"a": 1} trailing',
        b"[" * 50_000 + b"]" * 50_000,
        b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    ],
    ids=[
        "truncated",
        "trailing-comma",
        "not-utf8",
        "nan",
        "trailing-text",
        "deep-list",
        "deep-obj",
    ],
)
def test_malformed_json_is_4xx_and_changes_nothing(client, app, cast, data):
    before = row_counts(app)
    response = _raw(client, APPLICATIONS, data, cast.headers["clerk"])
    problem = assert_problem(response, response.status_code)
    assert response.status_code in (400, 422), problem
    assert row_counts(app) == before


BAD_FIELDS = [
    ({"pledgor_id": "1"}, "pledgor_id"),  # a string for an int
    ({"pledgor_id": 1.0}, "pledgor_id"),
    ({"pledgor_id": True}, "pledgor_id"),
    ({"pledgor_id": 2**64}, "pledgor_id"),  # huge integers
    ({"pledgor_id": 10**400}, "pledgor_id"),
    ({"pledgor_id": -1}, "pledgor_id"),
    ({"asset_ids": "1"}, "asset_ids"),
    ({"asset_ids": [2**31]}, "asset_ids"),
    ({"forfeiture_clause": "true"}, "forfeiture_clause"),
    ({"forfeiture_clause": 1}, "forfeiture_clause"),
    ({"secured_amount": 5000000.0}, "secured_amount"),  # float money
    ({"secured_amount": 5000000}, "secured_amount"),
    ({"secured_amount": "-1.00"}, "secured_amount"),
    ({"secured_amount": "1.005"}, "secured_amount"),
    ({"secured_amount": "1e6"}, "secured_amount"),
    ({"secured_amount": "NaN"}, "secured_amount"),
    ({"secured_amount": "Infinity"}, "secured_amount"),
    ({"secured_amount": "1,000.00"}, "secured_amount"),
    ({"secured_amount": "１０００.００"}, "secured_amount"),  # full-width digits
    ({"secured_amount": "9" * 400}, "secured_amount"),
    ({"debt_start": "2026-02-30"}, "debt_start"),
    ({"debt_start": "01/03/2026"}, "debt_start"),
    ({"debt_start": "2026-03-01T00:00:00Z"}, "debt_start"),
    ({"debt_end": 20260301}, "debt_end"),
    ({"currency": "cny"}, "currency"),
    ({"contract_number": "x" * 101}, "contract_number"),
    ({"contract_number": ["JK"]}, "contract_number"),
    ({"surprise": 1}, "surprise"),  # unknown fields
    ({"id": 5}, "id"),
    ({"status": "registered"}, "status"),
]


@pytest.mark.parametrize("backend", ["sqlite"])  # refused before the database is reached
@pytest.mark.parametrize("changes,field", BAD_FIELDS, ids=[repr(c)[:40] for c, _ in BAD_FIELDS])
def test_a_bad_field_is_422_naming_it_and_changes_nothing(client, app, cast, changes, field):
    before = row_counts(app)
    body = {**_valid_application(cast), **changes}
    response = _raw(client, APPLICATIONS, json.dumps(body), cast.headers["clerk"])
    problem = assert_problem(response, 422, "validation-failed")
    assert field in problem["errors"], problem
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "name",
    ["\x00", "名\x00称", "\ud800", "\udfff孤", "\u202e反向", "\U0001f600", "e\u0301", " "],
    ids=["nul", "inner-nul", "lone-high", "lone-low", "bidi", "emoji", "combining", "blank"],
)
def test_unicode_oddities_never_cause_a_500(client, app, cast, name):
    from tests.registry_helpers import credit_code

    body = {"kind": "organization", "name": name, "credit_code": credit_code()}
    before = row_counts(app)
    response = _raw(client, "/api/v1/parties", json.dumps(body), cast.headers["clerk"])
    assert response.status_code < 500, response.get_json()
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
        assert row_counts(app) == before
    else:
        stored = client.get(
            f"/api/v1/parties/{response.get_json()['id']}", headers=cast.headers["clerk"]
        )
        assert stored.get_json()["name"] == name.strip()


def test_an_oversized_body_is_413(client, app, cast):
    limit = app.config["MAX_CONTENT_LENGTH"]
    before = row_counts(app)
    body = json.dumps({**_valid_application(cast), "contract_number": "x" * limit})
    response = _raw(client, APPLICATIONS, body, cast.headers["clerk"])
    assert_problem(response, 413, "payload-too-large")
    assert row_counts(app) == before


@pytest.mark.parametrize("backend", ["sqlite"])  # refused before the database is reached
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_json_is_refused(client, app, cast, content_type):
    before = row_counts(app)
    body = json.dumps(_valid_application(cast))
    response = _raw(client, APPLICATIONS, body, cast.headers["clerk"], content_type=content_type)
    assert_problem(response, 415, "unsupported-media-type")
    assert row_counts(app) == before


@pytest.mark.parametrize("backend", ["sqlite"])  # refused before the database is reached
@pytest.mark.parametrize("body", ["null", "[]", "1", '"text"', "true"])
def test_a_body_that_is_not_an_object_is_422(client, app, cast, body):
    before = row_counts(app)
    assert_problem(_raw(client, APPLICATIONS, body, cast.headers["clerk"]), 422)
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/assets/99999999999999999999999",
        "/api/v1/pledges/2147483648",
        "/api/v1/assets?holder_id=99999999999999999999",
        "/api/v1/pledges?cursor=aWQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
        "/api/v1/pledges?asset_id=-1",
        "/api/v1/nowhere",
    ],
)
def test_odd_reads_are_4xx(client, cast, path):
    response = client.get(path, headers=cast.headers["clerk"])
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


def test_unknown_routes_and_methods_are_problems(client, cast):
    assert_problem(client.get("/api/v1/nowhere", headers=cast.headers["clerk"]), 404, "not-found")
    response = client.delete(f"/api/v1/assets/{cast.asset['id']}", headers=cast.headers["clerk"])
    assert_problem(response, 405, "method-not-allowed")


# --- fuzzing: random JSON to every write route ---------------------------------------------------

JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=0, max_value=6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["2026-03-01", "1.00", "CNY", "R05", "repaid", "invention", "granted"])
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

WRITE_ROUTES = {
    ("POST", "/api/v1/parties"): ["kind", "name", "credit_code", "id_number"],
    ("POST", "/api/v1/assets"): ["kind", "number", "title", "holder_ids", "filing_date", "status"],
    ("PATCH", "/api/v1/assets/{asset}"): ["status", "fees_paid_until", "invalidation_pending"],
    ("POST", "/api/v1/assets/{asset}/freezes"): ["court", "order_number"],
    ("POST", APPLICATIONS): ["pledgor_id", "pledgee_id", "asset_ids", "secured_amount", "debt_end"],
    ("PUT", APPLICATIONS + "/{application}"): ["pledgor_id", "pledgee_id", "asset_ids"],
    ("POST", APPLICATIONS + "/{application}/refuse"): ["grounds", "note"],
    ("POST", APPLICATIONS + "/{application}/request-correction"): ["note"],
    ("POST", APPLICATIONS + "/{application}/register"): [],
    ("POST", "/api/v1/pledges/{pledge}/changes"): ["secured_amount", "debt_end"],
    ("POST", "/api/v1/pledges/{pledge}/cancel"): ["reason"],
    ("POST", "/api/v1/pledges/{pledge}/revoke"): ["reason"],
    ("POST", "/api/v1/transfers"): ["asset_id", "kind", "to_party_ids", "pledgee_consent"],
}


def _bodies(field_names: list[str]):
    keys = st.sampled_from(field_names + ["unexpected"]) if field_names else st.text(max_size=8)
    return JSON_VALUE | st.dictionaries(keys, JSON_VALUE, max_size=6)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize(
    "method,template", list(WRITE_ROUTES), ids=[f"{m} {t}" for m, t in WRITE_ROUTES]
)
def test_random_json_never_causes_a_500(client, app, registry, keys, backend, method, template):
    s = scene(registry, keys)
    second = registry.asset([s.owner])
    application = registry.application(s.owner, s.bank, [second["id"]])
    pledge = registry.pledge(s.owner, s.bank, [s.asset["id"]])
    path = template.format(asset=s.asset["id"], application=application["id"], pledge=pledge["id"])
    clerk = s.headers["clerk"]

    @settings(
        max_examples=50 if backend == "sqlite" else 10,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=_bodies(WRITE_ROUTES[(method, template)]))
    def post_random(body):
        before = row_counts(app)
        response = _raw(client, path, json.dumps(body), clerk, method=method)
        assert response.status_code < 500, (body, response.get_json())
        if response.status_code >= 400:
            assert_problem(response, response.status_code)
            assert row_counts(app) == before, body

    post_random()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_path_id_beyond_the_integer_range_names_no_record(client, cast):
    for path in ("/api/v1/pledges/2147483648", "/api/v1/assets/99999999999999999999999"):
        assert_problem(client.get(path, headers=cast.headers["clerk"]), 404, "not-found")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_nul_characters_get_the_same_422_on_both_backends(client, app, cast):
    from tests.registry_helpers import credit_code

    before = row_counts(app)
    body = {"kind": "organization", "name": "名\x00称", "credit_code": credit_code()}
    response = _raw(client, "/api/v1/parties", json.dumps(body), cast.headers["clerk"])
    assert "_body" in assert_problem(response, 422, "validation-failed")["errors"]
    query = client.get("/api/v1/public/encumbrances?number=%00")
    assert "_query" in assert_problem(query, 422, "validation-failed")["errors"]
    assert row_counts(app) == before

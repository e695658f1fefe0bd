"""Idempotency-Key on POSTs that create: replay, mismatch, release on failure, per caller."""

from __future__ import annotations

import pytest

from tests.registry_helpers import assert_problem, credit_code, row_counts, scene


@pytest.fixture
def cast(registry, keys):
    return scene(registry, keys)


def _application(s) -> dict:
    return {"pledgor_id": s.owner, "pledgee_id": s.bank, "asset_ids": [s.asset["id"]]}


def _post(client, path, body, headers, key):
    return client.post(f"/api/v1{path}", json=body, headers={**headers, "Idempotency-Key": key})


@pytest.mark.parametrize(
    "path,make_body",
    [
        (
            "/parties",
            lambda s: {"kind": "organization", "name": "重放公司", "credit_code": credit_code()},
        ),
        ("/pledge-applications", _application),
        ("/assets/{asset}/freezes", lambda s: {"court": "法院", "order_number": "保全9号"}),
        (
            "/transfers",
            lambda s: {"asset_id": s.asset["id"], "kind": "licence", "to_party_ids": [s.bank]},
        ),
    ],
)
def test_the_same_key_and_body_replays_the_first_answer(client, app, cast, path, make_body):
    path = path.format(asset=cast.asset["id"])
    body = make_body(cast)
    first = _post(client, path, body, cast.headers["clerk"], "key-1")
    assert first.status_code == 201, first.get_json()
    after_first = row_counts(app)
    again = _post(client, path, body, cast.headers["clerk"], "key-1")
    assert again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert row_counts(app) == after_first


def test_the_same_key_with_another_body_or_path_is_a_mismatch(client, app, cast):
    body = _application(cast)
    assert _post(client, "/pledge-applications", body, cast.headers["bank"], "k").status_code == 201
    before = row_counts(app)
    other = {**body, "secured_amount": "1.00"}
    response = _post(client, "/pledge-applications", other, cast.headers["bank"], "k")
    assert_problem(response, 422, "idempotency-mismatch")
    assert row_counts(app) == before
    party = {"kind": "organization", "name": "某公司", "credit_code": credit_code()}
    # The same caller's key on another route is also a different request.
    clerk_first = _post(client, "/pledge-applications", body, cast.headers["clerk"], "c")
    assert clerk_first.status_code == 201
    before = row_counts(app)
    assert_problem(
        _post(client, "/parties", party, cast.headers["clerk"], "c"), 422, "idempotency-mismatch"
    )
    assert row_counts(app) == before


def test_a_failed_request_releases_the_key(client, app, cast):
    bad = {**_application(cast), "secured_amount": "-1"}
    assert_problem(_post(client, "/pledge-applications", bad, cast.headers["clerk"], "retry"), 422)
    refused = {**_application(cast), "asset_ids": [999_999]}
    assert_problem(
        _post(client, "/pledge-applications", refused, cast.headers["clerk"], "retry"), 422
    )
    good = _post(client, "/pledge-applications", _application(cast), cast.headers["clerk"], "retry")
    assert good.status_code == 201, good.get_json()
    assert good.headers.get("Idempotent-Replayed") is None


def test_keys_are_per_caller(client, app, cast, keys):
    body = {"kind": "organization", "name": "两家", "credit_code": credit_code()}
    second_clerk = keys.header("clerk")
    first = _post(client, "/parties", body, cast.headers["clerk"], "shared")
    assert first.status_code == 201
    # Another caller's identical key is not a replay: its request really runs (and conflicts).
    response = _post(client, "/parties", body, second_clerk, "shared")
    assert_problem(response, 409, "party-exists")
    application = _application(cast)
    a = _post(client, "/pledge-applications", application, cast.headers["bank"], "same")
    b = _post(client, "/pledge-applications", application, cast.headers["clerk"], "same")
    assert a.status_code == b.status_code == 201
    assert a.get_json()["id"] != b.get_json()["id"]


def test_without_a_key_every_post_creates(client, cast):
    body = _application(cast)
    ids = {
        client.post(
            "/api/v1/pledge-applications", json=body, headers=cast.headers["clerk"]
        ).get_json()["id"]
        for _ in range(2)
    }
    assert len(ids) == 2


def test_an_overlong_key_is_refused(client, app, cast):
    before = row_counts(app)
    response = _post(
        client, "/pledge-applications", _application(cast), cast.headers["clerk"], "k" * 201
    )
    assert "Idempotency-Key" in assert_problem(response, 422, "validation-failed")["errors"]
    assert row_counts(app) == before


def test_an_idempotent_route_with_query_arguments_is_refused_at_definition():
    from flask.views import MethodView

    from ipx.web.api import Blueprint
    from ipx.web.fields import PageQuery
    from ipx.web.idempotency import idempotent

    blp = Blueprint("scratch", __name__)
    with pytest.raises(TypeError, match="arguments in the body"):

        class Scratch(MethodView):
            @idempotent
            @blp.arguments(PageQuery, location="query")
            def post(self, query):
                return {}

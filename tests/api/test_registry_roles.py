"""Every registry route against every role: 401 without a key, 403 for a role that may not make
the call, and 404 (never 403) for a record the caller may not see."""

from __future__ import annotations

import pytest

from tests.registry_helpers import assert_problem, row_counts, scene

ROLES = ("clerk", "auditor", "admin", "bank", "owner", "none")
READERS = {"clerk", "auditor", "admin", "bank", "owner"}
CLERK = {"clerk", "admin"}

# (method, path template, roles that may make the call). Admin may make every call.
ROUTES = [
    ("GET", "/parties", {"clerk", "auditor", "admin"}),
    ("POST", "/parties", CLERK),
    ("GET", "/parties/{owner}", READERS),
    ("GET", "/assets", READERS),
    ("POST", "/assets", CLERK),
    ("GET", "/assets/{asset}", READERS),
    ("PATCH", "/assets/{asset}", CLERK),
    ("GET", "/assets/{asset}/history", READERS),
    ("POST", "/assets/{asset}/freezes", CLERK),
    ("POST", "/freezes/{freeze}/lift", CLERK),
    ("GET", "/pledge-applications", READERS),
    ("POST", "/pledge-applications", {"clerk", "admin", "bank"}),
    ("GET", "/pledge-applications/{application}", READERS),
    ("PUT", "/pledge-applications/{application}", {"clerk", "admin", "bank"}),
    ("POST", "/pledge-applications/{application}/register", CLERK),
    ("POST", "/pledge-applications/{application}/refuse", CLERK),
    ("POST", "/pledge-applications/{application}/request-correction", CLERK),
    ("GET", "/pledges", READERS),
    ("GET", "/pledges/{pledge}", READERS),
    ("GET", "/pledges/{pledge}/history", READERS),
    ("POST", "/pledges/{pledge}/changes", CLERK),
    ("POST", "/pledges/{pledge}/cancel", CLERK),
    ("POST", "/pledges/{pledge}/revoke", CLERK),
    ("POST", "/transfers", CLERK),
]


@pytest.fixture
def cast(client, registry, keys):
    """The scene plus a registered pledge, a second application and a freeze to aim at."""
    s = scene(registry, keys)
    pledge = registry.pledge(s.owner, s.bank, [s.asset["id"]])
    second = registry.asset([s.owner])
    application = registry.application(s.owner, s.bank, [second["id"]])
    freeze = registry.post(
        f"/assets/{second['id']}/freezes",
        {"court": "上海知识产权法院", "order_number": "(2026)沪73执保1号"},
    )
    ids = {
        "owner": s.owner,
        "asset": s.asset["id"],
        "pledge": pledge["id"],
        "application": application["id"],
        "freeze": freeze["id"],
    }
    return s, ids


def _call(client, method, path, headers, body=None):
    kwargs = {"headers": headers}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {} if body is None else body
    return client.open(f"/api/v1{path}", method=method, **kwargs)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("method,template,allowed", ROUTES)
def test_each_role_is_admitted_or_refused(client, app, cast, method, template, allowed):
    s, ids = cast
    path = template.format(**ids)
    before = row_counts(app)
    for role in ROLES:
        response = _call(client, method, path, s.headers[role])
        if role == "none":
            body = assert_problem(response, 401, "unauthorized")
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        elif role not in allowed:
            body = assert_problem(response, 403, "forbidden")
            assert role in body["detail"]
        else:
            # Admitted: an empty body is then refused on its merits, never on the caller's role.
            assert response.status_code not in (401, 403), (role, response.get_json())
    if "lift" not in path:  # lifting needs no body, so the clerk's call really lifts
        assert row_counts(app) == before


def test_no_key_and_a_bad_key_are_401(client, registry):
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer ipx_nope_nope"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "x" * 5000},
    ):
        response = client.get("/api/v1/pledges", headers=headers)
        assert_problem(response, 401, "unauthorized")


# --- 404, not 403, for records the caller may not see -----------------------------------------


def test_a_bank_sees_only_its_own_pledges(client, registry, keys):
    s = scene(registry, keys)
    mine = registry.pledge(s.owner, s.bank, [s.asset["id"]])
    theirs = registry.pledge(s.other_owner, s.other_bank, [s.other_asset["id"]])
    bank = s.headers["bank"]
    assert client.get(f"/api/v1/pledges/{mine['id']}", headers=bank).status_code == 200
    for path in (f"/pledges/{theirs['id']}", f"/pledges/{theirs['id']}/history"):
        assert_problem(client.get(f"/api/v1{path}", headers=bank), 404, "not-found")
    listed = client.get("/api/v1/pledges", headers=bank).get_json()["items"]
    assert [p["id"] for p in listed] == [mine["id"]]
    # The same answer as for a pledge that does not exist at all: nothing leaks.
    missing = client.get("/api/v1/pledges/999999", headers=bank)
    assert_problem(missing, 404, "not-found")


def test_an_owner_sees_only_its_own_assets(client, registry, keys):
    s = scene(registry, keys)
    owner = s.headers["owner"]
    assert client.get(f"/api/v1/assets/{s.asset['id']}", headers=owner).status_code == 200
    other = s.other_asset["id"]
    for path in (f"/assets/{other}", f"/assets/{other}/history"):
        assert_problem(client.get(f"/api/v1{path}", headers=owner), 404, "not-found")
    listed = client.get("/api/v1/assets", headers=owner).get_json()["items"]
    assert [a["id"] for a in listed] == [s.asset["id"]]


def test_a_bank_sees_the_assets_pledged_to_it(client, registry, keys):
    s = scene(registry, keys)
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    bank, other_bank = s.headers["bank"], s.headers["other_bank"]
    assert client.get(f"/api/v1/assets/{s.asset['id']}", headers=bank).status_code == 200
    assert_problem(client.get(f"/api/v1/assets/{s.asset['id']}", headers=other_bank), 404)


def test_applications_are_visible_to_their_parties_only(client, registry, keys):
    s = scene(registry, keys)
    application = registry.application(s.owner, s.bank, [s.asset["id"]])
    path = f"/api/v1/pledge-applications/{application['id']}"
    for role in ("bank", "owner", "clerk", "auditor"):
        assert client.get(path, headers=s.headers[role]).status_code == 200, role
    for role in ("other_bank", "other_owner"):
        assert_problem(client.get(path, headers=s.headers[role]), 404, "not-found")
        listed = client.get("/api/v1/pledge-applications", headers=s.headers[role]).get_json()
        assert listed["items"] == []
    # Another bank cannot even learn that it exists by trying to correct it.
    body = {"pledgor_id": s.owner, "pledgee_id": s.other_bank, "asset_ids": [s.asset["id"]]}
    assert_problem(client.put(path, json=body, headers=s.headers["other_bank"]), 404)


def test_parties_are_visible_to_themselves_and_counterparties(client, registry, keys):
    s = scene(registry, keys)
    bank = s.headers["bank"]
    # Filing an application naming a party does not open that party's record to the bank...
    registry.application(s.owner, s.bank, [s.asset["id"]], headers=bank)
    assert_problem(client.get(f"/api/v1/parties/{s.owner}", headers=bank), 404, "not-found")
    # ...a registered pledge between them does.
    registry.pledge(s.owner, s.bank, [s.asset["id"]])
    for party in (s.bank, s.owner):
        assert client.get(f"/api/v1/parties/{party}", headers=bank).status_code == 200
    for party in (s.other_bank, s.other_owner):
        assert_problem(client.get(f"/api/v1/parties/{party}", headers=bank), 404, "not-found")


def test_a_bank_files_only_as_the_pledgee(client, app, registry, keys):
    s = scene(registry, keys)
    before = row_counts(app)
    body = {"pledgor_id": s.owner, "pledgee_id": s.other_bank, "asset_ids": [s.asset["id"]]}
    response = client.post("/api/v1/pledge-applications", json=body, headers=s.headers["bank"])
    assert_problem(response, 403, "forbidden")
    assert row_counts(app) == before


def test_an_owner_may_not_file_or_examine(client, registry, keys):
    s = scene(registry, keys)
    application = registry.application(s.owner, s.bank, [s.asset["id"]])
    owner = s.headers["owner"]
    body = {"pledgor_id": s.owner, "pledgee_id": s.bank, "asset_ids": [s.asset["id"]]}
    assert_problem(client.post("/api/v1/pledge-applications", json=body, headers=owner), 403)
    path = f"/api/v1/pledge-applications/{application['id']}/register"
    assert_problem(client.post(path, json={}, headers=owner), 403, "forbidden")

"""The valuations API: per role, stored and logged, deterministic, validated."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.registry_helpers import row_counts

ECONOMICS = {
    "annual_revenue": "2000000.00",
    "royalty_rate": 0.05,
    "discount_rate": 0.1,
    "tax_rate": 0.25,
    "growth": 0.02,
}


@pytest.fixture
def world(registry, keys):
    owner = registry.party("华东材料科技股份有限公司")
    other = registry.party("滨海理工大学")
    bank = registry.party("中国银行股份有限公司上海分行")
    asset = registry.asset([owner])
    foreign = registry.asset([other])
    return {
        "asset": asset,
        "foreign": foreign,
        "bank": keys.header("bank", bank),
        "owner": keys.header("owner", owner),
        "other_owner": keys.header("owner", other),
        "auditor": keys.header("auditor"),
    }


def post(client, headers, body, path="/api/v1/valuations"):
    return client.post(path, json=body, headers=headers)


def test_a_bank_values_a_registered_asset_with_economics(client, world):
    response = post(
        client,
        world["bank"],
        {
            "asset_id": world["asset"]["id"],
            "loan_term_months": 24,
            "economics": ECONOMICS,
            "explain": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert 0 <= body["score"] <= 100 and body["grade"]
    assert [s["stage"] for s in body["survival"]] == [1, 2, 3]
    ps = [s["p_in_force"] for s in body["survival"]]
    assert ps == sorted(ps, reverse=True)  # cumulative survival never rises
    p10, p50, p90 = (Decimal(body["value"][k]) for k in ("p10", "p50", "p90"))
    assert 0 < p10 <= p50 <= p90
    assert Decimal(body["collateral"]["collateral_value"]) == (p10 * Decimal("0.25")).quantize(
        Decimal("0.01")
    )
    assert body["drivers"] and body["model_version"] and body["feature_schema_hash"]
    stored = client.get(f"/api/v1/valuations/{body['id']}", headers=world["bank"]).get_json()
    assert stored == body


def test_the_same_request_gives_the_same_value(client, world):
    body = {"asset_id": world["asset"]["id"], "economics": ECONOMICS, "as_of": "2026-06-01"}
    first = post(client, world["bank"], body).get_json()
    second = post(client, world["bank"], body).get_json()
    assert first["id"] != second["id"]
    assert first["value"] == second["value"] and first["score"] == second["score"]


def test_without_economics_there_is_no_money_value(client, world):
    body = post(client, world["bank"], {"asset_id": world["asset"]["id"]}).get_json()
    assert body["value"] is None
    assert body["collateral"]["collateral_value"] is None


def test_asking_for_drivers_changes_nothing_but_the_drivers(client, world):
    """Same asset, economics, date and term: explain only adds drivers, never moves money."""
    body = {
        "asset_id": world["asset"]["id"],
        "economics": ECONOMICS,
        "loan_term_months": 36,
        "as_of": "2026-06-01",
    }
    plain = post(client, world["bank"], {**body, "explain": False}).get_json()
    explained = post(client, world["bank"], {**body, "explain": True}).get_json()
    assert plain["drivers"] is None and explained["drivers"]
    skip = {"id", "created_at", "drivers", "drivers_space"}
    assert {k: v for k, v in plain.items() if k not in skip} == {
        k: v for k, v in explained.items() if k not in skip
    }
    years = plain["value"]["assumptions"]["years"]
    assert years == round(plain["value"]["assumptions"]["days"] / 365.25, 2)


def test_every_valuation_says_which_case_it_is_in_and_that_cases_figures(client, world):
    card = client.get("/api/v1/models/current").get_json()["metrics"]
    registered = post(client, world["bank"], {"asset_id": world["asset"]["id"]}).get_json()
    known = post(
        client,
        world["bank"],
        {"features": {"claims": 12}, "ipc": "C22C 38/00", "owner": "University of Washington"},
    ).get_json()
    for body, case, key in (
        (registered, "unseen-owner", "unseen_owners"),
        (known, "owner-history", "with_history"),
    ):
        validity = body["validity"]
        assert validity["case"] == case and body["grade"] in validity["grades"]
        expected = [
            (int(k), round(r[card["served"][case][k]]["auc"], 4)) for k, r in card[key].items()
        ]
        assert [(s["stage"], s["auc"]) for s in validity["stages"]] == sorted(expected)
    refused = post(client, world["bank"], {"asset_id": world["asset"]["id"], "owner": "x"})
    assert refused.status_code == 422 and "asset_id" in refused.get_json()["errors"]


def test_missing_features_are_imputed_and_flagged(client, world):
    response = post(client, world["bank"], {"features": {"claims": 12}, "ipc": "C22C 38/00"})
    assert response.status_code == 201
    body = response.get_json()
    assert "backward_citations" in body["imputed"]
    assert "imputed-features" in [f["code"] for f in body["flags"]]


def test_owner_values_only_its_own_assets(client, world):
    assert post(client, world["owner"], {"asset_id": world["asset"]["id"]}).status_code == 201
    assert post(client, world["owner"], {"asset_id": world["foreign"]["id"]}).status_code == 404
    denied = post(client, world["owner"], {"features": {"claims": 3}})
    assert denied.status_code == 403


def test_a_valuation_is_visible_only_to_whoever_could_create_it(client, world):
    made = post(client, world["owner"], {"asset_id": world["asset"]["id"]}).get_json()
    path = f"/api/v1/valuations/{made['id']}"
    assert client.get(path, headers=world["owner"]).status_code == 200
    assert client.get(path, headers=world["auditor"]).status_code == 200
    assert client.get(path, headers=world["other_owner"]).status_code == 404
    assert client.get(path).status_code == 401


def test_an_auditor_may_not_create_valuations(client, world):
    assert post(client, world["auditor"], {"features": {"claims": 3}}).status_code == 403


@pytest.mark.parametrize(
    "body, field",
    [
        ({"features": {"claims": -1}}, "features"),
        ({"features": {"claims": "7"}}, "features"),
        ({"features": {"claims": 3}, "kind": "spaceship"}, "kind"),
        ({"features": {"claims": 3}, "economics": {**ECONOMICS, "royalty_rate": 1.5}}, "economics"),
        (
            {"features": {"claims": 3}, "economics": {**ECONOMICS, "annual_revenue": 100.5}},
            "economics",
        ),
        (
            {"features": {"claims": 3}, "economics": {**ECONOMICS, "annual_revenue": "-5"}},
            "economics",
        ),
        ({"features": {"claims": 3}, "economics": {"royalty_rate": 0.1}}, "economics"),
        ({}, "_schema"),
        ({"features": {"claims": 3}, "asset_id": 1}, "_schema"),
        ({"features": {"claims": 3}, "loan_term_months": 0}, "loan_term_months"),
        (
            {"features": {"claims": 3}, "filing_date": "2020-01-01", "grant_date": "2019-01-01"},
            "_schema",
        ),
    ],
)
def test_bad_input_is_422_with_field_errors_and_stores_nothing(app, client, world, body, field):
    before = row_counts(app)
    response = post(client, world["bank"], body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert row_counts(app) == before


def test_a_valuation_is_stored_and_logged(app, client, world):
    before = row_counts(app)
    post(client, world["bank"], {"asset_id": world["asset"]["id"]})
    after = row_counts(app)
    assert after["valuations"] == before["valuations"] + 1
    assert after["ledger_entries"] == before["ledger_entries"] + 1


def test_batch_values_many_and_refuses_too_many(client, world, app):
    items = [{"features": {"claims": n, "inventors": 2}, "ipc": "H01F 1/057"} for n in range(5)]
    response = post(client, world["bank"], {"items": items}, "/api/v1/valuations/batch")
    assert response.status_code == 201
    scores = [i["score"] for i in response.get_json()["items"]]
    assert len(scores) == 5
    app.config["MAX_BATCH_ITEMS"] = 3
    response = post(client, world["bank"], {"items": items}, "/api/v1/valuations/batch")
    assert response.status_code == 422 and "items" in response.get_json()["errors"]


def test_the_model_card_is_public(client):
    card = client.get("/api/v1/models/current").get_json()
    assert card["version"] and card["feature_names"] and card["metrics"]
    assert "MODEL_CARD" not in card["model_card_markdown"][:0]


def test_the_logged_digest_lets_anyone_recompute_the_stored_result(app, client, world):
    import hashlib
    import json

    from sqlalchemy import select

    from ipx.db_ext import database
    from ipx.ledger.disclosure import open_entry
    from ipx.ledger.tables import LedgerEntry
    from ipx.valuation.services import stored_json_digest

    made = post(client, world["bank"], {"asset_id": world["asset"]["id"], "economics": ECONOMICS})
    body = made.get_json()
    with database(app).sessions() as session:
        leaf, details = session.execute(
            select(LedgerEntry.leaf, LedgerEntry.details).where(
                LedgerEntry.type == "valuation.created"
            )
        ).one()
    public = json.loads(leaf)
    opened = open_entry(leaf, details)
    assert opened.type == "valuation.created"
    assert opened.refs["valuation"] == body["id"]
    result = {k: v for k, v in body.items() if k not in ("id", "asset_id", "created_at")}
    assert opened.digests["result"] == stored_json_digest(result)
    # The value is confidential and a valuation is not a public notice: the public leaf shows
    # neither its type nor its figures, only digests; the record beside it keeps them in clear.
    assert "valuation" not in leaf and str(body["value"]["p10"]) not in leaf
    assert "type" not in public and "refs" not in public
    assert opened.private["p10"] == body["value"]["p10"]
    assert public["digests"]["details"] == hashlib.sha256(details.encode()).hexdigest()


def test_an_application_may_cite_only_a_valuation_of_its_asset(client, registry, world, keys):
    owner = world["asset"]["holder_ids"][0]
    bank_party = registry.party("中国建设银行股份有限公司苏州分行")
    bank = keys.header("bank", bank_party)
    own = post(client, bank, {"asset_id": world["asset"]["id"]}).get_json()["id"]
    other = post(client, bank, {"asset_id": world["foreign"]["id"]}).get_json()["id"]
    someone_elses = post(client, world["bank"], {"asset_id": world["asset"]["id"]}).get_json()["id"]

    def apply(valuation_id):
        body = {
            "pledgor_id": owner,
            "pledgee_id": bank_party,
            "asset_ids": [world["asset"]["id"]],
            "secured_amount": "1000000.00",
            "debt_start": "2026-12-01",
            "debt_end": "2027-12-01",
            "contract_number": "C-1",
            "valuation_id": valuation_id,
        }
        return client.post("/api/v1/pledge-applications", json=body, headers=bank)

    assert apply(own).status_code == 201
    for wrong in (other, someone_elses, 99999):
        response = apply(wrong)
        assert response.status_code == 422, response.get_json()
        assert "valuation_id" in response.get_json()["errors"]

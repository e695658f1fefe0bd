"""The model-risk reads through the API: the back-test on realized prices and drift monitoring,
from registration, valuation, default and disposal to the sale (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from click.testing import CliRunner

from tests.registry_helpers import assert_problem

API = "/api/v1"
ECONOMICS = {"annual_revenue": "2000000.00", "royalty_rate": 0.05}


class Market:
    """An owner, a bank and a buyer; pledges sold on default through the API."""

    def __init__(self, client, registry, keys):
        self.client, self.registry = client, registry
        self.owner = registry.party("华东材料科技股份有限公司")
        self.bank = registry.party("中国工商银行股份有限公司上海分行")
        self.buyer = registry.party("买方科技有限公司")
        self.bank_key = keys.header("bank", self.bank)

    def post(self, path, body, headers=None, status=201):
        response = self.client.post(
            f"{API}{path}", json=body, headers=headers or self.registry.clerk
        )
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def value(self, asset_id) -> dict:
        body = {"asset_id": asset_id, "economics": ECONOMICS}
        return self.post("/valuations", body, self.bank_key)

    def pledge(self, asset_ids, valuation_id=None) -> dict:
        extra = {} if valuation_id is None else {"valuation_id": valuation_id}
        application = self.registry.application(
            self.owner, self.bank, asset_ids, headers=self.bank_key, **extra
        )
        return self.post(f"/pledge-applications/{application['id']}/register", {})

    def sell(self, pledge, price: str, while_open=None) -> dict:
        debt = {"principal": "1000000.00", "interest": "0.00", "penalties": "0.00"}
        self.post(f"/pledges/{pledge['id']}/default", debt, self.bank_key, 200)
        disposal = self.post(
            f"/pledges/{pledge['id']}/disposals",
            {"method": "auction", "reserve_price": "1.00", "costs": "0.00", "announcement_days": 0},
        )
        if while_open is not None:
            while_open()  # between the opening and the close
        self.post(f"/disposals/{disposal['id']}/bids", {"bidder_id": self.buyer, "amount": price})
        return self.post(f"/disposals/{disposal['id']}/close", {}, status=200)


@pytest.fixture
def market(client, registry, keys):
    return Market(client, registry, keys)


def test_each_sale_is_judged_by_the_cited_or_the_latest_valuation(client, market, keys):
    cited_asset, plain_asset, *lot = (market.registry.asset([market.owner]) for _ in range(4))
    cited = market.value(cited_asset["id"])
    market.value(cited_asset["id"])  # a later valuation: the cited one still judges the sale
    latest = [market.value(plain_asset["id"]) for _ in range(2)][-1]
    inside_price = cited["value"]["p50"]
    above_price = f"{Decimal(latest['value']['p90']) * 2:.2f}"
    market.sell(market.pledge([cited_asset["id"]], cited["id"]), inside_price)
    market.sell(market.pledge([plain_asset["id"]]), above_price)
    market.sell(market.pledge([a["id"] for a in lot]), "500000.00")  # a lot of two: left out

    for role in ("clerk", "auditor"):
        response = client.get(f"{API}/models/current/backtest", headers=keys.header(role))
        assert response.status_code == 200, response.get_json()
        report = response.get_json()
        assert report["n"] == 2
        assert report["excluded"] == {"multi-asset-lot": 2}
        first, second = report["items"]
        assert (first["valuation_id"], first["basis"]) == (cited["id"], "cited")
        assert (second["valuation_id"], second["basis"]) == (latest["id"], "latest-before-sale")
        assert (first["price"], first["p50"], first["ratio"]) == (inside_price, inside_price, 1.0)
        assert first["inside"] and not second["inside"]
        assert (report["coverage"], report["above_p90"]) == (0.5, 0.5)
        assert second["ratio"] == round(float(above_price) / float(latest["value"]["p50"]), 4)
        assert (
            report["by_asset_kind"][0] | {"group": "invention", "n": 2}
            == report["by_asset_kind"][0]
        )
        assert report["by_ipc_section"][0]["group"] == "H"  # the helper's asset: H01F 1/057
        assert report["verdict"]["code"] == "too-few-sales"


def test_a_valuation_made_while_the_disposal_is_open_is_left_out(client, market):
    asset = market.registry.asset([market.owner])
    made = []
    market.sell(
        market.pledge([asset["id"]]), "800000.00", lambda: made.append(market.value(asset["id"]))
    )
    assert made and made[0]["value"]["p50"]  # a modelled valuation, made after the opening
    report = client.get(f"{API}/models/current/backtest", headers=market.registry.clerk)
    assert report.status_code == 200, report.get_json()
    body = report.get_json()
    assert body["n"] == 0 and body["items"] == []
    assert body["excluded"] == {"valuation-after-disposal-opened": 1}


def test_the_backtest_without_sales_and_for_other_roles(client, market, keys):
    report = client.get(f"{API}/models/current/backtest", headers=market.registry.clerk)
    assert report.status_code == 200
    assert report.get_json()["n"] == 0 and report.get_json()["verdict"]["code"] == "too-few-sales"
    assert_problem(client.get(f"{API}/models/current/backtest"), 401, "unauthorized")
    for role, party in (("bank", market.bank), ("owner", market.owner)):
        response = client.get(f"{API}/models/current/backtest", headers=keys.header(role, party))
        assert_problem(response, 403, "forbidden")
    admin = client.get(f"{API}/models/current/backtest", headers=keys.header("admin"))
    assert admin.status_code == 200  # admins may do everything


def test_monitoring_measures_the_unseen_owners_but_judges_nothing_on_four(client, market, keys):
    assets = [market.registry.asset([market.owner]) for _ in range(3)]
    for asset in assets:
        market.value(asset["id"])
    wide = {"features": {"claims": 900, "inventors": 3}, "ipc": "G06F 17/00"}
    market.post("/valuations", wide, market.bank_key)

    response = client.get(f"{API}/models/current/monitoring", headers=keys.header("auditor"))
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["valuations"], report["modelled"], report["window"]["days"]) == (4, 4, 30)
    assert report["out_of_range"] == {"count": 1, "share": 0.25}  # claims=900: out of range
    features = {f["feature"]: f for f in report["features"]}
    assert features["claims"]["n"] == 4
    assert features["npl_citations"]["n"] == 0 and features["npl_citations"]["psi"] is None
    assert features["grant_lag_days"]["n"] == 3  # the unregistered patent gave no dates
    owner = features["owner_history"]
    seen = next(b["training_share"] for b in owner["bins"] if b["bin"] == "seen")
    # every owner is unseen: (1e-4 - s) ln(1e-4 / s) + (1 - (1 - s)) ln(1 / (1 - s))
    expected = (1e-4 - seen) * math.log(1e-4 / seen) + seen * math.log(1 / (1 - seen))
    assert owner["psi"] == pytest.approx(expected, abs=1e-3)  # s is given to 4 decimals
    assert owner["psi"] > report["psi_threshold"]  # a shift, measured on 4 values only:
    assert owner["n"] == 4 and not owner["judged"] and not owner["flagged"]  # noise, not drift
    assert report["flagged_features"] == [] and report["min_valuations"] == 100
    assert report["verdict"]["code"] == "too-few-valuations"

    later = client.get(f"{API}/models/current/monitoring?days=1", headers=market.registry.clerk)
    assert later.get_json()["valuations"] == 4
    bad = client.get(f"{API}/models/current/monitoring?days=0", headers=market.registry.clerk)
    assert_problem(bad, 422, "validation-failed")
    forbidden = client.get(f"{API}/models/current/monitoring", headers=market.bank_key)
    assert_problem(forbidden, 403, "forbidden")


@pytest.fixture
def training_bins_uncached():
    from ipx.valuation import monitoring_reads

    monitoring_reads._training_bins.cache_clear()
    yield monitoring_reads
    monitoring_reads._training_bins.cache_clear()


def test_missing_training_data_is_a_503_that_names_no_server_path(
    app, client, keys, training_bins_uncached, monkeypatch, tmp_path, caplog
):
    from ipx.valuation import serving

    monkeypatch.setattr(training_bins_uncached, "PROJECT_ROOT", tmp_path / "elsewhere")
    model_path = str(serving.valuer(app).artifact.path)
    with caplog.at_level("ERROR", logger="ipx.valuation.monitoring_reads"):
        response = client.get(f"{API}/models/current/monitoring", headers=keys.header("clerk"))
    assert_problem(response, 503, "service-unavailable")
    detail = response.get_json()["detail"]
    assert "training data" in detail and serving.valuer(app).version in detail
    assert model_path not in detail and str(tmp_path) not in detail and "/" not in detail
    assert model_path in caplog.text and str(tmp_path / "elsewhere") in caplog.text


def test_the_monitoring_503_is_documented(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/models/current/monitoring"]["get"]
    assert "training data" in operation["responses"]["503"]["description"]


def test_monitoring_of_an_empty_window(client, keys):
    report = client.get(f"{API}/models/current/monitoring", headers=keys.header("clerk"))
    assert report.status_code == 200
    body = report.get_json()
    assert body["valuations"] == 0 and body["verdict"]["code"] == "no-valuations"
    assert all(f["psi"] is None and not f["flagged"] for f in body["features"])


@pytest.fixture
def cli(db_url, instance_dir, monkeypatch):
    """The CLI builds its store from the environment: point it at the test database."""
    monkeypatch.setenv("IPX_DATABASE_URL", db_url)
    monkeypatch.setenv("IPX_SIGNING_KEY_FILE", str(instance_dir / "signing.key"))
    monkeypatch.setenv("IPX_DIGEST_KEY_FILE", str(instance_dir / "digest.key"))
    import ipx.cli

    return lambda *args: CliRunner().invoke(ipx.cli.main, list(args))


def test_the_commands_answer_what_the_api_answers(client, market, cli):
    asset = market.registry.asset([market.owner])
    valuation = market.value(asset["id"])
    market.sell(market.pledge([asset["id"]], valuation["id"]), valuation["value"]["p90"])
    api = client.get(f"{API}/models/current/backtest", headers=market.registry.clerk).get_json()

    result = cli("backtest", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == api
    table = cli("backtest")
    assert "coverage of [p10, p90]: 100.0%" in table.output
    assert "verdict: too-few-sales" in table.output

    monitored = cli("monitor", "--days", "7", "--json")
    assert monitored.exit_code == 0, monitored.output
    report = json.loads(monitored.output)
    assert (report["valuations"], report["window"]["days"]) == (1, 7)
    assert report["flagged_features"] == []  # one valuation: nothing judged
    table = cli("monitor").output
    assert "verdict: too-few-valuations" in table
    claims = next(line for line in table.splitlines() if line.startswith("claims "))
    assert claims.endswith("not judged (fewer than 100 values)"), claims

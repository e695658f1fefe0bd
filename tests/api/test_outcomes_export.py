"""`ipx outcomes export`: a registry built through the API gives exactly the expected training
rows, stage labels and sale price, censored stages left out and nothing personal written."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import numpy as np

from ipx.db_ext import database
from ipx.instance_keys import registry_digest_key
from ipx.ops.outcomes import export_table
from ipx.registry.numbers import make_patent_number
from ipx.valuation.registry_outcomes import owner_digest, stage_outcome
from ipx.valuation.sample import fill_missing_counts, load_sample, stage_rows_and_labels

FULL = {
    "claims": 12,
    "backward_citations": 8,
    "npl_citations": 3,
    "family_size": 2,
    "inventors": 4,
    "similar_docs": 6,
}
API = "/api/v1"


def _asset(registry, owner, grant: date, fees: date | None, status="granted", **extra):
    return registry.asset(
        [owner],
        filing_date=grant - timedelta(days=800),
        grant_date=grant.isoformat(),
        fees_paid_until=fees.isoformat() if fees else None,
        status=status,
        features=extra.pop("features", FULL),
        **extra,
    )


def _sell(client, registry, keys, owner, asset_id: int, price: str) -> int:
    bank = registry.party("中国工商银行股份有限公司上海分行")
    pledge = registry.pledge(owner, bank, [asset_id])
    buyer = registry.party("买方有限公司")
    debt = {"principal": "1000000.00", "interest": "0.00", "penalties": "0.00"}
    bank_key = keys.header("bank", bank)
    ok = client.post(f"{API}/pledges/{pledge['id']}/default", json=debt, headers=bank_key)
    assert ok.status_code == 200, ok.get_json()
    body = {"method": "auction", "reserve_price": "100000.00", "costs": "0.00"}
    opened = client.post(
        f"{API}/pledges/{pledge['id']}/disposals",
        json={**body, "announcement_days": 0},
        headers=registry.clerk,
    ).get_json()
    bid = {"bidder_id": buyer, "amount": price}
    assert client.post(f"{API}/disposals/{opened['id']}/bids", json=bid, headers=registry.clerk)
    closed = client.post(f"{API}/disposals/{opened['id']}/close", json={}, headers=registry.clerk)
    assert closed.get_json()["status"] == "sold", closed.get_json()
    return buyer


def test_the_export_gives_the_expected_rows_and_stages(app, client, registry, keys, tmp_path):
    owner, other = registry.party("华东材料科技股份有限公司"), registry.party("滨海理工大学")
    later = registry.today + timedelta(days=400)
    made = {
        # kept through all three stages, then sold on default as a lot of its own
        "sold": _asset(registry, owner, date(2013, 1, 5), later),
        # paid through stage 1, lapsed before stage 2: a lapse at stage 2 is observed
        "lapsed": _asset(registry, owner, date(2014, 3, 1), date(2020, 2, 28), "lapsed"),
        # paid through stage 1, in force, stage 2 not yet paid: censored at stage 2
        "in_force": _asset(registry, other, date(2019, 1, 15), date(2023, 1, 14)),
        # invalidated before stage 1: a lapse at stage 1
        "invalidated": _asset(registry, other, date(2016, 2, 1), date(2018, 1, 31), "invalidated"),
        # granted recently: stage 1 not due, nothing observed, left out
        "recent": _asset(registry, other, registry.today - timedelta(days=300), later),
        # counts missing (as in every seeded CNIPA record): exported, the cells left empty
        "incomplete": _asset(
            registry, other, date(2015, 1, 1), later, features={"claims": 3, "inventors": 2}
        ),
        # not an invention: left out
        "utility": _asset(
            registry,
            other,
            date(2015, 1, 1),
            later,
            kind="utility_model",
            number=make_patent_number(2012, 2, 9_000_001),
        ),
    }
    buyer = _sell(client, registry, keys, owner, made["sold"]["id"], "2500000.00")
    key = registry_digest_key(app.config["DIGEST_KEY_FILE"])
    out = io.StringIO()
    with database(app).sessions() as session:
        counts = export_table(session, key, out)
    text = out.getvalue()
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    expected = {  # (payment_times, observed_stages, current holder, realized price)
        "sold": ("3", "3", buyer, "2500000.00"),
        "lapsed": ("1", "2", owner, ""),
        "in_force": ("1", "1", other, ""),
        "invalidated": ("0", "1", other, ""),
        "incomplete": ("3", "3", other, ""),
    }
    assert set(rows) == {f"registry-{made[name]['id']}" for name in expected}
    assert counts == (5, 1, 1)
    for name, (paid, observed, party, price) in expected.items():
        row = rows[f"registry-{made[name]['id']}"]
        assert (row["payment_times"], row["observed_stages"], row["realized_price"]) == (
            paid,
            observed,
            price,
        ), name
        assert row["assignee"] == owner_digest(key, [party])
        assert row["H"] == "1" and row["B"] == "0"
        if name != "incomplete":
            assert row["num_claims"] == "12" and row["num_nonpatent_citations"] == "3"
    incomplete = rows[f"registry-{made['incomplete']['id']}"]
    assert (incomplete["num_claims"], incomplete["num_authors"]) == ("3", "2")
    assert incomplete["num_nonpatent_citations"] == incomplete["num_similar_doc"] == ""
    # Nothing personal or identifying in the table: no names, numbers, titles.
    for asset in made.values():
        assert asset["number"] not in text
    assert "有限公司" not in text and "大学" not in text and "稀土" not in text
    # The table loads as a training sample, each stage's risk set leaving censored stages out.
    path = tmp_path / "registry.csv"
    path.write_text(text)
    sample = load_sample(path)
    by_id = {i: n for n, i in enumerate(sample.ids)}
    risk = {k: {sample.ids[i] for i in stage_rows_and_labels(sample, k)[0]} for k in (1, 2, 3)}
    sold, lapsed = (f"registry-{made[n]['id']}" for n in ("sold", "lapsed"))
    in_force = f"registry-{made['in_force']['id']}"
    assert risk[1] == set(by_id)
    complete = f"registry-{made['incomplete']['id']}"
    assert risk[2] == {sold, lapsed, complete} and risk[3] == {sold, complete}
    assert in_force not in risk[2]  # censored at stage 2: never a lapse
    # A count the record lacks reads as missing and trains with the sample's median.
    row = by_id[complete]
    assert np.isnan(sample.counts["npl_citations"][row]) and sample.counts["claims"][row] == 3
    filled = fill_missing_counts(sample, {**dict.fromkeys(FULL, 0.0), "npl_citations": 9.0})
    assert filled.counts["npl_citations"][row] == 9.0 and filled.counts["claims"][row] == 3


def test_stage_outcomes_follow_the_annual_fees():
    grant = date(2010, 6, 30)
    assert stage_outcome(grant, None, ended=False) == (0, 0)
    assert stage_outcome(grant, None, ended=True) == (0, 1)
    assert stage_outcome(grant, date(2013, 12, 29), ended=True) == (0, 1)  # a day short
    assert stage_outcome(grant, date(2013, 12, 30), ended=False) == (1, 1)  # 3.5 years on
    assert stage_outcome(grant, date(2017, 12, 30), ended=False) == (2, 2)
    assert stage_outcome(grant, date(2017, 12, 30), ended=True) == (2, 3)
    assert stage_outcome(grant, date(2021, 12, 30), ended=False) == (3, 3)

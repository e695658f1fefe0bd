"""Predictor: flags, imputation, determinism, collateral, and a pinned differential check."""

import dataclasses
import json
from datetime import date
from decimal import Decimal

import lightgbm as lgb
import numpy as np
import pytest

from ipx.valuation import features as F
from ipx.valuation.model import GRADES, Economics, ValuationRequest
from ipx.valuation.predictor import Valuer
from ipx.valuation.sample import load_sample
from tests.valuation_samples import BASE, FULL, MODEL, ROOT


@pytest.fixture(scope="module")
def valuer():
    return Valuer.load(MODEL)


def codes(result):
    return {f.code for f in result.flags}


def test_differential_against_raw_boosters_and_stored_calibration(valuer):
    """Pinned: first 5 sample rows scored by raw Booster.predict + metadata Platt by hand."""
    meta = json.loads((MODEL / "metadata.json").read_text())
    sample = load_sample(ROOT / "data" / "samples" / "us-university-renewals.csv").subset(
        np.arange(5)
    )
    history = F.OwnerHistory.from_json(meta["owner_history"])
    x = F.scoring_matrix(sample, history)
    cum = np.ones(5)
    expected = []
    for k in (1, 2, 3):
        margin = lgb.Booster(model_file=str(MODEL / f"model_stage{k}.txt")).predict(
            x, raw_score=True
        )
        cal = meta["calibration"][str(k)]
        cum = cum / (1 + np.exp(-(cal["a"] * margin + cal["b"])))
        expected.append(cum)
    expected = np.column_stack(expected)
    pinned = np.array(
        [[0.95456, 0.835223, 0.645113], [0.907889, 0.698652, 0.493753]]
    )  # boosters since 2026.11.0
    np.testing.assert_allclose(expected[:2], pinned, atol=2e-6)
    for i in range(5):
        req = ValuationRequest(
            features={n: int(sample.counts[n][i]) for n in F.COUNT_FEATURES},
            ipc={"NA": None}.get(sample.ipc_sections[i], sample.ipc_sections[i] + "01"),
            owner=sample.assignees[i],
            filing_date=sample.filing_dates[i],
            grant_date=sample.grant_dates[i],
            as_of=date(2026, 1, 1),
        )
        np.testing.assert_allclose(valuer.value(req).survival, expected[i], rtol=1e-9)


def test_same_request_same_answer_and_money_is_decimal(valuer):
    req = dataclasses.replace(BASE, economics=Economics(Decimal("20000000")), loan_term_months=36)
    a, b = valuer.value(req), valuer.value(req)
    assert a == b
    assert isinstance(a.value.p10, Decimal) and a.value.p10 < a.value.p50 < a.value.p90
    assert a.collateral.ltv_cap == Decimal("0.25")
    assert a.collateral.collateral_value == (a.value.p10 * Decimal("0.25")).quantize(
        Decimal("0.01")
    )
    assert a.collateral.max_loan <= a.collateral.collateral_value
    assert "assumed-royalty-rate" in codes(a)
    assert 0 <= a.score <= 100 and a.grade == a.validity.of_case.grade(a.score)
    assert a.grade in {name for name, _ in GRADES}
    assert a.survival[0] >= a.survival[1] >= a.survival[2]


def test_missing_features_are_imputed_and_flagged(valuer):
    result = valuer.value(dataclasses.replace(BASE, features={"claims": 10}, ipc=None))
    assert "imputed-features" in codes(result)
    assert set(result.imputed) >= {"backward_citations", "ipc", "owner_history"}
    assert "claims" not in result.imputed


def test_out_of_distribution_flag(valuer):
    assert "out-of-distribution" not in codes(valuer.value(BASE))
    result = valuer.value(dataclasses.replace(BASE, features={**FULL, "claims": 5000}))
    assert "out-of-distribution" in codes(result)


def test_loan_past_expiry_and_status_flags(valuer):
    req = dataclasses.replace(BASE, expiry_date=date(2028, 3, 1), loan_term_months=36, frozen=True)
    result = valuer.value(req)
    assert result.p_in_force_at_maturity == 0.0
    assert {"term-shorter-than-loan", "frozen"} <= codes(result)
    lapsed = valuer.value(
        dataclasses.replace(
            BASE, lapsed=True, loan_term_months=12, economics=Economics(Decimal("1000000"), 0.05)
        )
    )
    assert "lapsed" in codes(lapsed) and lapsed.p_in_force_at_maturity == 0.0
    assert lapsed.value.p90 == Decimal("0.00")


def test_p_in_force_decreases_with_loan_term_and_flags_extrapolation(valuer):
    p = [
        valuer.value(dataclasses.replace(BASE, loan_term_months=m)).p_in_force_at_maturity
        for m in (6, 24, 60)
    ]
    assert 1 >= p[0] >= p[1] >= p[2] > 0
    long = valuer.value(dataclasses.replace(BASE, loan_term_months=120))
    assert "survival-extrapolated" in codes(long)


@pytest.mark.parametrize("kind", ["trademark", "copyright", "design"])
def test_non_patent_kinds_get_no_score_but_an_income_value(valuer, kind):
    req = ValuationRequest(
        kind=kind,
        expiry_date=date(2031, 1, 1),
        as_of=date(2026, 11, 1),
        economics=Economics(Decimal("1000000"), 0.02),
    )
    result = valuer.value(req)
    assert result.score is None and result.survival is None and result.grade is None
    assert "model-not-applicable" in codes(result) and "imputed-features" not in codes(result)
    assert result.value.p50 > 0


def test_explain_gives_signed_log_odds_drivers_that_sum_to_the_model(valuer):
    """An owner with history is served by LightGBM: TreeSHAP times the Platt slope."""
    owner = "University of Washington"
    result = valuer.value(dataclasses.replace(BASE, explain=True, owner=owner))
    assert result.drivers and "log-odds" in result.drivers_space
    stage = valuer.artifact.model.stages[1]
    row = np.array(
        [
            F.registry_vector(
                FULL,
                ipc=BASE.ipc,
                filing_date=BASE.filing_date,
                grant_date=BASE.grant_date,
                owner=owner,
                defaults=valuer.artifact.model.defaults,
                history=valuer.artifact.model.history,
            )[0]
        ]
    )
    contrib = stage.booster.predict(row, pred_contrib=True)[0]
    logit = stage.platt.a * contrib.sum() + stage.platt.b
    assert np.isclose(1 / (1 + np.exp(-logit)), result.survival[0])
    assert valuer.value(BASE).drivers is None


def test_drivers_of_an_unseen_owner_explain_the_model_that_serves_it(valuer):
    """Each stage's contributions plus its base (the intercept, or LightGBM's expected value
    on the Platt scale) give that stage's log-odds, whichever model serves the stage."""
    result = valuer.value(dataclasses.replace(BASE, explain=True))
    model = valuer.artifact.model
    row = np.array(
        [
            F.registry_vector(
                FULL,
                ipc=BASE.ipc,
                filing_date=BASE.filing_date,
                grant_date=BASE.grant_date,
                owner=None,
                defaults=model.defaults,
                history=model.history,
            )[0]
        ]
    )
    conditional = np.array(result.survival) / np.concatenate([[1.0], result.survival[:2]])
    for k in (1, 2, 3):
        if k in model.unseen_owner:
            full = model.unseen_owner[k].contributions(row)[0]
            logit = full.sum() + model.unseen_owner[k].intercept
        else:
            contrib = model.stages[k].booster.predict(row, pred_contrib=True)[0]
            full = contrib[:-1] * model.stages[k].platt.a
            logit = model.stages[k].platt.a * contrib.sum() + model.stages[k].platt.b
        assert np.isclose(1 / (1 + np.exp(-logit)), conditional[k - 1])
        shown = {d.feature: d.by_stage[k - 1] for d in result.drivers}
        for name, value in shown.items():
            assert np.isclose(value, full[F.INDEX[name]])


def test_batch_equals_singles_and_card(valuer):
    reqs = [dataclasses.replace(BASE, features={**FULL, "claims": c}) for c in (1, 10, 40)]
    assert valuer.value_batch(reqs) == [valuer.value(r) for r in reqs]
    card = valuer.card()
    assert card["version"] == valuer.version == "2026.12.0"
    assert card["feature_schema_hash"] == valuer.feature_schema_hash == F.feature_schema_hash()


def test_custom_ltv_caps(tmp_path):
    valuer = Valuer.load(
        MODEL,
        ltv_caps={
            "invention": "0.40",
            "utility_model": "0.2",
            "design": "0.1",
            "trademark": "0.3",
            "copyright": "0.1",
        },
    )
    result = valuer.value(dataclasses.replace(BASE, economics=Economics(Decimal("1000000"), 0.05)))
    assert result.collateral.ltv_cap == Decimal("0.40")

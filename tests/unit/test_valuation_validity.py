"""Validity: each valuation carries its own case's held-out figures and grade bands, and
presentation options (``explain``) never change what a valuation says."""

import dataclasses
import json
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from ipx.valuation import features as F
from ipx.valuation.model import Economics, ValuationRequest
from ipx.valuation.predictor import Valuer
from ipx.valuation.services import result_json
from tests.valuation_samples import BASE, MODEL

SEEN_OWNER = "University of Washington"  # 98 patents in the reference data
UNSEEN_OWNER = "上海新材科技有限公司"
ECON = Economics(Decimal("2000000"), 0.05, discount_rate=0.1, tax_rate=0.25, growth=0.02)
#: Where the validation report (metadata "metrics") keeps each case's figures.
REPORT_KEY = {"owner-history": "with_history", "unseen-owner": "unseen_owners"}


@pytest.fixture(scope="module")
def valuer():
    return Valuer.load(MODEL)


@pytest.fixture(scope="module")
def report():
    return json.loads((MODEL / "metadata.json").read_text())["metrics"]


def _expected_figures(report, case):
    """The case's figures read straight from the validation report, by the served approach."""
    out = []
    for stage, result in sorted(report[REPORT_KEY[case]].items()):
        approach = report["served"][case][stage]
        m = result[approach]
        out.append((int(stage), approach, m["n"], round(m["auc"], 4), round(m["brier"], 4)))
    return out


def _figures(validity):
    return [(s["stage"], s["approach"], s["n"], s["auc"], s["brier"]) for s in validity["stages"]]


@pytest.mark.parametrize(
    ("owner", "case"),
    [(SEEN_OWNER, "owner-history"), (UNSEEN_OWNER, "unseen-owner"), (None, "unseen-owner")],
)
def test_validity_reports_the_figures_of_the_valuations_own_case(valuer, report, owner, case):
    result = valuer.value(dataclasses.replace(BASE, owner=owner))
    validity = result_json(result)["validity"]
    assert validity["case"] == case
    assert validity["owner_history_used"] is (case == "owner-history")
    assert validity["kind"] == "modelled"
    assert _figures(validity) == _expected_figures(report, case)
    other = "unseen-owner" if case == "owner-history" else "owner-history"
    assert _figures(validity) != _expected_figures(report, other)
    assert [s["stage"] for s in validity["stages"]] == [1, 2, 3]
    assert result.grade in validity["grades"]


def test_an_extrapolated_kind_reports_no_figures_and_the_coarsest_grades(valuer, report):
    for owner in (SEEN_OWNER, None):
        result = valuer.value(dataclasses.replace(BASE, kind="utility_model", owner=owner))
        validity = result_json(result)["validity"]
        assert validity["case"] == "kind-extrapolated" and validity["kind"] == "extrapolated"
        assert validity["stages"] == [] and validity["design"] is None
        coarsest = min(report["grade_bands"].values(), key=len)
        assert validity["grades"] == [b["grade"] for b in coarsest]
        assert result.grade in validity["grades"]


def test_a_kind_outside_the_model_has_no_figures_and_no_grades(valuer):
    request = ValuationRequest(kind="trademark", expiry_date=date(2031, 1, 1), as_of=BASE.as_of)
    validity = result_json(valuer.value(request))["validity"]
    assert validity["case"] == "not-modelled" and validity["grades"] == []
    assert validity["stages"] == [] and not validity["owner_history_used"]


def test_grades_follow_the_cases_bands(valuer, report):
    """Every score in a case maps to the band whose floor it reaches, best band first."""
    for owner, case in ((SEEN_OWNER, "owner-history"), (None, "unseen-owner")):
        bands = report["grade_bands"][case]
        for claims in (1, 5, 12, 30, 80, 200):
            request = dataclasses.replace(
                BASE, owner=owner, features={**BASE.features, "claims": claims}
            )
            result = valuer.value(request)
            expected = next(b["grade"] for b in bands if result.score >= b["min_score"])
            assert result.grade == expected


def test_imputed_inputs_are_named_in_the_validity(valuer):
    result = valuer.value(dataclasses.replace(BASE, features={"claims": 10}, ipc=None))
    validity = result_json(result)["validity"]
    assert set(validity["inputs_imputed"]) >= {"backward_citations", "ipc", "owner_history"}
    assert "backward_citations" in validity["summary"]


def test_unseen_owners_are_served_by_the_stored_logistic_regression(valuer, report):
    """Where the report chose the logistic regression, an unseen owner's stage probability is
    the JSON file's arithmetic, computed here independently; a seen owner's is LightGBM's."""
    logistic = [int(k) for k, a in report["served"]["unseen-owner"].items() if a == "logistic"]
    model = valuer.artifact.model
    for k in logistic:
        stored = json.loads((MODEL / f"logistic_unseen_owner_stage{k}.json").read_text())
        row, _ = F.registry_vector(
            BASE.features,
            ipc=BASE.ipc,
            filing_date=BASE.filing_date,
            grant_date=BASE.grant_date,
            owner=None,
            defaults=model.defaults,
            history=model.history,
        )
        z = np.array(row, float)
        for name in stored["log1p_features"]:
            z[F.INDEX[name]] = np.log1p(z[F.INDEX[name]])
        logit = stored["intercept"] + float(
            np.dot(stored["coef"], (z - stored["mean"]) / np.array(stored["scale"]))
        )
        conditional = valuer.artifact.model.conditional(np.array([row]))[0]
        assert np.isclose(conditional[k - 1], 1 / (1 + np.exp(-logit)), rtol=1e-12)
        seen_row = np.array([row])
        seen_row[0, -3:] = model.history.encode_one(SEEN_OWNER)
        lgb = model.stages[k].predict(seen_row)[0]
        assert valuer.artifact.model.conditional(seen_row)[0, k - 1] == lgb


def test_explain_changes_nothing_but_the_drivers(valuer):
    for owner in (None, SEEN_OWNER):
        for kind in ("invention", "utility_model", "trademark"):
            request = dataclasses.replace(
                BASE,
                kind=kind,
                owner=owner,
                economics=ECON,
                loan_term_months=36,
                expiry_date=date(2038, 3, 1) if kind == "trademark" else None,
            )
            plain = result_json(valuer.value(request))
            explained = result_json(valuer.value(dataclasses.replace(request, explain=True)))
            assert plain["value"] is not None
            assert plain["drivers"] is None
            assert (explained["drivers"] is not None) is (kind != "trademark")
            for key in ("drivers", "drivers_space"):
                plain.pop(key), explained.pop(key)
            assert plain == explained


def test_the_seed_follows_the_value_facts_and_the_model_version():
    request = dataclasses.replace(BASE, economics=ECON, loan_term_months=24)
    seed = request.seed("2026.12.0")
    assert dataclasses.replace(request, explain=True).seed("2026.12.0") == seed
    assert request.seed("2027.1.0") != seed
    for change in (
        {"as_of": date(2026, 11, 2)},
        {"loan_term_months": 25},
        {"owner": SEEN_OWNER},
        {"features": {**BASE.features, "claims": 13}},
        {"economics": dataclasses.replace(ECON, growth=0.03)},
        {"frozen": True},
    ):
        assert dataclasses.replace(request, **change).seed("2026.12.0") != seed, change


def test_the_remaining_term_is_stated_in_days_and_years_to_two_decimals(valuer):
    result = valuer.value(dataclasses.replace(BASE, economics=ECON, expiry_date=date(2038, 2, 28)))
    assumptions = result.value.assumptions
    days = (date(2038, 2, 28) - BASE.as_of).days + 1  # through the last day in force
    assert assumptions["days"] == days == 4138
    assert assumptions["years"] == 11.33 == round(days / 365.25, 2)

"""Valuations and the model card."""

from __future__ import annotations

from ipx.web.examples.entries import Link, Operation, by_id

VALUATION = {
    "id": 1,
    "asset_id": 1,
    "model_version": "2026.11.0",
    "feature_schema_hash": "003b63879f5dcde22c5aba80df802fc7d7bc5b3233ff3f2e6311b1739a57980b",
    "as_of": "2026-11-28",
    "score": 58.4,
    "grade": "BBB",
    "survival": [
        {"stage": 1, "years_after_grant": "3.5", "p_in_force": 0.911588},
        {"stage": 2, "years_after_grant": "7.5", "p_in_force": 0.651302},
        {"stage": 3, "years_after_grant": "11.5", "p_in_force": 0.381317},
    ],
    "p_in_force_at_maturity": 0.777075,
    "value": {
        "currency": "CNY",
        "p10": "493269.69",
        "p50": "904502.34",
        "p90": "1606286.53",
        "assumptions": {
            "annual_revenue": "8000000.00",
            "royalty_rate": 0.04,
            "discount_rate": 0.12,
            "tax_rate": 0.25,
            "growth": 0.0,
            "years": 14.34,
        },
    },
    "collateral": {
        "currency": "CNY",
        "ltv_cap": "0.25",
        "collateral_value": "123317.42",
        "max_loan": "95826.87",
    },
    "drivers": [
        {
            "feature": "ipc_H",
            "value": 1.0,
            "contribution": 0.332898,
            "by_stage": [0.332898, 0.0, 0.0],
        },
        {
            "feature": "claims",
            "value": 12.0,
            "contribution": -0.198874,
            "by_stage": [-0.019206, -0.101238, -0.078429],
        },
    ],
    "drivers_space": "calibrated log-odds per stage, summed",
    "flags": [
        {"code": "imputed-features", "message": "imputed with training medians: owner_history"}
    ],
    "imputed": ["owner_history"],
    "validity": {
        "case": "unseen-owner",
        "owner_history_used": False,
        "kind": "modelled",
        "inputs_imputed": ["owner_history"],
        "design": None,
        "stages": [],
        "grades": ["BBB"],
        "grade_bands": [{"grade": "BBB", "min_score": 0.0, "n": 0, "kept_through_stage2": None}],
        "summary": "The owner is absent from the reference data (as every Chinese owner is "
        "today): the population priors stand in for its renewal history.",
    },
    "created_at": "2026-11-28T06:00:00Z",
}
REQUEST = {
    "asset_id": 1,
    "loan_term_months": 36,
    "economics": {"annual_revenue": "8000000.00", "royalty_rate": 0.04},
    "explain": True,
}
RULES = {
    "_schema": "exactly one of `asset_id` (a registered asset) and `features` (an unregistered "
    "patent described directly)",
    "asset_id": "with `asset_id`, the kind, dates, classification and owner come from the "
    "registry and may not be given",
}

OPERATIONS: dict[str, Operation] = {
    "POST /valuations": Operation(
        "valueAsset",
        "Value a patent: the probability it is kept in force through each renewal stage, a "
        "score and grade, `p_in_force_at_maturity` for the loan term asked, and with "
        "`economics` a money range (relief from royalty, Monte Carlo p10/p50/p90) and the "
        "collateral value under the kind's loan-to-value cap. `explain` adds the SHAP drivers. "
        "The valuation is stored and logged. Banks, clerks, and owners for their own assets.",
        request=REQUEST,
        response=VALUATION,
        links={"GetValuation": Link("getValuation", by_id("valuation_id"), "Read it again.")},
        rules=RULES,
        errors={
            404: {
                "type": "https://ipx.example/problems/not-found",
                "title": "No such record",
                "status": 404,
                "detail": "No asset with id 7.",
                "code": "not-found",
            }
        },
    ),
    "POST /valuations/batch": Operation(
        "valueBatch",
        "Value many patents in one call (up to `MAX_BATCH_ITEMS`, default 10,000), each item "
        "as in `POST /valuations`; the answers come in the order asked.",
        request={"items": [{"asset_id": 1}, {"asset_id": 2, "loan_term_months": 24}]},
        response={"items": [VALUATION]},
        rules={"items": "at most `MAX_BATCH_ITEMS` items; each item as in `POST /valuations`"},
    ),
    "GET /valuations/{valuation_id}": Operation(
        "getValuation",
        "A stored valuation, as it was answered (valuations are immutable). Clerks and "
        "auditors read any; a bank or an owner those its party asked for.",
        parameters={"valuation_id": 1},
        response=VALUATION,
    ),
    "GET /valuations/{valuation_id}/report.pdf": Operation(
        "getValuationReport",
        "The valuation report a bank files with the loan, as a PDF with its fonts embedded: the "
        "asset and its pledge registrations, the inputs and their sources, the score and grade, "
        "the survival curve (drawn, and as a table), the value range with its assumptions, the "
        "collateral cap, the drivers, the flags, the validity of the valuation's case (AUC, "
        "Brier, ECE per stage), the model version and card summary, the ledger entry and the "
        "signed checkpoint anchoring the valuation, and the model's limits in plain words. "
        "Figures are printed exactly as `GET /valuations/{valuation_id}` gives them. Simplified "
        "Chinese by default, English with `lang=en`. Readers as for the valuation.",
        parameters={"valuation_id": 1, "lang": "en"},
        response="%PDF-1.4 ... (the document's bytes)",
    ),
    "GET /models/current": Operation(
        "getCurrentModel",
        "The model card of the model serving valuations: what it is, its training data and "
        "digest, its held-out metrics, library versions, loan-to-value caps, and its limits "
        "in words (US university patents, modest discrimination, not a price). No key needed.",
        response={
            "version": "2026.11.0",
            "feature_names": ["claims", "backward_citations", "npl_citations", "family_size"],
            "feature_schema_hash": VALUATION["feature_schema_hash"],
            "training_data": {
                "file": "data/samples/us-university-renewals.csv",
                "rows": 10228,
                "sha256": "124f4ee5e34c72573db0b3e4e430b87d99560d99e28a2e5c5fd6da86b51bfde2",
            },
            "metrics": {"grouped_by_owner": {"1": {"lightgbm": {"auc": 0.6, "n": 10228}}}},
            "library_versions": {"lightgbm": "4.7.0", "scikit-learn": "1.9.1"},
            "ltv_caps": {"invention": "0.25", "utility_model": "0.15", "trademark": "0.30"},
            "model_card_markdown": "# IPX patent renewal model 2026.11.0\n\n## What it is\n...",
        },
    ),
}

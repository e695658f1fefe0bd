"""The model-risk reads: the back-test on realized prices and input-drift monitoring."""

from __future__ import annotations

from ipx.web.errors import PROBLEM_TYPE_BASE
from ipx.web.examples.entries import Operation

SALE = {
    "transaction_id": 1,
    "asset_id": 2,
    "asset_kind": "invention",
    "ipc_section": "H",
    "sale_date": "2026-11-20",
    "currency": "CNY",
    "price": "1200000.00",
    "valuation_id": 3,
    "basis": "cited",
    "p10": "493269.69",
    "p50": "904502.34",
    "p90": "1606286.53",
    "ratio": 1.3267,
    "inside": True,
}
GROUP = {
    "n": 1,
    "coverage": 1.0,
    "below_p10": 0.0,
    "above_p90": 0.0,
    "geometric_mean_ratio": 1.3267,
    "median_ratio": 1.3267,
    "enough": False,
}
BACKTEST = {
    "model_version": "2026.12.0",
    "nominal_coverage": 0.8,
    "min_sales": 30,
    "n": 1,
    "coverage": 1.0,
    "below_p10": 0.0,
    "above_p90": 0.0,
    "geometric_mean_ratio": 1.3267,
    "median_ratio": 1.3267,
    "ratio_quantiles": [{"q": q, "ratio": 1.3267} for q in (0.1, 0.25, 0.5, 0.75, 0.9)],
    "verdict": {
        "code": "too-few-sales",
        "message": "1 sale(s) judged; at least 30 are needed before coverage can be told apart "
        "from 80 % (until then the figures are shown, not judged)",
    },
    "by_asset_kind": [{"group": "invention", **GROUP}],
    "by_ipc_section": [{"group": "H", **GROUP}],
    "excluded": {"multi-asset-lot": 1},
    "items": [SALE],
}
MONITORING = {
    "model_version": "2026.12.0",
    "window": {
        "start": "2026-10-29T06:00:00Z",
        "end": "2026-11-28T06:00:00Z",
        "days": 30,
    },
    "valuations": 120,
    "modelled": 112,
    "out_of_range": {"count": 3, "share": 0.0268},
    "psi_threshold": 0.25,
    "empty_bin_share": 0.0001,
    "min_valuations": 100,
    "features": [
        {
            "feature": "claims",
            "n": 112,
            "psi": 0.3114,
            "judged": True,
            "flagged": True,
            "bins": [
                {"bin": "<=7", "training_share": 0.1153, "served_share": 0.0089},
                {"bin": "7-10", "training_share": 0.1197, "served_share": 0.2411},
                {"bin": ">36", "training_share": 0.0955, "served_share": 0.0268},
            ],
        },
        {
            "feature": "owner_history",
            "n": 112,
            "psi": 6.6012,
            "judged": True,
            "flagged": True,
            "bins": [
                {"bin": "seen", "training_share": 0.9493, "served_share": 0.0},
                {"bin": "unseen", "training_share": 0.0507, "served_share": 1.0},
            ],
        },
    ],
    "flagged_features": ["claims", "owner_history"],
    "verdict": {
        "code": "drift",
        "message": "PSI above 0.25 on claims, owner_history: the inputs served differ from the "
        "training data",
    },
}

TRAINING_DATA_MISSING = {
    "type": f"{PROBLEM_TYPE_BASE}service-unavailable",
    "title": "Service unavailable",
    "status": 503,
    "detail": "The training data of model 2026.12.0 is missing or differs from the SHA-256 its "
    "metadata records: input drift cannot be measured.",
    "code": "service-unavailable",
}

OPERATIONS: dict[str, Operation] = {
    "GET /models/current/backtest": Operation(
        "getModelBacktest",
        "Outcomes analysis of the model serving valuations: every realized disposal price of a "
        "single-asset lot (the transaction records) against the valuation its pledge cited, or "
        "else the latest valuation of the asset made before the sale. Coverage of the "
        "[p10, p90] range (near 80 % when calibrated), quantiles of price / p50, bias by asset "
        "kind and IPC section with counts, the sales left out and why, and a plain verdict "
        "(`too-few-sales` below `min_sales`). Clerks and auditors.",
        response=BACKTEST,
    ),
    "GET /models/current/monitoring": Operation(
        "getModelMonitoring",
        "Input drift of the valuations the current model served in the last `days` days "
        "(default 30): per feature, the population stability index of the inputs given against "
        "the model's training data (bins from the training deciles; imputed inputs left out), "
        "a PSI above 0.25 flagged only when the feature has at least `min_valuations` (100) "
        "values given (`judged`: on fewer the PSI is noise; with no feature judged the verdict "
        "is `too-few-valuations`); and the share of valuations flagged out of the training "
        "range. 503 when the model's training data is missing or altered. Clerks and auditors.",
        parameters={"days": 30},
        response=MONITORING,
        errors={503: TRAINING_DATA_MISSING},
    ),
}

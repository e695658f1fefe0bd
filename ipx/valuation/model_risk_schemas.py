"""Response schemas of the model-risk reads: the back-test and the input-drift monitoring."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ipx.web.fields import Timestamp

MONEY = {"description": "decimal string", "example": "1250000.00"}
SHARE = {"description": "a share between 0 and 1 (null without any sale)"}


class VerdictOut(Schema):
    code = fields.String(
        metadata={
            "enum": [
                "too-few-sales",
                "consistent",
                "ranges-too-narrow",
                "ranges-too-wide",
                "no-valuations",
                "too-few-valuations",
                "stable",
                "drift",
            ]
        }
    )
    message = fields.String()


class SalesSummaryOut(Schema):
    n = fields.Integer()
    coverage = fields.Float(
        allow_none=True, metadata={"description": "share of prices inside [p10, p90]"}
    )
    below_p10 = fields.Float(allow_none=True, metadata=SHARE)
    above_p90 = fields.Float(allow_none=True, metadata=SHARE)
    geometric_mean_ratio = fields.Float(
        allow_none=True, metadata={"description": "geometric mean of price / p50 (1: unbiased)"}
    )
    median_ratio = fields.Float(allow_none=True)


class SalesGroupOut(SalesSummaryOut):
    group = fields.String(metadata={"description": "the asset kind or the IPC section"})
    enough = fields.Boolean(metadata={"description": "at least `min_sales` sales"})


class RatioQuantileOut(Schema):
    q = fields.Float()
    ratio = fields.Float(allow_none=True)


class JudgedSaleOut(Schema):
    transaction_id = fields.Integer()
    asset_id = fields.Integer()
    asset_kind = fields.String()
    ipc_section = fields.String(allow_none=True)
    sale_date = fields.String(metadata={"format": "date"})
    currency = fields.String()
    price = fields.String(metadata=MONEY)
    valuation_id = fields.Integer()
    basis = fields.String(metadata={"enum": ["cited", "latest-before-sale"]})
    p10 = fields.String(metadata=MONEY)
    p50 = fields.String(metadata=MONEY)
    p90 = fields.String(metadata=MONEY)
    ratio = fields.Float(metadata={"description": "price / p50"})
    inside = fields.Boolean(metadata={"description": "p10 <= price <= p90"})


class BacktestOut(SalesSummaryOut):
    """Realized disposal prices against the valuations made before each sale."""

    model_version = fields.String()
    nominal_coverage = fields.Float()
    min_sales = fields.Integer()
    ratio_quantiles = fields.List(fields.Nested(RatioQuantileOut))
    verdict = fields.Nested(VerdictOut)
    by_asset_kind = fields.List(fields.Nested(SalesGroupOut))
    by_ipc_section = fields.List(fields.Nested(SalesGroupOut))
    excluded = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "sales left out, by reason: multi-asset-lot, "
            "valuation-after-disposal-opened (the asset's only valuations were made once the "
            "disposal was open, its reserve and bids visible), cited-valuation-of-other-model, "
            "no-valuation-before-sale, currency-differs, zero-median"
        },
    )
    items = fields.List(fields.Nested(JudgedSaleOut))


class MonitoringIn(Schema):
    days = fields.Integer(
        load_default=30,
        validate=validate.Range(min=1, max=3660),
        metadata={"description": "the window: valuations created in the last `days` days"},
    )


class WindowOut(Schema):
    start = Timestamp()
    end = Timestamp()
    days = fields.Integer()


class CountShareOut(Schema):
    count = fields.Integer()
    share = fields.Float(allow_none=True)


class DriftBinOut(Schema):
    bin = fields.String()
    training_share = fields.Float()
    served_share = fields.Float()


class FeatureDriftOut(Schema):
    feature = fields.String()
    n = fields.Integer(metadata={"description": "served values given (imputed ones left out)"})
    psi = fields.Float(allow_none=True)
    judged = fields.Boolean(
        metadata={
            "description": "`n` reaches `min_valuations`: only then may the feature be "
            "flagged (on fewer values the PSI is noise)"
        }
    )
    flagged = fields.Boolean(
        metadata={"description": "judged, and its PSI is above `psi_threshold`"}
    )
    bins = fields.List(fields.Nested(DriftBinOut))


class MonitoringOut(Schema):
    """Input drift of the valuations served in a window against the training data."""

    model_version = fields.String()
    window = fields.Nested(WindowOut)
    valuations = fields.Integer()
    modelled = fields.Integer()
    out_of_range = fields.Nested(
        CountShareOut,
        metadata={
            "description": "valuations flagged `out-of-distribution`; the share is of the "
            "`modelled` ones (the only ones the flag applies to)"
        },
    )
    psi_threshold = fields.Float()
    empty_bin_share = fields.Float()
    min_valuations = fields.Integer()
    features = fields.List(fields.Nested(FeatureDriftOut))
    flagged_features = fields.List(fields.String())
    verdict = fields.Nested(VerdictOut)

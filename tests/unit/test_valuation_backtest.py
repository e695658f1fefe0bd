"""The back-test's figures on hand-computed cases (no database)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ipx.valuation.backtest import (
    MIN_SALES,
    JudgedSale,
    RealizedSale,
    StoredRange,
    backtest,
    judge,
    quantile,
    verdict,
)

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _sale(i: int, price: str, kind: str = "invention", section: str | None = "H") -> JudgedSale:
    return JudgedSale(
        transaction_id=i,
        asset_id=100 + i,
        asset_kind=kind,
        ipc_section=section,
        price=Decimal(price),
        currency="CNY",
        sale_date=date(2026, 6, 1),
        valuation_id=200 + i,
        basis="cited",
        p10=Decimal("80.00"),
        p50=Decimal("100.00"),
        p90=Decimal("120.00"),
    )


#: Ten sales of one range [80, 120] around 100: 7 inside (both ends count), 2 below, 1 above.
PRICES = ("80", "90", "100", "110", "120", "130", "70", "60", "100", "105")


def test_ten_sales_with_known_ranges_give_the_hand_computed_figures():
    kinds = ["invention"] * 6 + ["trademark"] * 4
    sales = [_sale(i, p, kinds[i]) for i, p in enumerate(PRICES)]

    report = backtest(sales)

    assert report["n"] == 10
    assert report["coverage"] == 0.7
    assert (report["below_p10"], report["above_p90"]) == (0.2, 0.1)
    # ratios sorted: .6 .7 .8 .9 1 1 1.05 1.1 1.2 1.3; linear interpolation between them
    assert [q["ratio"] for q in report["ratio_quantiles"]] == [0.69, 0.825, 1.0, 1.0875, 1.21]
    product = 0.6 * 0.7 * 0.8 * 0.9 * 1.05 * 1.1 * 1.2 * 1.3
    assert report["geometric_mean_ratio"] == pytest.approx(product**0.1, abs=1e-4)
    assert report["verdict"]["code"] == "too-few-sales"
    assert str(MIN_SALES) in report["verdict"]["message"]
    invention, trademark = report["by_asset_kind"]
    # inventions: 80 90 100 110 120 inside, 130 above; trademarks: 70 60 below, 100 105 inside
    assert (invention["group"], invention["n"], invention["coverage"]) == ("invention", 6, 0.8333)
    assert (invention["above_p90"], invention["below_p10"]) == (0.1667, 0.0)
    assert (trademark["group"], trademark["n"], trademark["coverage"]) == ("trademark", 4, 0.5)
    assert trademark["median_ratio"] == pytest.approx((0.7 + 1.0) / 2)
    assert not invention["enough"] and not trademark["enough"]
    assert [i["inside"] for i in report["items"]] == [
        True, True, True, True, True, False, False, False, True, True
    ]  # fmt: skip


def test_sections_and_unknown_sections_are_their_own_groups():
    sales = [_sale(0, "100", section="H"), _sale(1, "50", section=None), _sale(2, "90")]
    groups = {g["group"]: g for g in backtest(sales)["by_ipc_section"]}
    assert groups["H"]["n"] == 2 and groups["H"]["coverage"] == 1.0
    assert groups["unknown"]["n"] == 1 and groups["unknown"]["below_p10"] == 1.0


@pytest.mark.parametrize(
    ("inside", "code"),
    [(60, "ranges-too-narrow"), (72, "ranges-too-narrow"), (73, "consistent"), (80, "consistent"),
     (87, "consistent"), (88, "ranges-too-wide"), (95, "ranges-too-wide")],
)  # fmt: skip
def test_verdict_compares_coverage_with_80_percent_at_two_standard_errors(inside, code):
    # 100 sales: 1.96 * sqrt(0.8 * 0.2 / 100) = 0.0784, so the band is 72.16 %-87.84 %
    assert verdict(100, inside / 100)["code"] == code


def test_too_few_sales_below_the_threshold_and_none_at_all():
    assert verdict(MIN_SALES - 1, 0.8)["code"] == "too-few-sales"
    assert verdict(MIN_SALES, 0.8)["code"] == "consistent"
    empty = backtest([])
    assert empty["n"] == 0 and empty["coverage"] is None
    assert empty["verdict"]["code"] == "too-few-sales"
    assert all(q["ratio"] is None for q in empty["ratio_quantiles"])


def test_quantile_is_linear_between_order_statistics():
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile([5.0], 0.9) == 5.0
    assert math.isclose(quantile([0.0, 10.0], 0.25), 2.5)


def _realized(i, asset_id, *, cited=None, lot=1, currency="CNY", at=T0, opened=None):
    return RealizedSale(
        transaction_id=i,
        asset_id=asset_id,
        asset_kind="invention",
        ipc="H01F 1/057",
        price=Decimal("100.00"),
        currency=currency,
        lot_size=lot,
        sale_date=at.date(),
        recorded_at=at,
        cited_valuation_id=cited,
        disposal_opened_at=at if opened is None else opened,
    )


def _range(valuation_id, asset_id, at, p50="100.00", currency="CNY"):
    return StoredRange(
        valuation_id, asset_id, at, currency, Decimal("50.00"), Decimal(p50), Decimal("150.00")
    )


def test_a_sale_is_judged_by_the_cited_valuation_else_the_latest_before_the_sale():
    day = timedelta(days=1)
    ranges = [
        _range(1, 10, T0 - 30 * day),  # cited by sale 1
        _range(2, 10, T0 - 2 * day),  # the latest before the sale
        _range(3, 10, T0 + day),  # after the sale: never used
        _range(4, 11, T0 + day),  # cited, but made after the sale
        _range(5, 11, T0 - 5 * day),
        _range(6, 12, T0 - day, currency="USD"),
    ]
    sales = [
        _realized(1, 10, cited=1),
        _realized(2, 10),
        _realized(3, 11, cited=4),
        _realized(4, 12),
        _realized(5, 13),
        _realized(6, 10, lot=2),
    ]

    judged, excluded = judge(sales, ranges, lambda ipc: ipc[0] if ipc else None)

    assert [(j.transaction_id, j.valuation_id, j.basis) for j in judged] == [
        (1, 1, "cited"),
        (2, 2, "latest-before-sale"),
        (3, 5, "latest-before-sale"),
    ]
    assert judged[0].ipc_section == "H"
    assert excluded == {
        "currency-differs": 1,
        "no-valuation-before-sale": 1,
        "multi-asset-lot": 1,
    }


def test_a_valuation_made_once_the_disposal_was_open_never_counts():
    """Between the opening (reserve and bids visible) and the close a valuation reads the
    sale rather than forecasting it: the one before the opening judges the sale, and a sale
    with only such valuations is left out under its own reason."""
    day = timedelta(days=1)
    opened = T0 - 10 * day
    ranges = [
        _range(1, 10, T0 - 20 * day),  # before the opening: the one the sale is judged by
        _range(2, 10, T0 - 3 * day),  # after the opening, before the close
        _range(3, 11, T0 - 3 * day),  # asset 11's only valuation: after the opening
    ]
    sales = [_realized(1, 10, opened=opened), _realized(2, 11, opened=opened)]

    judged, excluded = judge(sales, ranges, lambda ipc: ipc[0] if ipc else None)

    assert [(j.transaction_id, j.valuation_id, j.basis) for j in judged] == [
        (1, 1, "latest-before-sale")
    ]
    assert excluded == {"valuation-after-disposal-opened": 1}


def test_a_cited_valuation_of_another_model_version_has_its_own_reason():
    day = timedelta(days=1)
    ranges = [_range(5, 11, T0 - 5 * day)]  # this model's valuation of asset 11
    sales = [
        _realized(1, 10, cited=7),  # cited 7 (another model), nothing of this model: left out
        _realized(2, 11, cited=8),  # cited 8 (another model), but this model valued it too
        _realized(3, 12, cited=9),  # cited 9, unknown to both: no valuation before the sale
    ]

    judged, excluded = judge(sales, ranges, lambda ipc: None, other_model_valuations={7, 8})

    assert [(j.transaction_id, j.valuation_id, j.basis) for j in judged] == [
        (2, 5, "latest-before-sale")
    ]
    assert excluded == {"cited-valuation-of-other-model": 1, "no-valuation-before-sale": 1}

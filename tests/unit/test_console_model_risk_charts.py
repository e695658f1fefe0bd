"""The back-test picture's geometry, by hand: log scales over whole decades."""

from __future__ import annotations

from ipx.console import model_risk_charts as C


def _item(i, price, p10, p50, p90, inside):
    return {
        "transaction_id": i,
        "price": price,
        "p10": p10,
        "p50": p50,
        "p90": p90,
        "inside": inside,
    }


def test_a_sale_on_log_scales_by_hand():
    # every figure lies in 10^2..10^4: two decades over 472 units across and 336 up
    chart = C.backtest_chart([_item(1, "1000.00", "100.00", "1000.00", "10000.00", True)])
    assert chart is not None
    (mark,) = chart.marks
    assert (mark.x, mark.y_price) == (72 + 472 / 2, 352 - 336 / 2)
    assert (mark.y_p90, mark.y_p10) == (C.TOP, C.HEIGHT - C.BOTTOM)  # the bar spans the plot
    assert [t.value for t in chart.x_ticks] == [100.0, 1000.0, 10000.0]
    assert [t.at for t in chart.x_ticks] == [72.0, 308.0, 544.0]
    assert chart.diagonal == (72.0, 352.0, 544.0, 16.0)


def test_a_price_above_its_range_sits_above_its_bar_and_one_decade_at_least():
    chart = C.backtest_chart([_item(2, "300.00", "150.00", "200.00", "250.00", False)])
    assert chart is not None
    (mark,) = chart.marks
    assert C.decades([150.0, 300.0]) == (2, 3)
    assert mark.y_price < mark.y_p90 < mark.y_p10  # up is a smaller y
    assert not mark.inside
    assert C.backtest_chart([]) is None

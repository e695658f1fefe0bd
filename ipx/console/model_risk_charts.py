"""The back-test's picture as geometry for an inline SVG template: each realized price against
the valuation's p50, both on log scales, the valuation's [p10, p90] range as a vertical bar at
its p50 and the price as a dot on it; the diagonal is price = p50. A dot on its bar is a price
the range held. Drawn server-side like ``charts``: numbers computed and tested here, placed by
the template, with the same figures in a table beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ipx.console.charts import Tick

#: The drawing area (SVG user units), inside its margins.
WIDTH, HEIGHT = 560, 400
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 48


@dataclass(frozen=True)
class SaleMark:
    x: float  # at the valuation's p50
    y_price: float
    y_p10: float
    y_p90: float
    inside: bool
    transaction_id: int


@dataclass(frozen=True)
class BacktestChart:
    marks: list[SaleMark]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    diagonal: tuple[float, float, float, float]  # x1, y1, x2, y2 of price = p50


def decades(values: list[float]) -> tuple[int, int]:
    """The powers of ten around every value: (floor of the smallest, ceiling of the largest),
    at least one decade apart."""
    lo = math.floor(math.log10(min(values)))
    hi = math.ceil(math.log10(max(values)))
    return lo, max(hi, lo + 1)


def backtest_chart(items: list[dict]) -> BacktestChart | None:
    """The picture of the back-test's judged sales (None without any)."""
    if not items:
        return None
    money = [float(Decimal(i[k])) for i in items for k in ("price", "p10", "p50", "p90")]
    lo, hi = decades([m for m in money if m > 0] or [1.0])

    def position(value: float, start: float, length: float) -> float:
        clipped = min(max(math.log10(max(value, 10.0**lo)), lo), hi)
        return start + length * (clipped - lo) / (hi - lo)

    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(value: float) -> float:
        return round(position(value, LEFT, width), 1)

    def y(value: float) -> float:
        return round(HEIGHT - BOTTOM - (position(value, 0, height)), 1)

    marks = [
        SaleMark(
            x=x(float(i["p50"])),
            y_price=y(float(i["price"])),
            y_p10=y(float(i["p10"])),
            y_p90=y(float(i["p90"])),
            inside=bool(i["inside"]),
            transaction_id=int(i["transaction_id"]),
        )
        for i in items
    ]
    powers = [10.0**p for p in range(lo, hi + 1)]
    return BacktestChart(
        marks=marks,
        x_ticks=[Tick(x(v), "", v) for v in powers],  # money: the page writes it
        y_ticks=[Tick(y(v), "", v) for v in powers],
        diagonal=(x(powers[0]), y(powers[0]), x(powers[-1]), y(powers[-1])),
    )

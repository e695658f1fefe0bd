"""The support report's picture as geometry for an inline SVG template: the budget reserved by
approvals over time (a step line rising at each decision day) under the budget's line. Drawn
server-side like ``charts``; the same figures are in a table beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# The valuation charts' drawing area (the template reads these names from here), with more
# room on the left for a budget's amounts.
from ipx.console.charts import BOTTOM, HEIGHT, RIGHT, TOP, WIDTH, Tick, step_path

LEFT = 72
__all__ = ["BOTTOM", "HEIGHT", "LEFT", "RIGHT", "TOP", "WIDTH", "BudgetChart", "budget_chart"]


@dataclass(frozen=True)
class BudgetChart:
    path: str  # the reserved amount over time, an SVG step path
    budget_y: float  # the budget's line
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def budget_chart(points: list[dict], budget: str, start: date, end: date) -> BudgetChart:
    """The step line of ``[{date, reserved}]`` from zero at ``start`` to ``end``."""
    total = Decimal(budget) or Decimal(1)
    last = max([end, *(p["date"] for p in points)])
    span = max((last - start).days, 1)

    def x(day: date) -> float:
        offset = min(max((day - start).days, 0), span)
        return LEFT + (WIDTH - LEFT - RIGHT) * offset / span

    def y(amount: Decimal) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * float(1 - min(amount / total, Decimal(1)))

    steps = [(x(point["date"]), y(Decimal(point["reserved"]))) for point in points]
    path = step_path((x(start), y(Decimal(0))), steps, x(last))
    months = [date(start.year, m, 1) for m in range(1, 13) if date(start.year, m, 1) >= start]
    x_ticks = [Tick(x(day), f"{day.month}") for day in months if day <= last]
    y_ticks = [Tick(y(total * q / 4), f"{q * 25}%") for q in range(5)]
    return BudgetChart(path, y(total), x_ticks, y_ticks)

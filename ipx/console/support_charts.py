"""The support report's picture as geometry for an inline SVG template: the budget reserved by
approvals over time (a step line rising at each decision day) under the budget's line. Drawn
server-side like ``charts``; the same figures are in a table beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 40


@dataclass(frozen=True)
class Tick:
    at: float
    text: str


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

    path = [f"M{x(start):.1f},{y(Decimal(0)):.1f}"]
    for point in points:
        path.append(f"H{x(point['date']):.1f}")
        path.append(f"V{y(Decimal(point['reserved'])):.1f}")
    path.append(f"H{x(last):.1f}")
    months = [date(start.year, m, 1) for m in range(1, 13) if date(start.year, m, 1) >= start]
    x_ticks = [Tick(x(day), f"{day.month}") for day in months if day <= last]
    y_ticks = [Tick(y(total * q / 4), f"{q * 25}%") for q in range(5)]
    return BudgetChart(" ".join(path), y(total), x_ticks, y_ticks)

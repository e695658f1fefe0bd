"""The valuation page's three pictures, as geometry for small inline SVG templates.

Drawn server-side, with no script and nothing fetched: the survival curve (a step curve of
the probability in force against years after grant, the loan's maturity marked), the value
range (p10, p50, p90 on one axis) and the drivers (a bar per feature, to the right when it
raises the outlook, to the left when it lowers it). Three plain shapes need no plotting
library: a few coordinates each, computed here and tested as numbers; the templates only
place them. Every picture has its table beside it, the same numbers as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

#: The drawing area of every chart (SVG user units), inside its margins.
WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


@dataclass(frozen=True)
class Tick:
    at: float  # position along its axis, in SVG units
    text: str
    value: float = 0.0  # the number it marks (money ticks are written by the page)


@dataclass(frozen=True)
class SurvivalChart:
    path: str  # the step curve, an SVG path
    points: list[tuple[float, float, str]]  # (x, y, "year: p") of each renewal stage
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    maturity_x: float | None
    maturity_years: float | None


def _x(value: float, top: float) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (value / top if top else 0)


def _y(p: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - p)


def step_path(start: tuple[float, float], steps: list[tuple[float, float]], end_x: float) -> str:
    """An SVG step path from ``start``: across to each step's x, then up or down to its y, and
    on across to ``end_x``."""
    path = [f"M{start[0]:.1f},{start[1]:.1f}"]
    for x, y in steps:
        path.append(f"H{x:.1f}")
        path.append(f"V{y:.1f}")
    path.append(f"H{end_x:.1f}")
    return " ".join(path)


def survival_chart(stages: list[dict], maturity_years: float | None) -> SurvivalChart:
    """The step curve of ``[{years_after_grant, p_in_force}]`` from (0, 1), and the maturity."""
    steps = [(float(s["years_after_grant"]), float(s["p_in_force"])) for s in stages]
    last = max([y for y, _p in steps] + [maturity_years or 0.0])
    top = float(int(last) + 2)
    path = step_path((_x(0, top), _y(1)), [(_x(y, top), _y(p)) for y, p in steps], _x(top, top))
    x_ticks = [Tick(_x(t, top), str(t)) for t in range(0, int(top) + 1, 2 if top > 10 else 1)]
    y_ticks = [Tick(_y(p / 4), f"{p * 25}%") for p in range(5)]
    maturity_x = _x(maturity_years, top) if maturity_years is not None else None
    points = [(_x(y, top), _y(p), f"{y:g}: {p:.0%}") for y, p in steps]
    return SurvivalChart(path, points, x_ticks, y_ticks, maturity_x, maturity_years)


def maturity_years_after_grant(request: dict) -> float | None:
    """When the loan matures, in years after the grant (None if either date is unknown)."""
    grant, as_of, months = (
        request.get("grant_date"),
        request.get("as_of"),
        request.get("loan_term_months"),
    )
    if not (grant and as_of and months):
        return None
    elapsed = (date.fromisoformat(as_of) - date.fromisoformat(grant)).days / 365.25
    return round(elapsed + months / 12, 2)


@dataclass(frozen=True)
class RangeChart:
    p10_x: float
    p50_x: float
    p90_x: float
    ticks: list[Tick]


def range_chart(value: dict) -> RangeChart:
    """p10 to p90 as a band on an axis from 0, p50 marked inside it."""
    p10, p50, p90 = (Decimal(value[k]) for k in ("p10", "p50", "p90"))
    top = float(_nice_ceiling(p90 * Decimal("1.1")))
    ticks = [Tick(_x(top * i / 4, top), "", top * i / 4) for i in range(5)]
    return RangeChart(_x(float(p10), top), _x(float(p50), top), _x(float(p90), top), ticks)


@dataclass(frozen=True)
class Bar:
    y: float
    x: float
    width: float
    feature: str
    contribution: float
    raises: bool


@dataclass(frozen=True)
class DriversChart:
    bars: list[Bar]
    zero_x: float
    height: float
    row: float


def drivers_chart(drivers: list[dict], *, row: float = 28) -> DriversChart:
    """One horizontal bar per driver around a zero line, longest first."""
    ordered = sorted(drivers, key=lambda d: abs(d["contribution"]), reverse=True)
    span = max([abs(d["contribution"]) for d in ordered] + [1e-9])
    label_width, half = 170, (WIDTH - 170 - RIGHT) / 2
    zero = label_width + half
    bars = []
    for i, driver in enumerate(ordered):
        length = half * abs(driver["contribution"]) / span
        raises = driver["contribution"] >= 0
        x = zero if raises else zero - length
        contribution = driver["contribution"]
        bars.append(
            Bar(TOP + i * row, x, max(length, 1.0), driver["feature"], contribution, raises)
        )
    return DriversChart(bars, zero, TOP * 2 + row * len(ordered), row)


def _nice_ceiling(value: Decimal) -> Decimal:
    """The next 1, 2 or 5 times a power of ten at or above ``value`` (an axis's end)."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if magnitude * step >= value:
            return magnitude * step
    return magnitude * 10

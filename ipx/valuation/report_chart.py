"""The survival curve of a valuation, drawn for the PDF report (reportlab's vector graphics).

The curve starts at grant (in force with certainty) and steps down at each renewal stage; the
table beside it in the report gives the same points as text.
"""

from __future__ import annotations

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

WIDTH, HEIGHT = 420, 190


def survival_drawing(survival: list[dict], font: str, x_label: str, y_label: str) -> Drawing:
    """A step curve of P(in force) against years after grant, from the valuation's
    ``survival`` list (``years_after_grant`` as decimal strings, ``p_in_force``)."""
    points = [(0.0, 1.0)]
    for stage in survival:
        years, p = float(stage["years_after_grant"]), float(stage["p_in_force"])
        points += [(years, points[-1][1]), (years, p)]  # kept until the fee falls due
    points.append((points[-1][0] + 2.0, points[-1][1]))
    drawing = Drawing(WIDTH, HEIGHT)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 50, 35, WIDTH - 70, HEIGHT - 55
    plot.data = [points]
    plot.lines[0].strokeColor = colors.HexColor("#1f4e79")
    plot.lines[0].strokeWidth = 1.6
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, points[-1][0]
    plot.xValueAxis.valueSteps = [0, *(float(s["years_after_grant"]) for s in survival)]
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, 1
    plot.yValueAxis.valueSteps = [0, 0.25, 0.5, 0.75, 1.0]
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize = font, 8
    plot.yValueAxis.labelTextFormat = "%.2f"
    plot.xValueAxis.labelTextFormat = "%g"
    drawing.add(plot)
    drawing.add(String(50 + plot.width / 2, 5, x_label, fontName=font, fontSize=8))
    drawing.add(String(4, HEIGHT - 12, y_label, fontName=font, fontSize=8))
    return drawing

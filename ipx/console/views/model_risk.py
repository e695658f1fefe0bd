"""The model's back-test and input-drift monitoring for clerks and auditors: the figures of
``GET /api/v1/models/current/backtest`` and ``/monitoring``, with a picture and tables."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ipx.console import model_risk_charts, reads
from ipx.console.session import login_required
from ipx.valuation import backtest_reads, monitoring_reads, serving
from ipx.valuation.routes import REALIZED_SALES

READERS = backtest_reads.MODEL_RISK_READERS  # as the API's
#: The windows the monitoring page offers (days); any other ``?days=`` reads as the default.
WINDOWS = (7, 30, 90, 365)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/model/backtest", view_func=model_backtest)
    blp.add_url_rule("/model/monitoring", view_func=model_monitoring)


@login_required(*READERS)
def model_backtest():
    """Realized prices against the valuations made before each sale: coverage, bias, picture."""
    report = reads.read(
        backtest_reads.read_backtest,
        current_app.extensions[REALIZED_SALES],
        serving.valuer(current_app).version,
    )
    picture = model_risk_charts.backtest_chart(report["items"])
    return render_template(
        "console/model_backtest.html", report=report, picture=picture, chart=model_risk_charts
    )


@login_required(*READERS)
def model_monitoring():
    """The PSI of each input of the valuations served in the window against the training data."""
    days = request.args.get("days", type=int)
    days = days if days in WINDOWS else monitoring_reads.DEFAULT_WINDOW_DAYS
    report = reads.read(monitoring_reads.read_monitoring, serving.valuer(current_app), days)
    return render_template("console/model_monitoring.html", report=report, windows=WINDOWS)

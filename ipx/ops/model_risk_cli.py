"""``ipx backtest`` and ``ipx monitor``: the model-risk figures from the command line, the same
as ``GET /api/v1/models/current/backtest`` and ``/monitoring`` (read with the operator's
authority: the command runs on the instance itself)."""

from __future__ import annotations

import json
from datetime import date, datetime

import click

from ipx.china_time import utc_text


def _json(report: dict) -> str:
    def iso(value):
        if isinstance(value, datetime):  # (a datetime is a date: first)
            return utc_text(value)
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    return json.dumps(report, default=iso, ensure_ascii=False, indent=2)


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


@click.command("backtest")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
def backtest(as_json: bool) -> None:
    """Valuations against realized prices: [p10, p90] coverage, price / p50, bias by group."""
    from ipx.ops.store import open_store
    from ipx.registry.disposal.realized_sales import realized_sales
    from ipx.valuation.backtest_reads import backtest_report
    from ipx.valuation.predictor import Valuer

    with open_store() as (config, _engine, sessions), sessions() as session:
        version = Valuer.load(config.get("MODEL_DIR")).version
        report = backtest_report(session, realized_sales, version)
    if as_json:
        click.echo(_json(report))
        return
    click.echo(f"model {report['model_version']}: {report['n']} sale(s) judged")
    click.echo(
        f"coverage of [p10, p90]: {_percent(report['coverage'])} (nominal 80 %); "
        f"below p10 {_percent(report['below_p10'])}, above p90 {_percent(report['above_p90'])}"
    )
    quantiles = ", ".join(
        f"q{int(q['q'] * 100)} {_number(q['ratio'])}" for q in report["ratio_quantiles"]
    )
    click.echo(f"price / p50: {quantiles}")
    for title, key in (("asset kind", "by_asset_kind"), ("IPC section", "by_ipc_section")):
        click.echo(f"\nby {title}:\n{'group':<16}{'n':>6}{'coverage':>10}{'geo-mean ratio':>16}")
        for g in report[key]:
            click.echo(
                f"{g['group']:<16}{g['n']:>6}{_percent(g['coverage']):>10}"
                f"{_number(g['geometric_mean_ratio']):>16}"
            )
    if report["excluded"]:
        left = ", ".join(f"{k} {v}" for k, v in report["excluded"].items())
        click.echo(f"\nleft out: {left}")
    click.echo(f"\nverdict: {report['verdict']['code']}: {report['verdict']['message']}")


@click.command("monitor")
@click.option("--days", type=click.IntRange(1, 3660), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
def monitor(days: int, as_json: bool) -> None:
    """Input drift: PSI of each feature of the valuations served in the last DAYS days."""
    from ipx.ops.store import open_store
    from ipx.uow import utcnow
    from ipx.valuation.monitoring_reads import monitoring_report
    from ipx.valuation.predictor import Valuer

    with open_store() as (config, _engine, sessions), sessions() as session:
        valuer = Valuer.load(config.get("MODEL_DIR"))
        report = monitoring_report(session, valuer, now=utcnow(), days=days)
    if as_json:
        click.echo(_json(report))
        return
    click.echo(
        f"model {report['model_version']}, last {days} day(s): {report['valuations']} "
        f"valuation(s), {report['modelled']} modelled; out of the training range: "
        f"{report['out_of_range']['count']} ({_percent(report['out_of_range']['share'])})"
    )
    click.echo(f"\n{'feature':<20}{'n':>6}{'PSI':>10}  flag (PSI > {report['psi_threshold']})")
    for f in report["features"]:
        flag = "FLAGGED" if f["flagged"] else ""
        if not f["judged"]:
            flag = f"not judged (fewer than {report['min_valuations']} values)"
        click.echo(f"{f['feature']:<20}{f['n']:>6}{_number(f['psi']):>10}  {flag}")
    click.echo(f"\nverdict: {report['verdict']['code']}: {report['verdict']['message']}")

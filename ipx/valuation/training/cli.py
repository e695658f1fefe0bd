"""`ipx train` and `ipx evaluate`: the `ipx` group registers them lazily (see `ipx.cli`)."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import click

from ipx.valuation import artifact as A
from ipx.valuation import features as F
from ipx.valuation.sample import load_sample, stage_rows_and_labels
from ipx.valuation.stages import STAGES, cumulative
from ipx.valuation.training.artifact_writer import build_metadata, write_artifact
from ipx.valuation.training.card_template import CARD_TEMPLATE
from ipx.valuation.training.evaluation import metrics, validation_report
from ipx.valuation.training.fitting import fit_survival
from ipx.valuation.training.model_card import metrics_table, render_card, verdict

DEFAULT_DATA = (
    Path(__file__).resolve().parents[3] / "data" / "samples" / "us-university-renewals.csv"
)
DEFAULT_VERSION = "2026.11.0"


@click.command("train")
@click.option("--data", type=click.Path(exists=True, dir_okay=False), default=str(DEFAULT_DATA))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default models/<version>).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--version", "model_version", default=DEFAULT_VERSION, show_default=True)
@click.option("--skip-validation", is_flag=True, help="Fit only (tests); metrics left empty.")
def train(data: str, out: str | None, seed: int, model_version: str, skip_validation: bool) -> None:
    """Validate, then fit the shipped model on all rows and write models/<version>/."""
    started = time.perf_counter()
    sample = load_sample(data)
    report = {} if skip_validation else validation_report(sample, seed)
    model = fit_survival(sample, seed)
    meta = build_metadata(model, sample, report, model_version, seed)
    target = write_artifact(
        model, meta, out or A.MODELS_ROOT / model_version, render_card(meta, CARD_TEMPLATE)
    )
    if report:
        click.echo(metrics_table(report))
        click.echo(verdict(report))
    click.echo(f"wrote {target} in {time.perf_counter() - started:.1f}s")


def score_file(artifact: A.Artifact, data: str) -> tuple[dict, list[list]]:
    """Metrics per stage and per-row cumulative survival of `artifact` on a CSV."""
    sample = load_sample(data)
    x = F.scoring_matrix(sample, artifact.model.history)
    conditional = artifact.model.conditional(x)
    survival = cumulative(conditional)
    result = {
        "model_version": artifact.version,
        "data_sha256": sample.sha256,
        "rows": len(sample),
        "is_training_data": sample.sha256 == artifact.metadata["training_data"]["sha256"],
        "stages": {},
    }
    for k in STAGES:
        rows, y = stage_rows_and_labels(sample, k)
        if len(rows) and 0 < y.sum() < len(y):
            result["stages"][str(k)] = metrics(y.astype(float), conditional[rows, k - 1])
    table = [[i, *(f"{p:.6f}" for p in c)] for i, c in zip(sample.ids, survival, strict=True)]
    return result, table


@click.command("evaluate")
@click.option("--model-dir", type=click.Path(file_okay=False), default=None)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Score the model on this CSV (the sample's format) instead of reprinting.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--predictions",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write id,p_stage1,p_stage2,p_stage3 (cumulative) to this CSV.",
)
def evaluate(
    model_dir: str | None, data: str | None, as_json: bool, predictions: str | None
) -> None:
    """Reprint the stored validation report, or score the shipped model on --data."""
    artifact = A.load_artifact(model_dir)
    if data is None:
        report = artifact.metadata["metrics"]
        click.echo(
            json.dumps(report, indent=2)
            if as_json
            else f"model {artifact.version}\n{metrics_table(report)}\n{verdict(report)}"
        )
        return
    result, table = score_file(artifact, data)
    if predictions:
        with open(predictions, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "p_stage1", "p_stage2", "p_stage3"])
            writer.writerows(table)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"model {artifact.version} on {data} ({result['rows']} rows)")
    if result["is_training_data"]:
        click.echo("WARNING: these are the training rows; this is not validation.")
    click.echo("| stage | n | base rate | AUC | Brier | log loss | ECE |")
    click.echo("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for k, m in result["stages"].items():
        click.echo(
            f"| {k} | {m['n']} | {m['base_rate']:.3f} | {m['auc']:.3f} | {m['brier']:.4f} "
            f"| {m['log_loss']:.4f} | {m['ece']:.4f} |"
        )

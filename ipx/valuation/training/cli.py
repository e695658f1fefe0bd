"""`ipx train` and `ipx evaluate`: the `ipx` group registers them lazily (see `ipx.cli`)."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import click

from ipx.valuation import artifact as A
from ipx.valuation import features as F
from ipx.valuation.sample import (
    count_medians,
    fill_missing_counts,
    join_samples,
    load_sample,
    stage_rows_and_labels,
)
from ipx.valuation.stages import STAGES, cumulative, owner_seen
from ipx.valuation.training.artifact_writer import build_metadata, write_artifact
from ipx.valuation.training.card_template import CARD_TEMPLATE
from ipx.valuation.training.evaluation import metrics
from ipx.valuation.training.fitting import fit_survival
from ipx.valuation.training.model_card import printed_report, render_card
from ipx.valuation.training.registry_training import observed_outcomes, registry_validation
from ipx.valuation.training.report import (
    OWNER_HISTORY,
    UNSEEN_OWNER,
    served_approach,
    validation_report,
)

DEFAULT_DATA = (
    Path(__file__).resolve().parents[3] / "data" / "samples" / "us-university-renewals.csv"
)
DEFAULT_VERSION = "2026.12.0"


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
@click.option(
    "--unseen-owner-model",
    type=click.Choice(["validated", "lightgbm", "logistic"]),
    default="validated",
    show_default=True,
    help="What serves owners absent from the reference data: the validation's choice per "
    "stage, or one approach at every stage.",
)
@click.option(
    "--with-registry-outcomes",
    "registry_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Add the rows of `ipx outcomes export`, if they validate at least as well as the "
    "bundled model on the registry's held-out rows.",
)
@click.option(
    "--min-registry-outcomes",
    type=int,
    default=200,
    show_default=True,
    help="Registry rows with an observed outcome needed before they are used.",
)
@click.option(
    "--bundled-model",
    type=click.Path(file_okay=False),
    default=None,
    help="The model to compare with (default: the one serving, IPX_MODEL_DIR or the newest).",
)
def train(
    data: str,
    out: str | None,
    seed: int,
    model_version: str,
    skip_validation: bool,
    unseen_owner_model: str,
    registry_file: str | None,
    min_registry_outcomes: int,
    bundled_model: str | None,
) -> None:
    """Validate, then fit the shipped model on all rows and write models/<version>/."""
    started = time.perf_counter()
    sample = load_sample(data)
    report = {} if skip_validation else validation_report(sample, seed)
    if unseen_owner_model != "validated":
        report["served"] = {
            OWNER_HISTORY: dict.fromkeys(map(str, STAGES), "lightgbm"),
            UNSEEN_OWNER: dict.fromkeys(map(str, STAGES), unseen_owner_model),
        }
    logistic = [k for k in STAGES if served_approach(report, UNSEEN_OWNER, k) == "logistic"]
    if registry_file:
        sample = _with_registry(
            sample, registry_file, min_registry_outcomes, bundled_model, logistic, report, seed
        )
    model = fit_survival(sample, seed, logistic)
    meta = build_metadata(model, sample, report, model_version, seed)
    target = write_artifact(
        model, meta, out or A.MODELS_ROOT / model_version, render_card(meta, CARD_TEMPLATE)
    )
    if report.get("unseen_owners"):
        click.echo(printed_report(report))
    click.echo(f"wrote {target} in {time.perf_counter() - started:.1f}s")


def _with_registry(sample, path, minimum, bundled_dir, logistic, report, seed):
    """The US sample joined with the registry's rows, or exit 1 saying why not."""
    # A count the registry lacks is imputed with the US sample's median, as serving does.
    registry = fill_missing_counts(load_sample(path), count_medians(sample))
    observed = observed_outcomes(registry)
    if observed < minimum:
        raise click.ClickException(
            f"{path}: {observed} registry rows with an observed outcome; at least {minimum} "
            "are needed (--min-registry-outcomes): no model written"
        )
    bundled = A.load_artifact(bundled_dir)
    check = registry_validation(sample, registry, bundled, tuple(logistic), seed)
    report["registry_outcomes"] = {
        "file_sha256": registry.sha256,
        "rows": len(registry),
        "observed": observed,
        "bundled_model": bundled.version,
        **check,
    }
    if not check["may_ship"]:
        raise click.ClickException(
            "the candidate is worse than the bundled model "
            f"{bundled.version} on the registry's held-out rows: "
            + "; ".join(check["worse"])
            + ". No model written."
        )
    return join_samples(sample, registry)


def score_file(artifact: A.Artifact, data: str) -> tuple[dict, list[list]]:
    """Metrics per stage and per-row cumulative survival of `artifact` on a CSV."""
    sample = fill_missing_counts(load_sample(data), artifact.metadata["imputation_defaults"])
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
    seen = owner_seen(x)
    result["cases"] = {OWNER_HISTORY: {"stages": {}}, UNSEEN_OWNER: {"stages": {}}}
    for k in STAGES:
        rows, y = stage_rows_and_labels(sample, k)
        if len(rows) and 0 < y.sum() < len(y):
            result["stages"][str(k)] = metrics(y.astype(float), conditional[rows, k - 1])
        for case, mask in ((OWNER_HISTORY, seen[rows]), (UNSEEN_OWNER, ~seen[rows])):
            yc = y[mask]
            result["cases"][case]["rows"] = int((seen if case == OWNER_HISTORY else ~seen).sum())
            if 0 < yc.sum() < len(yc):
                p = conditional[rows[mask], k - 1]
                result["cases"][case]["stages"][str(k)] = metrics(yc.astype(float), p)
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
            else f"model {artifact.version}\n{printed_report(report)}"
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
    click.echo("| rows | stage | n | base rate | AUC | Brier | log loss | ECE |")
    click.echo("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    parts = [
        ("owner absent from the reference data", result["cases"][UNSEEN_OWNER]["stages"]),
        ("owner in the reference data", result["cases"][OWNER_HISTORY]["stages"]),
        ("all", result["stages"]),
    ]
    for title, stages in parts:
        for k, m in stages.items():
            click.echo(
                f"| {title} | {k} | {m['n']} | {m['base_rate']:.3f} | {m['auc']:.3f} "
                f"| {m['brier']:.4f} | {m['log_loss']:.4f} | {m['ece']:.4f} |"
            )

"""`ipx train --with-registry-outcomes`: used only when there are enough outcomes, validated on
the registry's own held-out rows against the bundled model, refused when worse there, and
byte-identical for the same data and seed."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from ipx.valuation.artifact import load_artifact
from ipx.valuation.registry_outcomes import COLUMNS, RegisteredOutcome, training_row
from ipx.valuation.training.cli import train
from tests.valuation_samples import MODEL, ROOT

DATA = ROOT / "data" / "samples" / "us-university-renewals.csv"
pytestmark = pytest.mark.slow  # several small trainings


def _us_subsample(path, every: int = 8) -> None:
    lines = DATA.read_text().splitlines(keepends=True)
    path.write_text("".join([lines[0], *lines[1::every]]))


def _registry(path, kept_when_few_claims_until: date, n: int = 600) -> None:
    """Stage-1 outcomes only: before the date a patent is kept when it has few claims (what
    the bundled model does not believe), from the date on when it has many."""
    rows = []
    for i in range(n):
        grant = date(2012, 1, 1) + timedelta(days=(i * 2557) // n)  # 2012-2018, in order
        claims = 1 + (i * 7) % 30
        few = claims < 10
        kept = few if grant < kept_when_few_claims_until else not few
        months = 50 if kept else 30  # stage 1 falls 42 months after grant
        outcome = RegisteredOutcome(
            row_id=f"registry-{i}",
            owner_digest=f"registry-owner {i % 40:064x}",
            filing_date=grant - timedelta(days=900),
            grant_date=grant,
            fees_paid_until=grant + timedelta(days=months * 30),
            ended=not kept,
            features={
                "claims": claims,
                "backward_citations": 8,
                "npl_citations": 3,
                "family_size": 2,
                "inventors": 4,
                "similar_docs": 6,
            },
            ipc_section="C",
        )
        rows.append(training_row(outcome))
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)


def _train(tmp_path, registry, out, *extra):
    data = tmp_path / "us.csv"
    if not data.exists():
        _us_subsample(data)
    args = ["--data", str(data), "--out", str(out), "--skip-validation"]
    args += ["--with-registry-outcomes", str(registry), "--bundled-model", str(MODEL), *extra]
    return CliRunner().invoke(train, args)


def test_consistent_registry_outcomes_are_learnt_reproducibly(tmp_path):
    registry = tmp_path / "registry.csv"
    _registry(registry, kept_when_few_claims_until=date(2100, 1, 1))  # always: few claims kept
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        result = _train(tmp_path, registry, out)
        assert result.exit_code == 0, result.output
    for name in ("model_stage1.txt", "model_stage2.txt", "model_stage3.txt", "metadata.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    check = load_artifact(a).metadata["metrics"]["registry_outcomes"]
    assert check["may_ship"] and check["observed"] == 600 and check["bundled_model"]
    for design in ("out_of_time", "grouped_by_owner"):
        figures = check["designs"][design]["1"]
        assert figures["candidate"]["brier"] <= figures["bundled"]["brier"]
    # The registry's owners now have history: their digests are in the model's reference data.
    assert "registry owner " + f"{0:064x}" in load_artifact(a).metadata["owner_history"]["counts"]


def test_a_candidate_worse_on_the_registrys_held_out_rows_is_refused(tmp_path):
    registry = tmp_path / "registry.csv"
    # Earlier grants contradict the later ones, which are the out-of-time held-out fifth.
    _registry(registry, kept_when_few_claims_until=date(2016, 6, 1))
    result = _train(tmp_path, registry, tmp_path / "refused")
    assert result.exit_code != 0
    assert "worse than the bundled model" in result.output and "out_of_time" in result.output
    assert not (tmp_path / "refused").exists()


def test_too_few_registry_outcomes_are_not_used(tmp_path):
    registry = tmp_path / "registry.csv"
    _registry(registry, kept_when_few_claims_until=date(2100, 1, 1), n=50)
    result = _train(tmp_path, registry, tmp_path / "few", "--min-registry-outcomes", "200")
    assert result.exit_code != 0 and "50 registry rows" in result.output
    assert not (tmp_path / "few").exists()

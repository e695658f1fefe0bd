"""Training reproducibility, the train/evaluate commands, and the artifact round trip."""

import csv
import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from ipx.valuation.artifact import default_model_dir, load_artifact
from ipx.valuation.training.cli import evaluate, train

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "samples" / "us-university-renewals.csv"


def _subsample(path: Path, every: int = 4) -> None:
    lines = DATA.read_text().splitlines(keepends=True)
    path.write_text("".join([lines[0], *lines[1::every]]))


def test_training_is_byte_identical_for_the_same_seed(tmp_path):
    data = tmp_path / "small.csv"
    _subsample(data)
    runner = CliRunner()
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        out = tmp_path / name
        result = runner.invoke(
            train,
            [
                *("--data", str(data), "--out", str(out), "--seed", str(seed)),
                *("--skip-validation", "--unseen-owner-model", "logistic"),
            ],
        )
        assert result.exit_code == 0, result.output
    for name in (*(f"model_stage{k}.txt" for k in (1, 2, 3)), "logistic_unseen_owner_stage1.json"):
        a, b, c = ((tmp_path / n / name).read_bytes() for n in "abc")
        assert a == b
        assert a != c  # the seed matters (bagging, folds), so the equality above is meaningful
    assert (tmp_path / "a" / "metadata.json").read_bytes() == (
        tmp_path / "b" / "metadata.json"
    ).read_bytes()
    loaded = load_artifact(tmp_path / "a")
    assert not list((tmp_path / "a").glob("*.pkl"))
    assert loaded.model.stages[3].booster.num_trees() > 0
    assert sorted(loaded.model.unseen_owner) == [1, 2, 3]
    # No validation report: no separation is supported, so every case has one grade.
    assert all(len(c["grade_bands"]) == 1 for c in loaded.metadata["validity"].values())


def test_the_stored_logistic_regression_predicts_as_scikit_learn_fits_it():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ipx.valuation import features as F
    from ipx.valuation.sample import load_sample
    from ipx.valuation.stages import LogisticStage, log1p_features
    from ipx.valuation.training.fitting import logistic_stage

    sample = load_sample(DATA)
    x = F.training_matrix(sample)
    y = (sample.payments >= 1).astype(int)
    stored = LogisticStage.from_json(json.loads(json.dumps(logistic_stage(x, y, 1).to_json())))
    reference = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    reference.fit(log1p_features(x), y)
    np.testing.assert_allclose(
        stored.predict(x), reference.predict_proba(log1p_features(x))[:, 1], rtol=1e-12
    )


def test_default_model_dir_is_the_newest_version(tmp_path):
    for name in ("2026.2.0", "2026.10.0", "2026.9.3"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metadata.json").write_text("{}")
    assert default_model_dir(root=tmp_path).name == "2026.10.0"
    assert default_model_dir("x/y", root=tmp_path) == Path("x/y")


def test_evaluate_reprints_the_stored_report_leading_with_unseen_owners():
    result = CliRunner().invoke(evaluate, [])
    assert result.exit_code == 0, result.output
    assert "Out of time" in result.output and "logistic" in result.output
    lines = result.output.splitlines()
    assert lines[1].startswith("Headline: owners the model has never seen")
    assert "unseen owners" in lines[3] and "with history" in lines[3]
    report = json.loads(CliRunner().invoke(evaluate, ["--json"]).output)
    assert set(report) >= {
        "unseen_owners",
        "with_history",
        "out_of_time",
        "grouped_by_owner",
        "lightgbm_beats_logistic",
        "lightgbm_beats_logistic_unseen_owners",
        "served",
        "grade_bands",
    }
    for stage, wins in report["lightgbm_beats_logistic_unseen_owners"].items():
        unseen = report["unseen_owners"][stage]
        assert wins is (
            unseen["lightgbm"]["auc"] > unseen["logistic"]["auc"]
            and unseen["lightgbm"]["brier"] < unseen["logistic"]["brier"]
        )
        assert report["served"]["unseen-owner"][stage] == ("lightgbm" if wins else "logistic")


def test_evaluate_scores_a_csv_and_writes_cumulative_predictions(tmp_path):
    data, out = tmp_path / "other.csv", tmp_path / "pred.csv"
    _subsample(data, every=10)
    result = CliRunner().invoke(
        evaluate, ["--data", str(data), "--json", "--predictions", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["stages"]) == {"1", "2", "3"} and not report["is_training_data"]
    cases = report["cases"]
    assert cases["owner-history"]["rows"] + cases["unseen-owner"]["rows"] == report["rows"]
    assert 0.5 < report["stages"]["1"]["auc"] < 1
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert len(rows) == report["rows"] and list(rows[0]) == [
        "id",
        "p_stage1",
        "p_stage2",
        "p_stage3",
    ]
    p = np.array([[float(r[f"p_stage{k}"]) for k in (1, 2, 3)] for r in rows])
    assert (np.diff(p, axis=1) <= 0).all() and ((p > 0) & (p < 1)).all()  # cumulative


def test_evaluate_warns_on_training_rows():
    result = CliRunner().invoke(evaluate, ["--data", str(DATA)])
    assert result.exit_code == 0 and "not validation" in result.output


def test_shipped_card_is_the_rendered_metadata_and_states_the_ece_target():
    from ipx.valuation.training.card_template import CARD_TEMPLATE
    from ipx.valuation.training.model_card import ECE_TARGET, ece_verdict, render_card

    artifact = load_artifact()
    card = (artifact.path / "MODEL_CARD.md").read_text()
    assert render_card(artifact.metadata, CARD_TEMPLATE) == card
    oot = artifact.metadata["metrics"]["out_of_time"]
    for stage, split in oot.items():
        word = "meets" if split["lightgbm"]["ece"] <= ECE_TARGET else "does NOT meet"
        assert f"Stage {stage}: out-of-time ECE {split['lightgbm']['ece']:.4f} {word}" in card
    assert ece_verdict({}) == ""

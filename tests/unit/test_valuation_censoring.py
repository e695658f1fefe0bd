"""Censored stage-3 outcomes are excluded from stage 3, never counted as lapses."""

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from ipx.valuation import features as F
from ipx.valuation.sample import load_sample, stage3_observable, stage_rows_and_labels
from ipx.valuation.training.fitting import fit_stage

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "us-university-renewals.csv"


@pytest.fixture(scope="module")
def sample():
    return load_sample(SAMPLE)


def test_stage3_risk_set_has_no_censored_rows(sample):
    rows, y = stage_rows_and_labels(sample, 3)
    observable = stage3_observable(sample)
    assert observable[rows].all()
    assert all(sample.grant_dates[i] <= date(2005, 5, 31) for i in rows)
    # Every observable patent that paid the second fee is in the set: nothing else dropped.
    assert len(rows) == int(((sample.payments >= 2) & observable).sum())
    assert y.mean() > 0.5  # counting 2006-2007 grants as lapses would pull this to ~0.2


def test_late_2005_is_censored_despite_the_source_flag(sample):
    late = [
        i for i, d in enumerate(sample.grant_dates) if date(2005, 9, 1) <= d <= date(2005, 12, 31)
    ]
    assert sample.source_stage3_flag[late].all()  # the source claims these are observable
    assert not stage3_observable(sample)[late].any()


def test_stage3_model_ignores_censored_outcomes(sample):
    """Rewriting every censored row's last fee (unpaid -> paid) must not change stage 3 at all."""
    rng = np.random.default_rng(0)
    small = sample.subset(np.sort(rng.choice(len(sample), 3000, replace=False)))
    censored = (small.payments == 2) & ~stage3_observable(small)
    assert censored.sum() > 100
    rewritten = small.subset(np.arange(len(small)))
    object.__setattr__(rewritten, "payments", np.where(censored, 3, small.payments))

    def stage3_model(s):
        rows, y = stage_rows_and_labels(s, 3)
        return fit_stage(F.training_matrix(s)[rows], y, 3, seed=1)

    a, b = stage3_model(small), stage3_model(rewritten)
    assert a.booster.model_to_string() == b.booster.model_to_string()
    assert a.platt == b.platt

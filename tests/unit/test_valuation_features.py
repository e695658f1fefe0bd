"""Feature pipeline: schema, registry mapping, imputation and leakage-free owner history."""

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from ipx.valuation import features as F
from ipx.valuation.sample import load_sample

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "us-university-renewals.csv"


@pytest.fixture(scope="module")
def sample():
    return load_sample(SAMPLE)


def test_schema_hash_is_sha256_of_ordered_names_and_types(monkeypatch):
    first = F.feature_schema_hash()
    assert len(first) == 64 and first == F.feature_schema_hash()
    monkeypatch.setattr(F, "FEATURE_NAMES", tuple(reversed(F.FEATURE_NAMES)))
    monkeypatch.setattr(F, "FEATURE_TYPES", tuple(reversed(F.FEATURE_TYPES)))
    assert F.feature_schema_hash() != first


@pytest.mark.parametrize(
    ("ipc", "section"),
    [
        ("C22C 38/00", "C"),
        ("a61k31/00", "A"),
        ("H01L", "H"),
        ("", None),
        (None, None),
        ("9x", None),
    ],
)
def test_ipc_section(ipc, section):
    assert F.ipc_section(ipc) == section


def test_base_matrix_reads_the_csv_columns(sample):
    x = F.base_matrix(sample)
    first = x[0]  # US6699724B1: 25 claims, 47 backward, 44 NPL, family 32, 4 inventors, G
    assert first[F.INDEX["claims"]] == 25 and first[F.INDEX["backward_citations"]] == 47
    assert first[F.INDEX["npl_citations"]] == 44 and first[F.INDEX["family_size"]] == 32
    assert first[F.INDEX["inventors"]] == 4 and first[F.INDEX["similar_docs"]] == 0
    assert first[F.INDEX["grant_lag_days"]] == 1327
    assert (
        first[F.INDEX["ipc_G"]] == 1 and x[0, [F.INDEX[f"ipc_{s}"] for s in "ABCDEFH"]].sum() == 0
    )
    # Rows without any source IPC dummy are section A (the dummy the source dropped).
    assert (x[:, [F.INDEX[f"ipc_{s}"] for s in F.IPC_SECTIONS]].sum(axis=1) <= 1).all()


def test_owner_history_is_out_of_fold(sample):
    """Changing a row's own label must not change its own owner features."""
    owners = sample.assignees
    before = F.out_of_fold_owner_features(owners, sample.payments, seed=3)
    changed = sample.payments.copy()
    i = owners.index("The Regents Of The University Of California")
    changed[i] = 0 if changed[i] else 3
    after = F.out_of_fold_owner_features(owners, changed, seed=3)
    np.testing.assert_array_equal(before[i], after[i])
    assert not np.array_equal(before, after)  # other folds of the same owner do see it


def test_unknown_owner_gets_the_prior_and_no_history(sample):
    history = F.OwnerHistory.fit(sample.assignees, sample.payments)
    unknown = history.encode(["Zhejiang Rare Earth Co., Ltd."])[0]
    assert unknown.tolist() == [history.prior_s1, history.prior_s2, 0.0]
    known = history.encode(["the regents of the university of california"])[0]
    assert known[2] == sum(
        a == "The Regents Of The University Of California" for a in sample.assignees
    )
    assert F.OwnerHistory.from_json(history.to_json()) == history


def test_registry_vector_maps_and_imputes(sample):
    history = F.OwnerHistory.fit(sample.assignees, sample.payments)
    defaults = F.training_defaults(F.base_matrix(sample))
    row, imputed = F.registry_vector(
        {"claims": 12, "backward_citations": 3, "npl_citations": None, "inventors": 2},
        ipc="C22C 38/00",
        filing_date=date(2019, 1, 1),
        grant_date=date(2021, 1, 1),
        owner=None,
        defaults=defaults,
        history=history,
    )
    assert imputed == ["npl_citations", "family_size", "similar_docs", "owner_history"]
    assert row[F.INDEX["claims"]] == 12 and row[F.INDEX["grant_lag_days"]] == 731
    assert row[F.INDEX["npl_citations"]] == defaults["npl_citations"]
    assert row[F.INDEX["ipc_C"]] == 1 and row[F.INDEX["owner_history_n"]] == 0
    _, imputed = F.registry_vector(
        {},
        ipc=None,
        filing_date=None,
        grant_date=None,
        owner="x",
        defaults=defaults,
        history=history,
    )
    assert "ipc" in imputed and "grant_lag_days" in imputed and "owner_history" not in imputed


@pytest.mark.parametrize(
    "bad",
    [
        {"claims": -1},
        {"claims": "7"},
        {"claims": float("nan")},
        {"forward_citations": 3},
        {"claims": True},
    ],
)
def test_registry_vector_rejects_bad_features(sample, bad):
    history = F.OwnerHistory.fit(sample.assignees, sample.payments)
    with pytest.raises(ValueError):
        F.registry_vector(
            bad,
            ipc=None,
            filing_date=None,
            grant_date=None,
            owner=None,
            defaults=F.training_defaults(F.base_matrix(sample)),
            history=history,
        )

"""Vectorised batch valuation: the same answers as single valuations, row for row."""

import dataclasses
import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from ipx.rights import AssetKind
from ipx.valuation import feature_batch
from ipx.valuation import features as F
from ipx.valuation.feature_batch import registry_matrix
from ipx.valuation.model import Economics, ValuationRequest
from ipx.valuation.predictor import Valuer
from ipx.valuation.survival import log_survival, survival_points, survival_scalar
from tests.valuation_samples import BASE, FULL, MODEL

ECON = Economics(Decimal("20000000"))


@pytest.fixture(scope="module")
def valuer():
    return Valuer.load(MODEL)


def varied() -> list[ValuationRequest]:
    """Every branch of a valuation at least once, interleaved so row order matters."""
    r = dataclasses.replace
    return [
        BASE,
        r(BASE, explain=True, loan_term_months=36, economics=ECON),
        r(BASE, kind="trademark", expiry_date=date(2031, 1, 1), economics=Economics(Decimal(1e6))),
        r(BASE, features={"claims": 3}, ipc=None, owner="", loan_term_months=24, explain=True),
        r(BASE, kind=AssetKind.UTILITY_MODEL, loan_term_months=120, economics=ECON),
        r(BASE, features={**FULL, "claims": 5000, "npl_citations": 2.5}, explain=True),
        r(BASE, expiry_date=date(2028, 3, 1), loan_term_months=36, frozen=True),
        r(BASE, lapsed=True, loan_term_months=12, economics=Economics(Decimal("1e6"), 0.05)),
        r(BASE, grant_date=None, loan_term_months=600, economics=ECON, explain=True),
        r(BASE, kind="design", filing_date=date(2022, 1, 1), grant_date=None, economics=ECON),
        r(
            BASE,
            kind="copyright",
            filing_date=None,
            economics=ECON,
            loan_term_months=6,
            explain=True,
        ),
        r(BASE, filing_date=date(2000, 1, 31), grant_date=date(2003, 1, 31), loan_term_months=1),
        r(BASE, features=None, filing_date=None, grant_date=None, economics=ECON),
        r(BASE, owner="Massachusetts Institute of Technology", ipc="9x", loan_term_months=60),
        r(BASE, as_of=date(2040, 2, 29), loan_term_months=13, economics=ECON),
        r(BASE, features={**FULL, "claims": None}, ipc="h01l", explain=True, loan_term_months=84),
    ]


def test_batch_equals_singles_on_every_branch(valuer):
    reqs = varied()
    batch = valuer.value_batch(reqs)
    assert batch == [valuer.value(r) for r in reqs]
    assert valuer.value_batch(reqs[::-1]) == batch[::-1]
    codes = {f.code for result in batch for f in result.flags}
    assert codes >= {
        "imputed-features",
        "out-of-distribution",
        "model-not-applicable",
        "kind-extrapolated",
        "frozen",
        "lapsed",
        "expired",
        "not-granted",
        "term-shorter-than-loan",
        "survival-extrapolated",
        "value-not-computed",
        "assumed-royalty-rate",
    }
    assert sum(r.drivers is not None for r in batch) == 5  # the explained design gets none
    assert sum(r.p_in_force_at_maturity not in (None, 0.0) for r in batch) >= 4


def test_results_are_complete_frozen_dataclasses(valuer):
    for result in valuer.value_batch(varied()):
        assert dataclasses.replace(result) == result  # every field set, as __init__ would
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.score = 1.0


def test_batch_raises_the_first_invalid_requests_own_error(valuer):
    bad_count = dataclasses.replace(BASE, features={"claims": -1})
    bad_kind = dataclasses.replace(BASE, kind="ship")
    with pytest.raises(ValueError, match="claims must not be negative"):
        valuer.value_batch([BASE, bad_count, bad_kind])
    with pytest.raises(ValueError, match="'ship' is not a valid AssetKind"):
        valuer.value_batch([BASE, bad_kind, bad_count])
    with pytest.raises(ValueError, match="claims must be a finite number"):
        valuer.value_batch([BASE, dataclasses.replace(BASE, features={"claims": True})])
    assert valuer.value_batch([]) == []


def test_registry_matrix_equals_registry_vector_rows(valuer):
    model = valuer.artifact.model
    reqs = varied()
    columns = {
        "ipcs": [r.ipc for r in reqs],
        "filing_dates": [r.filing_date for r in reqs],
        "grant_dates": [r.grant_date for r in reqs],
        "owners": [r.owner for r in reqs],
    }
    x, mask = registry_matrix(
        [r.features for r in reqs], **columns, defaults=model.defaults, history=model.history
    )
    # The vectorised path itself, not its row-by-row fallback, handles these plain inputs.
    fast = feature_batch._matrix_fast(
        [r.features for r in reqs], *columns.values(), model.defaults, model.history
    )
    assert np.array_equal(fast[0], x) and np.array_equal(fast[1], mask)
    for i, r in enumerate(reqs):
        row, imputed = F.registry_vector(
            r.features,
            ipc=r.ipc,
            filing_date=r.filing_date,
            grant_date=r.grant_date,
            owner=r.owner,
            defaults=model.defaults,
            history=model.history,
        )
        assert x[i].tolist() == row
        assert [n for n, m in zip(F.IMPUTABLE, mask[i], strict=True) if m] == imputed


def test_vectorised_survival_points_equal_the_scalar_path_bit_for_bit():
    rng = np.random.default_rng(7)
    cumulative = np.cumprod(rng.uniform(0.3, 1.0, (400, 3)), axis=1)
    years = np.concatenate([[0.0, 3.5, 7.5, 11.5, -1.0], rng.uniform(0, 25, 395)])
    got = survival_points(log_survival(cumulative), years)
    want = [survival_scalar(c, t) for c, t in zip(cumulative, years.tolist(), strict=True)]
    assert got.tolist() == want and not any(math.isnan(v) for v in want)

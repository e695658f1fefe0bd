"""Input drift: the population stability index of each feature, served against training.

Pure computation over plain values and numpy arrays (`monitoring_reads` reads the stored
valuations and the training data). For each feature the training rows fix the bins:

- a count or the grant lag: the training deciles' distinct values are the upper edges of
  right-closed bins, (-inf, e1], (e1, e2], ..., (ek, +inf) (a count with many ties has fewer
  than ten bins);
- the IPC section: one bin per section; the owner: ``seen`` (in the reference data) or
  ``unseen``.

PSI = sum over bins of (served share - training share) x ln(served share / training share),
an empty bin counting as EMPTY_SHARE of its side so that one empty bin does not make the index
infinite. Above PSI_FLAG (0.25, the usual "significant shift") a feature is flagged, but only
when it has at least MIN_VALUATIONS (100) served values of its own: on a small sample the PSI
is noise (one bin left empty by chance adds about 0.69 at ten bins; with 100 values drawn from
the training distribution itself, about 0.5% of features pass 0.25). Below that the feature is
reported (its ``n`` and PSI) but not judged, and a window in which no feature has enough values
gets the verdict ``too-few-valuations`` (as the back-test's ``too-few-sales``). An input the
caller did not give (imputed with the training median) is left out of that feature's served
distribution: it says nothing about what is being valued.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ipx.valuation import features as F

PSI_FLAG = 0.25
EMPTY_SHARE = 1e-4
DECILES = tuple(i / 10 for i in range(1, 10))
#: A feature is judged (may be flagged) only with at least this many served values of its own:
#: below it the PSI is noise (false alarms at PSI_FLAG: about 0.5% at n = 100 with ten bins).
MIN_VALUATIONS = 100
NUMERIC_FEATURES = (*F.COUNT_FEATURES, "grant_lag_days")
CATEGORICAL_FEATURES = ("ipc_section", "owner_history")
NO_SECTION = "none"


@dataclass(frozen=True)
class FeatureBins:
    """A feature's bins and the training rows' share in each."""

    feature: str
    #: Numeric: upper edges of all bins but the last (right-closed). Categorical: empty.
    edges: tuple[float, ...]
    #: Categorical: the bins' values. Numeric: empty.
    categories: tuple[str, ...]
    reference: tuple[float, ...]

    @classmethod
    def numeric(cls, feature: str, training: np.ndarray) -> FeatureBins:
        edges = tuple(float(e) for e in np.unique(np.quantile(training, DECILES)))
        bins = cls(feature, edges, (), ())
        return cls(feature, edges, (), tuple(shares(bins.counts(training))))

    @classmethod
    def categorical(cls, feature: str, training: Sequence[str], categories) -> FeatureBins:
        bins = cls(feature, (), tuple(categories), ())
        return cls(feature, (), bins.categories, tuple(shares(bins.counts(training))))

    def counts(self, values) -> list[int]:
        """How many of ``values`` fall in each bin."""
        if self.categories:
            index = {c: i for i, c in enumerate(self.categories)}
            out = [0] * len(self.categories)
            for v in values:
                out[index[v]] += 1
            return out
        where = np.searchsorted(np.asarray(self.edges), np.asarray(values, float), side="left")
        return np.bincount(where, minlength=len(self.edges) + 1).tolist()

    def labels(self) -> list[str]:
        """A name per bin: the category, or the interval (``<=3``, ``3-5``, ``>12``)."""
        if self.categories:
            return list(self.categories)
        e = [f"{x:g}" for x in self.edges]
        if not e:
            return ["all"]
        return [f"<={e[0]}", *(f"{a}-{b}" for a, b in zip(e, e[1:], strict=False)), f">{e[-1]}"]


def shares(counts: Sequence[int]) -> list[float]:
    """Counts as shares of their total (all zeros when there is nothing)."""
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def psi(expected: Sequence[float], actual: Sequence[float], floor: float = EMPTY_SHARE) -> float:
    """Population stability index of ``actual`` shares against ``expected`` shares."""
    if len(expected) != len(actual):
        raise ValueError("expected and actual need the same bins")
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, floor), max(a, floor)
        total += (a - e) * math.log(a / e)
    return total


def categorical_columns(x: np.ndarray) -> dict[str, list[str]]:
    """The IPC section and the owner (seen or unseen) of feature rows ``x``."""
    sections = x[:, [F.INDEX[f"ipc_{s}"] for s in F.IPC_SECTIONS]]
    has = sections.max(axis=1) > 0 if len(x) else np.zeros(0, bool)
    section = [
        F.IPC_SECTIONS[int(i)] if h else NO_SECTION
        for i, h in zip(sections.argmax(axis=1).tolist(), has.tolist(), strict=True)
    ]
    owner = ["seen" if n > 0 else "unseen" for n in x[:, F.INDEX["owner_history_n"]].tolist()]
    return {"ipc_section": section, "owner_history": owner}


def reference_bins(x: np.ndarray) -> list[FeatureBins]:
    """Every monitored feature's bins and training shares, from the training feature rows."""
    out = [FeatureBins.numeric(n, x[:, F.INDEX[n]]) for n in NUMERIC_FEATURES]
    columns = categorical_columns(x)
    out.append(
        FeatureBins.categorical(
            "ipc_section", columns["ipc_section"], (*F.IPC_SECTIONS, NO_SECTION)
        )
    )
    out.append(
        FeatureBins.categorical("owner_history", columns["owner_history"], ("seen", "unseen"))
    )
    return out


def feature_drift(bins: FeatureBins, served) -> dict:
    """One feature's PSI and bins for the served values (None without any)."""
    counts = bins.counts(served)
    n = sum(counts)
    served_shares = shares(counts)
    value = round(psi(bins.reference, served_shares), 4) if n else None
    judged = n >= MIN_VALUATIONS
    return {
        "feature": bins.feature,
        "n": n,
        "psi": value,
        "judged": judged,
        "flagged": judged and value is not None and value > PSI_FLAG,
        "bins": [
            {"bin": label, "training_share": round(e, 4), "served_share": round(a, 4)}
            for label, e, a in zip(bins.labels(), bins.reference, served_shares, strict=True)
        ],
    }


def drift_verdict(modelled: int, flagged: Sequence[str], too_few: Sequence[str] = ()) -> dict:
    """The window's verdict in plain words: ``flagged`` features (judged, PSI above the flag),
    ``too_few`` the ones with fewer than MIN_VALUATIONS values (not judged)."""
    if not modelled:
        return {"code": "no-valuations", "message": "no modelled valuation in the window"}
    unjudged = (
        f"; not judged, with fewer than {MIN_VALUATIONS} values: {', '.join(too_few)}"
        if too_few
        else ""
    )
    if flagged:
        return {
            "code": "drift",
            "message": f"PSI above {PSI_FLAG} on {', '.join(flagged)}: the inputs served differ "
            f"from the training data{unjudged}",
        }
    if len(too_few) == len(NUMERIC_FEATURES) + len(CATEGORICAL_FEATURES):
        return {
            "code": "too-few-valuations",
            "message": f"no input has {MIN_VALUATIONS} served values ({modelled} modelled "
            "valuation(s)): on so few the PSI is noise, nothing is judged",
        }
    return {"code": "stable", "message": f"no feature has a PSI above {PSI_FLAG}{unjudged}"}

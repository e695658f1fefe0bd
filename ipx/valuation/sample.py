"""Read the renewal sample (data/samples/us-university-renewals.csv) into numpy arrays.

Only the standard library and numpy: the service must not need pandas.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

# Read from here too (the training code does).
from ipx.valuation.sample_columns import COUNT_COLUMNS as COUNT_COLUMNS
from ipx.valuation.sample_columns import IPC_DUMMIES as IPC_DUMMIES

#: The 11.5-year fee of grants after this date had not resolved when the data was gathered,
#: although the source flag marks all of 2005 observable (see data/samples/README.md).
STAGE3_LAST_OBSERVABLE_GRANT = date(2005, 5, 31)


@dataclass(frozen=True)
class RenewalSample:
    """Columns of the sample, one entry per patent (row order of the file)."""

    ids: list[str]
    assignees: list[str]
    grant_dates: list[date]
    filing_dates: list[date]
    counts: dict[str, np.ndarray]  # registry feature name -> float array
    ipc_sections: list[str]  # "A".."H" or "NA"
    payments: np.ndarray  # fees paid, 0..3 (int)
    source_stage3_flag: np.ndarray  # label_paid_all3_observable as given (bool)
    sha256: str
    #: Stages with a known outcome per row, when the table says (the registry's export);
    #: None for the US sample, where stages 1-2 are always known and stage 3 by the cut-off.
    observed_stages: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def grant_years(self) -> np.ndarray:
        """Grant year per row (int array)."""
        return np.array([d.year for d in self.grant_dates])

    def subset(self, index: np.ndarray) -> RenewalSample:
        """Rows at `index` (integer positions), same digest (it names the source file)."""
        idx = [int(i) for i in index]
        return RenewalSample(
            ids=[self.ids[i] for i in idx],
            assignees=[self.assignees[i] for i in idx],
            grant_dates=[self.grant_dates[i] for i in idx],
            filing_dates=[self.filing_dates[i] for i in idx],
            counts={k: v[idx] for k, v in self.counts.items()},
            ipc_sections=[self.ipc_sections[i] for i in idx],
            payments=self.payments[idx],
            source_stage3_flag=self.source_stage3_flag[idx],
            sha256=self.sha256,
            observed_stages=None if self.observed_stages is None else self.observed_stages[idx],
        )

    def observed(self) -> np.ndarray:
        """Stages with a known outcome per row (0-3)."""
        if self.observed_stages is not None:
            return self.observed_stages
        return np.where(stage3_observable(self), 3, 2)


def _section(row: dict[str, str]) -> str:
    hits = [s for s in IPC_DUMMIES if row.get(s, "0").strip() == "1"]
    return hits[0] if hits else "A"


def load_sample(path: str | Path) -> RenewalSample:
    """Parse a CSV in the sample's format; payments above 3 are read as 3."""
    raw = Path(path).read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    if not rows:
        raise ValueError(f"{path}: no rows")
    return RenewalSample(
        ids=[r["id"] for r in rows],
        assignees=[r.get("assignee", "") or "" for r in rows],
        grant_dates=[date.fromisoformat(r["grant date"]) for r in rows],
        filing_dates=[date.fromisoformat(r["filing/creation date"]) for r in rows],
        counts={
            name: np.array([_count_cell(r[col]) for r in rows])
            for name, col in COUNT_COLUMNS.items()
        },
        ipc_sections=[_section(r) for r in rows],
        payments=np.minimum(np.array([int(r["payment_times"]) for r in rows]), 3),
        source_stage3_flag=np.array(
            [r.get("label_paid_all3_observable", "0").strip() == "1" for r in rows]
        ),
        sha256=hashlib.sha256(raw).hexdigest(),
        observed_stages=np.array([int(r["observed_stages"]) for r in rows])
        if "observed_stages" in rows[0]
        else None,
    )


def _count_cell(text: str) -> float:
    """A count of the table; an empty cell (the registry's record lacks it) is NaN."""
    return float(text) if text.strip() else math.nan


def count_medians(sample: RenewalSample) -> dict[str, float]:
    """Median of each count over the rows that have it (what serving imputes with, for a
    model trained on `sample`)."""
    return {name: float(np.nanmedian(values)) for name, values in sample.counts.items()}


def fill_missing_counts(sample: RenewalSample, medians: dict[str, float]) -> RenewalSample:
    """`sample` with every missing count replaced by `medians` (the training medians, as
    serving imputes a count the registry lacks), so its rows train and score like a valuation."""
    counts = {
        name: np.where(np.isnan(values), medians[name], values)
        for name, values in sample.counts.items()
    }
    return dataclasses.replace(sample, counts=counts)


def join_samples(first: RenewalSample, second: RenewalSample) -> RenewalSample:
    """Rows of `first` then `second`; the digest names both files."""
    observed = (
        None
        if first.observed_stages is None and second.observed_stages is None
        else np.concatenate([first.observed(), second.observed()])
    )
    return RenewalSample(
        ids=first.ids + second.ids,
        assignees=first.assignees + second.assignees,
        grant_dates=first.grant_dates + second.grant_dates,
        filing_dates=first.filing_dates + second.filing_dates,
        counts={k: np.concatenate([v, second.counts[k]]) for k, v in first.counts.items()},
        ipc_sections=first.ipc_sections + second.ipc_sections,
        payments=np.concatenate([first.payments, second.payments]),
        source_stage3_flag=np.concatenate([first.source_stage3_flag, second.source_stage3_flag]),
        sha256=hashlib.sha256(f"{first.sha256}+{second.sha256}".encode()).hexdigest(),
        observed_stages=observed,
    )


def stage3_observable(sample: RenewalSample) -> np.ndarray:
    """Rows whose 11.5-year fee outcome is known: source flag AND granted by the cut-off."""
    early = np.array([d <= STAGE3_LAST_OBSERVABLE_GRANT for d in sample.grant_dates])
    return sample.source_stage3_flag & early


def stage_rows_and_labels(sample: RenewalSample, stage: int) -> tuple[np.ndarray, np.ndarray]:
    """Risk set and label of a stage of the discrete-time survival model.

    Stage k's rows are the patents kept through stage k-1 whose stage-k outcome is observed
    (`observed`); the label is 1 when the stage-k fee was paid. Censored rows are not in the
    risk set at all, so they can never count as lapses.
    """
    paid = sample.payments
    known = sample.observed()
    if stage == 1:
        rows = known >= 1
    elif stage == 2:
        rows = (paid >= 1) & (known >= 2)
    elif stage == 3:
        rows = (paid >= 2) & (known >= 3)
    else:
        raise ValueError(f"stage must be 1, 2 or 3, not {stage}")
    index = np.flatnonzero(rows)
    return index, (paid[index] >= stage).astype(np.int8)

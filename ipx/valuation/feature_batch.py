"""`features.registry_vector` over a whole batch, column by column (the serving batch path).

Same rows, same imputed names and same errors as calling `registry_vector` on each request:
anything the vectorised path does not handle plainly (a bad value, an unusual type) sends the
whole batch through `registry_vector` row by row, which raises the first row's own error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from itertools import chain
from operator import itemgetter

import numpy as np

from ipx.valuation.features import (
    COUNT_FEATURES,
    FEATURE_NAMES,
    IMPUTABLE,
    INDEX,
    OwnerHistory,
    ipc_section,
    registry_vector,
)

_FAST_COUNT_TYPES = frozenset({int, float, type(None)})
_FAST_DATE_TYPES = frozenset({date, type(None)})
_COUNT_SET = frozenset(COUNT_FEATURES)
_COUNT_COLUMNS = [INDEX[n] for n in COUNT_FEATURES]
_COUNTS_OF = itemgetter(*COUNT_FEATURES)


def registry_matrix(
    features: Sequence[Mapping[str, object] | None],
    *,
    ipcs: Sequence[str | None],
    filing_dates: Sequence[date | None],
    grant_dates: Sequence[date | None],
    owners: Sequence[str | None],
    defaults: Mapping[str, float | str],
    history: OwnerHistory,
) -> tuple[np.ndarray, np.ndarray]:
    """The (n, features) matrix and an (n, len(IMPUTABLE)) mask of the imputed inputs."""
    args = (features, ipcs, filing_dates, grant_dates, owners, defaults, history)
    try:
        return _matrix_fast(*args)
    except Exception:  # noqa: BLE001 - the row-by-row path is authoritative: it raises or agrees
        return _matrix_rows(*args)


def _matrix_rows(features, ipcs, filing_dates, grant_dates, owners, defaults, history):
    x = np.empty((len(features), len(FEATURE_NAMES)))
    mask = np.zeros((len(features), len(IMPUTABLE)), dtype=bool)
    for i, row in enumerate(zip(features, ipcs, filing_dates, grant_dates, owners, strict=True)):
        x[i], imputed = registry_vector(
            row[0],
            ipc=row[1],
            filing_date=row[2],
            grant_date=row[3],
            owner=row[4],
            defaults=defaults,
            history=history,
        )
        mask[i] = [name in imputed for name in IMPUTABLE]
    return x, mask


class _NotPlain(Exception):
    """An input the vectorised path leaves to `registry_vector`."""


def _matrix_fast(features, ipcs, filing_dates, grant_dates, owners, defaults, history):
    n = len(features)
    feats = [f or {} for f in features]
    if not all(f.keys() <= _COUNT_SET for f in feats):
        raise _NotPlain
    try:  # every count named (None allowed): one C-level lookup per request
        given = list(map(_COUNTS_OF, feats))
        values = np.array(given, dtype=float).reshape(n, len(COUNT_FEATURES))  # None -> NaN
    except KeyError:  # some counts absent: one column at a time
        given = [[f.get(name) for f in feats] for name in COUNT_FEATURES]
        values = np.array(given, dtype=float).T.reshape(n, len(COUNT_FEATURES))
    types = set(map(type, chain.from_iterable(given)))
    if not types <= _FAST_COUNT_TYPES:
        raise _NotPlain
    if float in types and any(v != v for v in chain.from_iterable(given) if type(v) is float):
        raise _NotPlain  # a NaN given must not pass for a missing count
    missing = np.isnan(values)
    if np.isinf(values).any() or (values < 0).any():
        raise _NotPlain  # registry_vector names the row and the count
    x = np.zeros((n, len(FEATURE_NAMES)))
    mask = np.zeros((n, len(IMPUTABLE)), dtype=bool)
    x[:, _COUNT_COLUMNS] = np.where(missing, [defaults[name] for name in COUNT_FEATURES], values)
    mask[:, : len(COUNT_FEATURES)] = missing
    x[:, INDEX["grant_lag_days"]], mask[:, len(COUNT_FEATURES)] = _grant_lags(
        filing_dates, grant_dates, float(defaults["grant_lag_days"])
    )
    sections = {ipc: ipc_section(ipc) for ipc in set(ipcs)}
    found = [sections[ipc] for ipc in ipcs]
    mask[:, -2] = [s is None for s in found]
    default_column = INDEX[f"ipc_{defaults['ipc_section']}"]
    columns = [default_column if s is None else INDEX[f"ipc_{s}"] for s in found]
    x[np.arange(n), columns] = 1.0
    encoded = {owner: history.encode_one(owner) for owner in set(owners)}
    x[:, -3:] = [encoded[owner] for owner in owners]
    mask[:, -1] = [not owner for owner in owners]
    return x, mask


def _grant_lags(filing_dates, grant_dates, default: float) -> tuple[np.ndarray, np.ndarray]:
    if not set(map(type, filing_dates)) | set(map(type, grant_dates)) <= _FAST_DATE_TYPES:
        raise _NotPlain
    filed = np.array([d.toordinal() if d else 0 for d in filing_dates], dtype=float)
    granted = np.array([d.toordinal() if d else 0 for d in grant_dates], dtype=float)
    missing = (filed == 0) | (granted == 0)
    lags = np.where(missing, default, granted - filed)
    if (lags < 0).any():
        raise _NotPlain
    return lags, missing

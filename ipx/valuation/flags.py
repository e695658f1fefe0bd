"""Flags of a batch of valuations, built per flag code over the whole batch.

Each row's flags keep the order a single valuation gives them: inputs (imputed, out of
distribution), status (kind, frozen, lapsed, expired, not granted), loan maturity; the income
approach appends its own flags afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ipx.rights import AssetKind
from ipx.valuation import features as F
from ipx.valuation.batch import Batch, Maturity
from ipx.valuation.model import Flag

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

_KIND_EXTRAPOLATED = Flag("kind-extrapolated", "trained on inventions; applied to a utility model")
_FROZEN = Flag("frozen", "the asset is frozen by a court; it cannot be pledged (R05)")
_LAPSED = Flag("lapsed", "the right is lapsed or invalidated: nothing to lend against")
_NOT_GRANTED = Flag("not-granted", "no grant date: survival counted from the valuation date")
_EXTRAPOLATED = Flag(
    "survival-extrapolated", "beyond 11.5 years after grant the last stage's lapse rate is assumed"
)


def _not_applicable(kind: AssetKind) -> Flag:
    return Flag(
        "model-not-applicable",
        f"the patent renewal model does not cover a {kind}: "
        "no score, grade or survival; any value is the unweighted income approach",
    )


def batch_flags(b: Batch, ranges, maturity: Maturity) -> list[list[Flag]]:
    """Per row, the flags known before the income approach runs (a fresh list per row)."""
    flags: list[list[Flag]] = [[] for _ in b.kinds]

    def add(mask: ArrayLike, make) -> None:
        for i in np.flatnonzero(mask).tolist():
            flags[i].append(make(i))

    imputed = b.imputed & b.modelled[:, None]
    codes = (imputed @ (1 << np.arange(imputed.shape[1]))).tolist()
    by_code = {c: _imputed_flag(c) for c in set(codes) if c}
    add(imputed.any(axis=1), lambda i: by_code[codes[i]])
    outside = _outside(b, ranges)
    add(outside.any(axis=1), lambda i: _outside_flag(b.x[i], outside[i], ranges))
    not_applicable = {k: _not_applicable(k) for k in set(b.kinds)}
    add(~b.modelled, lambda i: not_applicable[b.kinds[i]])
    add([k is AssetKind.UTILITY_MODEL for k in b.kinds], lambda i: _KIND_EXTRAPOLATED)
    add(b.frozen, lambda i: _FROZEN)
    add(b.lapsed, lambda i: _LAPSED)
    # The expiry is the last day in force (as the registry's R02 reads it): expired after it.
    expired = (b.expiry_days != 0) & (b.expiry_days < b.as_of_days)
    add(expired, lambda i: Flag("expired", f"protection ended {b.expiry[i]}"))
    add(b.modelled & ~b.granted, lambda i: _NOT_GRANTED)
    add(
        maturity.term_shorter,
        lambda i: Flag(
            "term-shorter-than-loan",
            f"protection ends {b.expiry[i]}, loan matures {maturity.dates[i]}",
        ),
    )
    add(maturity.extrapolated, lambda i: _EXTRAPOLATED)
    return flags


def _imputed_flag(code: int) -> Flag:
    names = ", ".join(n for j, n in enumerate(F.IMPUTABLE) if code >> j & 1)
    return Flag("imputed-features", "imputed with training medians: " + names)


def _outside(b: Batch, ranges) -> np.ndarray:
    """(n, len(ranges)) True where a given (not imputed) input is outside the training range."""
    block = b.x[:, [i for _, i, _, _ in ranges]]
    lo = np.array([lo for _, _, lo, _ in ranges])
    hi = np.array([hi for _, _, _, hi in ranges])
    given = ~b.imputed[:, [F.IMPUTABLE.index(n) for n, _, _, _ in ranges]]
    return b.modelled[:, None] & given & ((block < lo) | (block > hi))


def _outside_flag(row: np.ndarray, outside: np.ndarray, ranges) -> Flag:
    text = "; ".join(
        f"{n}={row[i]:g} (trained on {lo:g}-{hi:g})"
        for (n, i, lo, hi), out in zip(ranges, outside.tolist(), strict=True)
        if out
    )
    return Flag("out-of-distribution", "outside the training range: " + text)

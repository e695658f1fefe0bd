"""Grade bands a case's validation supports.

Start from the nine standard bands on the 0-100 score (`model.GRADES`) and the held-out rows of
the case placed on that scale. While two neighbouring bands are not separated by what their
rows did next (the share kept in force through stage 2, the last stage observed for every
row), merge the least separated pair. Separated means the better band's share is higher by at
least `Z` standard errors (two-proportion z statistic). A merged band takes the name of its
member nearest the middle of the scale (BBB, then BB), so merging only ever pulls a grade toward
the middle: a case with little separation gets few, middling grades and never claims AAA or C.
"""

from __future__ import annotations

import math

import numpy as np

from ipx.valuation.model import GRADES

#: Two-sided 95 %: neighbouring grades must differ in observed outcome at this z or merge.
Z = 1.96
#: The middle of the scale, in GRADES positions (best first): the score 50, where BBB (index 3)
#: meets BB (index 4); a tie goes to BBB.
_MIDDLE = [name for name, _ in GRADES].index("BBB") + 0.5


def _z(lower: tuple[int, int], upper: tuple[int, int]) -> float:
    """z statistic of 'upper band kept more often than lower band' (n, kept) each."""
    (n1, k1), (n2, k2) = lower, upper
    if n1 == 0 or n2 == 0:
        return -math.inf
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    diff = k2 / n2 - k1 / n1
    if se == 0:
        return math.inf if diff > 0 else -math.inf
    return diff / se


def draw_bands(scores: np.ndarray, kept: np.ndarray, z: float = Z) -> list[dict]:
    """Merged bands, best first: grade, min_score, the held-out n and share kept."""
    floors = [floor for _, floor in reversed(GRADES)]  # worst first
    members = [[len(GRADES) - 1 - i] for i in range(len(GRADES))]  # indices into GRADES
    which = np.searchsorted(floors, scores, side="right") - 1
    stats = [(int((which == i).sum()), int(kept[which == i].sum())) for i in range(len(floors))]
    while len(stats) > 1:
        zs = [_z(stats[i], stats[i + 1]) for i in range(len(stats) - 1)]
        i = int(np.argmin(zs))
        if zs[i] >= z:
            break
        stats[i : i + 2] = [(stats[i][0] + stats[i + 1][0], stats[i][1] + stats[i + 1][1])]
        members[i : i + 2] = [members[i] + members[i + 1]]
        floors[i : i + 2] = [floors[i]]
    bands = [
        {
            "grade": GRADES[min(m, key=lambda g: (abs(g - _MIDDLE), g))][0],
            "min_score": float(floor),
            "n": n,
            "kept_through_stage2": (k / n) if n else None,
        }
        for m, floor, (n, k) in zip(members, floors, stats, strict=True)
    ]
    return bands[::-1]

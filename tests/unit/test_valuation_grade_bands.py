"""Grade bands: neighbouring grades survive only where held-out outcomes separate them."""

import numpy as np

from ipx.valuation.model import GRADES
from ipx.valuation.training.grade_bands import draw_bands
from ipx.valuation.validity import GradeBand, ValidityTable

FLOORS = [floor for _, floor in GRADES]  # best first: 90, 80, ..., 0


def _rows(rates: list[float], n: int) -> tuple[np.ndarray, np.ndarray]:
    """n rows in each standard band (worst first), a share `rate` of them kept."""
    scores, kept = [], []
    for floor, rate in zip(FLOORS[::-1], rates, strict=True):
        scores += [floor + 0.5] * n
        kept += [1] * round(rate * n) + [0] * (n - round(rate * n))
    return np.array(scores), np.array(kept)


def test_bands_without_separation_collapse_into_one_middling_grade():
    bands = draw_bands(*_rows([0.6] * 9, 200))
    assert [b["grade"] for b in bands] == ["BBB"]
    assert bands[0]["min_score"] == 0 and bands[0]["n"] == 1800


def test_well_separated_bands_keep_the_full_scale():
    bands = draw_bands(*_rows([0.1 * i + 0.05 for i in range(9)], 1000))  # z about 4.5 each
    assert [b["grade"] for b in bands] == [name for name, _ in GRADES]
    assert [b["min_score"] for b in bands] == FLOORS


def test_two_separated_halves_give_two_grades_named_toward_the_middle():
    # Below 50 (C..BB) 30 % kept, from 50 (BBB..AAA) 70 % kept.
    bands = draw_bands(*_rows([0.3] * 5 + [0.7] * 4, 200))
    assert [(b["grade"], b["min_score"], b["n"]) for b in bands] == [
        ("BBB", 50, 800),
        ("BB", 0, 1000),
    ]
    assert bands[0]["kept_through_stage2"] == 0.7 and bands[1]["kept_through_stage2"] == 0.3


def test_a_grade_that_reverses_the_order_is_merged():
    # AAA did worse than AA: merged (67.5 % kept), that band is then not separated from A
    # (65 %, z 1.4) and merges again; the band of A, AA and AAA is named A.
    rates = [0.1 * i + 0.05 for i in range(8)] + [0.6]
    bands = draw_bands(*_rows(rates, 1000))
    assert [(b["grade"], b["min_score"], b["n"]) for b in bands][:2] == [
        ("A", 65, 3000),
        ("BBB", 50, 1000),
    ]
    assert len(bands) == 7


def test_empty_bands_are_merged_into_a_neighbour():
    scores, kept = _rows([0.1 * i + 0.05 for i in range(9)], 1000)
    keep = ~((scores > 90) | (scores < 5))  # nothing scored in AAA or C
    names = [b["grade"] for b in draw_bands(scores[keep], kept[keep])]
    assert "AAA" not in names and "C" not in names and "AA" in names and "CC" in names


def test_an_extrapolated_kind_gets_the_coarsest_validated_bands():
    fine = [{"grade": n, "min_score": f, "n": 1, "kept_through_stage2": 0.5} for n, f in GRADES]
    coarse = [{"grade": "BBB", "min_score": 0.0, "n": 9, "kept_through_stage2": 0.5}]
    table = ValidityTable(
        {
            "owner-history": {"design": "d", "stages": [], "grade_bands": fine},
            "unseen-owner": {"design": "d", "stages": [], "grade_bands": coarse},
        }
    )
    extrapolated = table.of("extrapolated", True, [])
    assert extrapolated.case == "kind-extrapolated"
    assert extrapolated.of_case.grade_bands == (GradeBand("BBB", 0.0, 9, 0.5),)
    assert table.of("modelled", True, []).of_case.grade(91) == "AAA"
    assert table.of("modelled", False, []).of_case.grade(91) == "BBB"

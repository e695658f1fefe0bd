"""Money of the support programmes: integer cents, exact fractions, one rounding rule.

Every amount is an ``int`` of cents. Intermediate results (a principal times a rate times a
fraction of a year) are exact ``Fraction`` values of cents; a computation rounds once, at its
end, half-up to the cent (``round_half_up``). Nothing passes through binary floating point.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
#: How the API and the working lines state the rule.
ROUNDING_RULE = "exact arithmetic, rounded half-up to the cent once, at the end"


def cents(amount: Decimal) -> int:
    """A decimal amount with at most two places, in cents (more places is an error)."""
    value = amount * 100
    if value != value.to_integral_value():
        raise ValueError(f"money has at most two decimal places: {amount}")
    return int(value)


def to_decimal(amount_cents: int) -> Decimal:
    return (Decimal(amount_cents) / 100).quantize(CENT)


def text(amount_cents: int) -> str:
    """Cents as the API's decimal string ("1250000.00")."""
    return f"{to_decimal(amount_cents):.2f}"


def round_half_up(value: Fraction) -> int:
    """An exact non-negative amount of cents, rounded half-up to a whole cent."""
    if value < 0:
        raise ValueError("amounts are never negative")
    return math.floor(value + Fraction(1, 2))


def exact_text(value: Fraction) -> str:
    """An exact amount of cents as yuan with six places, for the working lines (display only:
    rounding happens once, in ``round_half_up``)."""
    shown = (Decimal(value.numerator) / Decimal(value.denominator) / 100).quantize(
        Decimal("0.000001"), rounding=ROUND_HALF_UP
    )
    return f"{shown:f}"

"""Distribution of the proceeds of a disposal in the legal order, in exact decimal arithmetic.

Order (Civil Code Art. 389 and 561 applied to a realized pledge): the costs of realizing the
pledge, then interest and penalties, then principal; what is left goes to the pledgor. A debt
the price does not cover stays as the pledgee's unsecured claim (the shortfall).

Choices where the brief left room:
- amounts are `Decimal`, `int` or decimal strings; floats and bools are refused, so money never
  passes through binary floating point. More than two decimal places is an error, never rounded:
  a sub-cent amount means the caller computed something wrong, and silent rounding would make
  the statement disagree with the contract. Amounts must be finite, >= 0 and below 10^18.
- a statement lists only positive lines (a kind with nothing paid has no line); the line kinds
  therefore always appear in the legal order and sum to the price exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "CENT",
    "LEGAL_ORDER",
    "Debt",
    "InvalidAmount",
    "Line",
    "PartialSale",
    "Statement",
    "apply_partial_sale",
    "distribute",
    "money",
]

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 18  # keeps every sum exact within Decimal's default 28 digits
LEGAL_ORDER = ("costs", "interest_penalties", "principal", "surplus")
PartyId = Any  # whatever the registry uses as party ids (int or str); only passed through


class InvalidAmount(ValueError):
    """An amount of money that is not a finite, non-negative decimal with at most 2 places."""


def money(value: Decimal | int | str, name: str = "amount") -> Decimal:
    """`value` as a Decimal quantized to cents, or InvalidAmount saying why not."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidAmount(f"{name} must be a decimal string, not {type(value).__name__}")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidAmount(f"{name} {value!r} is not a decimal number") from None
    if not amount.is_finite():
        raise InvalidAmount(f"{name} must be finite")
    if amount < 0:
        raise InvalidAmount(f"{name} must not be negative")
    if amount >= MAX_AMOUNT:
        raise InvalidAmount(f"{name} is too large")
    cents = amount.quantize(CENT)
    if cents != amount:
        raise InvalidAmount(f"{name} {value} has more than two decimal places")
    return cents if not cents.is_zero() else Decimal("0.00")  # no "-0.00"


@dataclass(frozen=True)
class Debt:
    """What the pledge secures, by kind, in cents."""

    costs: Decimal
    interest_penalties: Decimal
    principal: Decimal

    @classmethod
    def of(cls, costs: Any, interest_penalties: Any, principal: Any) -> Debt:
        """A Debt from raw amounts, each checked by `money`."""
        return cls(
            money(costs, "costs"),
            money(interest_penalties, "interest_penalties"),
            money(principal, "principal"),
        )

    @property
    def total(self) -> Decimal:
        return self.costs + self.interest_penalties + self.principal


@dataclass(frozen=True)
class Line:
    """One payment out of the proceeds."""

    kind: str  # one of LEGAL_ORDER
    payee_id: PartyId
    amount: Decimal


@dataclass(frozen=True)
class Statement:
    """Who gets what out of `price`; `unpaid` is the debt left after it, by kind."""

    price: Decimal
    lines: tuple[Line, ...]
    shortfall: Decimal
    unpaid: Debt

    def paid(self, kind: str) -> Decimal:
        """Total paid for `kind` (zero when the statement has no such line)."""
        return sum((line.amount for line in self.lines if line.kind == kind), Decimal("0.00"))

    def to_dict(self) -> dict[str, Any]:
        """The API shape: amounts as decimal strings with two places."""
        return {
            "price": str(self.price),
            "lines": [
                {"kind": line.kind, "payee_id": line.payee_id, "amount": str(line.amount)}
                for line in self.lines
            ],
            "shortfall": str(self.shortfall),
        }


def _allocate(
    price: Decimal, debt: Debt, payees: dict[str, PartyId]
) -> tuple[tuple[Line, ...], Debt]:
    """Pay each kind in legal order as far as the money goes; return lines and what is unpaid."""
    left = price
    lines: list[Line] = []
    unpaid: dict[str, Decimal] = {}
    for kind in LEGAL_ORDER[:3]:
        due = getattr(debt, kind)
        paid = min(due, left)
        left -= paid
        unpaid[kind] = due - paid
        if paid:
            lines.append(Line(kind, payees[kind], paid))
    if left:
        lines.append(Line("surplus", payees["surplus"], left))
    return tuple(lines), Debt(**unpaid)


def _payees(
    pledgee_id: PartyId, pledgor_id: PartyId, costs_payee_id: PartyId
) -> dict[str, PartyId]:
    return {
        "costs": costs_payee_id,
        "interest_penalties": pledgee_id,
        "principal": pledgee_id,
        "surplus": pledgor_id,
    }


def distribute(
    price: Decimal | int | str,
    costs: Decimal | int | str,
    interest_penalties: Decimal | int | str,
    principal: Decimal | int | str,
    *,
    pledgee_id: PartyId,
    pledgor_id: PartyId,
    costs_payee_id: PartyId,
) -> Statement:
    """Distribute the price of a final sale; the uncovered debt becomes the shortfall."""
    price = money(price, "price")
    debt = Debt.of(costs, interest_penalties, principal)
    lines, unpaid = _allocate(price, debt, _payees(pledgee_id, pledgor_id, costs_payee_id))
    return Statement(price, lines, unpaid.total, unpaid)


@dataclass(frozen=True)
class PartialSale:
    """A sale of some of a pledge's assets: the debt left stays secured on the rest."""

    statement: Statement
    remaining: Debt

    @property
    def settled(self) -> bool:
        """True when the proceeds paid the whole debt, so the pledge can be cancelled."""
        return self.remaining.total == 0


def apply_partial_sale(
    price: Decimal | int | str,
    costs: Decimal | int | str,
    interest_penalties: Decimal | int | str,
    principal: Decimal | int | str,
    *,
    pledgee_id: PartyId,
    pledgor_id: PartyId,
    costs_payee_id: PartyId,
) -> PartialSale:
    """Apply the price of some of the pledged assets to the debt, in the legal order.

    Nothing becomes an unsecured claim yet (the statement's shortfall is zero): the unpaid debt,
    costs of this sale included (Civil Code Art. 389), stays secured on the unsold assets and is
    returned as `remaining`. A surplus arises only when the debt is paid in full.
    """
    price = money(price, "price")
    debt = Debt.of(costs, interest_penalties, principal)
    lines, unpaid = _allocate(price, debt, _payees(pledgee_id, pledgor_id, costs_payee_id))
    return PartialSale(Statement(price, lines, Decimal("0.00"), unpaid), unpaid)

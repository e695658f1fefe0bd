"""A programme's budget: what approvals reserve and payments draw, never more than the total.

Plain arithmetic on cents, so the rule can be checked on its own (and property-tested); the
service applies it to the programme's row under a row lock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


class BudgetExhausted(Exception):
    """The approval would take more than the budget has left."""


class FirmCapReached(Exception):
    """The approval would take the firm past its yearly cap in the programme."""


@dataclass(frozen=True)
class Budget:
    total: int
    reserved: int = 0  # approved, paid or not
    paid: int = 0

    @property
    def remaining(self) -> int:
        return self.total - self.reserved

    def reserve(self, amount: int) -> Budget:
        if amount < 0:
            raise ValueError("a reservation is never negative")
        if amount > self.remaining:
            raise BudgetExhausted(f"{amount} cents asked, {self.remaining} left")
        return replace(self, reserved=self.reserved + amount)

    def pay(self, amount: int) -> Budget:
        if amount < 0 or self.paid + amount > self.reserved:
            raise ValueError("a payment draws only on what was reserved")
        return replace(self, paid=self.paid + amount)


def check_firm_cap(cap: int, approved_before: int, amount: int) -> None:
    """Raise ``FirmCapReached`` unless the firm's approvals stay within its yearly cap."""
    if approved_before + amount > cap:
        raise FirmCapReached(f"{approved_before} of {cap} cents approved; {amount} more asked")

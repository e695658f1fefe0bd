"""What the support programmes need from the registry, as plain facts.

The support package never imports the registry: the composition root (``create_app``) wires an
implementation (``ipx.registry.services.support_facts``), as it wires the valuation's assets.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from ipx.support.model import FirmFacts, LoanFacts


class RegistryFacts(Protocol):
    def loans(self, session: Session, pledge_ids: list[int]) -> list[LoanFacts]:
        """The pledges' facts, in the order asked; ``NotFound`` for an unknown pledge."""
        ...

    def firm(self, session: Session, party_id: int) -> FirmFacts:
        """The party's SME attribute."""
        ...

    def party_names(self, session: Session, party_ids: set[int]) -> dict[int, str]:
        """Names of parties, for reports."""
        ...

"""Ports: what the registry's use cases need of their storage, as protocols.

A use case asks its unit of work for ``repositories(uow)`` (``ipx.registry.repositories``) and
works on records through these protocols, so it runs against the SQL repositories or against
small in-memory fakes in a unit test (``tests/fakes.py``). ``add`` writes the record at once
(its id is known afterwards) and turns a clash on a unique key, such as a concurrent request
registering the same number first, into ``Duplicate``: use cases say what a clash means,
without knowing the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ipx.registry.model import ApplicationFacts, AssetFacts, AssetKind, LegalStatus
from ipx.registry.orm import Asset, Freeze, Party, Pledge, PledgeApplication


class Duplicate(Exception):
    """A record with the same unique key (credit code, number, ...) exists."""


class Parties(Protocol):
    def get(self, party_id: int) -> Party | None: ...

    def known(self, party_ids: Iterable[int]) -> set[int]: ...

    def with_credit_code(self, credit_code: str) -> bool: ...

    def with_id_number_digest(self, digest: str) -> bool: ...

    def add(self, party: Party) -> None: ...


class Assets(Protocol):
    def get(self, asset_id: int, *, lock: bool = False) -> Asset | None: ...

    def exists(self, kind: str, number: str) -> bool: ...

    def known(self, asset_ids: Iterable[int]) -> set[int]: ...

    def add(self, asset: Asset) -> None: ...


class Freezes(Protocol):
    def get(self, freeze_id: int, *, lock: bool = False) -> Freeze | None: ...

    def any_active(self, asset_id: int) -> bool: ...

    def add(self, freeze: Freeze) -> None: ...


class Applications(Protocol):
    def get(self, application_id: int, *, lock: bool = False) -> PledgeApplication | None: ...

    def add(self, application: PledgeApplication) -> None: ...

    def cited_valuation(self, valuation_id: int) -> CitedValuation | None: ...


class Pledges(Protocol):
    def get(self, pledge_id: int, *, lock: bool = False) -> Pledge | None: ...

    def add(self, pledge: Pledge) -> Pledge: ...

    def examination_facts(
        self, application: PledgeApplication, *, lock: bool = True
    ) -> ApplicationFacts:
        """What examination needs, the application's assets locked in id order (``lock``)."""
        ...

    def next_registration_number(self, year: int) -> str:
        """The year's next number; called only under the log's head lock (gapless, in order)."""
        ...


class Repositories(Protocol):
    # Read-only members (properties), so an implementation may hold its own repository types.
    @property
    def parties(self) -> Parties: ...
    @property
    def assets(self) -> Assets: ...
    @property
    def freezes(self) -> Freezes: ...
    @property
    def applications(self) -> Applications: ...
    @property
    def pledges(self) -> Pledges: ...


class AssetRow(Protocol):
    """The legal facts of an asset that examination reads (an ``Asset`` or a row of them)."""

    id: int
    kind: str
    status: str
    expiry_date: date
    fees_paid_until: date | None
    frozen: bool
    invalidation_pending: bool


@dataclass(frozen=True)
class CitedValuation:
    """What an application needs to know of the valuation it cites."""

    id: int
    party_id: int | None
    asset_id: int | None


def facts_of(
    application: PledgeApplication,
    assets: Iterable[AssetRow],
    holders: dict[int, set[int]],
    pledged: dict[int, set[int]],
    known_parties: set[int],
) -> ApplicationFacts:
    """Examination's facts from what a repository read: the assets' legal facts, their holders
    and encumbering pledges by asset id, and which party ids exist."""
    known = known_parties
    return ApplicationFacts(
        pledgor_id=application.pledgor_id,
        pledgee_id=application.pledgee_id,
        pledgor_known=application.pledgor_id in known,
        pledgee_known=application.pledgee_id in known,
        secured_amount=application.secured_amount,
        debt_start=application.debt_start,
        debt_end=application.debt_end,
        contract_number=application.contract_number,
        co_owner_consent_ids=frozenset(application.co_owner_consent_ids),
        forfeiture_clause=application.forfeiture_clause,
        acknowledged_risks=frozenset(application.acknowledged_risks),
        assets=tuple(
            AssetFacts(
                id=a.id,
                kind=AssetKind(a.kind),
                holder_ids=frozenset(holders.get(a.id, ())),
                status=LegalStatus(a.status),
                expiry_date=a.expiry_date,
                fees_paid_until=a.fees_paid_until,
                frozen=a.frozen,
                invalidation_pending=a.invalidation_pending,
                registered_pledge_ids=frozenset(pledged.get(a.id, ())),
            )
            for a in assets
        ),
    )

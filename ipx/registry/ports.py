"""Ports: what the registry's use cases need of their storage, as protocols.

A use case asks its unit of work for ``repositories(uow)`` (``ipx.registry.repositories``) and
works on records through these protocols, so it runs against the SQL repositories (disposal's
in ``ipx.registry.disposal.repositories``) or against small in-memory fakes in a unit test
(``tests/fakes.py``). ``add`` writes the record at once
(its id is known afterwards) and turns a clash on a unique key, such as a concurrent request
registering the same number first, into ``Duplicate``: use cases say what a clash means,
without knowing the database. Where the locks a use case holds rule a clash out (a pledge's
default, a transfer's proceeds, a bid), ``add`` leaves the database's refusal to the error
handler (a 409), as any unforeseen clash.

Locks follow the registry's one order, so concurrent use cases queue instead of deadlocking:
a pledge, then its default, then its disposal, then assets in id order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from ipx.registry.disposal.orm import (
    Bid,
    Disposal,
    DisposalRequest,
    PledgeDefault,
    SaleTransaction,
    TransferProceeds,
    UnsecuredClaim,
)
from ipx.registry.model import ApplicationFacts, AssetFacts, AssetKind, LegalStatus
from ipx.registry.orm import (
    Asset,
    Freeze,
    Party,
    Pledge,
    PledgeApplication,
    Transfer,
    TransferRequest,
)


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

    def locked(self, asset_ids: Iterable[int]) -> list[Asset]:
        """The assets that exist among ``asset_ids``, locked in id order."""
        ...

    def expiry_dates(self, asset_ids: Iterable[int]) -> dict[int, date]:
        """Each existing asset's end of protection, by id."""
        ...

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

    def encumbering(self, asset_id: int) -> Pledge | None:
        """The pledge that encumbers the asset now (registered, defaulted or in disposal)."""
        ...

    def relock(self, pledge: Pledge) -> None:
        """Lock the pledge's row and reload it: what it says once the lock is held."""
        ...

    def examination_facts(
        self, application: PledgeApplication, *, lock: bool = True
    ) -> ApplicationFacts:
        """What examination needs, the application's assets locked in id order (``lock``)."""
        ...

    def next_registration_number(self, year: int) -> str:
        """The year's next number; called only under the log's head lock (gapless, in order)."""
        ...


class Transfers(Protocol):
    def add(self, transfer: Transfer) -> None: ...

    def add_proceeds(self, proceeds: TransferProceeds) -> None:
        """Where a transfer's proceeds went (one record per transfer)."""
        ...


class TransferRequests(Protocol):
    def get(self, request_id: int, *, lock: bool = False) -> TransferRequest | None: ...

    def awaiting(self, asset_id: int) -> TransferRequest | None:
        """The asset's request awaiting the pledgee's consent (one at most), if any."""
        ...

    def add(self, request: TransferRequest) -> None:
        """``Duplicate`` when a request for the asset awaits consent already."""
        ...


class Defaults(Protocol):
    def of_pledge(self, pledge_id: int, *, lock: bool = False) -> PledgeDefault | None:
        """The default declared on the pledge (one per pledge), if any."""
        ...

    def add(self, default: PledgeDefault) -> None: ...

    def add_request(self, request: DisposalRequest) -> None:
        """The pledgor's request for timely disposal."""
        ...


class Disposals(Protocol):
    def get(self, disposal_id: int, *, lock: bool = False) -> Disposal | None: ...

    def pledge_id_of(self, disposal_id: int) -> int | None:
        """The disposal's pledge, read without locking (to lock the pledge first)."""
        ...

    def on_offer(self, asset_ids: Iterable[int]) -> list[int]:
        """Which of the assets an open disposal offers."""
        ...

    def add(self, disposal: Disposal) -> None:
        """``Duplicate`` when an open disposal offers one of its assets already."""
        ...

    def valuation_lower_bound(self, asset_ids: list[int]) -> Decimal | None:
        """The sum of each asset's latest stored p10 value; None unless every asset has one."""
        ...

    def bids(
        self, disposal_id: int, *, after: int | None = None, limit: int | None = None
    ) -> list[Bid]:
        """The disposal's bids, in the order they were recorded: those after bid ``after``,
        ``limit`` at most."""
        ...

    def best_bid(self, disposal_id: int) -> Decimal | None: ...

    def add_bid(self, bid: Bid) -> None: ...

    def add_claim(self, claim: UnsecuredClaim) -> None: ...

    def add_sale(self, sale: SaleTransaction) -> None: ...


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
    @property
    def transfers(self) -> Transfers: ...
    @property
    def transfer_requests(self) -> TransferRequests: ...
    @property
    def defaults(self) -> Defaults: ...
    @property
    def disposals(self) -> Disposals: ...


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

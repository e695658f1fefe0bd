"""Small in-memory fakes for running the registry's use cases without a database.

``FakeUnitOfWork`` stands where ``ipx.uow.UnitOfWork`` does for a handler: it has the clock,
the digest key, the collected events and the registry's repositories (in memory), and counts
its commits. The repositories keep records in dicts, give ids in order and raise ``Duplicate``
on the same unique keys the database enforces; ``FakeRepositories.locks`` lists the rows the
use cases locked, in order (the SQL repositories take those locks with SELECT ... FOR UPDATE).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

from ipx.ledger.events import Event
from ipx.registry.disposal.orm import (
    Bid,
    Disposal,
    DisposalRequest,
    PledgeDefault,
    SaleTransaction,
    TransferProceeds,
    UnsecuredClaim,
)
from ipx.registry.model import ENCUMBERING, ApplicationFacts
from ipx.registry.orm import (
    AWAITING_CONSENT,
    Asset,
    Freeze,
    Party,
    Pledge,
    PledgeApplication,
    Transfer,
    TransferRequest,
)
from ipx.registry.ports import CitedValuation, Duplicate, facts_of

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class _Store:
    name = "record"

    def __init__(self) -> None:
        self.rows: dict[int, object] = {}
        self._ids = itertools.count(1)
        # What use cases locked, in order: ("pledge", 3), ... (shared by FakeRepositories).
        self.locks: list[tuple[str, int]] = []

    def _lock(self, record_id: int) -> None:
        self.locks.append((self.name, record_id))

    def _insert(self, record) -> None:
        taken = {key for row in self.rows.values() for key in self.unique_keys(row)}
        if any(key in taken for key in self.unique_keys(record)):
            raise Duplicate()
        record.id = next(self._ids)
        self.rows[record.id] = record

    def unique_keys(self, record) -> list[tuple]:
        return []


class FakeParties(_Store):
    name = "party"

    def unique_keys(self, party: Party) -> list[tuple]:
        keys = [("credit_code", party.credit_code), ("id", party.id_number_digest)]
        return [k for k in keys if k[1] is not None]

    def get(self, party_id: int) -> Party | None:
        return self.rows.get(party_id)

    def known(self, party_ids: Iterable[int]) -> set[int]:
        return {i for i in party_ids if i in self.rows}

    def with_credit_code(self, credit_code: str) -> bool:
        return any(p.credit_code == credit_code for p in self.rows.values())

    def with_id_number_digest(self, digest: str) -> bool:
        return any(p.id_number_digest == digest for p in self.rows.values())

    def add(self, party: Party) -> None:
        self._insert(party)


class FakeAssets(_Store):
    name = "asset"

    def unique_keys(self, asset: Asset) -> list[tuple]:
        return [(asset.kind, asset.number)]

    def get(self, asset_id: int, *, lock: bool = False) -> Asset | None:
        if lock and asset_id in self.rows:
            self._lock(asset_id)
        return self.rows.get(asset_id)

    def exists(self, kind: str, number: str) -> bool:
        return any((a.kind, a.number) == (kind, number) for a in self.rows.values())

    def add(self, asset: Asset) -> None:
        self._insert(asset)
        for holder in asset.holders:
            holder.asset_id = asset.id

    def known(self, asset_ids: Iterable[int]) -> set[int]:
        return {i for i in asset_ids if i in self.rows}

    def locked(self, asset_ids: Iterable[int]) -> list[Asset]:
        found = sorted(i for i in set(asset_ids) if i in self.rows)
        for i in found:
            self._lock(i)
        return [self.rows[i] for i in found]

    def expiry_dates(self, asset_ids: Iterable[int]) -> dict[int, date]:
        return {i: self.rows[i].expiry_date for i in asset_ids if i in self.rows}


class FakeFreezes(_Store):
    name = "freeze"

    def get(self, freeze_id: int, *, lock: bool = False) -> Freeze | None:
        if lock and freeze_id in self.rows:
            self._lock(freeze_id)
        return self.rows.get(freeze_id)

    def any_active(self, asset_id: int) -> bool:
        return any(f.asset_id == asset_id and f.status == "active" for f in self.rows.values())

    def add(self, freeze: Freeze) -> None:
        self._insert(freeze)


class FakeApplications(_Store):
    name = "application"

    def __init__(self, valuations: dict[int, CitedValuation] | None = None) -> None:
        super().__init__()
        self.valuations = valuations or {}

    def get(self, application_id: int, *, lock: bool = False) -> PledgeApplication | None:
        if lock and application_id in self.rows:
            self._lock(application_id)
        return self.rows.get(application_id)

    def add(self, application: PledgeApplication) -> None:
        self._insert(application)

    def cited_valuation(self, valuation_id: int) -> CitedValuation | None:
        return self.valuations.get(valuation_id)


class FakePledges(_Store):
    """Pledges, with examination's facts read from the other fakes and the counters."""

    name = "pledge"

    def __init__(self, parties: FakeParties, assets: FakeAssets) -> None:
        super().__init__()
        self.parties, self.assets = parties, assets
        self.counters: dict[int, int] = {}

    def unique_keys(self, pledge: Pledge) -> list[tuple]:
        # The partial unique index: an asset is actively linked to one encumbering pledge.
        if pledge.status not in {s.value for s in ENCUMBERING}:
            return []
        return [("asset", link.asset_id) for link in pledge.assets if link.active]

    def get(self, pledge_id: int, *, lock: bool = False) -> Pledge | None:
        if lock and pledge_id in self.rows:
            self._lock(pledge_id)
        return self.rows.get(pledge_id)

    def add(self, pledge: Pledge) -> Pledge:
        self._insert(pledge)
        for link in pledge.assets:
            link.pledge_id = pledge.id
        return pledge

    def encumbering(self, asset_id: int) -> Pledge | None:
        found = [
            p
            for p in self.rows.values()
            if p.status in {s.value for s in ENCUMBERING}
            and any(link.active and link.asset_id == asset_id for link in p.assets)
        ]
        assert len(found) <= 1, "the partial unique index allows one"
        return found[0] if found else None

    def relock(self, pledge: Pledge) -> None:
        self._lock(pledge.id)  # in memory the record is always current

    def next_registration_number(self, year: int) -> str:
        self.counters[year] = self.counters.get(year, 0) + 1
        return f"IPX-P-{year}-{self.counters[year]:06d}"

    def examination_facts(
        self, application: PledgeApplication, *, lock: bool = True
    ) -> ApplicationFacts:
        ids = sorted(application.asset_ids)
        assets = [self.assets.rows[i] for i in ids if i in self.assets.rows]
        holders = {a.id: set(a.holder_ids) for a in assets}
        pledged: dict[int, set[int]] = {}
        for pledge in self.rows.values():
            if pledge.status in {s.value for s in ENCUMBERING}:
                for link in pledge.assets:
                    if link.active and link.asset_id in ids:
                        pledged.setdefault(link.asset_id, set()).add(pledge.id)
        parties = self.parties.known([application.pledgor_id, application.pledgee_id])
        return facts_of(application, assets, holders, pledged, parties)


class FakeTransfers(_Store):
    name = "transfer"

    def __init__(self) -> None:
        super().__init__()
        self.proceeds = _Keyed(lambda r: [("transfer", r.transfer_id)])

    def add(self, transfer: Transfer) -> None:
        self._insert(transfer)

    def add_proceeds(self, proceeds: TransferProceeds) -> None:
        self.proceeds._insert(proceeds)


class FakeTransferRequests(_Store):
    name = "transfer_request"

    def unique_keys(self, request: TransferRequest) -> list[tuple]:
        # The partial unique index: one request per asset awaits consent.
        return [("awaiting", request.asset_id)] if request.status == AWAITING_CONSENT else []

    def get(self, request_id: int, *, lock: bool = False) -> TransferRequest | None:
        if lock and request_id in self.rows:
            self._lock(request_id)
        return self.rows.get(request_id)

    def awaiting(self, asset_id: int) -> TransferRequest | None:
        found = [
            r for r in self.rows.values() if r.asset_id == asset_id and r.status == AWAITING_CONSENT
        ]
        return found[0] if found else None

    def add(self, request: TransferRequest) -> None:
        self._insert(request)


class FakeDefaults(_Store):
    name = "default"

    def __init__(self) -> None:
        super().__init__()
        self.requests = _Keyed(lambda r: [])

    def unique_keys(self, default: PledgeDefault) -> list[tuple]:
        return [("pledge", default.pledge_id)]

    def of_pledge(self, pledge_id: int, *, lock: bool = False) -> PledgeDefault | None:
        found = [d for d in self.rows.values() if d.pledge_id == pledge_id]
        if lock and found:
            self._lock(found[0].id)
        return found[0] if found else None

    def add(self, default: PledgeDefault) -> None:
        self._insert(default)

    def add_request(self, request: DisposalRequest) -> None:
        self.requests._insert(request)


class FakeDisposals(_Store):
    """Disposals with their bids, shortfall claims and realized prices; ``valuations`` holds
    each asset's latest stored lower bound (p10)."""

    name = "disposal"

    def __init__(self, valuations: dict[int, Decimal] | None = None) -> None:
        super().__init__()
        self.valuations = valuations if valuations is not None else {}
        self.bid_rows = _Keyed(lambda b: [])
        self.claims = _Keyed(lambda c: [("disposal", c.disposal_id)])
        self.sales = _Keyed(lambda s: [])

    def unique_keys(self, disposal: Disposal) -> list[tuple]:
        # The partial unique index: an asset is offered by one open disposal at a time.
        return [("open asset", link.asset_id) for link in disposal.assets if link.open]

    def get(self, disposal_id: int, *, lock: bool = False) -> Disposal | None:
        if lock and disposal_id in self.rows:
            self._lock(disposal_id)
        return self.rows.get(disposal_id)

    def pledge_id_of(self, disposal_id: int) -> int | None:
        disposal = self.rows.get(disposal_id)
        return None if disposal is None else disposal.pledge_id

    def on_offer(self, asset_ids: Iterable[int]) -> list[int]:
        wanted = set(asset_ids)
        return [
            link.asset_id
            for d in self.rows.values()
            for link in d.assets
            if link.open and link.asset_id in wanted
        ]

    def add(self, disposal: Disposal) -> None:
        self._insert(disposal)
        for link in disposal.assets:
            link.disposal_id = disposal.id

    def valuation_lower_bound(self, asset_ids: list[int]) -> Decimal | None:
        if any(a not in self.valuations for a in asset_ids):
            return None
        return sum((self.valuations[a] for a in asset_ids), Decimal(0))

    def bids(
        self, disposal_id: int, *, after: int | None = None, limit: int | None = None
    ) -> list[Bid]:
        found = [
            b
            for _, b in sorted(self.bid_rows.rows.items())
            if b.disposal_id == disposal_id and (after is None or b.id > after)
        ]
        return found if limit is None else found[:limit]

    def best_bid(self, disposal_id: int) -> Decimal | None:
        return max((b.amount for b in self.bids(disposal_id)), default=None)

    def add_bid(self, bid: Bid) -> None:
        self.bid_rows._insert(bid)

    def add_claim(self, claim: UnsecuredClaim) -> None:
        self.claims._insert(claim)

    def add_sale(self, sale: SaleTransaction) -> None:
        self.sales._insert(sale)


class _Keyed(_Store):
    """A store whose unique keys a function gives."""

    def __init__(self, keys) -> None:
        super().__init__()
        self._keys = keys

    def unique_keys(self, record) -> list[tuple]:
        return self._keys(record)


class FakeRepositories:
    def __init__(self) -> None:
        self.parties = FakeParties()
        self.assets = FakeAssets()
        self.freezes = FakeFreezes()
        self.applications = FakeApplications()
        self.pledges = FakePledges(self.parties, self.assets)
        self.transfers = FakeTransfers()
        self.transfer_requests = FakeTransferRequests()
        self.defaults = FakeDefaults()
        self.disposals = FakeDisposals()
        self.locks: list[tuple[str, int]] = []
        for store in vars(self).values():
            if isinstance(store, _Store):
                store.locks = self.locks


class FakeUnitOfWork:
    """A unit of work over in-memory repositories; ``commits`` counts successful ends."""

    def __init__(self, repositories: FakeRepositories | None = None, now: datetime = NOW):
        self.repositories = repositories or FakeRepositories()
        self.now = now
        self.actor = "test"
        self.digest_key = b"k" * 32
        self.events: list[Event] = []
        self.committed: list[Event] = []
        self.commits = 0
        self.extensions: dict[str, object] = {"registry": self.repositories}
        self._sequenced: list = []

    def __enter__(self) -> FakeUnitOfWork:
        self.events = []
        return self

    def __exit__(self, *exc_info) -> None:
        self.events = []  # what was not committed is gone, as after a rollback

    def record(self, event: Event) -> None:
        self.events.append(event)

    def when_sequenced(self, step) -> None:
        """Run at commit, as the real unit of work does under the log's head lock."""
        self._sequenced.append(step)

    def commit(self) -> None:
        steps, self._sequenced = self._sequenced, []
        for step in steps:
            step(self)
        self.committed.extend(self.events)
        self.events = []
        self.commits += 1

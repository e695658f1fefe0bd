"""Transfer requests: a pledged asset's transfer or licence, asked for and awaiting consent.

Civil Code Art. 444: a pledged right moves only with the pledgee's consent. ``POST /transfers``
records a transfer whose consent the clerk already holds; a request records the ask first, so
that the pledgee is told (``transfer.requested``) and answers. Its consent completes the
transfer through ``record_transfer`` itself (the same checks, holders, proceeds and events);
its refusal, or the requester's withdrawal, closes the request. One request per asset awaits
consent at a time: a partial unique index enforces it under any concurrency.

Locks follow the registry's one order: the pledge (``lock_asset_and_its_pledge`` also takes
its default and the asset), then the request, then what ``record_transfer`` locks after it.
"""

from __future__ import annotations

import enum

from sqlalchemy import select

from ipx.auth import Principal
from ipx.errors import Conflict, Forbidden, InvalidTransition, NotFound
from ipx.registry.commands import (
    ConsentToTransfer,
    DeclineTransfer,
    RecordTransfer,
    RequestTransfer,
    WithdrawTransferRequest,
)
from ipx.registry.model import PledgeStatus
from ipx.registry.orm import AWAITING_CONSENT, Asset, Pledge, TransferRequest
from ipx.registry.ports import Duplicate
from ipx.registry.repositories import repositories
from ipx.registry.services.common import emit
from ipx.registry.services.transfers import (
    TransferKind,
    lock_asset_and_its_pledge,
    receiving_parties,
    record_transfer,
)
from ipx.registry.visibility import (
    ensure_may_request_transfer,
    ensure_sees_transfer_request,
    party_filter_for_transfer_requests,
)
from ipx.uow import UnitOfWork


class RequestStatus(enum.StrEnum):
    AWAITING_CONSENT = AWAITING_CONSENT
    COMPLETED = "completed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


def request_transfer(uow: UnitOfWork, principal: Principal, command: RequestTransfer) -> dict:
    """Record the ask to transfer or license a pledged asset (an owner for an asset it holds,
    a clerk on the holder's behalf); the pledgee is told and answers."""
    asset, pledge = lock_asset_and_its_pledge(uow, command.asset_id)
    ensure_may_request_transfer(principal, asset)
    pledge = _check_requestable(asset, pledge)
    to_ids = receiving_parties(uow, command.to_party_ids)
    requests = repositories(uow).transfer_requests
    if (already := requests.awaiting(asset.id)) is not None:
        raise _already_awaiting(already.id)
    request = TransferRequest(
        asset_id=asset.id,
        pledge_id=pledge.id,
        kind=TransferKind(command.kind).value,
        from_party_ids=asset.holder_ids,
        to_party_ids=to_ids,
        requested_by=principal.role.value,
        requested_by_party_id=None if principal.sees_all() else principal.party_id,
        status=RequestStatus.AWAITING_CONSENT.value,
        created_at=uow.now,
    )
    try:
        requests.add(request)
    except Duplicate:  # a request made at the same moment won the index
        raise _already_awaiting(None) from None
    _emit(uow, "transfer.requested", request, pledge)
    return answer(request)


def may_request_transfer(uow: UnitOfWork, principal: Principal, asset_id: int) -> bool:
    """Whether ``request_transfer`` would take an ask on this asset now, by the same checks read
    without locks (a page offers the ask only then; the use case checks again when sent)."""
    records = repositories(uow)
    asset = records.assets.get(asset_id)
    if asset is None or records.transfer_requests.awaiting(asset_id) is not None:
        return False
    try:
        ensure_may_request_transfer(principal, asset)
        _check_requestable(asset, records.pledges.encumbering(asset_id))
    except (NotFound, Conflict):
        return False
    return True


def consent_to_transfer(uow: UnitOfWork, principal: Principal, command: ConsentToTransfer) -> dict:
    """The pledgee consents (or a clerk records its written consent): the transfer is recorded
    by ``record_transfer``, with the proceeds' destination (and amount) the consent gives."""
    request, pledge = _awaiting(uow, principal, command.request_id)
    _check_still_pledged(uow, request, pledge)
    transfer = record_transfer(
        uow,
        principal,
        RecordTransfer(
            asset_id=request.asset_id,
            kind=request.kind,
            to_party_ids=list(request.to_party_ids),
            pledgee_consent=True,
            proceeds=command.proceeds,
            proceeds_amount=command.proceeds_amount,
        ),
    )
    _check_same_holders(request, transfer)
    request.transfer_id, request.proceeds = transfer["id"], command.proceeds
    _close(uow, principal, request, RequestStatus.COMPLETED)
    _emit(uow, "transfer.consented", request, pledge, proceeds=command.proceeds)
    return answer(request, transfer)


def decline_transfer(uow: UnitOfWork, principal: Principal, command: DeclineTransfer) -> dict:
    """The pledgee refuses its consent (or a clerk records the refusal), with its reason."""
    request, pledge = _awaiting(uow, principal, command.request_id)
    request.reason = command.reason
    _close(uow, principal, request, RequestStatus.DECLINED)
    _emit(uow, "transfer.declined", request, pledge, note=command.reason)
    return answer(request)


def withdraw_transfer_request(
    uow: UnitOfWork, principal: Principal, command: WithdrawTransferRequest
) -> dict:
    """The owner who asked (or a clerk) takes the request back before the pledgee answers."""
    request, pledge = _awaiting(uow, principal, command.request_id)
    if not principal.sees_all() and principal.party_id != request.requested_by_party_id:
        raise Forbidden("Only the owner who made the request, or a clerk, withdraws it.")
    request.reason = command.reason
    _close(uow, principal, request, RequestStatus.WITHDRAWN)
    _emit(uow, "transfer.withdrawn", request, pledge, note=command.reason)
    return answer(request)


def get_transfer_request(uow: UnitOfWork, principal: Principal, request_id: int) -> dict:
    """A transfer request the principal may see (404 otherwise)."""
    return answer(_visible(uow, principal, request_id)[0])


def list_transfer_requests(
    uow: UnitOfWork, principal: Principal, *, filters: dict, after: int | None, limit: int
) -> list[dict]:
    """The transfer requests the principal may see, by id, filtered by status and asset."""
    stmt = select(TransferRequest).order_by(TransferRequest.id).limit(limit + 1)
    if not principal.sees_all():
        stmt = stmt.where(party_filter_for_transfer_requests(principal))
    if after:
        stmt = stmt.where(TransferRequest.id > after)
    for field in ("status", "asset_id"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(TransferRequest, field) == filters[field])
    return [answer(r) for r in uow.session.execute(stmt).scalars()]


def answer(request: TransferRequest, transfer: dict | None = None) -> dict:
    """The request's columns, and the transfer its consent recorded (on consent only)."""
    found = {c.key: getattr(request, c.key) for c in request.__table__.columns}
    return found if transfer is None else {**found, "transfer": transfer}


def _check_requestable(asset: Asset, pledge: Pledge | None) -> Pledge:
    """Only a pledged asset's transfer waits for consent; a frozen asset does not move, nor
    one whose pledge is in disposal (it is sold on the exchange)."""
    if pledge is None:
        raise Conflict(
            "No pledge encumbers the asset: record the transfer with POST /transfers.",
            code="not-pledged",
        )
    if asset.frozen:
        raise Conflict(
            "The asset is frozen by a court and cannot be transferred.", code="asset-frozen"
        )
    if pledge.status == PledgeStatus.IN_DISPOSAL:
        raise Conflict(
            f"Pledge {pledge.registration_number} is in disposal: the asset is sold on the "
            "exchange, not transferred privately.",
            code="pledge-in-disposal",
            pledge_id=pledge.id,
        )
    return pledge


def _already_awaiting(request_id: int | None) -> Conflict:
    more = {} if request_id is None else {"transfer_request_id": request_id}
    return Conflict(
        "A transfer request for the asset already awaits the pledgee's consent: withdraw it "
        "or wait for the answer.",
        code="transfer-request-pending",
        **more,
    )


def _visible(
    uow: UnitOfWork, principal: Principal, request_id: int, *, lock: bool = False
) -> tuple[TransferRequest, Pledge]:
    """The request (locked after its pledge, with ``lock``) if the principal may see it."""
    repos = repositories(uow)
    request = repos.transfer_requests.get(request_id)
    if request is None:
        raise NotFound(f"No transfer request with id {request_id}.")
    pledge = repos.pledges.get(request.pledge_id)
    asset = repos.assets.get(request.asset_id)
    assert pledge is not None and asset is not None  # foreign keys
    if lock:
        repos.pledges.relock(pledge)  # the pledge before the request, as everywhere
        request = repos.transfer_requests.get(request_id, lock=True) or request
    holders = asset.holder_ids
    ensure_sees_transfer_request(
        principal, request, pledgee_id=pledge.pledgee_id, holder_ids=holders
    )
    return request, pledge


def _awaiting(
    uow: UnitOfWork, principal: Principal, request_id: int
) -> tuple[TransferRequest, Pledge]:
    """The request, locked, if the principal sees it and it still awaits an answer."""
    request, pledge = _visible(uow, principal, request_id, lock=True)
    if request.status != RequestStatus.AWAITING_CONSENT:
        raise InvalidTransition(f"A transfer request that is {request.status} is answered.")
    return request, pledge


def _check_still_pledged(uow: UnitOfWork, request: TransferRequest, pledge: Pledge) -> None:
    """Consent is the pledgee's only while its pledge still encumbers the asset."""
    current = repositories(uow).pledges.encumbering(request.asset_id)
    if current is None or current.id != pledge.id:
        raise Conflict(
            f"Pledge {pledge.registration_number} no longer encumbers the asset: withdraw the "
            "request (and record an unencumbered transfer with POST /transfers).",
            code="pledge-ended",
            pledge_id=pledge.id,
        )


def _check_same_holders(request: TransferRequest, transfer: dict) -> None:
    """The consent was asked for the holders' transfer: if another transfer changed them
    since, the request is stale (the whole use case, the transfer too, is rolled back)."""
    if sorted(transfer["from_party_ids"]) != sorted(request.from_party_ids):
        raise Conflict(
            "The asset's holders changed since the request was made: withdraw it and ask again.",
            code="holders-changed",
        )


def _close(
    uow: UnitOfWork, principal: Principal, request: TransferRequest, status: RequestStatus
) -> None:
    """The answer: who gave it (a role: bank, owner, clerk) and when."""
    request.status, request.decided_by, request.decided_at = (
        status.value,
        principal.role.value,
        uow.now,
    )


def _emit(uow: UnitOfWork, type_: str, request: TransferRequest, pledge: Pledge, **data) -> None:
    """A step of the request: its state digested; its status and kind public, the rest (the
    proceeds' destination, a reason given in words) sealed."""
    parties = [*request.from_party_ids, *request.to_party_ids, pledge.pledgee_id]
    transfer = {"transfer": request.transfer_id} if request.transfer_id else {}
    emit(
        uow,
        type_,
        records={"transfer_request": request},
        refs={
            "transfer_request": request.id,
            "asset": request.asset_id,
            "pledge": request.pledge_id,
            "parties": list(dict.fromkeys(parties)),
            **transfer,
        },
        data={
            "status": request.status,
            "kind": request.kind,
            **{k: v for k, v in data.items() if v is not None},
        },
    )

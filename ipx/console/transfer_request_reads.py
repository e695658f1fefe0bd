"""What the transfer request pages read: the registry's read services behind the API's
``GET /transfer-requests`` and ``GET /transfer-requests/{id}``, with the asset, the pledge and
the parties' names each page shows, in one unit of work through the runner as the logged-in
user. Whatever the user may not see (a co-holder's name, the asset an owner gave away) is
left out, as the API leaves it out; no SQL is written here.
"""

from __future__ import annotations

from operator import itemgetter

from ipx.auth import Principal
from ipx.console import reads
from ipx.console.reads import party_name
from ipx.errors import NotFound
from ipx.registry.services import assets, pledges, queries
from ipx.registry.services import transfer_requests as service
from ipx.registry.services.transfer_requests import RequestStatus
from ipx.uow import UnitOfWork
from ipx.web.fields import decode_cursor, page


def request_list(uow: UnitOfWork, who: Principal, *, status, cursor, limit=None) -> dict:
    """A page of the requests the user sees (the API's list: a bank those on its pledges, an
    owner those on assets it holds or that it made), with their assets and pledges."""
    limit = limit or reads.PAGE_SIZE
    items = service.list_transfer_requests(
        uow, who, filters={"status": status}, after=decode_cursor(cursor), limit=limit
    )
    answer = page(items, limit, itemgetter("id"))
    answer["assets"] = _each(assets.get_asset, uow, who, answer["items"], "asset_id")
    answer["pledges"] = _each(pledges.get_pledge, uow, who, answer["items"], "pledge_id")
    return answer


def request_page(uow: UnitOfWork, who: Principal, request_id: int) -> dict:
    """A request the user may see (``NotFound`` otherwise, as the API's 404), its asset and
    pledge when the user sees them, the parties' names, and its history from the ledger."""
    found = service.get_transfer_request(uow, who, request_id)
    pledge = _seen(pledges.get_pledge, uow, who, found["pledge_id"])
    ids = {*found["from_party_ids"], *found["to_party_ids"], found["requested_by_party_id"]}
    if pledge is not None:
        ids.add(pledge.pledgee_id)
    names = {i: name for i in ids - {None} if (name := party_name(uow, who, i)) is not None}
    return {
        "transfer_request": found,
        "asset": _seen(assets.get_asset, uow, who, found["asset_id"]),
        "pledge": pledge,
        "names": names,
        "history": queries.history(uow, who, "transfer_request", request_id),
    }


def asset_page(uow: UnitOfWork, who: Principal, asset_id: int) -> dict:
    """The asset's page (``reads.asset_page``), the request on it that awaits the pledgee's
    consent, if the user sees one (at most one awaits at a time), and whether the user may ask
    for one now (by the use case's own checks: any holder of an asset under an active pledge
    that is neither frozen nor in disposal)."""
    answer = reads.asset_page(uow, who, asset_id)
    awaiting = service.list_transfer_requests(
        uow,
        who,
        filters={"status": RequestStatus.AWAITING_CONSENT.value, "asset_id": asset_id},
        after=None,
        limit=1,
    )
    answer["open_request"] = awaiting[0] if awaiting else None
    answer["askable"] = service.may_request_transfer(uow, who, asset_id)
    return answer


def _each(get, uow: UnitOfWork, who: Principal, items: list[dict], key: str) -> dict:
    """The records the items name by ``key`` that the user sees, by id (one read each)."""
    return {i: _seen(get, uow, who, i) for i in {item[key] for item in items}}


def _seen(get, uow: UnitOfWork, who: Principal, record_id: int):
    """The record if the user may see it, else None (an owner who assigned the asset away
    still sees its request, no longer the asset)."""
    try:
        return get(uow, who, record_id)
    except NotFound:
        return None

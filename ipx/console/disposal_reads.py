"""What the pages of default and disposal read: the registry's read services behind the API's
``GET /pledges/{id}/default``, ``/disposals``, ``/disposals/{id}`` (its bids and statement) and
``/transactions``, each page in one unit of work through the runner, as the logged-in user.
"""

from __future__ import annotations

from ipx.auth import Principal
from ipx.console import reads
from ipx.console.reads import party_name, pledge_disposals
from ipx.errors import NotFound
from ipx.registry.disposal import defaults, disposals, realization
from ipx.registry.disposal.model import DisposalStatus
from ipx.registry.services import assets, overviews, pledges
from ipx.uow import UnitOfWork
from ipx.web.fields import decode_cursor, page


def default_page(uow: UnitOfWork, who: Principal, pledge_id: int) -> dict:
    """A pledge the user sees, its declared default (None before one), its disposals and the
    assets it still encumbers (those a disposal may offer)."""
    pledge = pledges.get_pledge(uow, who, pledge_id)
    try:
        default = defaults.get_default(uow, who, pledge_id)
    except NotFound:  # the pledge itself is seen (above): no default has been declared
        default = None
    encumbered = [
        assets.get_asset(uow, who, link.asset_id) for link in pledge.assets if link.active
    ]
    return {
        "pledge": pledge,
        "default": default,
        "disposals": pledge_disposals(uow, who, pledge_id),
        "encumbered": encumbered,
        "names": overviews.pledge_party_names(uow, who, [pledge]),
    }


def disposal_page(uow: UnitOfWork, who: Principal, disposal_id: int) -> dict:
    """A disposal the user may see, the assets it offers, its bids, and the distribution
    statement once sold."""
    disposal = disposals.get_disposal(uow, who, disposal_id)
    pledge = pledges.get_pledge(uow, who, disposal.pledge_id)
    statement = None
    if disposal.status == DisposalStatus.SOLD:
        statement = dict(realization.statement_of(uow, who, disposal_id))
        statement["lines"] = list(statement["lines"])
    bids = disposals.list_bids(uow, who, disposal_id)
    ids = {b.bidder_id for b in bids} | {
        line.payee_id for line in (statement or {}).get("lines", [])
    }
    ids |= {disposal.buyer_id, disposal.costs_payee_id} - {None}
    names = {i: name for i in ids if (name := party_name(uow, who, i)) is not None}
    return {
        "disposal": disposal,
        "pledge": pledge,
        "offered": [assets.get_asset(uow, who, a) for a in disposal.asset_ids],
        "bids": bids,
        "statement": statement,
        "names": {**names, **overviews.pledge_party_names(uow, who, [pledge])},
    }


def disposal_list(uow: UnitOfWork, who: Principal, *, status, cursor, limit=None) -> dict:
    """A page of the disposals the user sees (``GET /disposals``), with their pledges'
    registration numbers."""
    limit = limit or reads.PAGE_SIZE
    items = disposals.list_disposals(
        uow, who, filters={"status": status}, after=decode_cursor(cursor), limit=limit
    )
    answer = page(items, limit)
    pledge_ids = {d.pledge_id for d in answer["items"]}
    answer["numbers"] = {i: pledges.get_pledge(uow, who, i).registration_number for i in pledge_ids}
    return answer


def transaction_list(
    uow: UnitOfWork, who: Principal, *, asset_kind, method, cursor, limit=None
) -> dict:
    """A page of realized prices (``GET /transactions``), oldest first."""
    limit = limit or reads.PAGE_SIZE
    items = realization.list_transactions(
        uow,
        who,
        filters={"asset_kind": asset_kind, "method": method},
        after=decode_cursor(cursor),
        limit=limit,
    )
    return page(items, limit)

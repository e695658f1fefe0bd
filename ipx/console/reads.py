"""What each console page reads, composed from the registry's read services.

Each page reads in one unit of work through the app's use-case runner, with the logged-in
user's principal, so the visibility policy is the API's own: a record the user may not see is
``NotFound`` (404) here too. No SQL is written here.
"""

from __future__ import annotations

from flask import current_app

from ipx.auth import Principal
from ipx.console.session import console_principal
from ipx.errors import NotFound
from ipx.ledger.replica import held_checkpoint
from ipx.ledger.schemas import ReceiptOut
from ipx.receipts import receipt_of_entry, registration_entry
from ipx.registry.disposal import disposals
from ipx.registry.model import ENCUMBERING
from ipx.registry.routes.public import public_cursor, public_page
from ipx.registry.services import (
    applications,
    assets,
    examination,
    overviews,
    parties,
    pledges,
    queries,
)
from ipx.uow import UnitOfWork
from ipx.valuation import services as valuations
from ipx.web.fields import decode_cursor, page

PAGE_SIZE = 50
#: The public search's page: the API's most, so that a printed search result is one page.
PUBLIC_PAGE_SIZE = queries.PUBLIC_LIMIT
#: The most rows one CSV export holds (pages of the list service, read in one transaction).
EXPORT_LIMIT = 10_000


def read(query, *args, **kwargs):
    """Run a read for the logged-in user (or the anonymous public) through the runner."""
    runner = current_app.extensions["ipx.usecases"]
    return runner.read(query, console_principal(), *args, **kwargs)


def dashboard(uow: UnitOfWork, who: Principal) -> dict:
    queues = overviews.work_queues(uow, who) if who.sees_all() else None
    return {"queues": queues, "summary": overviews.pledges_summary(uow, who)}


def public_search(uow: UnitOfWork, who: Principal | None, *, number, pledgor, cursor) -> dict:
    """A page of the public encumbrance answer (as the API's, 200 items at most) and the
    checkpoint it was read at."""
    after, scope = public_cursor(number, pledgor, cursor)
    found = public_page(
        uow, number=number, pledgor=pledgor, limit=PUBLIC_PAGE_SIZE, after=after, scope=scope
    )
    return {"checkpoint": held_checkpoint(uow.session).reference(), **found}


def asset_list(uow: UnitOfWork, who: Principal, *, number, cursor, limit=None) -> dict:
    """A page of assets and, for each, the live pledge on it the user may see (or none)."""
    limit = limit or PAGE_SIZE
    items = assets.list_assets(
        uow, who, number=number, holder_id=None, after=decode_cursor(cursor), limit=limit
    )
    answer = page(items, limit)
    live = {a.id: _live_pledge(uow, who, a.id) for a in answer["items"]}
    answer["live"] = live
    answer["names"] = overviews.pledge_party_names(uow, who, [p for p in live.values() if p])
    return answer


def _live_pledge(uow: UnitOfWork, who: Principal, asset_id: int):
    found = pledges.list_pledges(uow, who, filters={"asset_id": asset_id}, after=None, limit=100)
    return next((p for p in found if p.status in ENCUMBERING), None)


def asset_page(uow: UnitOfWork, who: Principal, asset_id: int) -> dict:
    asset = assets.get_asset(uow, who, asset_id)
    encumbrances = pledges.list_pledges(
        uow, who, filters={"asset_id": asset_id}, after=None, limit=100
    )
    return {
        "asset": asset,
        "holders": [(h, party_name(uow, who, h)) for h in asset.holder_ids],
        "pledges": encumbrances,
        "names": overviews.pledge_party_names(uow, who, encumbrances),
        "history": queries.asset_history(uow, who, asset_id),
        "freezes": examination.asset_freezes(uow, who, asset_id),
    }


def asset_facts(uow: UnitOfWork, who: Principal, asset_id: int):
    """The asset the user sees (404 otherwise), without the rest of its page."""
    return assets.get_asset(uow, who, asset_id)


def asset_freeze(uow: UnitOfWork, who: Principal, asset_id: int, freeze_id: int):
    """One of the court freezes of an asset the user sees; another asset's is ``NotFound``."""
    found = [f for f in examination.asset_freezes(uow, who, asset_id) if f.id == freeze_id]
    if not found:
        raise NotFound(f"No freeze {freeze_id} on asset {asset_id}.")
    return found[0]


def party_facts(uow: UnitOfWork, who: Principal, party_id: int):
    """The party the user sees (404 otherwise)."""
    return parties.get_party(uow, who, party_id)


def party_list(uow: UnitOfWork, who: Principal, *, text, cursor, limit=None) -> dict:
    limit = limit or PAGE_SIZE
    items = parties.list_parties(uow, who, query=text, after=decode_cursor(cursor), limit=limit)
    return page(items, limit)


def application_list(uow: UnitOfWork, who: Principal, *, status, cursor, limit=None) -> dict:
    limit = limit or PAGE_SIZE
    items = applications.list_applications(
        uow, who, after=decode_cursor(cursor), limit=limit, status=status
    )
    answer = page(items, limit)
    answer["names"] = _names(uow, who, answer["items"])
    return answer


def application_page(uow: UnitOfWork, who: Principal, application_id: int) -> dict:
    """The examination screen: the application, every ground checked (for the registry's
    staff), the parties' names and the assets the user may see."""
    if who.sees_all():
        found = examination.examination(uow, who, application_id)
        application = found.application
    else:
        found, application = None, applications.get_application(uow, who, application_id)
    return {
        "examination": found,
        "application": application,
        "names": _names(uow, who, [application]),
        "assets": {a: _visible_asset(uow, who, a) for a in application.asset_ids},
        "referenced": _referenced(uow, who, found.checks) if found else {},
    }


def _referenced(uow: UnitOfWork, who: Principal, checks) -> dict:
    """The parties' names and the pledges' numbers the checklist's facts mention, by id."""
    party_ids, pledge_ids = set(), set()
    for fact in (fact for check in checks for fact in check.facts):
        for key, value in fact.values.items():
            ids = value if isinstance(value, list) else [value]
            if key in ("pledgor_id", "pledgee_id", "holder_ids", "party_ids"):
                party_ids.update(ids)
            elif key == "pledge_ids":
                pledge_ids.update(ids)
    names = {("party", i): party_name(uow, who, i) for i in party_ids}
    numbers = {
        ("pledge", i): pledges.get_pledge(uow, who, i).registration_number for i in pledge_ids
    }
    return {key: text for key, text in {**names, **numbers}.items() if text}


def _visible_asset(uow: UnitOfWork, who: Principal, asset_id: int):
    try:
        return assets.get_asset(uow, who, asset_id)
    except NotFound:
        return None


def _names(uow: UnitOfWork, who: Principal, items) -> dict:
    """Names of the pledgors and pledgees of applications the user sees, by party id."""
    ids = {i for item in items for i in (item.pledgor_id, item.pledgee_id)}
    return {i: name for i in ids if (name := party_name(uow, who, i)) is not None}


def pledge_list(uow: UnitOfWork, who: Principal, *, status, cursor, limit=None) -> dict:
    limit = limit or PAGE_SIZE
    items = pledges.list_pledges(
        uow, who, filters={"status": status}, after=decode_cursor(cursor), limit=limit
    )
    answer = page(items, limit)
    answer["names"] = overviews.pledge_party_names(uow, who, answer["items"])
    return answer


def pledge_page(uow: UnitOfWork, who: Principal, pledge_id: int) -> dict:
    pledge = pledges.get_pledge(uow, who, pledge_id)
    return {
        "pledge": pledge,
        "names": overviews.pledge_party_names(uow, who, [pledge]),
        "assets": [assets.get_asset(uow, who, a) for a in pledge.asset_ids],
        "history": queries.pledge_history(uow, who, pledge_id),
        "disposals": pledge_disposals(uow, who, pledge_id),
    }


def pledge_receipt(pledge_id: int) -> dict:
    """The pledge's receipt, exactly as ``GET /api/v1/pledges/{id}/receipt`` answers it (the
    same two steps: the entry found in a read the visibility policy guards, then its proof in
    a signed checkpoint covering it)."""
    return ReceiptOut().dump(receipt_of_entry(read(registration_entry, pledge_id)))


def export_rows(uow: UnitOfWork, who: Principal, list_page, **filters) -> dict:
    """Every row of a list (up to ``EXPORT_LIMIT``), read page by page in one transaction."""
    items: list[dict] = []
    lookups: dict[str, dict] = {"names": {}, "numbers": {}}  # what the pages show by id
    cursor = None
    while len(items) < EXPORT_LIMIT:
        answer = list_page(uow, who, cursor=cursor, limit=200, **filters)
        items.extend(answer["items"])
        for key, found in lookups.items():
            found.update(answer.get(key, {}))
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    return {"items": items[:EXPORT_LIMIT], **lookups, "truncated": cursor is not None}


def party_name(uow: UnitOfWork, who: Principal, party_id: int) -> str | None:
    """A holder's name, or None for a co-holder the user is not shown (as the API does)."""
    try:
        return parties.get_party(uow, who, party_id).name
    except NotFound:
        return None


def valuation_list(uow: UnitOfWork, who: Principal, *, cursor, limit=None) -> dict:
    limit = limit or PAGE_SIZE
    items = valuations.list_valuations(uow, who, after=decode_cursor(cursor), limit=limit)
    return page(items, limit)


def valuation_page(uow: UnitOfWork, who: Principal, valuation_id: int) -> dict:
    """A stored valuation the user may read, with the request it answered (for the maturity)."""
    row = valuations.get_valuation(uow.session, who, valuation_id)
    asset = _visible_asset(uow, who, row.asset_id) if row.asset_id else None
    return {"valuation": valuations.valuation_json(row), "request": row.request, "asset": asset}


def pledge_disposals(uow: UnitOfWork, who: Principal, pledge_id: int) -> list:
    return disposals.list_disposals(
        uow, who, filters={"pledge_id": pledge_id}, after=None, limit=100
    )

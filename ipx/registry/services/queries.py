"""Read models: the public encumbrance query and record histories."""

from __future__ import annotations

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.orm import aliased

from ipx.auth import Principal
from ipx.ledger.disclosure import named_parties, open_entry
from ipx.ledger.tables import LedgerEntry, LedgerRef
from ipx.registry.numbers import (
    InvalidNumber,
    normalise_asset_number,
    parse_patent_number,
    registration_number,
)
from ipx.registry.orm import Asset, Party, Pledge, PledgeAsset
from ipx.registry.services.assets import get_asset
from ipx.registry.services.pledges import get_pledge
from ipx.uow import UnitOfWork

#: The most items, and the default, of a page of the public query (DESIGN's list maximum).
PUBLIC_LIMIT = 200
#: The public query's cursors: their kind (``ipx.web.fields.encode_key_cursor``) and the
#: columns of the last item they hold.
PUBLIC_CURSOR = "pub"
PUBLIC_KEY = ("pledge_id", "asset_id")


def public_encumbrances(
    uow: UnitOfWork,
    *,
    number: str | None,
    pledgor: str | None,
    limit: int = PUBLIC_LIMIT,
    after: tuple[int, ...] | None = None,
) -> list[dict]:
    """The public-notice fields of every pledge (cancelled ones too) on an asset or by a
    pledgor, newest registration first: ``limit + 1`` rows at most, each with the
    ``pledge_id`` and ``asset_id`` a page's cursor is made of (``PUBLIC_KEY``), which are not
    public fields (``ipx.web.fields.key_page`` cuts the page and drops them).

    The order is (registered_at, pledge) descending, then asset: a keyset, so a page that
    ``after`` (the last item's pledge and asset ids, as ``next_cursor`` holds them) names
    starts after that item, and a pledge registered while a reader pages through comes before
    the first page, never into a later one twice. Only the public columns are selected: loading
    whole ``Pledge`` and ``Asset`` rows would also load their assets and holders (select-in
    relationships), two more queries per answer. The statements are built once (the query is
    the registry's hottest read).
    """
    params: dict[str, object] = {"limit": limit + 1}
    criterion = "number" if number is not None else "pledgor"
    if number is not None and (registered := registration_number(number)) is not None:
        criterion, params["registration"] = "registration", registered
    elif number is not None:
        params["numbers"] = _number_spellings(number)
    else:
        text = (pledgor or "").strip()
        params.update(name=_name_pattern(text), credit_code=text.upper())
    if after is not None:
        params.update(after_pledge=after[0], after_asset=after[1])
    stmt = _PUBLIC_QUERIES[criterion, after is not None]
    return [dict(row._mapping) for row in uow.session.execute(stmt, params)]


def _public_query(criterion: str, paged: bool):
    pledgor_party, pledgee_party = aliased(Party), aliased(Party)
    stmt = (
        select(
            Pledge.registration_number,
            Asset.number.label("asset_number"),
            Asset.kind.label("asset_kind"),
            Asset.title.label("asset_title"),
            Asset.ipc.label("main_classification"),
            pledgor_party.name.label("pledgor_name"),
            pledgee_party.name.label("pledgee_name"),
            Pledge.registered_at,
            Pledge.status,
            Pledge.closed_at,
            Pledge.closing_reason,
            Pledge.id.label("pledge_id"),  # the cursor's, not the answer's
            Asset.id.label("asset_id"),
        )
        .join(PledgeAsset, PledgeAsset.pledge_id == Pledge.id)
        .join(Asset, Asset.id == PledgeAsset.asset_id)
        .join(pledgor_party, pledgor_party.id == Pledge.pledgor_id)
        .join(pledgee_party, pledgee_party.id == Pledge.pledgee_id)
        .order_by(Pledge.registered_at.desc(), Pledge.id.desc(), Asset.id)
        .limit(bindparam("limit"))
    )
    if criterion == "number":
        stmt = stmt.where(Asset.number.in_(bindparam("numbers", expanding=True)))
    elif criterion == "registration":  # every asset of the pledge so registered
        stmt = stmt.where(Pledge.registration_number == bindparam("registration"))
    else:
        stmt = stmt.where(
            pledgor_party.name.ilike(bindparam("name"), escape="\\")
            | (pledgor_party.credit_code == bindparam("credit_code"))
        )
    if paged:  # after the cursor's item, in the order above
        pledge: BindParameter[int] = bindparam("after_pledge")
        asset: BindParameter[int] = bindparam("after_asset")
        at = select(Pledge.registered_at).where(Pledge.id == pledge).scalar_subquery()
        stmt = stmt.where(
            (Pledge.registered_at < at)
            | ((Pledge.registered_at == at) & (Pledge.id < pledge))
            | ((Pledge.id == pledge) & (Asset.id > asset))
        )
    return stmt


#: The public query's statements by (what is searched, after a cursor).
_PUBLIC_QUERIES = {
    (criterion, paged): _public_query(criterion, paged)
    for criterion in ("number", "registration", "pledgor")
    for paged in (True, False)
}


def map_number(uow: UnitOfWork, number: str) -> str:
    """The normalised number a search certificate proves for ``number`` typed any way: the
    stored one of an asset so spelled, else the first kind's normalised form that parses,
    else the text as typed (its key then proves absent)."""
    stored = uow.session.execute(
        select(Asset.number).where(Asset.number.in_(_number_spellings(number))).limit(1)
    ).scalar()
    if stored is not None:
        return stored
    for kind in ("invention", "utility_model", "design", "trademark", "copyright"):
        try:
            return normalise_asset_number(kind, number)
        except InvalidNumber:
            continue
    return number.strip() or number


def _name_pattern(text: str) -> str:
    """LIKE pattern for a pledgor's name: any part of it of at least 2 characters, in any case
    (one character matches the whole name only). Wildcards typed by the user are literal."""
    literal = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{literal}%" if len(text) >= 2 else literal


def _number_spellings(number: str) -> list[str]:
    """The stored form of a patent number typed any common way; other numbers as given."""
    spellings = [number.strip()]
    try:
        spellings.append(parse_patent_number(number).number)
    except InvalidNumber:
        spellings.append(number.strip().upper())
    return list(dict.fromkeys(spellings))


def history(
    uow: UnitOfWork,
    who: Principal,
    kind: str,
    record_id: int,
    *,
    after: int | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Every logged event concerning a record, oldest first (actor, time, what changed): those
    after log entry ``after``, and ``limit + 1`` at most with a ``limit`` (a page and whether
    there is more: ``ipx.web.fields.page``).

    An event's confidential facts are shown to clerks and auditors, and to the parties the event
    names; others see its public facts only.
    """
    stmt = (
        select(LedgerEntry.seq, LedgerEntry.leaf, LedgerEntry.details)
        .join(LedgerRef, LedgerRef.seq == LedgerEntry.seq)
        .where(LedgerRef.kind == kind, LedgerRef.ref_id == record_id)
        .order_by(LedgerEntry.seq)
    )
    if after is not None:
        stmt = stmt.where(LedgerEntry.seq > after)
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    rows = uow.session.execute(stmt)
    events = []
    for seq, leaf_text, details in rows:
        # The event in clear, from its sealed record (the public leaf may show only digests).
        entry = open_entry(leaf_text, details)
        changes = dict(entry.data)
        event = {
            "seq": seq,
            "time": entry.time,
            "type": entry.type,
            "actor": entry.actor,
            "refs": entry.refs,
            "changes": changes,
        }
        if entry.sealed and (who.sees_all() or who.party_id in named_parties(entry.refs)):
            changes.update(entry.private)
            # The exact text the leaf's digests.details seals, so the party can check it.
            event["sealed_details"] = entry.sealed
        events.append(event)
    return events


def asset_history(uow: UnitOfWork, who: Principal, asset_id: int, **page: int | None) -> list[dict]:
    """The history of an asset the principal may see (404 otherwise)."""
    get_asset(uow, who, asset_id)
    return history(uow, who, "asset", asset_id, **page)


def pledge_history(
    uow: UnitOfWork, who: Principal, pledge_id: int, **page: int | None
) -> list[dict]:
    """The history of a pledge the principal may see (404 otherwise)."""
    get_pledge(uow, who, pledge_id)
    return history(uow, who, "pledge", pledge_id, **page)

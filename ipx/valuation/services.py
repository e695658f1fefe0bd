"""Valuation use cases: value assets, store each valuation immutably, log it.

The valuation package never imports the registry: assets reach it through an ``AssetSource``
(a callable the application factory wires in) that checks visibility and returns plain facts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.auth import Principal, Role
from ipx.errors import Forbidden, NotFound, ValidationFailed
from ipx.ledger.canonical import sha256_hex
from ipx.ledger.events import Event
from ipx.uow import UnitOfWork
from ipx.valuation.model import Economics, ValuationRequest, ValuationResult
from ipx.valuation.orm import Valuation
from ipx.valuation.validity import validity_json

if TYPE_CHECKING:  # the model and NumPy load with the first valuation, not with the routes
    from ipx.valuation.predictor import Valuer

#: Years after grant at which each renewal stage's fee falls due (US maintenance fees).
STAGE_YEARS = ("3.5", "7.5", "11.5")


@dataclass(frozen=True)
class AssetFacts:
    """What a valuation needs from the registry about one asset."""

    id: int
    kind: str
    features: dict | None
    ipc: str | None
    filing_date: date | None
    grant_date: date | None
    expiry_date: date | None
    frozen: bool
    lapsed: bool
    #: The holder's name for the owner-history lookup (None: the unseen-owner case).
    owner: str | None = None


#: (session, principal, asset_id) -> AssetFacts, raising NotFound when the caller may not see it.
AssetSource = Callable[[Session, Principal, int], AssetFacts]


def create_valuations(
    uow: UnitOfWork, valuer: Valuer, who: Principal, items: list[dict], assets: AssetSource
) -> list[Valuation]:
    """Value each item (asset from the registry, or features given directly) and store it."""
    requests, asset_ids = [], []
    for item in items:
        request, asset_id = _request(uow, who, item, assets)
        requests.append(request)
        asset_ids.append(asset_id)
    try:
        results = valuer.value_batch(requests)
    except ValueError as exc:  # inputs the schema lets through but the model cannot use
        raise ValidationFailed({"_schema": [str(exc)]}) from None
    rows = [
        Valuation(
            asset_id=asset_id,
            requested_by=who.actor,
            party_id=who.party_id,
            model_version=result.model_version,
            feature_schema_hash=result.feature_schema_hash,
            as_of=result.as_of,
            value_p10=result.value.p10 if result.value else None,
            currency=result.value.currency if result.value else None,
            request=_request_json(request),
            result=result_json(result),
            created_at=uow.now,
        )
        for request, asset_id, result in zip(requests, asset_ids, results, strict=True)
    ]
    uow.session.add_all(rows)
    uow.session.flush()
    for row in rows:
        uow.record(_event(row))
    return rows


def _request(uow: UnitOfWork, who: Principal, item: dict, assets: AssetSource):
    as_of = item.get("as_of") or uow.now.date()
    economics = Economics(**item["economics"]) if item.get("economics") else None
    common = {
        "as_of": as_of,
        "loan_term_months": item.get("loan_term_months"),
        "economics": economics,
        "explain": item.get("explain", False),
    }
    if "asset_id" not in item:
        if who.role is Role.OWNER:
            raise Forbidden("An owner values its own registered assets: give asset_id.")
        return ValuationRequest(
            kind=item.get("kind", "invention"),
            features=item["features"],
            ipc=item.get("ipc"),
            owner=item.get("owner"),
            filing_date=item.get("filing_date"),
            grant_date=item.get("grant_date"),
            expiry_date=item.get("expiry_date"),
            **common,
        ), None
    facts = assets(uow.session, who, item["asset_id"])
    return ValuationRequest(
        kind=facts.kind,
        features=facts.features,
        ipc=facts.ipc,
        owner=facts.owner,
        filing_date=facts.filing_date,
        grant_date=facts.grant_date,
        expiry_date=facts.expiry_date,
        frozen=facts.frozen,
        lapsed=facts.lapsed,
        **common,
    ), facts.id


def get_valuation(session: Session, who: Principal, valuation_id: int) -> Valuation:
    """A stored valuation, for clerks and auditors or the party that asked for it."""
    row = session.get(Valuation, valuation_id)
    if row is None or (not who.sees_all() and row.party_id != who.party_id):
        raise NotFound(f"No valuation with id {valuation_id}.")
    return row


def read_valuation(uow: UnitOfWork, who: Principal, valuation_id: int) -> dict:
    """A stored valuation the caller may read, as the API answers it."""
    return valuation_json(get_valuation(uow.session, who, valuation_id))


def list_valuations(
    uow: UnitOfWork, who: Principal, *, after: int | None, limit: int
) -> list[Valuation]:
    """Stored valuations the caller may read (as ``get_valuation``), newest first, ids below
    ``after``."""
    stmt = select(Valuation).order_by(Valuation.id.desc()).limit(limit + 1)
    if not who.sees_all():
        stmt = stmt.where(Valuation.party_id == who.party_id)
    if after:
        stmt = stmt.where(Valuation.id < after)
    return list(uow.session.execute(stmt).scalars())


def latest_value_lower_bound(session: Session, asset_ids: list[int]) -> Decimal | None:
    """Sum of the latest stored p10 value of each asset; None unless every asset has one.

    This is the default reserve price of a disposal (DESIGN: the latest valuation's lower bound).
    """
    total = Decimal(0)
    for asset_id in asset_ids:
        p10 = session.execute(
            select(Valuation.value_p10)
            .where(Valuation.asset_id == asset_id, Valuation.value_p10.is_not(None))
            .order_by(Valuation.created_at.desc(), Valuation.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if p10 is None:
            return None
        total += p10
    return total


def result_json(result: ValuationResult) -> dict:
    """The stored and returned form of a result: money as decimal strings, no Python types."""
    value = result.value
    return {
        "model_version": result.model_version,
        "feature_schema_hash": result.feature_schema_hash,
        "as_of": result.as_of.isoformat(),
        "score": result.score,
        "grade": result.grade,
        "survival": None
        if result.survival is None
        else [
            {"stage": i + 1, "years_after_grant": STAGE_YEARS[i], "p_in_force": round(p, 6)}
            for i, p in enumerate(result.survival)
        ],
        "p_in_force_at_maturity": None
        if result.p_in_force_at_maturity is None
        else round(result.p_in_force_at_maturity, 6),
        "value": None
        if value is None
        else {
            "currency": value.currency,
            "p10": f"{value.p10:.2f}",
            "p50": f"{value.p50:.2f}",
            "p90": f"{value.p90:.2f}",
            "assumptions": value.assumptions,
        },
        "collateral": {
            "currency": None if value is None else value.currency,
            "ltv_cap": str(result.collateral.ltv_cap),
            "collateral_value": _money(result.collateral.collateral_value),
            "max_loan": _money(result.collateral.max_loan),
        },
        "drivers": None
        if result.drivers is None
        else [
            {
                "feature": d.feature,
                "value": d.value,
                "contribution": round(d.contribution, 6),
                "by_stage": [round(v, 6) for v in d.by_stage],
            }
            for d in result.drivers
        ],
        "drivers_space": result.drivers_space,
        "flags": [{"code": f.code, "message": f.message} for f in result.flags],
        "imputed": list(result.imputed),
        "validity": None if result.validity is None else validity_json(result.validity),
    }


def valuation_json(row: Valuation) -> dict:
    # The stored result as it is (its digest is logged): one stored before the collateral
    # carried its currency has none there (the value's currency is beside the value).
    return {"id": row.id, "asset_id": row.asset_id, **row.result, "created_at": row.created_at}


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _request_json(request: ValuationRequest) -> dict:
    return {
        "kind": str(request.kind),
        "features": request.features,
        "ipc": request.ipc,
        "owner": request.owner,
        "filing_date": _iso(request.filing_date),
        "grant_date": _iso(request.grant_date),
        "expiry_date": _iso(request.expiry_date),
        "frozen": request.frozen,
        "lapsed": request.lapsed,
        "as_of": _iso(request.as_of),
        "loan_term_months": request.loan_term_months,
        "explain": request.explain,
        "economics": None
        if request.economics is None
        else {
            "annual_revenue": str(request.economics.annual_revenue),
            "royalty_rate": request.economics.royalty_rate,
            "discount_rate": request.economics.discount_rate,
            "tax_rate": request.economics.tax_rate,
            "growth": request.economics.growth,
        },
    }


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _event(row: Valuation) -> Event:
    """The ledger leaf of a valuation: its outcome in clear, digests of request and result."""
    result = row.result
    return Event(
        type="valuation.created",
        refs={"valuation": row.id, **({"asset": row.asset_id} if row.asset_id else {})},
        data={"model_version": row.model_version, "as_of": result["as_of"]},
        private={
            "grade": result["grade"],
            "p10": result["value"]["p10"] if result["value"] else None,
        },
        digests={
            "request": stored_json_digest(row.request),
            "result": stored_json_digest(result),
        },
    )


def stored_json_digest(document: dict) -> str:
    """SHA-256 of a stored JSON document in a fixed text form (sorted keys, no spaces, floats
    as Python's shortest round-trip repr), so anyone holding the document can recompute it."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_hex(text)

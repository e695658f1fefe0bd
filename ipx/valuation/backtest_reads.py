"""The back-test's reads: realized prices (through the registry's port) and the stored value
ranges they are judged against; the figures themselves are `backtest`'s pure computation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.auth import Principal, Role, authorize
from ipx.uow import UnitOfWork
from ipx.valuation.backtest import RealizedSale, StoredRange, backtest, judge
from ipx.valuation.orm import Valuation

#: Who reads the model-risk figures (back-test and monitoring): as the API's routes.
MODEL_RISK_READERS = (Role.CLERK, Role.AUDITOR)
#: session -> every transaction record (the registry's ``realized_sales``, wired by create_app).
RealizedSales = Callable[[Session], list[RealizedSale]]
_CHUNK = 500


def ensure_model_risk_reader(who: Principal | None) -> None:
    """Clerks and auditors (and admins, who may do everything): the route's ``require`` says
    so first; this holds for every other way in, such as the console."""
    authorize(who, frozenset(MODEL_RISK_READERS))


def read_backtest(
    uow: UnitOfWork, who: Principal | None, realized_sales: RealizedSales, model_version: str
) -> dict:
    """The back-test of the model serving valuations, for a clerk or an auditor."""
    ensure_model_risk_reader(who)
    return backtest_report(uow.session, realized_sales, model_version)


def backtest_report(session: Session, realized_sales: RealizedSales, model_version: str) -> dict:
    """Every realized price against the valuation of ``model_version`` it is judged by."""
    from ipx.valuation.features import ipc_section  # NumPy comes with it: only when asked

    sales = realized_sales(session)
    ranges = stored_ranges(session, {s.asset_id for s in sales}, model_version)
    cited = {s.cited_valuation_id for s in sales if s.cited_valuation_id is not None}
    others = other_model_valuations(session, cited, model_version)
    judged, excluded = judge(sales, ranges, ipc_section, others)
    return {"model_version": model_version, **backtest(judged, excluded)}


def other_model_valuations(
    session: Session, valuation_ids: Iterable[int], model_version: str
) -> set[int]:
    """Those of ``valuation_ids`` made by another model version than ``model_version``."""
    ids = sorted(valuation_ids)
    out: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        out.update(
            session.execute(
                select(Valuation.id).where(
                    Valuation.id.in_(ids[start : start + _CHUNK]),
                    Valuation.model_version != model_version,
                )
            ).scalars()
        )
    return out


def stored_ranges(session: Session, asset_ids: Iterable[int], model_version: str) -> list:
    """The value ranges of ``model_version``'s stored valuations of these assets."""
    ids = sorted(asset_ids)
    out: list[StoredRange] = []
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(Valuation.id, Valuation.asset_id, Valuation.created_at, Valuation.result)
            .where(
                Valuation.asset_id.in_(ids[start : start + _CHUNK]),
                Valuation.value_p10.is_not(None),
                Valuation.model_version == model_version,
            )
            .order_by(Valuation.id)
        ).all()
        for valuation_id, asset_id, created_at, result in rows:
            value = result["value"]
            out.append(
                StoredRange(
                    valuation_id=valuation_id,
                    asset_id=asset_id,
                    created_at=created_at,
                    currency=value["currency"],
                    p10=Decimal(value["p10"]),
                    p50=Decimal(value["p50"]),
                    p90=Decimal(value["p90"]),
                )
            )
    return out

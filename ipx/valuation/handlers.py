"""The valuation's write use case: value patents, store each valuation and log it.

Run by ``ipx.usecases.UseCases`` like the registry's; the model and the source of asset facts
are given by the composition root (``create_app``), so this package needs neither Flask nor
the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ipx.auth import Principal, Role
from ipx.uow import UnitOfWork
from ipx.usecases import UseCase, use_case
from ipx.valuation import services

if TYPE_CHECKING:  # the model (LightGBM, NumPy) loads only when a valuation is asked for
    from ipx.valuation.predictor import Valuer


@dataclass(frozen=True)
class ValueAssets:
    """Value patents: each item is a valuation request (a registered ``asset_id`` or the
    features given directly, with the loan term and optional economics)."""

    items: list[dict]


def handlers(
    valuer: Callable[[], Valuer], asset_source: services.AssetSource
) -> dict[type, UseCase]:
    """The valuation's use cases, over the model ``valuer()`` returns."""

    def value_assets(uow: UnitOfWork, principal: Principal, command: ValueAssets) -> list[dict]:
        rows = services.create_valuations(uow, valuer(), principal, command.items, asset_source)
        return [services.valuation_json(row) for row in rows]

    return {ValueAssets: use_case(value_assets, Role.BANK, Role.CLERK, Role.OWNER)}

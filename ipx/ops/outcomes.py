"""``ipx outcomes export``: the registry's renewal outcomes as a training table.

The composition side of `ipx.valuation.registry_outcomes`: this module reads the registry (the
valuation package never does) and hands plain facts to the mapping there. Nothing personal
leaves: owners (the asset's current holders) are keyed digests of their party ids (the
instance's identity-digest key), rows are named by the asset id, and no names, numbers or
titles are written.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

import click

import ipx

if TYPE_CHECKING:  # SQLAlchemy and the registry load when the command runs, not with `ipx`
    from sqlalchemy.orm import Session


def registered_outcomes(session: Session, digest_key: bytes) -> Iterator:
    """A `RegisteredOutcome` per granted invention, in id order (a count its record lacks is
    None: the export leaves the cell empty)."""
    from sqlalchemy import select

    from ipx.registry.disposal.orm import Disposal, DisposalAsset
    from ipx.registry.model import LegalStatus
    from ipx.registry.orm import Asset
    from ipx.rights import AssetKind
    from ipx.valuation.features import ipc_section
    from ipx.valuation.registry_outcomes import RegisteredOutcome, owner_digest
    from ipx.valuation.sample_columns import COUNT_COLUMNS

    prices = _single_asset_sale_prices(session, Disposal, DisposalAsset)
    assets = session.execute(
        select(Asset)
        .where(Asset.kind == AssetKind.INVENTION.value, Asset.grant_date.is_not(None))
        .order_by(Asset.id)
    ).scalars()
    for asset in assets:
        assert asset.grant_date is not None  # the query's condition
        counts = asset.features or {}
        price = prices.get(asset.id)
        yield RegisteredOutcome(
            row_id=f"registry-{asset.id}",
            owner_digest=owner_digest(digest_key, [h.party_id for h in asset.holders]),
            filing_date=asset.filing_date,
            grant_date=asset.grant_date,
            fees_paid_until=asset.fees_paid_until,
            ended=asset.status in (LegalStatus.LAPSED, LegalStatus.INVALIDATED),
            features={
                name: None if counts.get(name) is None else int(counts[name])
                for name in COUNT_COLUMNS
            },
            ipc_section=ipc_section(asset.ipc),
            realized_price=None if price is None else price[0],
            currency=None if price is None else price[1],
        )


def _single_asset_sale_prices(session: Session, Disposal, DisposalAsset) -> dict:
    """asset id -> (price, currency) of its latest sale as a lot of its own."""
    from sqlalchemy import func, select

    single = (
        select(DisposalAsset.disposal_id)
        .group_by(DisposalAsset.disposal_id)
        .having(func.count() == 1)
        .subquery()
    )
    rows = session.execute(
        select(DisposalAsset.asset_id, Disposal.price, Disposal.currency)
        .join(Disposal, Disposal.id == DisposalAsset.disposal_id)
        .where(
            Disposal.id.in_(select(single.c.disposal_id)),
            Disposal.status == "sold",
            Disposal.price.is_not(None),
        )
        .order_by(Disposal.closed_at, Disposal.id)
    ).all()
    out: dict[int, tuple[Decimal, str]] = {}
    for asset_id, price, currency in rows:
        out[asset_id] = (price, currency)  # later sales replace earlier ones
    return out


def export_table(session: Session, digest_key: bytes, out) -> tuple[int, int, int]:
    """Write the table to `out`; (rows written, left out as censored before stage 1, rows
    written with a count left empty)."""
    from ipx.valuation.registry_outcomes import COLUMNS, training_row

    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    written = censored = incomplete = 0
    for outcome in registered_outcomes(session, digest_key):
        row = training_row(outcome)
        if row is None:
            censored += 1
            continue
        writer.writerow(row)
        written += 1
        incomplete += None in outcome.features.values()
    return written, censored, incomplete


@click.group("outcomes")
def outcomes() -> None:
    """The registry's own renewal outcomes, for training the valuation model."""


@outcomes.command("export")
@click.option("--out", type=click.Path(dir_okay=False), default="-", help="CSV file (- stdout).")
def export(out: str) -> None:
    """Write granted inventions' fee outcomes (stages, censoring, sale prices) as a CSV in the
    training sample's format, owners as keyed digests."""
    from ipx.db_ext import database
    from ipx.instance_keys import registry_digest_key

    app = ipx.create_app()
    try:
        key = registry_digest_key(app.config["DIGEST_KEY_FILE"])
        with database(app).sessions() as session:
            if out == "-":
                counts = export_table(session, key, sys.stdout)
            else:
                with open(out, "w", newline="", encoding="utf-8") as fh:
                    counts = export_table(session, key, fh)
    finally:
        database(app).engine.dispose()
    click.echo(
        f"{counts[0]} rows ({counts[2]} with a bibliographic count the record lacks, left empty: "
        f"training imputes the sample's median); left out: {counts[1]} with no stage observed yet",
        err=True,
    )

"""Loading the sample parties and assets (and synthetic bulk assets for load tests)."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import select

from ipx.db_ext import database
from ipx.registry.orm import Asset, Party
from ipx.registry.samples import load_sample_assets, load_sample_parties, synthetic_assets
from ipx.registry.services.assets import create_asset
from ipx.registry.services.parties import create_party
from ipx.uow import UnitOfWork

BATCH = 500


def seed_samples(app: Flask) -> tuple[int, int]:
    """Add the sample parties and assets that are not there yet; return how many were added."""
    samples_dir = app.config["SAMPLES_DIR"]
    sessions = database(app).sessions
    added_parties = added_assets = 0
    with UnitOfWork(sessions, actor="seed") as uow:
        existing = set(uow.session.execute(select(Party.sample_key)).scalars())
        for party in load_sample_parties(samples_dir):
            if party["key"] not in existing:
                create_party(uow, party, sample_key=party["key"])
                added_parties += 1
        uow.session.flush()
        ids = dict(uow.session.execute(select(Party.sample_key, Party.id)).all())
        existing = set(uow.session.execute(select(Asset.sample_key)).scalars())
        for asset in load_sample_assets(samples_dir):
            if asset["key"] in existing:
                continue
            data = {**asset, "holder_ids": [ids[k] for k in asset["holders"]]}
            create_asset(uow, _as_dates(data), sample_key=asset["key"])
            added_assets += 1
        uow.commit()
    return added_parties, added_assets


def seed_synthetic(app: Flask, count: int, seed: int = 7) -> int:
    """Add ``count`` generated invention patents held by the first sample organization."""
    sessions = database(app).sessions
    with sessions() as session:
        holder = session.execute(select(Party.id).order_by(Party.id).limit(1)).scalar_one()
        numbers = set(session.execute(select(Asset.number)).scalars())
    added, batch = 0, []
    for asset in synthetic_assets(count, seed):
        if asset["number"] in numbers:
            continue
        batch.append(asset)
        if len(batch) == BATCH:
            added += _add_batch(sessions, batch, holder)
            batch = []
    if batch:
        added += _add_batch(sessions, batch, holder)
    return added


def _add_batch(sessions, batch: list[dict], holder: int) -> int:
    with UnitOfWork(sessions, actor="seed") as uow:
        for asset in batch:
            create_asset(uow, _as_dates({**asset, "holder_ids": [holder]}))
        uow.commit()
    return len(batch)


def _as_dates(data: dict) -> dict:
    out = dict(data)
    for field in ("filing_date", "grant_date", "fees_paid_until", "expiry_date"):
        if isinstance(out.get(field), str):
            out[field] = date.fromisoformat(out[field])
    return out

"""Loading the sample parties and assets (and synthetic bulk assets for load tests)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import select

from ipx.auth import SYSTEM
from ipx.db_ext import database
from ipx.instance_keys import registry_digest_key
from ipx.registry.commands import CreateAsset, CreateParty
from ipx.registry.orm import Asset, Party
from ipx.registry.samples import load_sample_assets, load_sample_parties, synthetic_assets
from ipx.registry.services.assets import create_asset
from ipx.registry.services.parties import create_party
from ipx.uow import UnitOfWork

BATCH = 500
PARTY_FIELDS = ("kind", "name", "credit_code", "id_number")
ASSET_FIELDS = (
    "kind",
    "number",
    "title",
    "filing_date",
    "grant_date",
    "status",
    "fees_paid_until",
    "expiry_date",
    "ipc",
    "features",
    "invalidation_pending",
)
DATE_FIELDS = ("filing_date", "grant_date", "fees_paid_until", "expiry_date")


def seed_samples(app: Flask) -> tuple[int, int]:
    """Add the sample parties and assets that are not there yet; return how many were added."""
    samples_dir = app.config["SAMPLES_DIR"]
    sessions = database(app).sessions
    key = registry_digest_key(app.config["DIGEST_KEY_FILE"])
    added_parties = added_assets = 0
    with UnitOfWork(sessions, actor="seed", digest_key=key) as uow:
        existing = set(uow.session.execute(select(Party.sample_key)).scalars())
        for party in load_sample_parties(samples_dir):
            if party["key"] not in existing:
                fields: dict[str, Any] = {k: party.get(k) for k in PARTY_FIELDS}
                create_party(uow, SYSTEM, CreateParty(**fields), sample_key=party["key"])
                added_parties += 1
        uow.session.flush()
        ids = dict(uow.session.execute(select(Party.sample_key, Party.id)).all())
        existing = set(uow.session.execute(select(Asset.sample_key)).scalars())
        for asset in load_sample_assets(samples_dir):
            if asset["key"] in existing:
                continue
            create_asset(uow, SYSTEM, _asset_fields(asset, ids), sample_key=asset["key"])
            added_assets += 1
        uow.commit()
    return added_parties, added_assets


def seed_synthetic(app: Flask, count: int, seed: int = 7) -> int:
    """Add ``count`` generated invention patents held by sample parties (seeded first)."""
    sessions = database(app).sessions
    key = registry_digest_key(app.config["DIGEST_KEY_FILE"])
    with sessions() as session:
        ids = dict(
            session.execute(
                select(Party.sample_key, Party.id).where(Party.sample_key.is_not(None))
            ).all()
        )
        numbers = set(session.execute(select(Asset.number)).scalars())
    added, batch = 0, []
    for asset in synthetic_assets(count, seed, directory=app.config["SAMPLES_DIR"]):
        if asset["number"] in numbers:
            continue
        batch.append(asset)
        if len(batch) == BATCH:
            added += _add_batch(sessions, batch, ids, key)
            batch = []
    if batch:
        added += _add_batch(sessions, batch, ids, key)
    return added


def _add_batch(sessions, batch: list[dict], ids: dict[str | None, int], key: bytes) -> int:
    with UnitOfWork(sessions, actor="seed", digest_key=key) as uow:
        for asset in batch:
            create_asset(uow, SYSTEM, _asset_fields(asset, ids))
        uow.commit()
    return len(batch)


def _asset_fields(asset: dict, party_ids: dict[str | None, int]) -> CreateAsset:
    """The API's asset fields from a sample record (dates parsed, holders resolved)."""
    data: dict[str, Any] = {k: asset.get(k) for k in ASSET_FIELDS if asset.get(k) is not None}
    for field in DATE_FIELDS:
        if field in data:
            data[field] = date.fromisoformat(data[field])
    data["holder_ids"] = [party_ids[key] for key in asset["holder_keys"]]
    return CreateAsset(**data)

"""The per-worker cache of API key lookups: valid keys only, and revocation within its TTL."""

from __future__ import annotations

from sqlalchemy import update

from ipx import auth
from ipx.auth import ApiKey
from ipx.db_ext import database
from ipx.uow import utcnow

PATH = "/api/v1/parties"


def _revoke(app, header: dict) -> None:
    key_id = header["Authorization"].split("_")[1]
    with database(app).sessions() as session:
        session.execute(update(ApiKey).where(ApiKey.key_id == key_id).values(revoked_at=utcnow()))
        session.commit()


def test_a_revoked_key_is_refused_once_its_cached_lookup_expires(app, client, clerk, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    assert client.get(PATH, headers=clerk).status_code == 200
    _revoke(app, clerk)
    # Within the TTL the worker still trusts its recent lookup (documented: at most N seconds).
    assert client.get(PATH, headers=clerk).status_code == 200
    now[0] += auth.AUTH_CACHE_SECONDS + 0.1
    assert client.get(PATH, headers=clerk).status_code == 401


def test_without_the_cache_revocation_is_immediate(app, client, clerk):
    app.config["AUTH_CACHE_SECONDS"] = 0
    assert client.get(PATH, headers=clerk).status_code == 200
    _revoke(app, clerk)
    assert client.get(PATH, headers=clerk).status_code == 401


def test_a_wrong_secret_is_never_served_from_the_cache(client, clerk):
    assert client.get(PATH, headers=clerk).status_code == 200
    tail = "BBBB" if clerk["Authorization"].endswith("AAAA") else "AAAA"
    forged = {"Authorization": clerk["Authorization"][:-4] + tail}
    assert client.get(PATH, headers=forged).status_code == 401
    assert client.get(PATH, headers=forged).status_code == 401
    assert client.get(PATH, headers=clerk).status_code == 200

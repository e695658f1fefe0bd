"""Two requests creating the same party or asset at once: the loser gets the specific 409."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from ipx.auth import SYSTEM
from ipx.db_ext import database
from ipx.errors import Conflict
from ipx.registry.commands import CreateAsset, CreateParty
from ipx.registry.numbers import make_patent_number
from ipx.registry.services.assets import create_asset
from ipx.registry.services.parties import create_party
from ipx.uow import UnitOfWork
from tests.conftest import registry_key
from tests.registry_helpers import credit_code


def _race(app, work) -> list:
    """Run ``work(uow)`` in two threads whose checks both pass before either inserts."""
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt():
        try:
            # (On PostgreSQL a writer takes no lock at the start: both checks pass first.)
            with UnitOfWork(database(app).sessions, digest_key=registry_key(app)) as uow:
                barrier.wait(timeout=10)
                work(uow)
                uow.commit()
            outcomes.append("created")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite writers never overlap
def test_concurrent_duplicates_get_the_specific_conflict(app, registry):
    code = credit_code()
    body = {"kind": "organization", "name": "华东材料科技股份有限公司", "credit_code": code}
    assert _race(app, lambda uow: create_party(uow, SYSTEM, CreateParty(**body))) == [
        "created",
        "party-exists",
    ]
    holder = registry.party()
    number = make_patent_number(2020, 1, 424242)
    asset = {
        "kind": "invention",
        "number": number,
        "title": "t",
        "holder_ids": [holder],
        "filing_date": date(2020, 1, 1),
        "status": "pending",
    }
    assert _race(app, lambda uow: create_asset(uow, SYSTEM, CreateAsset(**asset))) == [
        "asset-exists",
        "created",
    ]

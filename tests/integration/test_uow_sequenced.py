"""``UnitOfWork.when_sequenced``: steps run at commit under the log's head lock, in commit order."""

from __future__ import annotations

from sqlalchemy import select

from ipx.db_ext import database
from ipx.ledger.events import Event
from ipx.ledger.tables import LedgerEntry, LedgerHead
from ipx.uow import UnitOfWork
from tests.conftest import registry_key


def _uow(app) -> UnitOfWork:
    return UnitOfWork(database(app).sessions, digest_key=registry_key(app))


def _types(app) -> list[str]:
    with database(app).sessions() as session:
        return list(session.execute(select(LedgerEntry.type).order_by(LedgerEntry.seq)).scalars())


def test_a_step_runs_at_commit_after_the_events_recorded_before_it(app):
    seen = []
    with _uow(app) as uow:
        uow.record(Event("test.first", refs={}, data={}))
        uow.when_sequenced(lambda u: (seen.append("step"), u.record(Event("test.step", refs={}))))
        assert seen == []  # not before commit
        uow.commit()
    assert seen == ["step"]
    assert _types(app) == ["test.first", "test.step"]


def test_a_unit_of_work_may_commit_again_after_a_sequenced_step(app):
    with _uow(app) as uow:
        uow.when_sequenced(lambda u: u.record(Event("test.one", refs={})))
        uow.commit()
        uow.record(Event("test.two", refs={}))
        uow.commit()  # takes the head lock afresh: the first one ended with the commit
    assert _types(app) == ["test.one", "test.two"]
    with database(app).sessions() as session:
        assert session.execute(select(LedgerHead.size)).scalar_one() == 2


def test_nothing_of_a_step_survives_a_unit_of_work_left_without_commit(app):
    with _uow(app) as uow:
        uow.when_sequenced(lambda u: u.record(Event("test.never", refs={})))
    assert _types(app) == []

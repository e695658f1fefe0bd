"""The unit of work: one transaction, and the ledger events it collected, committed together.

Services open a unit of work, change records through its session and ``record`` what happened;
``commit`` appends those events to the ledger in the same transaction (DESIGN: registry calls
ledger through one function, ``append``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from ipx.db import begin_write
from ipx.ledger import Event, append


def utcnow() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """Context manager around one database transaction.

    ``write=True`` takes SQLite's write lock at the start (PostgreSQL relies on row locks).
    Leaving the block without ``commit()`` rolls everything back, events included.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        actor: str = "system",
        write: bool = True,
        clock: Callable[[], datetime] = utcnow,
        digest_key: bytes,
    ) -> None:
        self._sessions = sessions
        self.actor = actor
        self.write = write
        self.clock = clock
        # The registry's secret: keys the digests of identity numbers and of record states.
        self.digest_key = digest_key
        self.events: list[Event] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.events = []
        self.now = self.clock()
        if self.write:
            begin_write(self.session)
        return self

    def __exit__(self, *exc_info) -> None:
        # close() rolls back whatever was not committed and detaches the loaded objects without
        # expiring them, so routes can still serialise what a read returned.
        self.session.close()

    def record(self, event: Event) -> None:
        """Collect an event; it reaches the ledger only if the unit of work commits."""
        self.events.append(event)

    def commit(self) -> list[int]:
        """Flush the changes, append the collected events to the ledger, commit.

        Returns the ledger sequence numbers given to the events.
        """
        self.session.flush()
        seqs = append(self.session, self.events, actor=self.actor, now=self.now)
        self.session.commit()
        self.events = []
        return seqs

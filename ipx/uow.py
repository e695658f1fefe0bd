"""The unit of work: one transaction, and the ledger events it collected, committed together.

Services open a unit of work, change records through its session and ``record`` what happened;
``commit`` appends those events to the ledger in the same transaction (DESIGN: registry calls
ledger through one function, ``append``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from ipx.db import begin_write, close_read, read_session
from ipx.ledger.disclosure import derive_blinding_key
from ipx.ledger.events import Event
from ipx.ledger.log import Head, append, lock_head
from ipx.notify.outbox import write_outbox


def utcnow() -> datetime:
    return datetime.now(UTC)


class HeldTransaction(Protocol):
    """Someone around the unit of work who owns its transaction (the ``Idempotency-Key``
    claim): it opens the session and, once the route's answer is stored too, appends the
    events (``UnitOfWork.append_events``), commits and closes."""

    def begin(self, sessions: sessionmaker[Session]) -> Session: ...

    def ready(self, uow: UnitOfWork) -> None: ...


class UnitOfWork:
    """Context manager around one database transaction.

    ``write=True`` takes SQLite's write lock at the start (PostgreSQL relies on row locks);
    ``write=False`` is a read-only transaction on PostgreSQL (``ipx.db.read_session``).
    Leaving the block without ``commit()`` rolls everything back, events included.

    With ``held``, the transaction belongs to the caller around the route: ``commit()`` writes
    the changes and hands the events over; the holder stores the route's answer, appends the
    events and commits, so the answer is kept in the same transaction as what it answers, and
    the ledger's lock is still taken last.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        actor: str = "system",
        write: bool = True,
        clock: Callable[[], datetime] = utcnow,
        digest_key: bytes,
        held: HeldTransaction | None = None,
    ) -> None:
        self._sessions = sessions
        self.actor = actor
        self.write = write
        self.clock = clock
        # The registry's secret: keys the digests of identity numbers and of record states.
        self.digest_key = digest_key
        self.events: list[Event] = []
        self._held = held
        self._sequenced: list[Callable[[UnitOfWork], None]] = []
        self._head: Head | None = None
        # What contexts keep for the length of the transaction, by name (the registry's
        # repositories: ``ipx.registry.repositories.repositories``).
        self.extensions: dict[str, Any] = {}

    def __enter__(self) -> UnitOfWork:
        self.events, self._sequenced, self._head = [], [], None
        self.extensions = {}
        self.now = self.clock()
        if self._held is not None:
            self.session = self._held.begin(self._sessions)
            return self
        if self.write:
            self.session = self._sessions()
            begin_write(self.session)
        else:
            self.session = read_session(self._sessions)
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        # close() rolls back whatever was not committed and detaches the loaded objects without
        # expiring them, so routes can still serialise what a read returned. A read ends with a
        # COMMIT first (``ipx.db.close_read``: the connection keeps its prepared statements;
        # the sessions expire nothing on commit).
        if self._held is None:
            if self.write:
                self.session.close()
            else:
                close_read(self.session, failing=exc_type is not None)

    def record(self, event: Event) -> None:
        """Collect an event; it reaches the ledger only if the unit of work commits."""
        self.events.append(event)

    def when_sequenced(self, step: Callable[[UnitOfWork], None]) -> None:
        """Run ``step(uow)`` at commit, once this transaction holds the log's head lock.

        Every writer takes that lock last and keeps it to its commit, so a step runs when the
        transaction's place in the commit order is fixed, one transaction at a time: the place
        for numbers that must be gapless and in order (registration numbers) without holding a
        lock of their own through the rest of the work. Steps may write and ``record``.
        """
        self._sequenced.append(step)

    def commit(self) -> None:
        """Flush the changes, append the collected events to the ledger, commit.

        Held (see the class): flush and run the sequenced steps, then leave appending and the
        commit to the holder.
        """
        self.session.flush()
        if self._held is not None:
            # The holder renders the answer before appending: sequenced steps must run first,
            # so the answer shows what they assigned.
            self._run_sequenced()
            self._held.ready(self)
            return
        self.append_events()
        self.session.commit()

    def append_events(self) -> list[int]:
        """Append the collected events to the ledger (in this transaction); their seqs."""
        self._run_sequenced()
        seqs = append(
            self.session,
            self.events,
            actor=self.actor,
            now=self.now,
            blinding_key=derive_blinding_key(self.digest_key),
            head=self._head,
        )
        write_outbox(self.session, self.events, seqs, self.now)  # announced events, same commit
        self.events, self._head = [], None
        return seqs

    def _run_sequenced(self) -> None:
        if not self._sequenced:
            return
        self._head = lock_head(self.session)
        steps, self._sequenced = self._sequenced, []
        for step in steps:
            step(self)
        self.session.flush()

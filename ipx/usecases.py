"""The use-case boundary: one runner for every write, whichever way it came in.

A use case is a handler ``(uow, principal, command) -> result`` registered for the command's
type, with the roles that may run it. ``UseCases.run`` checks the role, opens the unit of work
(inside the ``Idempotency-Key`` claim's transaction when one holds it), runs the handler and
commits: the JSON API's routes and the console's views build a command and call ``run``; they
never open a transaction, commit or build SQL. Reads go through ``UseCases.read``, a unit of
work that never writes, with the same principal, so the visibility policy
(``ipx.registry.visibility``) applies to both ways in alike. ``read(..., replica=True)`` runs a
read that may lag the primary (the public query) on the read replica's sessions when the
service has one (``IPX_READ_DATABASE_URL``), on the primary's otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from ipx.auth import Principal, Role, authorize, may
from ipx.uow import HeldTransaction, UnitOfWork, utcnow

R = TypeVar("R")
Handler = Callable[[UnitOfWork, Principal, Any], Any]


@dataclass(frozen=True)
class UseCase:
    """A handler and the roles that may run it (admins may run every use case)."""

    handler: Handler
    roles: frozenset[Role]


def use_case(handler: Handler, *roles: Role) -> UseCase:
    return UseCase(handler, frozenset(roles))


class UnknownCommand(LookupError):
    """No use case is registered for this command's type (a wiring mistake)."""


class UseCases:
    """The registered use cases of the running service, and the runner around them."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        read_sessions: sessionmaker[Session] | None = None,
        digest_key: Callable[[], bytes],
        clock: Callable[[], datetime] = utcnow,
        cases: Iterable[Mapping[type, UseCase]] = (),
    ) -> None:
        self._sessions = sessions
        self._read_sessions = read_sessions or sessions
        self._digest_key = digest_key
        self._clock = clock
        self._cases: dict[type, UseCase] = {}
        for mapping in cases:
            self.register(mapping)

    def register(self, cases: Mapping[type, UseCase]) -> None:
        if clash := self._cases.keys() & cases.keys():
            raise ValueError(f"use cases registered twice: {sorted(c.__name__ for c in clash)}")
        self._cases.update(cases)

    def allowed(self, command_type: type, principal: Principal | None) -> bool:
        """Whether the principal's role may run this kind of command (for showing actions)."""
        case = self._cases.get(command_type)
        return case is not None and may(principal, case.roles)

    def run(
        self, command: object, principal: Principal, *, held: HeldTransaction | None = None
    ) -> Any:
        """Run the command's use case in one transaction and commit it; return its result."""
        case = self._cases.get(type(command))
        if case is None:
            raise UnknownCommand(type(command).__name__)
        authorize(principal, case.roles)
        with self.unit_of_work(principal, held=held) as uow:
            result = case.handler(uow, principal, command)
            uow.commit()
        return result

    def read(
        self,
        query: Callable[..., R],
        principal: Principal | None,
        /,
        *args: Any,
        replica: bool = False,
        **kwargs: Any,
    ) -> R:
        """Answer a read: ``query(uow, principal, *args, **kwargs)`` in a unit of work that
        never writes (records come back detached, ready to serialise).

        ``replica``: the query may be answered from the read replica, as of its replay; only
        for reads whose answer says what state it shows (a checkpoint the replica holds).
        """
        with self.unit_of_work(principal, write=False, replica=replica) as uow:
            return query(uow, principal, *args, **kwargs)

    def unit_of_work(
        self,
        principal: Principal | None,
        *,
        write: bool = True,
        held: HeldTransaction | None = None,
        replica: bool = False,
    ) -> UnitOfWork:
        if replica and (write or held is not None):
            raise ValueError("a unit of work on the read replica never writes")
        return UnitOfWork(
            self._read_sessions if replica else self._sessions,
            actor=principal.actor if principal else "public",
            write=write,
            clock=self._clock,
            digest_key=self._digest_key(),
            held=held,
        )

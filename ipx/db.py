"""Engine, sessions and the naming convention shared by every table.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and write transactions
start with ``BEGIN IMMEDIATE`` so that concurrent writers queue for the lock instead of failing
on a read-to-write upgrade. PostgreSQL runs at READ COMMITTED with explicit row locks where an
invariant needs them (see the services); reads run in READ ONLY transactions that end with a
COMMIT (``reading``, ``end_read``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import BigInteger, DateTime, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

if TYPE_CHECKING:
    from sqlalchemy import Table

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model is mapped to a Table (SQLAlchemy types it as any FromClause), so Core
        # statements may take ``Model.__table__``.
        __table__: ClassVar[Table]


def create_db_engine(
    url: str, *, lock_timeout_ms: int | None = None, read_only: bool = False, **kwargs
) -> Engine:
    """Create an engine with the project's settings for SQLite or PostgreSQL.

    ``lock_timeout_ms`` bounds every lock wait of the engine's PostgreSQL sessions, so no
    request waits forever behind another. The app's engine has it, so ``ipx init``'s migrations
    do too: one waiting longer for a lock fails and rolls back whole (PostgreSQL's DDL is
    transactional) and can simply be run again.

    ``read_only`` makes the engine of a read replica (``IPX_READ_DATABASE_URL``): every
    transaction on it is read-only (PostgreSQL's ``default_transaction_read_only``, SQLite's
    ``query_only``), so a read routed there never writes even if the URL names the primary,
    and the engine is marked as a replica (``is_read_replica``).
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("hide_parameters", True)  # errors and logs never show bound (personal) values
    if read_only:
        kwargs["execution_options"] = {**kwargs.get("execution_options", {}), READ_REPLICA: True}
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _configure_sqlite(engine, read_only=read_only)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # No ping before each checkout: it is a round trip on every request (about a tenth of a
    # registration's CPU). A connection the server dropped fails its request instead, answered
    # 503 with Retry-After, and SQLAlchemy then replaces every pooled connection at once.
    kwargs.setdefault("pool_pre_ping", False)
    # Recycled well before the usual idle-connection timeouts of servers and firewalls.
    kwargs.setdefault("pool_recycle", 1800)
    engine = create_engine(url, **kwargs)
    _forget_read_only_on_checkin(engine)
    if lock_timeout_ms:
        _set_on_connect(engine, f"SET lock_timeout = {int(lock_timeout_ms)}")
    if read_only:
        _set_on_connect(engine, "SET default_transaction_read_only = on")
    return engine


#: Execution option marking the engine of a read replica (see ``create_db_engine``).
READ_REPLICA = "ipx_read_replica"


def is_read_replica(bind: Engine | Connection) -> bool:
    """Whether ``bind`` (a session's engine or connection) reads a replica, not the primary."""
    return bool(bind.get_execution_options().get(READ_REPLICA, False))


def _set_on_connect(engine: Engine, statement: str) -> None:
    """Run a ``SET`` once on every new connection (a session setting, so it leaves any
    ``options`` of the URL alone and passes through connection poolers in session mode)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute(statement)
        dbapi_connection.autocommit = autocommit


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("ipx_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def begin_write(session: Session) -> None:
    """Mark the session's transaction as a writer before its first statement.

    On SQLite this takes the write lock up front (``BEGIN IMMEDIATE``); elsewhere it is a no-op.
    """
    session.connection(execution_options={"ipx_write": True})


#: The execution option that begins a session's transactions ``READ ONLY`` on PostgreSQL
#: (SQLAlchemy's connection characteristic; unknown to SQLite, which ignores it).
READ_ONLY = {"postgresql_readonly": True}


def read_session(sessions: Callable[..., Session]) -> Session:
    """A session of ``sessions`` (a session factory) for reading: on PostgreSQL its
    transactions begin ``READ ONLY`` (the server refuses every write in them) when it first
    takes a connection, so that ``end_read`` may end them with a COMMIT. A session bound to a
    connection joins its holder's transaction (or leaves it to the holder's next): it is left
    as it is, and ``end_read`` leaves it alone (not begun READ ONLY)."""
    session = sessions()
    if not isinstance(session.get_bind(), Engine):
        return session
    session.close()  # (it has taken no connection yet)
    return sessions(execution_options=READ_ONLY)


def end_read(session: Session) -> None:
    """End a read session's transaction (``read_session``) with a COMMIT, on PostgreSQL;
    the session's close does the rest.

    Closing a session rolls its transaction back, and psycopg answers every ROLLBACK by
    forgetting the statements it prepared on that connection (``DEALLOCATE ALL``, one more
    round trip: the rollback may have undone a DDL they depend on). With reads and writes
    sharing the pool's connections, every read undid the writes' prepared statements, so the
    log's and the map's larger statements were parsed and planned again on most writes (the
    map's walk: 0.25-0.44 ms prepared, 1.0-1.3 ms not, on the driver's cursor). The COMMIT of
    a transaction the server ran read-only writes no row; it is that ROLLBACK without the
    forgetting. It is sent only for a transaction begun ``READ ONLY`` that the server has not
    failed (a statement it refused may have been one psycopg meant to prepare), on a
    connection still valid, with no ORM changes pending (which a COMMIT would try to write).
    Otherwise, and on SQLite (no such cache), the close's ROLLBACK ends it, as it always did.
    """
    if not session.in_transaction() or not session.is_active:
        return
    if session.new or session.dirty or session.deleted:
        return
    if session.get_bind().dialect.name != "postgresql":
        return
    connection = session.connection()
    if connection.invalidated:
        return
    dbapi_connection = connection.connection.dbapi_connection
    if getattr(dbapi_connection, "read_only", None) is not True:
        return  # begun READ WRITE (or as the server's default): not ours to commit
    status = getattr(getattr(dbapi_connection, "info", None), "transaction_status", None)
    if getattr(status, "name", None) == "INTRANS":  # psycopg's: in a transaction, not failed
        session.commit()


def close_read(session: Session, *, failing: bool) -> None:
    """``end_read``, then close the session: also when the read raised (``failing``: a 404
    from inside a read), except that then an error of ``end_read`` itself never takes the
    place of the read's."""
    try:
        end_read(session)
    except SQLAlchemyError:
        if not failing:
            raise
    finally:
        session.close()


@contextmanager
def reading(sessions: Callable[..., Session]) -> Iterator[Session]:
    """A read session (``read_session``) for the block, ended by ``close_read``."""
    session = read_session(sessions)
    try:
        yield session
    except BaseException:
        close_read(session, failing=True)
        raise
    close_read(session, failing=False)


def _forget_read_only_on_checkin(engine: Engine) -> None:
    """Give a connection back to the pool neither read-only nor read-write.

    SQLAlchemy resets ``postgresql_readonly`` by setting psycopg's ``read_only`` to False,
    and psycopg then begins every later transaction ``READ WRITE``, overriding the server's
    ``default_transaction_read_only`` (a read replica's engine, an operator's write freeze).
    None lets the server's default decide again, as before the connection's first read."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, _record):
        if dbapi_connection is None or getattr(dbapi_connection, "read_only", None) is None:
            return
        if dbapi_connection.info.transaction_status.name == "IDLE":  # (closed: not IDLE)
            dbapi_connection.read_only = None


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator):
    """Exact money: a ``Decimal`` with two places, stored as integer cents (no floats anywhere)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect):
        if value is None:
            return None
        cents = value * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"money has at most two decimal places: {value}")
        return int(cents)

    def process_result_value(self, value: int | None, dialect):
        return None if value is None else (Decimal(value) / 100).quantize(CENT)


CENT = Decimal("0.01")

"""A streaming replica of the local PostgreSQL server, made and removed by a test.

``pg_basebackup -R -X stream`` copies the primary (127.0.0.1:5432) into a temporary directory,
and the installed PostgreSQL 15's own ``pg_ctl`` starts it as a hot standby on a free port. The
server refuses to run as root, so under root the copy belongs to, and runs as, the ``postgres``
user (``runuser``). A replication slot of the replica's own keeps the WAL it still needs on the
primary; it is dropped with the replica (and slots left by a killed run are dropped next time).

The primary must accept replication connections from 127.0.0.1: ``.ci/pg-allow-replication``
adds the ``pg_hba.conf`` line (CI runs it).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from bench._server import free_port

PG_BIN = Path(os.environ.get("IPX_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PRIMARY = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
SLOT_PREFIX = "ipx_test_replica_"
#: Settings a hot standby may not have lower than its primary (it refuses to start otherwise).
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


class ReplicaUnavailable(RuntimeError):
    """This machine cannot run the replica (binaries, replication access): skip or fail."""


def missing_prerequisites() -> str | None:
    """Why a replica cannot be made here, or None."""
    for tool in ("pg_ctl", "postgres", "pg_basebackup"):
        if not (PG_BIN / tool).exists():
            return f"{PG_BIN / tool} is not installed"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is needed to run PostgreSQL as the postgres user"
    try:
        with psycopg.connect(PRIMARY + " replication=true", autocommit=True, connect_timeout=5):
            pass
    except psycopg.OperationalError as exc:
        return f"the primary refuses replication connections ({exc}); run .ci/pg-allow-replication"
    return None


class StreamingReplica:
    """A hot standby of the local primary; use as a context manager so it is always removed."""

    def __init__(self) -> None:
        self.port = free_port()
        self.slot = f"{SLOT_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.root = Path(tempfile.mkdtemp(prefix="ipx-replica-"))
        self.data = self.root / "data"
        self.log = self.root / "replica.log"
        self._started = self._slotted = False

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> StreamingReplica:
        try:
            self.start()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()

    # --- making it -------------------------------------------------------------------------

    def start(self) -> None:
        _drop_abandoned_slots()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._slotted = True  # -C creates it; from here on, remove() drops it
        self._as_server_user(
            [
                str(PG_BIN / "pg_basebackup"),
                *("-h", "127.0.0.1", "-p", "5432", "-U", "postgres"),
                *("-D", str(self.data), "-R", "-X", "stream", "-c", "fast"),
                *("-C", "-S", self.slot),
            ],
            timeout=300,
        )
        self._configure()
        self._started = True
        self._as_server_user(
            [
                str(PG_BIN / "pg_ctl"),
                *("-D", str(self.data), "-l", str(self.log), "-w", "-t", "120"),
                "start",
            ],
            timeout=180,
        )
        self._wait_accepting(timeout=120)

    def _configure(self) -> None:
        """The copy has no configuration file of its own (Debian keeps the primary's in /etc)."""
        with psycopg.connect(PRIMARY, autocommit=True) as conn:
            matched = {
                name: conn.execute(f"SHOW {name}").fetchone()[0] for name in MATCHED_SETTINGS
            }
        lines = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "hot_standby": "on",
            "fsync": "off",  # a throwaway copy
            "shared_buffers": "'32MB'",
            **matched,
        }
        (self.data / "postgresql.conf").write_text(
            "".join(f"{name} = {value}\n" for name, value in lines.items())
        )
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        (self.data / "pg_ident.conf").write_text("")
        if os.geteuid() == 0:
            for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
                shutil.chown(self.data / name, "postgres", "postgres")

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect() as conn:
                    if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                        return
                    raise ReplicaUnavailable("the copy started as a primary, not a standby")
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _as_server_user(self, args: list[str], timeout: float) -> None:
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--", *args]
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{log}"
            )

    # --- using it --------------------------------------------------------------------------

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname={database}",
            autocommit=True,
            connect_timeout=5,
        )

    def wait_for_replay(self, timeout: float = 60) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(PRIMARY, autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with self.connect() as conn:
            while not conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
            ).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the replica did not replay up to {target}")
                time.sleep(0.05)

    def pause_replay(self) -> None:
        """Stop applying the primary's changes (they still arrive); ``resume_replay`` goes on."""
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            deadline = time.monotonic() + 60
            while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
                if time.monotonic() > deadline:
                    raise TimeoutError("the replica's replay did not pause")
                time.sleep(0.05)

    def resume_replay(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    # --- removing it -----------------------------------------------------------------------

    def remove(self) -> None:
        """Stop the server (immediately: it is a throwaway copy), drop its slot and files."""
        try:
            if self._started:
                self._stop()
        finally:
            try:
                if self._slotted:
                    _drop_slot(self.slot)
            finally:
                shutil.rmtree(self.root, ignore_errors=True)

    def _stop(self) -> None:
        try:
            self._as_server_user(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                timeout=60,
            )
        except (RuntimeError, subprocess.TimeoutExpired):
            pid = self._postmaster_pid()
            if pid is not None:  # the postmaster this replica started, by its own pid file
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


def _drop_slot(slot: str, timeout: float = 30) -> None:
    """Drop the slot once its WAL sender has gone (it stays active a moment after a stop)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(PRIMARY, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,)
            ).fetchone()
            if row is None:
                return
            if not row[0]:
                conn.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"replication slot {slot} is still in use")
            time.sleep(0.1)


def _drop_abandoned_slots() -> None:
    """Slots of replicas whose test process is gone (killed before it could clean up): an
    abandoned slot would keep the primary's WAL forever."""
    with psycopg.connect(PRIMARY, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE %s AND NOT active",
            (SLOT_PREFIX + "%",),
        ).fetchall()
        for (slot,) in rows:
            found = re.fullmatch(rf"{SLOT_PREFIX}(\d+)_[0-9a-f]+", slot)
            if found and not _alive(int(found.group(1))):
                conn.execute("SELECT pg_drop_replication_slot(%s)", (slot,))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

"""Starting and stopping ``ipx`` commands and ``ipx serve`` subprocesses (benches and tests).

Everything binds to 127.0.0.1 only. A server runs in its own process group so that stopping
it also stops the gunicorn workers, even when the caller failed half-way.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"


def ipx_command(env: dict | None = None) -> list[str]:
    """The ``ipx`` console script; the module when a source tree is chosen or no script exists."""
    script = shutil.which("ipx")
    if script and not (env or {}).get("IPX_BENCH_TREE"):
        return [script]
    return [sys.executable, "-m", "ipx.cli"]


def instance_env(
    database_url: str, instance_dir: Path, tree: Path | None = None, **extra: str
) -> dict:
    """Environment for ``ipx`` commands on one database with its own instance keys.

    ``tree`` runs the ``ipx`` of another checkout (e.g. a ``git worktree`` of a commit), so a
    bench can measure a fixed revision while the working tree changes.
    """
    instance_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if tree is not None:
        env["IPX_BENCH_TREE"] = str(tree)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), env.get("PYTHONPATH")]))
    env.update(
        {
            "IPX_DATABASE_URL": database_url,
            "IPX_SIGNING_KEY_FILE": str(instance_dir / "signing.key"),
            "IPX_DIGEST_KEY_FILE": str(instance_dir / "digest.key"),
            # a load test is one client address asking far more than a person would
            "IPX_RATE_LIMIT_PUBLIC": "off",
            "IPX_RATE_LIMIT_LOGIN": "off",
            **extra,
        }
    )
    return env


def run_ipx(args: list[str], env: dict, timeout: float = 1800) -> str:
    """Run an ``ipx`` command to completion; return its stdout (raises on a non-zero exit)."""
    done = subprocess.run(
        [*ipx_command(env), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=env.get("IPX_BENCH_TREE"),
    )
    if done.returncode != 0:
        raise RuntimeError(f"ipx {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def create_key(env: dict, role: str, party_id: int | None = None) -> str:
    """A new API key (``ipx keys create`` prints it as its last line)."""
    args = ["keys", "create", "--role", role, "--name", f"bench {role}"]
    if party_id is not None:
        args += ["--party", str(party_id)]
    return run_ipx(args, env).strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """``ipx serve`` as a subprocess; use as a context manager so it is always stopped.

    ``command`` replaces the ``ipx`` command line prefix (e.g. ``bench/_variant_app.py``'s).
    """

    def __init__(
        self,
        env: dict,
        workers: int,
        log_path: Path | None = None,
        threads: int = 4,
        command: list[str] | None = None,
    ) -> None:
        self.env, self.workers, self.threads, self.port = env, workers, threads, free_port()
        self.log_path = log_path
        self.command = command
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self, timeout: float = 60) -> None:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        args = ["serve", "--host", HOST, "--port", str(self.port)]
        args += ["--workers", str(self.workers), "--threads", str(self.threads)]
        self.proc = subprocess.Popen(
            [*(self.command or ipx_command(self.env)), *args],
            env=self.env,
            cwd=self.env.get("IPX_BENCH_TREE"),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        if log is not subprocess.DEVNULL:
            log.close()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                where = f"; see {self.log_path}" if self.log_path else ""
                raise RuntimeError(f"ipx serve exited with {self.proc.returncode}{where}")
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
            try:
                conn.request("GET", "/api/v1/public/encumbrances?number=none")
                response = conn.getresponse()
                response.read()
                if response.status < 500:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.1)
        raise RuntimeError(f"ipx serve did not answer on port {self.port} in {timeout} s")

    def stop(self, grace: float = 10) -> None:
        """Stop the arbiter and its workers (the whole process group); kill if they linger."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=grace)
        except ProcessLookupError:
            pass

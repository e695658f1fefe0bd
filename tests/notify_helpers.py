"""Webhook receivers on loopback for the notification tests: real HTTP servers in threads."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: How often a loopback test server's thread looks for a stop request (here and
#: ``tests.http_race.serving``).
SHUTDOWN_POLL_SECONDS = 0.01


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """Answers each POST with ``answer(n)`` (n: the 1-based count so far; default 204)."""

    port: int = 0
    answer: Callable[[int], int] = lambda n: 204
    delay: float = 0.0  # seconds each answer takes (widens a race's window)
    tls: ssl.SSLContext | None = None  # a server context: answer over HTTPS
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(receiver.delay)
                with receiver._lock:
                    receiver.received.append(
                        Received({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = receiver.answer(len(receiver.received))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        # serve_forever looks for a shutdown request between polls: every 0.5 s by default,
        # which each stop() waited out (about 20 s of the suite's notification tests).
        poll = {"poll_interval": SHUTDOWN_POLL_SECONDS}
        threading.Thread(target=self._server.serve_forever, kwargs=poll, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def of_type(self, kind: str) -> list[Received]:
        return [r for r in self.received if r.json["type"] == kind]

    def types(self) -> list[str]:
        return [r.json["type"] for r in self.received]


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Clock:
    """A worker's clock that tests move forward (retries fall due without waiting)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RawReceiver:
    """A loopback TCP server that reads a request's head, then lets ``answer(conn, stop)``
    write whatever it likes (garbage, or headers a byte at a time) until ``stop`` is set."""

    def __init__(self, answer: Callable[[socket.socket, threading.Event], None]) -> None:
        self.answer = answer
        self.stopping = threading.Event()
        self.requests = 0
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> RawReceiver:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                self.requests += 1
                with contextlib.suppress(OSError):
                    self.answer(conn, self.stopping)

    def stop(self) -> None:
        self.stopping.set()
        self._thread.join(timeout=10)
        self._sock.close()


def garbage(conn: socket.socket, stop: threading.Event) -> None:
    """Not HTTP at all."""
    conn.sendall(b"GARBAGE\r\n")


def trickle(conn: socket.socket, stop: threading.Event, *, every: float = 0.02) -> None:
    """A status line, then a header a byte at a time (each byte well within any socket
    timeout), for a few seconds; then a complete 204."""
    conn.sendall(b"HTTP/1.1 204 No Content\r\nX-Slow: ")
    for _ in range(250):
        if stop.wait(every):
            return
        conn.sendall(b"a")
    conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")


def self_signed(host: str, directory) -> str:
    """A PEM file holding a fresh key and a self-signed certificate for ``host``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = f"{directory}/{host}.pem"
    with open(path, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    return path

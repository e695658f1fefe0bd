"""A C2SP tlog-witness: ``ipx witness serve``, which a bank or a court can run beside the log.

It knows the logs it witnesses (origin -> their checkpoint keys) and, per log, the last
checkpoint it cosigned (size and root hash) in a JSON state file. ``POST /add-checkpoint``
takes ``old <size>``, the consistency proof lines, a blank line and the signed checkpoint, and
answers as the spec says: 404 for an unknown origin, 403 when no trusted key signed it (or a
trusted key's signature does not verify), 400 for an old size larger than the checkpoint's (or
a malformed body, a malformed signature line included), 409 ``text/x.tlog.size`` with the size
it holds when the old size is not that size, 409 for a checkpoint of the size it holds with
another root (a fork), 422 when the proof does not verify; else it records the new checkpoint
(atomically: one lock around check-and-persist, the file replaced by rename after an fsync,
``ipx.atomic_files``) and answers its timestamped Ed25519 cosignature line
(``ipx.ledger.cosignature``).

The checkpoint, its signatures and the log's keys are read as the offline verifier reads them
(``note.split_signed_note``, ``note.Checkpoint.from_body``, ``keyset.open_checkpoint_by_keys``,
``keyset.raw_public_key``): no second parser to drift from
the one receipts are checked with. A log key given as a Go verifier key binds its name, as the
verifier's ``--public-key`` does: a line under another name is not the log's, whatever its key
id. Standard library, ``cryptography`` and the ledger's pure modules only: a WSGI application
served by ``wsgiref`` with a thread per request, no database.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import logging
import re
import socketserver
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ipx.atomic_files import replace_file, write_new_file
from ipx.ledger import cosignature, keyset, merkle, note

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")

#: A log's trusted key as ``keyset.raw_public_key`` reads a ``--log`` key: the raw Ed25519 key
#: and the name its verifier key binds (None for a bare base64 key: any name its key id fits).
LogKey = tuple[bytes, str | None]


class Refused(Exception):
    """An add-checkpoint request refused with ``status`` (and a body)."""

    def __init__(self, status: int, message: str, content_type: str = "text/plain") -> None:
        super().__init__(message)
        self.status, self.message, self.content_type = status, message, content_type


@dataclass(frozen=True)
class Submission:
    """A parsed add-checkpoint body."""

    old_size: int
    proof: list[bytes]
    note_text: str


def parse_submission(body: bytes) -> Submission:
    """Parse ``old N``, proof lines, a blank line, the checkpoint; ``Refused(400)`` else."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, "the body is not UTF-8") from exc
    head, sep, rest = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        raise Refused(400, "the body starts with an old size line, proof lines, a blank line")
    size = lines[0][len("old ") :]
    if not _DECIMAL.fullmatch(size):
        raise Refused(400, "the old size is not a decimal without leading zeros")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise Refused(400, "more than 63 consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            hashed = base64.b64decode(line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise Refused(400, "a proof line is not base64") from exc
        if len(hashed) != merkle.HASH_SIZE:
            raise Refused(400, "a proof line is not a 32-byte hash")
        proof.append(hashed)
    return Submission(int(size), proof, rest)


def parse_checkpoint(note_text: str) -> note.Checkpoint:
    """The checkpoint a signed note carries, unverified (its origin says which log's keys to
    check it with); ``Refused(400)`` when the note, one of its signature lines (a well-formed
    line of an unknown key is fine) or its checkpoint is malformed: C2SP tlog-witness keeps 403
    for a note no trusted key signed."""
    try:
        text, _ = note.split_signed_note(note_text)
        return note.Checkpoint.from_body(text)
    except note.InvalidNote as exc:
        raise Refused(400, str(exc)) from exc


class StateFile:
    """Per log origin, the last cosigned ``{"size": n, "root": base64}``: read and replaced
    under a process lock and an exclusive ``flock`` (several witness processes may share it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def update(self, change: Callable[[dict], dict | None]) -> dict | None:
        """Run ``change`` on the current state under the locks; persist what it returns."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(f"{self.path}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self.read()
            new = change(state)
            if new is not None:
                self._write(new)
            return new

    def read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def _write(self, state: dict) -> None:
        replace_file(self.path, json.dumps(state, sort_keys=True, indent=1).encode("utf-8"))


@dataclass
class WitnessService:
    """The witness: its name and key, the logs it knows (origin -> their keys: ``LogKey``s, or
    raw public keys, which bind no name), its state."""

    name: str
    private_key: Ed25519PrivateKey
    logs: Mapping[str, Sequence[LogKey | bytes]]
    state: StateFile
    clock: Callable[[], float] = field(default=time.time)

    @property
    def verifier_key(self) -> str:
        public = self.private_key.public_key().public_bytes_raw()
        return cosignature.Witness(self.name, public).verifier_key

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line(s) for a submission; raises ``Refused``."""
        submission = parse_submission(body)
        origin = parse_checkpoint(submission.note_text).origin
        keys = self.logs.get(origin)
        if keys is None:
            raise Refused(404, f"unknown log {origin}")
        named = [(key, None) if isinstance(key, bytes) else key for key in keys]
        try:
            checkpoint, _ = keyset.open_checkpoint_by_keys(submission.note_text, named)
        except note.InvalidNote as exc:
            raise Refused(403, f"not signed by a key of {origin}: {exc}") from exc
        if submission.old_size > checkpoint.tree_size:
            raise Refused(400, "the old size is larger than the checkpoint's")
        timestamp = int(self.clock())
        self.state.update(lambda state: _recorded(state, submission, checkpoint))
        return cosignature.cosign(checkpoint.body(), self.name, self.private_key, timestamp)

    def wsgi(self, environ, start_response) -> list[bytes]:
        """The WSGI application: ``POST /add-checkpoint``."""
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path != "/add-checkpoint":
            return _answer(start_response, 404, "not found\n")
        if method != "POST":
            return _answer(start_response, 405, "POST only\n", [("Allow", "POST")])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            return _answer(start_response, 400, "bad or too large Content-Length\n")
        body = environ["wsgi.input"].read(length)
        try:
            lines = self.add_checkpoint(body)
        except Refused as refused:
            text = refused.message if refused.message.endswith("\n") else refused.message + "\n"
            log.info("add-checkpoint refused %s: %s", refused.status, text.strip())
            return _answer(start_response, refused.status, text, content_type=refused.content_type)
        return _answer(start_response, 200, lines)


def _recorded(state: dict, submission: Submission, checkpoint: note.Checkpoint) -> dict:
    """The state with ``checkpoint`` as its log's, if it extends the one held (the spec's
    checks, run under the state's lock); raises ``Refused`` (409, 422) otherwise."""
    held = state.get(checkpoint.origin) or {"size": 0, "root": None}
    if submission.old_size != held["size"]:
        raise Refused(409, f"{held['size']}\n", SIZE_TYPE)
    held_root = base64.b64decode(held["root"]) if held["root"] else None
    if submission.old_size == checkpoint.tree_size:
        if held_root is not None and held_root != checkpoint.root_hash:
            raise Refused(409, "a different root hash for the size cosigned: a fork")
        if submission.proof:
            raise Refused(422, "the proof between equal sizes is empty")
    elif submission.old_size == 0:
        if submission.proof:
            raise Refused(422, "the proof from size 0 is empty")
    elif held_root is None or not merkle.verify_consistency(
        submission.old_size,
        checkpoint.tree_size,
        held_root,
        checkpoint.root_hash,
        submission.proof,
    ):
        raise Refused(422, "the consistency proof does not verify")
    root = base64.b64encode(checkpoint.root_hash).decode()
    return {**state, checkpoint.origin: {"size": checkpoint.tree_size, "root": root}}


_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Entity",
}


def _answer(start_response, status: int, text: str, headers=(), *, content_type="text/plain"):
    data = text.encode("utf-8")
    start_response(
        f"{status} {_REASONS[status]}",
        [
            ("Content-Type", f"{content_type}; charset=utf-8"),
            ("Content-Length", str(len(data))),
            *headers,
        ],
    )
    return [data]


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base's name)
        log.debug(format, *args)


def serve(service: WitnessService, host: str, port: int, ready: Callable[[int], None]) -> None:
    """Serve until interrupted; ``ready(port)`` once listening (port 0: any free port)."""
    with make_server(
        host, port, service.wsgi, server_class=_ThreadingServer, handler_class=_QuietHandler
    ) as server:
        ready(server.server_port)
        server.serve_forever()


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The witness's Ed25519 key: base64 of its 32-byte seed in ``path`` (created whole, mode
    0600, when missing; of two processes creating it at once, the loser reads the winner's)."""
    if not path.exists():
        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        with contextlib.suppress(FileExistsError):
            write_new_file(path, base64.b64encode(seed) + b"\n")
    seed = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    return Ed25519PrivateKey.from_private_bytes(seed)


def log_keys(specs: Iterable[str]) -> dict[str, list[LogKey]]:
    """``--log`` values: a log's Go verifier key (``<name>+<id>+<key>``; its origin is the key
    name) or ``<origin>=<verifier key or base64 key>``; several keys of one origin add up. A
    verifier key's name is kept: only signature lines under it are that key's.
    Raises ``note.InvalidKey`` (a ``ValueError``) for a key that is neither."""
    logs: dict[str, list[LogKey]] = {}
    for spec in specs:
        origin, sep, key = spec.partition("=")
        if not sep:
            origin, key = spec.partition("+")[0], spec
        logs.setdefault(origin, []).append(keyset.raw_public_key(key))
    return logs

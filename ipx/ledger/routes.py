"""The ledger API: public key, checkpoints, entries and proofs (only signing needs a key).

Its reads use the read sessions (a read replica when ``IPX_READ_DATABASE_URL`` is set), with
the checkpoint that database holds (``ipx.ledger.replica``); signing uses the primary.

The pledge receipt is served on this blueprint too, but defined in ``ipx.receipts``: who may see
a pledge is the registry's to say, and the ledger imports no other context.

Entries are public, as their leaves: the public notice in clear, every other event as keyed
digests (``ipx.ledger.disclosure``). A caller ``may_open`` admits also gets the event in clear.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView

from ipx.auth import PARTY_BOUND_ROLES, Principal, Role, current_principal, require
from ipx.db import reading
from ipx.db_ext import database
from ipx.instance_keys import ledger_blinding_key
from ipx.ledger import entry_views, proofs
from ipx.ledger.checkpoints import SignedCheckpoint, b64
from ipx.ledger.disclosure import OpenedEntry, named_parties
from ipx.ledger.entry_views import MayOpen
from ipx.ledger.keyring import key_id_hex
from ipx.ledger.note import verifier_key
from ipx.ledger.replica import held_checkpoint
from ipx.ledger.schemas import (
    REPLICA_503,
    CheckpointOut,
    CheckpointQuery,
    ConsistencyOut,
    ConsistencyQuery,
    EntryOut,
    InclusionOut,
    InclusionQuery,
    NotCheckpointedProblem,
    PublicKeyOut,
)
from ipx.ledger.signing import app_signer, current_checkpoint, published_keys
from ipx.web.api import API_PREFIX, Blueprint

#: The latest checkpoint's ``Cache-Control``: it changes, so a few seconds (C2SP tlog-tiles).
CHECKPOINT_MAX_AGE = "public, max-age=5"

blp = Blueprint(
    "ledger",
    __name__,
    url_prefix=API_PREFIX,
    description="The tamper-evident log: signed checkpoints, proofs and receipts.",
)


def _latest(*, force: bool = False) -> SignedCheckpoint:
    return current_checkpoint(database().engine, force=force)


def _checkpoint_out(checkpoint: SignedCheckpoint) -> dict:
    return {
        "origin": app_signer().origin,
        "tree_size": checkpoint.tree_size,
        "root_hash": b64(checkpoint.root_hash),
        "note": checkpoint.note,
        "signed_at": checkpoint.signed_at,
    }


@blp.route("/ledger/public-key")
class PublicKey(MethodView):
    @blp.response(200, PublicKeyOut)
    def get(self):
        """The Ed25519 key that signs checkpoints (all a verifier needs), and in ``keys``
        every key that ever signed one, with the first and last tree size it signed."""
        signer = app_signer()
        with reading(database().read_sessions) as session:
            keys = published_keys(session, signer)
        return {
            "algorithm": "Ed25519",
            "key_name": signer.key_name,
            "key_id": key_id_hex(signer.key_name, signer.public_key),
            "public_key": b64(signer.public_key),
            "verifier_key": verifier_key(signer.key_name, signer.public_key),
            "origin": signer.origin,
            "keys": keys,
        }


@blp.route("/ledger/checkpoint")
class LatestCheckpoint(MethodView):
    @blp.arguments(CheckpointQuery, location="query")
    @blp.response(200, CheckpointOut)
    @blp.alt_response(404, description="`not-found`: no signed checkpoint has that tree size")
    @blp.alt_response(503, description=REPLICA_503)  # read from the replica (held_checkpoint)
    def get(self, query):
        """The latest signed checkpoint, or the one of ``tree_size`` entries."""
        with reading(database().read_sessions) as session:
            if "tree_size" not in query:
                checkpoint = held_checkpoint(session)
            else:
                checkpoint = proofs.signed_size(session, query["tree_size"])
        # Cacheable for a few seconds only: the latest changes (C2SP tlog-tiles). Asked for
        # text/plain (a tlog-tiles client's <prefix>/checkpoint), the signed note alone, with
        # its witnesses' cosignatures as the JSON's note carries them. One URL, two bodies:
        # a shared cache must key on Accept.
        cache = {"Cache-Control": CHECKPOINT_MAX_AGE, "Vary": "Accept"}
        if wants_note():
            return Response(checkpoint.note, mimetype="text/plain", headers=cache)
        return _checkpoint_out(checkpoint), 200, cache


def wants_note() -> bool:
    """Whether the request prefers the signed note (``text/plain``) over JSON."""
    accept = request.accept_mimetypes
    best = accept.best_match(["application/json", "text/plain"])
    return best == "text/plain" and accept["text/plain"] > accept["application/json"]


@blp.route("/ledger/checkpoints")
class Checkpoints(MethodView):
    @require(Role.CLERK)
    @blp.response(201, CheckpointOut)
    @blp.alt_response(
        200,
        schema=CheckpointOut,
        success=True,
        description="The latest checkpoint already covers the log: it is answered, none signed.",
    )
    def post(self):
        """Sign a checkpoint of the log as it is now (clerk); 200 if the latest covers it."""
        with reading(database().sessions) as session:
            before = proofs.latest_size(session)
        checkpoint = _latest(force=True)
        status = 200 if before == checkpoint.tree_size else 201
        return _checkpoint_out(checkpoint), status


def may_open(who: Principal | None) -> MayOpen:
    """Who sees a log entry in clear: clerks and auditors every entry, a bank or an owner the
    entries naming its party, every caller what it did itself (its key is the actor: a bank's
    valuation); anyone else (no key, an admin) only the public leaf."""

    def admits(entry: OpenedEntry) -> bool:
        if who is None:
            return False
        if who.role in (Role.CLERK, Role.AUDITOR) or entry.actor == who.actor:
            return True
        return who.role in PARTY_BOUND_ROLES and who.party_id in named_parties(entry.refs)

    return admits


def blinding_key() -> bytes:
    """The instance's ledger blinding key (from ``DIGEST_KEY_FILE``)."""
    return ledger_blinding_key(current_app.config["DIGEST_KEY_FILE"])


@blp.route("/ledger/entries/<int:index>")
class Entry(MethodView):
    @blp.response(200, EntryOut)
    @blp.alt_response(401, description="`unauthorized`: a key was sent and it is not valid")
    @blp.alt_response(404, description="`not-found`: the log has no such entry")
    def get(self, index):
        """One log entry: its canonical leaf text and hash; with a key that may see it (clerk,
        auditor, a party it names) also the event in clear, its sealed record and entry key."""
        admits = may_open(current_principal())
        with reading(database().read_sessions) as session:
            return entry_views.entry(session, index, blinding_key=blinding_key(), may_open=admits)


@blp.route("/ledger/proofs/inclusion")
class InclusionProof(MethodView):
    @blp.arguments(InclusionQuery, location="query")
    @blp.response(200, InclusionOut)
    @blp.alt_response(404, description="`not-found`: no such entry, or no checkpoint of that size")
    @blp.alt_response(
        409,
        schema=NotCheckpointedProblem,
        description="`not-checkpointed`: the entry is newer than the signed tree asked for",
    )
    @blp.alt_response(503, description=REPLICA_503)
    def get(self, query):
        """Inclusion proof of an entry in a signed tree (default: the latest)."""
        with reading(database().read_sessions) as session:
            checkpoint = (
                proofs.signed_size(session, query["tree_size"])
                if "tree_size" in query
                else held_checkpoint(session)
            )
            proofs.entry(session, query["index"])  # 404 for an entry the log does not have
            return proofs.inclusion(session, query["index"], checkpoint)


@blp.route("/ledger/proofs/consistency")
class ConsistencyProof(MethodView):
    @blp.arguments(ConsistencyQuery, location="query")
    @blp.response(200, ConsistencyOut)
    @blp.alt_response(404, description="`not-found`: no signed checkpoint has one of the sizes")
    @blp.alt_response(503, description=REPLICA_503)
    def get(self, query):
        """Consistency proof between two signed trees (default second: the latest)."""
        with reading(database().read_sessions) as session:
            second = (
                proofs.signed_size(session, query["second"])
                if "second" in query
                else held_checkpoint(session)
            )
            return proofs.consistency(session, query["first"], second)

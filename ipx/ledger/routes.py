"""The ledger API: public key, checkpoints, entries and proofs (only signing needs a key).

The pledge receipt is served on this blueprint too, but defined in ``ipx.receipts``: who may see
a pledge is the registry's to say, and the ledger imports no other context.
"""

from __future__ import annotations

from flask.views import MethodView

from ipx.auth import Role, require
from ipx.db_ext import database
from ipx.ledger import proofs
from ipx.ledger.checkpoints import SignedCheckpoint, b64
from ipx.ledger.note import verifier_key
from ipx.ledger.schemas import (
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
from ipx.ledger.signing import app_signer, current_checkpoint
from ipx.web.api import API_PREFIX, Blueprint

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
        """The Ed25519 key that signs checkpoints (all a verifier needs)."""
        signer = app_signer()
        return {
            "algorithm": "Ed25519",
            "key_name": signer.key_name,
            "public_key": b64(signer.public_key),
            "verifier_key": verifier_key(signer.key_name, signer.public_key),
            "origin": signer.origin,
        }


@blp.route("/ledger/checkpoint")
class LatestCheckpoint(MethodView):
    @blp.arguments(CheckpointQuery, location="query")
    @blp.response(200, CheckpointOut)
    @blp.alt_response(404, description="`not-found`: no signed checkpoint has that tree size")
    def get(self, query):
        """The latest signed checkpoint, or the one of ``tree_size`` entries."""
        if "tree_size" not in query:
            return _checkpoint_out(_latest())
        with database().sessions() as session:
            return _checkpoint_out(proofs.signed_size(session, query["tree_size"]))


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
        with database().sessions() as session:
            before = proofs.latest_size(session)
        checkpoint = _latest(force=True)
        status = 200 if before == checkpoint.tree_size else 201
        return _checkpoint_out(checkpoint), status


@blp.route("/ledger/entries/<int:index>")
class Entry(MethodView):
    @blp.response(200, EntryOut)
    def get(self, index):
        """One log entry: its canonical leaf text and leaf hash."""
        with database().sessions() as session:
            return proofs.entry(session, index)


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
    def get(self, query):
        """Inclusion proof of an entry in a signed tree (default: the latest)."""
        latest = None if "tree_size" in query else _latest()
        with database().sessions() as session:
            checkpoint = latest or proofs.signed_size(session, query["tree_size"])
            proofs.entry(session, query["index"])  # 404 for an entry the log does not have
            return proofs.inclusion(session, query["index"], checkpoint)


@blp.route("/ledger/proofs/consistency")
class ConsistencyProof(MethodView):
    @blp.arguments(ConsistencyQuery, location="query")
    @blp.response(200, ConsistencyOut)
    @blp.alt_response(404, description="`not-found`: no signed checkpoint has one of the sizes")
    def get(self, query):
        """Consistency proof between two signed trees (default second: the latest)."""
        latest = None if "second" in query else _latest()
        with database().sessions() as session:
            second = latest or proofs.signed_size(session, query["second"])
            return proofs.consistency(session, query["first"], second)

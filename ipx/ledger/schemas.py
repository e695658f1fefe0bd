"""Marshmallow schemas of the ledger API. Hashes are standard base64 text."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ipx.web.fields import Timestamp
from ipx.web.problems import REPLICA_503 as REPLICA_503  # for the routes: reads on the replica
from ipx.web.problems import Problem

TREE_SIZE = validate.Range(min=0, max=2**63 - 1)


class SigningKeyOut(Schema):
    """A checkpoint signing key, current or retired (``ipx signing rotate``)."""

    key_id = fields.String(metadata={"description": "C2SP key id (hex), as in signature lines"})
    key_name = fields.String()
    public_key = fields.String(metadata={"description": "base64 of the 32 raw key bytes"})
    verifier_key = fields.String(metadata={"description": "Go sumdb/note verifier key"})
    status = fields.String(validate=validate.OneOf(["current", "retired"]))
    created_at = Timestamp(allow_none=True)
    retired_at = Timestamp(allow_none=True)
    first_tree_size = fields.Integer(
        allow_none=True, metadata={"description": "the smallest tree it signed (null: none yet)"}
    )
    last_tree_size = fields.Integer(
        allow_none=True, metadata={"description": "the largest tree it signed (null: none yet)"}
    )


class PublicKeyOut(Schema):
    algorithm = fields.String(metadata={"example": "Ed25519"})
    key_name = fields.String()
    key_id = fields.String(metadata={"description": "the current key's C2SP key id (hex)"})
    public_key = fields.String(metadata={"description": "base64 of the 32 raw key bytes"})
    verifier_key = fields.String(metadata={"description": "Go sumdb/note verifier key"})
    origin = fields.String()
    keys = fields.List(
        fields.Nested(SigningKeyOut),
        metadata={"description": "every key that signed checkpoints of this log, oldest first"},
    )


class CheckpointQuery(Schema):
    tree_size = fields.Integer(validate=TREE_SIZE)


class CheckpointOut(Schema):
    origin = fields.String()
    tree_size = fields.Integer()
    root_hash = fields.String()
    note = fields.String(metadata={"description": "the C2SP signed note text"})
    signed_at = Timestamp()


class ClearEventOut(Schema):
    """An event in clear, from the record its leaf seals."""

    type = fields.String(metadata={"example": "pledge.defaulted"})
    actor = fields.String(metadata={"description": "who acted: `key:<key id>`, `user:<id>`"})
    refs = fields.Dict(metadata={"description": "the records it concerns, by kind"})
    data = fields.Dict(metadata={"description": "its public facts"})
    private = fields.Dict(metadata={"description": "its confidential facts"})
    digests = fields.Dict(metadata={"description": "digests of states, personal data, documents"})


class DisclosedFields(Schema):
    """What a reader who may see an entry in clear gets beside its public leaf."""

    event = fields.Nested(
        ClearEventOut,
        metadata={"description": "the event in clear: clerks, auditors, the parties it names"},
    )
    record = fields.String(
        metadata={"description": "the stored text the leaf's `digests.details` seals (SHA-256)"}
    )
    entry_key = fields.String(
        metadata={"description": "hex key of this entry's keyed digests (format-2 leaves)"}
    )


class EntryOut(DisclosedFields):
    index = fields.Integer()
    leaf = fields.String(
        metadata={
            "description": "the leaf's canonical JSON text: the public notice in clear, "
            "any other event as keyed digests"
        }
    )
    leaf_hash = fields.String()


class InclusionQuery(Schema):
    index = fields.Integer(required=True, validate=TREE_SIZE)
    tree_size = fields.Integer(
        validate=TREE_SIZE, metadata={"description": "a signed size; default the latest"}
    )


class InclusionOut(Schema):
    index = fields.Integer()
    tree_size = fields.Integer()
    leaf_hash = fields.String()
    hashes = fields.List(fields.String())
    root_hash = fields.String()


class NotCheckpointedProblem(Problem):
    """``not-checkpointed``: the entry is newer than the signed tree asked for."""

    tree_size = fields.Integer(
        required=True, metadata={"description": "The size of the signed tree that lacks it."}
    )


class ConsistencyQuery(Schema):
    first = fields.Integer(required=True, validate=TREE_SIZE)
    second = fields.Integer(
        validate=TREE_SIZE, metadata={"description": "a signed size; default the latest"}
    )


class ConsistencyOut(Schema):
    first = fields.Integer()
    second = fields.Integer()
    hashes = fields.List(fields.String())


class ReceiptOut(DisclosedFields):
    leaf = fields.String()
    leaf_index = fields.Integer()
    leaf_hash = fields.String()
    inclusion_proof = fields.List(fields.String())
    checkpoint = fields.String(metadata={"description": "the signed note the proof leads to"})

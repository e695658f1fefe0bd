"""Marshmallow schemas of the ledger API. Hashes are standard base64 text."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ipx.web.problems import Problem

TREE_SIZE = validate.Range(min=0, max=2**63 - 1)


class PublicKeyOut(Schema):
    algorithm = fields.String(metadata={"example": "Ed25519"})
    key_name = fields.String()
    public_key = fields.String(metadata={"description": "base64 of the 32 raw key bytes"})
    verifier_key = fields.String(metadata={"description": "Go sumdb/note verifier key"})
    origin = fields.String()


class CheckpointQuery(Schema):
    tree_size = fields.Integer(validate=TREE_SIZE)


class CheckpointOut(Schema):
    origin = fields.String()
    tree_size = fields.Integer()
    root_hash = fields.String()
    note = fields.String(metadata={"description": "the C2SP signed note text"})
    signed_at = fields.DateTime()


class EntryOut(Schema):
    index = fields.Integer()
    leaf = fields.String(metadata={"description": "the leaf's canonical JSON text"})
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


class ReceiptOut(Schema):
    leaf = fields.String()
    leaf_index = fields.Integer()
    leaf_hash = fields.String()
    inclusion_proof = fields.List(fields.String())
    checkpoint = fields.String(metadata={"description": "the signed note the proof leads to"})

"""The log: signing keys, checkpoints, entries, proofs and receipts."""

from __future__ import annotations

from ipx.web.examples.entries import Link, Operation, by_id
from ipx.web.problems import REPLICA_BEHIND_EXAMPLE

ROOT = "wibmCacD6bnVe3pC84s6Is7FfC88i4fyACwAM1DQ2Ag="
NOTE = (
    "ipx.example/pledge-log\n16\n" + ROOT + "\n\n— ipx.example/pledge-log "
    "xmGlIZWx6oQ+WyuN9tIMbDUi8PTTBUOvt6WAzaV+XpXA2JlVcQmbsu450hWwIkUwq9KkvDcJoSPVQTfpZQBCYflk4Qs=\n"
)
CHECKPOINT = {
    "origin": "ipx.example/pledge-log",
    "tree_size": 16,
    "root_hash": ROOT,
    "note": NOTE,
    "signed_at": "2026-12-01T02:05:10Z",
}
LEAF = (
    '{"blinded":{"actor":"aaa89ccccfdbca7599b21d7b262fa54724c0541e8f0ee48e9b35ff1a9afbb77b"},'
    '"data":{"registration_number":"IPX-P-2026-000001","status":"registered"},"digests":'
    '{"details":"ea5bc76020b841f6d6d4e9fd0d0994b8d4aaec4e46d9e2ca417685425b17817d"},"refs":'
    '{"assets":[1],"parties":[1,2],"pledge":1},"seq":10,"time":"2026-12-01T02:05:00Z",'
    '"type":"pledge.registered","v":2}'
)
LEAF_HASH = "1x/M5kHN0Gu0y1iBWyCo31wMKqFNLNb0sbhJiHojywI="
PROOF = [
    "LTMEU1p8+udQW/nKdeV7vM4l1RFPcMo+LTPt8SB1JWA=",
    "dZhmJIitG5ycDreZnVSCoPvp8ji0rHqUmkVPLLW35tA=",
    "AdHkS2AkbH54xuQOulkPi5pUVOymM37hasziaEAC+qY=",
    "QGwMGJzEsFrQE3LzLCZKX88XtyJBnWP//4B+TyAlZGk=",
]
EVENT = {
    "type": "pledge.registered",
    "actor": "key:947ff835e883",
    "refs": {"application": 1, "assets": [1], "parties": [1, 2], "pledge": 1},
    "data": {"registration_number": "IPX-P-2026-000001", "status": "registered"},
    "private": {
        "currency": "CNY",
        "debt_end": "2029-11-30",
        "debt_start": "2026-12-01",
        "secured_amount": "1250000.00",
    },
    "digests": {
        "state:pledge:1": "1118abfd4989c5bfd7069b0a97add41dc676bd2167e691a7dc761d690722a11a"
    },
}
DISCLOSED = {
    "event": EVENT,
    "record": '{"actor":"key:947ff835e883","data":{"registration_number":"IPX-P-2026-000001",'
    '"status":"registered"},"private":{"secured_amount":"1250000.00"},"refs":{"pledge":1},'
    '"salt":"c2d1155a0e35f115682481be527ab047","type":"pledge.registered"}',
    "entry_key": "a100a07181efb1eb8eb9ee5e4b94e521f285c432c26627812c43fbb0075c2425",
}
RECEIPT = {
    **DISCLOSED,
    "leaf": LEAF,
    "leaf_index": 10,
    "leaf_hash": LEAF_HASH,
    "inclusion_proof": PROOF,
    "checkpoint": NOTE,
}
KEY = {  # the key name is the origin (IPX_LOG_ORIGIN)
    "key_id": "c661a521",
    "key_name": "ipx.example/pledge-log",
    "public_key": "m3RV8KayNJzhyBFr4jSfRkkhZb3Q+3Q9HENVrZPqiZs=",
    "verifier_key": "ipx.example/pledge-log+c661a521+AZt0VfCmsjSc4cgRa+I0n0ZJIWW90Pt0PRxDVa2T6omb",
}

OPERATIONS: dict[str, Operation] = {
    "GET /ledger/public-key": Operation(
        "getPublicKey",
        "The Ed25519 key that signs the log's checkpoints: with it alone a receipt or a "
        "proof can be verified offline (`python -m ipx.ledger.verify`, or any C2SP signed-note "
        "verifier). `keys` lists every key that ever signed, with the tree sizes it signed, "
        "so checkpoints signed before a rotation stay verifiable. No key needed.",
        response={
            "algorithm": "Ed25519",
            **KEY,
            "origin": "ipx.example/pledge-log",
            "keys": [
                {
                    **KEY,
                    "status": "current",
                    "created_at": "2026-11-30T08:00:00Z",
                    "retired_at": None,
                    "first_tree_size": 1,
                    "last_tree_size": 16,
                }
            ],
        },
    ),
    "GET /ledger/checkpoint": Operation(
        "getCheckpoint",
        "The latest signed checkpoint of the log (a C2SP signed note: origin, tree size, "
        "root hash, signature, and the cosignatures of the log's witnesses), or the one signed "
        "at `tree_size`. Asked for with `Accept: text/plain`, the latest is answered as C2SP "
        "tlog-tiles serves `<prefix>/checkpoint`: the signed note alone. Cacheable for 5 "
        "seconds. No key needed.",
        parameters={"tree_size": 16},
        response=CHECKPOINT,
        links={
            "ConsistencyToLatest": Link(
                "getConsistencyProof", by_id("first", "$response.body#/tree_size")
            )
        },
        errors={503: REPLICA_BEHIND_EXAMPLE},
    ),
    "POST /ledger/checkpoints": Operation(
        "signCheckpoint",
        "Sign a checkpoint covering the log as it is now: 201 with the new checkpoint, or "
        "200 with the latest one when it already covers every entry (nothing is signed then). "
        "The service also signs on its own schedule (`IPX_CHECKPOINT_EVERY_SECONDS`).",
        response=CHECKPOINT,
        links={
            "GetCheckpoint": Link("getCheckpoint", by_id("tree_size", "$response.body#/tree_size")),
        },
    ),
    "GET /ledger/entries/{index}": Operation(
        "getEntry",
        "One entry of the log: its canonical leaf text and RFC 9162 leaf hash. The leaf shows "
        "in clear only what the public notice shows; a clerk, an auditor or a party the event "
        "names also gets the event in clear, the record the leaf seals and the entry's key. "
        "No key needed for the leaf.",
        parameters={"index": 10},
        response={**DISCLOSED, "index": 10, "leaf": LEAF, "leaf_hash": LEAF_HASH},
        links={
            "GetInclusionProof": Link("getInclusionProof", by_id("index", "$response.body#/index"))
        },
    ),
    "GET /ledger/proofs/inclusion": Operation(
        "getInclusionProof",
        "The RFC 9162 inclusion proof of entry `index` in the signed tree of `tree_size` "
        "entries (default: the latest checkpoint). An entry newer than that tree answers 409 "
        "`not-checkpointed`. No key needed.",
        parameters={"index": 10, "tree_size": 16},
        response={
            "index": 10,
            "tree_size": 16,
            "leaf_hash": LEAF_HASH,
            "hashes": PROOF,
            "root_hash": ROOT,
        },
        errors={503: REPLICA_BEHIND_EXAMPLE},
    ),
    "GET /ledger/proofs/consistency": Operation(
        "getConsistencyProof",
        "The RFC 9162 consistency proof that the signed tree of `first` entries is a prefix "
        "of the signed tree of `second` (default: the latest): the log only ever grew. No key "
        "needed.",
        parameters={"first": 8, "second": 16},
        response={
            "first": 8,
            "second": 16,
            "hashes": [
                "dZhmJIitG5ycDreZnVSCoPvp8ji0rHqUmkVPLLW35tA=",
                "QGwMGJzEsFrQE3LzLCZKX88XtyJBnWP//4B+TyAlZGk=",
            ],
        },
        rules={"first": "not greater than `second`"},
        errors={503: REPLICA_BEHIND_EXAMPLE},
    ),
    "GET /pledges/{pledge_id}/receipt": Operation(
        "getPledgeReceipt",
        "The receipt of the pledge's registration: its log leaf, the inclusion proof and the "
        "signed checkpoint it leads to, verifiable offline with only the public key. A "
        "checkpoint covering the entry is signed first if none does yet.",
        parameters={"pledge_id": 1},
        response=RECEIPT,
    ),
    "GET /ledger/entries/{index}/receipt": Operation(
        "getEntryReceipt",
        "The receipt of any log entry the caller may see in clear (clerks and auditors every "
        "one, a bank or an owner those naming its party): the public leaf, the event, the "
        "record it seals, the inclusion proof and the signed checkpoint.",
        parameters={"index": 10},
        response=RECEIPT,
    ),
    "GET /ledger/tile/{level}/{tile}": Operation(
        "getTile",
        "A tile of the Merkle tree as C2SP tlog-tiles serves it (the tile prefix is "
        "`/api/v1/ledger`): the 32-byte hashes at tree level 8 x `level`, 256 in a full tile "
        "(8,192 bytes), with which a client computes any inclusion or consistency proof "
        "itself. `tile` is the index in zero-padded 3-digit groups, all but the last prefixed "
        "with `x` (1234067: `x001/x234/067`), then `.p/<W>` for the partial tile of `W` "
        "(1..255) hashes. Full tiles never change (`Cache-Control: public, max-age=31536000, "
        "immutable`, an ETag); a partial tile is served only at the width it has in the latest "
        "signed tree, so a client asks for it after reading that checkpoint (`GET "
        "/ledger/checkpoint` with `Accept: text/plain` answers the signed note alone, as the "
        "spec's `<prefix>/checkpoint`). A tile beyond the signed tree is 404. `ipx tiles "
        "export DIR` writes the same files for any static web server. No key needed.",
        parameters={"level": 0, "tile": "000"},
        response="(8,192 bytes: 256 concatenated SHA-256 hashes, the leaf hashes at level 0)",
    ),
    "GET /ledger/tile/entries/{tile}": Operation(
        "getEntryBundle",
        "The public leaves of a level-0 tile as a C2SP tlog-tiles entry bundle: each leaf's "
        "canonical JSON preceded by its length as a big-endian uint16; leaf `i` hashes "
        "(SHA-256(0x00 || leaf)) to hash `i` of the tile. `tile` as in `getTile`; the same "
        "caching and 404 rules. No key needed.",
        parameters={"tile": "000"},
        response="(256 leaves, each a 2-byte big-endian length then its canonical JSON)",
    ),
}

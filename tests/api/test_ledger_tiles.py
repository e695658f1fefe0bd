"""The log served as C2SP tlog-tiles: a client holding only the signed checkpoint and the tiles
computes the service's own proofs; full tiles are immutable, partial ones only of the signed
size, and a tile beyond the tree is 404 problem+json."""

from __future__ import annotations

import base64

from ipx.ledger import merkle
from ipx.ledger.note import parse_and_verify_note
from ipx.ledger.tiles import ENTRIES, Tile, TileNodes, decode_bundle

API = "/api/v1"
IMMUTABLE = "public, max-age=31536000, immutable"


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _fetcher(client):
    def fetch(tile: Tile) -> bytes:
        response = client.get(f"{API}/ledger/{tile.path()}")
        assert response.status_code == 200, (tile.path(), response.status_code)
        assert response.mimetype == "application/octet-stream"
        assert response.headers["Cache-Control"] == IMMUTABLE and response.headers["ETag"]
        return response.get_data()

    return fetch


def _signed(client, size: int):
    body = client.post(f"{API}/ledger/checkpoints", headers=client.clerk_header)
    assert body.status_code in (200, 201)
    key = client.get(f"{API}/ledger/public-key").get_json()["public_key"]
    checkpoint = parse_and_verify_note(body.get_json()["note"], None, _b64(key))
    assert checkpoint.tree_size == size
    return checkpoint


SIGNED_ON_THE_WAY = (1, 100, 256)


def test_tiles_alone_give_the_services_proofs_and_only_the_signed_trees_tiles(
    client, registry, clerk
):
    client.clerk_header = clerk
    for size in range(1, 261):  # past one full level-0 tile
        registry.party()
        if size in SIGNED_ON_THE_WAY:
            _signed(client, size)
    checkpoint = _signed(client, 260)
    fetch = _fetcher(client)
    nodes = TileNodes(260, fetch)
    assert nodes.root() == checkpoint.root_hash
    leaves = decode_bundle(fetch(Tile(ENTRIES, 0))) + decode_bundle(fetch(Tile(ENTRIES, 1, 4)))
    assert len(leaves) == 260
    for index in range(260):
        proof = client.get(f"{API}/ledger/proofs/inclusion?index={index}").get_json()
        assert [_text(h) for h in nodes.inclusion_proof(index)] == proof["hashes"]
        assert merkle.leaf_hash(leaves[index]) == _b64(proof["leaf_hash"])
    for first in SIGNED_ON_THE_WAY:
        proof = client.get(f"{API}/ledger/proofs/consistency?first={first}").get_json()
        assert [_text(h) for h in nodes.consistency_proof(first)] == proof["hashes"]

    # Partial tiles only of the signed size; nothing beyond the tree.
    assert client.get(f"{API}/ledger/tile/1/000.p/1").status_code == 200
    for path in ("0/001.p/3", "0/001.p/5", "0/001", "0/002", "1/000", "entries/001.p/3", "2/000"):
        response = client.get(f"{API}/ledger/tile/{path}")
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["code"] == "not-found"
    for path in ("0/1", "00/000", "0/x000/001", "0/000.p/256", "64/000", "0/000.p/05"):
        assert client.get(f"{API}/ledger/tile/{path}").status_code == 404, path

    # A full tile is 8,192 bytes and answers 304 to its ETag.
    full = client.get(f"{API}/ledger/tile/0/000")
    assert len(full.get_data()) == 256 * 32
    again = client.get(f"{API}/ledger/tile/0/000", headers={"If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304


def _text(hash_: bytes) -> str:
    return base64.b64encode(hash_).decode()


def test_the_checkpoint_as_a_note_for_tile_clients_with_a_short_max_age(client, registry):
    registry.party()
    note = client.get(f"{API}/ledger/checkpoint", headers={"Accept": "text/plain"})
    assert note.mimetype == "text/plain" and note.headers["Cache-Control"] == "public, max-age=5"
    as_json = client.get(f"{API}/ledger/checkpoint")
    assert as_json.get_json()["note"] == note.get_data(as_text=True)
    assert as_json.headers["Cache-Control"] == "public, max-age=5"
    # One URL, two bodies by Accept: a shared cache must not hand one to the other's client.
    assert note.headers["Vary"] == as_json.headers["Vary"] == "Accept"


def test_a_checkpoint_of_a_size_is_a_note_too_and_a_missing_one_stays_problem_json(
    client, registry
):
    registry.party()
    latest = client.get(f"{API}/ledger/checkpoint").get_json()
    url = f"{API}/ledger/checkpoint?tree_size={latest['tree_size']}"
    note = client.get(url, headers={"Accept": "text/plain"})
    assert note.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert note.headers["Cache-Control"] == "public, max-age=5"
    assert note.get_data(as_text=True) == latest["note"]
    for accept in ("*/*", "application/json, text/plain", "text/html"):
        as_json = client.get(url, headers={"Accept": accept})
        assert as_json.mimetype == "application/json", accept
        assert as_json.headers["Cache-Control"] == "public, max-age=5"
    missing = client.get(
        f"{API}/ledger/checkpoint?tree_size={latest['tree_size'] + 99}",
        headers={"Accept": "text/plain"},
    )
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert "Cache-Control" not in missing.headers

"""The log as C2SP tlog-tiles over HTTP: ``/ledger/tile/<L>/<N>[.p/<W>]`` and
``/ledger/tile/entries/<N>[.p/<W>]`` (``ipx.ledger.tiles``), on the ledger's blueprint.

The tiles of the latest signed checkpoint are served: a full tile once that tree holds it,
forever (``Cache-Control: public, max-age=31536000, immutable`` and an ETag: its bytes never
change), a partial tile only at the width it has in that tree; anything else, including a tile
beyond the tree, is 404 ``not-found``. With the tile prefix ``/api/v1/ledger`` the spec's
``<prefix>/checkpoint`` is ``GET /ledger/checkpoint`` asked for ``Accept: text/plain``: the
signed note with its cosignatures, with a short max-age (``ipx.ledger.routes``).
"""

from __future__ import annotations

import hashlib

from flask import Response, request
from flask.views import MethodView

from ipx.db import reading
from ipx.db_ext import database
from ipx.errors import NotFound
from ipx.ledger import tiles
from ipx.ledger.replica import held_checkpoint
from ipx.ledger.routes import blp

OCTET_STREAM = "application/octet-stream"
IMMUTABLE = "public, max-age=31536000, immutable"
BINARY = {"type": "string", "format": "binary"}


def _serve(tile: tiles.Tile | None) -> Response:
    if tile is None:
        raise NotFound("No such tile: the path is not written as C2SP tlog-tiles writes it.")
    with reading(database().read_sessions) as session:
        size = held_checkpoint(session).tree_size
        if not tiles.served_in(tile, size):
            raise NotFound(
                f"The signed tree of {size} entries has no tile {tile.path()} "
                "(beyond the tree, or a partial width that is not this size's)."
            )
        data = tiles.read_tile(session, tile)
    response = Response(data, status=200, mimetype=OCTET_STREAM)
    response.headers["Cache-Control"] = IMMUTABLE  # a tile's bytes never change, full or not
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.make_conditional(request)  # 304 to an If-None-Match of this ETag
    return response


#: The tile path parameter: ``N`` in 3-digit groups, then ``.p/<W>`` for a partial tile.
TILE_PARAMETER = {
    "in": "path",
    "name": "tile",
    "required": True,
    "description": "The tile's index in zero-padded 3-digit groups, all but the last prefixed "
    "with `x` (1234067: `x001/x234/067`), then `.p/<W>` for the partial tile of `W` (1..255).",
    "schema": {
        "type": "string",
        "pattern": "^(x[0-9]{3}/)*[0-9]{3}(\\.p/[1-9][0-9]{0,2})?$",
    },
}


LEVEL_PARAMETER = {
    "in": "path",
    "name": "level",
    "required": True,
    "description": "The tile's level: its hashes are at tree level 8 x `level`.",
    "schema": {"type": "integer", "minimum": 0, "maximum": tiles.MAX_LEVEL},
}


@blp.route("/ledger/tile/<int:level>/<path:tile>", parameters=[LEVEL_PARAMETER, TILE_PARAMETER])
class HashTile(MethodView):
    @blp.response(200, BINARY, content_type=OCTET_STREAM, description="The tile's hashes.")
    @blp.alt_response(304, description="Not modified: the ETag sent is the tile's.")
    @blp.alt_response(404, description="`not-found`: no such tile in the signed tree")
    def get(self, level, tile):
        """A Merkle tree tile (C2SP tlog-tiles): 32-byte hashes at tree level 8 x `level`."""
        return _serve(tiles.parse_tile_path(f"{_level(level)}/{tile}"))


@blp.route("/ledger/tile/entries/<path:tile>", parameters=[TILE_PARAMETER])
class EntryBundle(MethodView):
    @blp.response(200, BINARY, content_type=OCTET_STREAM, description="The entry bundle.")
    @blp.alt_response(304, description="Not modified: the ETag sent is the bundle's.")
    @blp.alt_response(404, description="`not-found`: no such bundle in the signed tree")
    def get(self, tile):
        """An entry bundle (C2SP tlog-tiles): the leaves of a level-0 tile, each a big-endian
        uint16 length and the leaf's canonical JSON."""
        return _serve(tiles.parse_tile_path(f"{tiles.ENTRIES}/{tile}"))


def _level(level: int) -> str:
    # The int converter reads "00" as 0; the spec allows no leading zeros.
    raw = request.path.split("/ledger/tile/", 1)[1].split("/", 1)[0]
    return raw if raw == str(level) else "-"

"""The tamper-evident log (RFC 9162 Merkle tree, signed checkpoints, proofs, offline verifier).

The registry appends through ``ipx.ledger.log`` (``append``, and ``lock_head`` to take its place
in the log's order first) with events from ``ipx.ledger.events``. This module re-exports
nothing: a facade here would put SQLAlchemy on the path of ``python -m ipx.ledger.verify``
(which needs neither it nor Flask) and close an import cycle with the submodules it exports.

Flask is reached only from ``routes`` (the ledger's HTTP API) and ``signing`` (the signer and
checkpoint policy from the app's config); the rest takes a Session, an Engine or plain values.
"""

"""The tamper-evident log. The registry reaches it through ``append`` (and ``lock_head``, to
take its place in the log's order before appending)."""

from ipx.ledger.events import Event
from ipx.ledger.log import Head, append, lock_head

__all__ = ["Event", "Head", "append", "lock_head"]

"""The tamper-evident log. The registry reaches it through ``append`` only."""

from ipx.ledger.events import Event
from ipx.ledger.log import append

__all__ = ["Event", "append"]

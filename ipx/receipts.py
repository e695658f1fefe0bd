"""The pledge receipt: the ledger's proof of a registration, for a caller who may see the pledge.

It needs two contexts (the registry says who may see a pledge, the ledger proves its entry), so
it lives here, at the composition root, and the ledger imports nothing of the registry. It is
served on the ledger's blueprint, where the API document has always listed it: ``create_app``
registers that blueprint from here, so the route is on it before its first registration.
"""

from __future__ import annotations

from flask.views import MethodView

from ipx.auth import Principal, Role, require
from ipx.db_ext import database
from ipx.errors import NotFound
from ipx.ledger import proofs
from ipx.ledger.routes import blp
from ipx.ledger.schemas import ReceiptOut
from ipx.ledger.signing import current_checkpoint
from ipx.registry.services.pledges import get_pledge
from ipx.uow import UnitOfWork
from ipx.web.http import read

__all__ = ["blp", "receipt_of_entry", "registration_entry"]


def registration_entry(uow: UnitOfWork, who: Principal, pledge_id: int) -> int:
    """The log index of the pledge's registration; 404 for a caller who may not see the pledge
    (or a pledge not registered)."""
    get_pledge(uow, who, pledge_id)
    index = proofs.first_entry_of(uow.session, "pledge", pledge_id, "pledge.registered")
    if index is None:
        raise NotFound(f"Pledge {pledge_id} has no registration in the log.")
    return index


def receipt_of_entry(index: int) -> dict:
    """The receipt of log entry ``index``: its leaf and inclusion proof in a signed checkpoint.

    A checkpoint covering the entry is signed first if none does yet (at most once per entry).
    """
    engine = database().engine
    checkpoint = current_checkpoint(engine)
    if index >= checkpoint.tree_size:
        checkpoint = current_checkpoint(engine, force=True)
    with database().sessions() as session:
        return proofs.receipt(session, index, checkpoint)


@blp.route("/pledges/<int:pledge_id>/receipt")
class PledgeReceipt(MethodView):
    @require(Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
    @blp.response(200, ReceiptOut)
    def get(self, pledge_id):
        """Receipt of the pledge's registration: verifiable offline with the public key."""
        return receipt_of_entry(read(registration_entry, pledge_id))

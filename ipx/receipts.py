"""The pledge receipt: the ledger's proof of a registration, for a caller who may see the pledge.

It needs two contexts (the registry says who may see a pledge, the ledger proves its entry), so
it lives here, at the composition root, and the ledger imports nothing of the registry. It is
served on the ledger's blueprint, where the API document has always listed it: ``create_app``
registers that blueprint from here, so the route is on it before its first registration.

A receipt carries what its holder may see: the pledge's parties, clerks and auditors get the
registration in clear with its sealed record and entry key (``ipx.ledger.entry_views``); the
receipt of any other entry (``/ledger/entries/{index}/receipt``) goes to whom ``may_open``
admits (clerks, auditors, the parties the event names, the key that acted).
"""

from __future__ import annotations

from flask.views import MethodView

from ipx.auth import Principal, Role, current_principal, require
from ipx.db import reading
from ipx.db_ext import database
from ipx.errors import NotFound
from ipx.ledger import entry_views, proofs
from ipx.ledger.entry_views import MayOpen
from ipx.ledger.routes import blinding_key, blp, may_open
from ipx.ledger.schemas import ReceiptOut
from ipx.ledger.signing import covering_checkpoint
from ipx.registry.services.pledges import get_pledge
from ipx.uow import UnitOfWork
from ipx.web.http import read

__all__ = ["blp", "entry_receipt", "receipt_of_entry", "registration_entry"]


def registration_entry(uow: UnitOfWork, who: Principal, pledge_id: int) -> int:
    """The log index of the pledge's registration; 404 for a caller who may not see the pledge
    (or a pledge not registered)."""
    get_pledge(uow, who, pledge_id)
    index = proofs.first_entry_of(uow.session, "pledge", pledge_id, "pledge.registered")
    if index is None:
        raise NotFound(f"Pledge {pledge_id} has no registration in the log.")
    return index


def receipt_of_entry(index: int) -> dict:
    """The receipt of a pledge's registration entry ``index`` (from ``registration_entry``,
    which has checked that the caller may see the pledge, and so its registration): the leaf,
    the inclusion proof in a signed checkpoint, and the registration in clear with its sealed
    record and entry key.
    """
    return entry_receipt(index, lambda entry: True)


def entry_receipt(index: int, may_open: MayOpen) -> dict:
    """The receipt of log entry ``index`` for a caller ``may_open`` admits to it (404 else).

    A checkpoint covering the entry is signed first if none does yet (at most once per entry).
    """
    checkpoint = covering_checkpoint(database().engine, index)
    with reading(database().sessions) as session:
        return entry_views.receipt(
            session, index, checkpoint, blinding_key=blinding_key(), may_open=may_open
        )


@blp.route("/pledges/<int:pledge_id>/receipt")
class PledgeReceipt(MethodView):
    @require(Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
    @blp.response(200, ReceiptOut)
    def get(self, pledge_id):
        """Receipt of the pledge's registration: verifiable offline with the public key, with
        the registration in clear for its parties, clerks and auditors."""
        return receipt_of_entry(read(registration_entry, pledge_id))


@blp.route("/ledger/entries/<int:index>/receipt")
class EntryReceipt(MethodView):
    @require(Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
    @blp.response(200, ReceiptOut)
    @blp.alt_response(404, description="`not-found`: no such entry, or not one you may see")
    def get(self, index):
        """Receipt of any log entry the caller may see in clear (clerks and auditors every one,
        a bank or owner those naming its party; others 404): the public leaf, the event, its
        sealed record and entry key, the inclusion proof and the signed checkpoint."""
        admits = may_open(current_principal())
        with reading(database().sessions) as session:
            # Checked before a checkpoint may be signed for it.
            seen = entry_views.may_see_in_clear(session, index, admits)
        if not seen:
            raise NotFound(f"The log has no entry {index} you may see in clear.")
        return entry_receipt(index, admits)

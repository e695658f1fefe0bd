"""Default, disposal on the exchange, bids, close, distribution statements, realized prices."""

from __future__ import annotations

from flask.views import MethodView

from ipx.auth import Role, require
from ipx.registry.commands import (
    CloseDisposal,
    DeclareDefault,
    OpenDisposal,
    RecordBid,
    RequestDisposal,
    WithdrawDisposal,
)
from ipx.registry.disposal import defaults, disposals, realization
from ipx.registry.disposal.schemas import (
    BidIn,
    BidOut,
    BidRefusalProblem,
    BidsOut,
    DefaultIn,
    DefaultOut,
    DisposalIn,
    DisposalOut,
    DisposalQuery,
    DisposalRequestIn,
    DisposalRequestOut,
    StatementOut,
    TransactionOut,
    TransactionQuery,
    WithdrawIn,
)
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import WholePageQuery, decode_cursor, page
from ipx.web.http import page_schema, read, run
from ipx.web.idempotency import idempotent

blp = Blueprint(
    "disposals",
    __name__,
    url_prefix=API_PREFIX,
    description="Default, disposal of pledged assets on the exchange, and distribution.",
)
transactions_blp = Blueprint(
    "transactions",
    __name__,
    url_prefix=f"{API_PREFIX}/transactions",
    description="Realized prices of disposed assets, for back-testing valuations.",
)

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)


@blp.route("/pledges/<int:pledge_id>/default")
class PledgeDefaultView(MethodView):
    @require(*READERS)
    @blp.response(200, DefaultOut)
    def get(self, pledge_id):
        """The declared default and the debt still due (the pledge's parties, clerks)."""
        return read(defaults.get_default, pledge_id)

    @require(Role.BANK, Role.CLERK)
    @blp.arguments(DefaultIn)
    @blp.response(200, DefaultOut)
    def post(self, data, pledge_id):
        """Declare default (the pledgee bank, or a clerk on its behalf)."""
        return run(DeclareDefault(pledge_id, **data))


@blp.route("/pledges/<int:pledge_id>/disposal-requests")
class DisposalRequests(MethodView):
    @require(Role.OWNER, Role.CLERK)
    @idempotent
    @blp.arguments(DisposalRequestIn)
    @blp.response(201, DisposalRequestOut)
    def post(self, data, pledge_id):
        """The pledgor asks for timely disposal after the debt fell due (Civil Code Art. 437)."""
        return run(RequestDisposal(pledge_id, **data))


@blp.route("/pledges/<int:pledge_id>/disposals")
class PledgeDisposals(MethodView):
    @require(Role.CLERK)
    @idempotent
    @blp.arguments(DisposalIn)
    @blp.response(201, DisposalOut)
    @blp.alt_response(409, description="invalid-transition, asset-in-disposal or asset-frozen")
    def post(self, data, pledge_id):
        """Open a disposal of some or all of a defaulted pledge's assets (clerk)."""
        return run(OpenDisposal(pledge_id, **data))


@blp.route("/disposals")
class Disposals(MethodView):
    @require(*READERS)
    @blp.arguments(DisposalQuery, location="query")
    @blp.response(200, page_schema(DisposalOut))
    def get(self, query):
        """List disposals (banks and owners: those of their own pledges)."""
        items = read(
            disposals.list_disposals,
            filters=query,
            after=decode_cursor(query["cursor"]),
            limit=query["limit"],
        )
        return page(items, query["limit"])


@blp.route("/disposals/<int:disposal_id>")
class DisposalById(MethodView):
    @require(*READERS)
    @blp.response(200, DisposalOut)
    def get(self, disposal_id):
        """Read a disposal (the pledge's parties, clerks, auditors)."""
        return read(disposals.get_disposal, disposal_id)


@blp.route("/disposals/<int:disposal_id>/bids")
class DisposalBids(MethodView):
    @require(*READERS)
    @blp.arguments(WholePageQuery, location="query")
    @blp.response(200, BidsOut)
    def get(self, query, disposal_id):
        """The bids recorded, in order (the pledge's parties, clerks, auditors)."""
        limit, after = query["limit"], decode_cursor(query["cursor"])
        return page(read(disposals.list_bids, disposal_id, after=after, limit=limit), limit)

    @require(Role.CLERK)
    @idempotent
    @blp.arguments(BidIn)
    @blp.response(201, BidOut)
    @blp.alt_response(
        409,
        schema=BidRefusalProblem,
        description="`bid-below-reserve`, `bid-not-highest`, `disposal-closed`, ...",
    )
    def post(self, data, disposal_id):
        """Record a bid (clerk); refused with a code when it breaks a rule."""
        return run(RecordBid(disposal_id, **data))


@blp.route("/disposals/<int:disposal_id>/close")
class DisposalClose(MethodView):
    @require(Role.CLERK)
    @blp.response(200, DisposalOut)
    def post(self, disposal_id):
        """Close: the best bid wins (sold) or none came (failed); closing again is harmless."""
        return run(CloseDisposal(disposal_id))


@blp.route("/disposals/<int:disposal_id>/withdraw")
class DisposalWithdraw(MethodView):
    @require(Role.CLERK)
    @blp.arguments(WithdrawIn)
    @blp.response(200, DisposalOut)
    @blp.alt_response(409, description="invalid-transition: the disposal is sold or failed")
    def post(self, data, disposal_id):
        """Withdraw an open disposal (debt paid, a court's stay, the parties' agreement): no bid
        wins, the pledge is defaulted again and the costs stay owed; repeating is harmless."""
        return run(WithdrawDisposal(disposal_id, **data))


@blp.route("/disposals/<int:disposal_id>/statement")
class DisposalStatement(MethodView):
    @require(*READERS)
    @blp.response(200, StatementOut)
    @blp.alt_response(409, description="`disposal-not-sold`: no sale, so no distribution yet")
    def get(self, disposal_id):
        """The distribution of a sale's price in the legal order, adding up to the cent."""
        return read(realization.statement_of, disposal_id)


@transactions_blp.route("")
class Transactions(MethodView):
    @require(Role.CLERK, Role.AUDITOR)
    @transactions_blp.arguments(TransactionQuery, location="query")
    @transactions_blp.response(200, page_schema(TransactionOut))
    def get(self, query):
        """Realized sale prices with the asset's features at sale time (clerks, auditors)."""
        items = read(
            realization.list_transactions,
            filters=query,
            after=decode_cursor(query["cursor"]),
            limit=query["limit"],
        )
        return page(items, query["limit"])

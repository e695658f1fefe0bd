"""Transfer requests: a pledged asset's transfer or licence awaiting the pledgee's consent."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate

from ipx.auth import Role, require
from ipx.registry.commands import (
    ConsentToTransfer,
    DeclineTransfer,
    RequestTransfer,
    WithdrawTransferRequest,
)
from ipx.registry.disposal.schemas import TransferWithProceedsOut
from ipx.registry.schemas import (
    TransferConsentIn,
    TransferDeclineIn,
    TransferRequestIn,
    TransferRequestOut,
    TransferRequestProblem,
    TransferWithdrawIn,
)
from ipx.registry.services import transfer_requests as service
from ipx.registry.services.transfer_requests import RequestStatus
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import PageQuery, QueryId, decode_cursor, page
from ipx.web.http import page_schema, read, run
from ipx.web.idempotency import idempotent

blp = Blueprint(
    "transfer_requests",
    __name__,
    url_prefix=f"{API_PREFIX}/transfer-requests",
    description="Transfers and licences of pledged assets, asked for and awaiting the "
    "pledgee's consent (Civil Code Art. 444).",
)

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
ANSWERED = "`invalid-transition`: the request was answered (completed, declined or withdrawn)"


class TransferRequestQuery(PageQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in RequestStatus]))
    asset_id = QueryId()


class TransferConsentOut(TransferRequestOut):
    transfer = fields.Nested(
        TransferWithProceedsOut, metadata={"description": "The transfer the consent recorded."}
    )


@blp.route("")
class TransferRequests(MethodView):
    @require(*READERS)
    @blp.arguments(TransferRequestQuery, location="query")
    @blp.response(200, page_schema(TransferRequestOut))
    def get(self, query):
        """List transfer requests (a bank: on its pledges; an owner: on its assets)."""
        items = read(
            service.list_transfer_requests,
            filters=query,
            after=decode_cursor(query["cursor"]),
            limit=query["limit"],
        )
        return page(items, query["limit"], lambda item: item["id"])

    @require(Role.OWNER, Role.CLERK)
    @idempotent
    @blp.arguments(TransferRequestIn)
    @blp.response(201, TransferRequestOut)
    @blp.alt_response(404, description="`not-found`: no asset with that `asset_id` you hold")
    @blp.alt_response(
        409,
        schema=TransferRequestProblem,
        description="`not-pledged` (use POST /transfers), `asset-frozen`, `pledge-in-disposal` "
        "or `transfer-request-pending` (one already awaits consent: `transfer_request_id`)",
    )
    def post(self, data):
        """Ask for a pledged asset's transfer or licence (the holder, or a clerk on its
        behalf); it awaits the pledgee's consent, and the pledgee is notified."""
        return run(RequestTransfer(**data))


@blp.route("/<int:request_id>")
class TransferRequestById(MethodView):
    @require(*READERS)
    @blp.response(200, TransferRequestOut)
    def get(self, request_id):
        """Read a transfer request (its pledgee, the asset's holders, clerks, auditors)."""
        return read(service.get_transfer_request, request_id)


@blp.route("/<int:request_id>/consent")
class TransferConsent(MethodView):
    @require(Role.BANK, Role.CLERK)
    @idempotent
    @blp.arguments(TransferConsentIn)
    @blp.response(200, TransferConsentOut)
    @blp.alt_response(
        409,
        schema=TransferRequestProblem,
        description=f"{ANSWERED}; `pledge-ended`, `holders-changed`, `asset-frozen` or "
        "`pledge-in-disposal`",
    )
    def post(self, data, request_id):
        """Consent (the pledgee bank, or a clerk recording its written consent): the transfer
        is recorded as by POST /transfers, the proceeds going where the consent says."""
        return run(ConsentToTransfer(request_id, **data))


@blp.route("/<int:request_id>/decline")
class TransferDecline(MethodView):
    @require(Role.BANK, Role.CLERK)
    @blp.arguments(TransferDeclineIn)
    @blp.response(200, TransferRequestOut)
    @blp.alt_response(409, description=ANSWERED)
    def post(self, data, request_id):
        """Refuse consent, with the reason (the pledgee bank, or a clerk recording it)."""
        return run(DeclineTransfer(request_id, **data))


@blp.route("/<int:request_id>/withdraw")
class TransferWithdraw(MethodView):
    @require(Role.OWNER, Role.CLERK)
    @blp.arguments(TransferWithdrawIn)
    @blp.response(200, TransferRequestOut)
    @blp.alt_response(409, description=ANSWERED)
    def post(self, data, request_id):
        """Withdraw the request before the pledgee answers (the owner who asked, a clerk)."""
        return run(WithdrawTransferRequest(request_id, **data))

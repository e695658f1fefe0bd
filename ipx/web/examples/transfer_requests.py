"""Transfer requests: 上海新材科技有限公司 (party 1) asks to license its pledged patent
(asset 1, pledge 1) to party 3; 浦江商业银行 (party 2), the pledgee, consents."""

from __future__ import annotations

from ipx.web.examples.entries import Link, Operation, by_id

REQUEST = {
    "id": 1,
    "asset_id": 1,
    "pledge_id": 1,
    "kind": "licence",
    "from_party_ids": [1],
    "to_party_ids": [3],
    "requested_by": "owner",
    "requested_by_party_id": 1,
    "status": "awaiting_consent",
    "reason": None,
    "decided_by": None,
    "proceeds": None,
    "transfer_id": None,
    "created_at": "2026-12-05T02:00:00Z",
    "decided_at": None,
}
ANSWERED = {"decided_at": "2026-12-06T02:00:00Z"}
TRANSFER = {
    "id": 1,
    "asset_id": 1,
    "kind": "licence",
    "from_party_ids": [1],
    "to_party_ids": [3],
    "pledge_id": 1,
    "pledgee_consent": True,
    "proceeds": "escrow",
    "created_at": "2026-12-06T02:00:00Z",
    "proceeds_amount": "200000.00",
    "debt_after": "1250000.00",
    "currency": "CNY",
    "pledge_status": "registered",
}
PENDING = {
    "type": "https://ipx.example/problems/transfer-request-pending",
    "title": "The request conflicts with the current state",
    "status": 409,
    "detail": "A transfer request for the asset already awaits the pledgee's consent: "
    "withdraw it or wait for the answer.",
    "code": "transfer-request-pending",
    "transfer_request_id": 1,
}
ANSWER_LINKS = {
    "Consent": Link("consentToTransfer", by_id("request_id")),
    "Decline": Link("declineTransfer", by_id("request_id")),
    "Withdraw": Link("withdrawTransferRequest", by_id("request_id")),
}

OPERATIONS = {
    "GET /transfer-requests": Operation(
        "listTransferRequests",
        "Transfer requests in id order, filtered by status and asset; a bank sees those on "
        "the pledges where it is the pledgee, an owner those on the assets it holds and those "
        "it made.",
        parameters={"limit": 50, "status": "awaiting_consent", "asset_id": 1},
        response={"items": [REQUEST], "next_cursor": None},
        links={
            "GetFirstItem": Link(
                "getTransferRequest", by_id("request_id", "$response.body#/items/0/id")
            )
        },
    ),
    "POST /transfer-requests": Operation(
        "requestTransfer",
        "Ask for an assignment or licence of a pledged asset (an owner for an asset it holds, "
        "a clerk on the holder's behalf). Nothing moves yet: the request awaits the pledgee's "
        "consent, and the pledgee's subscriptions receive `transfer.requested`. An asset no "
        "pledge encumbers is 409 `not-pledged` (record its transfer with POST /transfers); a "
        "frozen one 409 `asset-frozen`; one whose pledge is in disposal 409 "
        "`pledge-in-disposal`; one with a request already awaiting consent 409 "
        "`transfer-request-pending`.",
        request={"asset_id": 1, "kind": "licence", "to_party_ids": [3]},
        response=REQUEST,
        links={
            "GetTransferRequest": Link("getTransferRequest", by_id("request_id")),
            **ANSWER_LINKS,
        },
        rules={"to_party_ids": "every recipient must be a registered party"},
        errors={409: PENDING},
    ),
    "GET /transfer-requests/{request_id}": Operation(
        "getTransferRequest",
        "A transfer request and its answer; its pledgee, the asset's holders, the owner who "
        "made it, clerks and auditors may read it (anyone else: 404).",
        parameters={"request_id": 1},
        response=REQUEST,
    ),
    "POST /transfer-requests/{request_id}/consent": Operation(
        "consentToTransfer",
        "The pledgee's consent (or a clerk recording its written consent), with where the "
        "proceeds go (Civil Code Art. 444): the transfer is recorded exactly as POST "
        "/transfers records a consented one (holders, proceeds, the debt) and the request is "
        "`completed`. 409 `pledge-ended` once the pledge no longer encumbers the asset, "
        "`holders-changed` once another transfer changed its holders.",
        parameters={"request_id": 1},
        request={"proceeds": "escrow", "proceeds_amount": "200000.00"},
        response={
            **REQUEST,
            **ANSWERED,
            "status": "completed",
            "decided_by": "bank",
            "proceeds": "escrow",
            "transfer_id": 1,
            "transfer": TRANSFER,
        },
        rules={"proceeds_amount": "greater than zero"},
    ),
    "POST /transfer-requests/{request_id}/decline": Operation(
        "declineTransfer",
        "The pledgee refuses its consent (or a clerk records the refusal), with the reason; "
        "the reason is kept sealed in the log, never in a notification.",
        parameters={"request_id": 1},
        request={"reason": "受让方资信不足，不同意许可。"},
        response={
            **REQUEST,
            **ANSWERED,
            "status": "declined",
            "decided_by": "bank",
            "reason": "受让方资信不足，不同意许可。",
        },
    ),
    "POST /transfer-requests/{request_id}/withdraw": Operation(
        "withdrawTransferRequest",
        "The owner who made the request (or a clerk) takes it back before the pledgee answers.",
        parameters={"request_id": 1},
        request={"reason": "许可合同已解除。"},
        response={
            **REQUEST,
            **ANSWERED,
            "status": "withdrawn",
            "decided_by": "owner",
            "reason": "许可合同已解除。",
        },
    ),
}

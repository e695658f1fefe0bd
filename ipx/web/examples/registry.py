"""Parties, assets, freezes, applications, pledges, transfers and the public query."""

from __future__ import annotations

from ipx.web.examples.entries import Link, Operation, by_id
from ipx.web.problems import REPLICA_BEHIND_EXAMPLE

OWNER = {
    "id": 1,
    "kind": "organization",
    "name": "上海新材科技有限公司",
    "credit_code": "91310115MA1XK7Q29Q",
    "created_at": "2026-12-01T01:30:00Z",
}
BANK = {
    "id": 2,
    "kind": "organization",
    "name": "浦江商业银行",
    "credit_code": "91110102MA2BNK019W",
    "created_at": "2026-12-01T01:31:00Z",
}
FEATURES = {
    "claims": 12,
    "backward_citations": 8,
    "npl_citations": 2,
    "family_size": 3,
    "inventors": 4,
    "similar_docs": 15,
}
ASSET_IN = {
    "kind": "invention",
    "number": "ZL202110355218.9",
    "title": "一种固态电池电解质膜及其制备方法",
    "holder_ids": [1],
    "filing_date": "2021-04-06",
    "grant_date": "2023-01-10",
    "status": "granted",
    "fees_paid_until": "2027-04-05",
    "ipc": "H01M 10/0565",
    "features": FEATURES,
}
ASSET = {
    "id": 1,
    "kind": "invention",
    "number": "202110355218.9",
    "title": "一种固态电池电解质膜及其制备方法",
    "holder_ids": [1],
    "filing_date": "2021-04-06",
    "grant_date": "2023-01-10",
    "expiry_date": "2041-04-05",
    "status": "granted",
    "fees_paid_until": "2027-04-05",
    "ipc": "H01M 10/0565",
    "features": FEATURES,
    "frozen": False,
    "invalidation_pending": False,
}
FREEZE = {
    "id": 1,
    "asset_id": 1,
    "court": "上海知识产权法院",
    "order_number": "(2026)沪73执保12号",
    "kind": "court_preservation",
    "status": "active",
    "created_at": "2026-12-03T02:00:00Z",
    "lifted_at": None,
}
TERMS = {
    "pledgor_id": 1,
    "pledgee_id": 2,
    "asset_ids": [1],
    "secured_amount": "1250000.00",
    "currency": "CNY",
    "debt_start": "2026-12-01",
    "debt_end": "2029-11-30",
    "contract_number": "PJ-2026-0815",
}
APPLICATION = {
    **TERMS,
    "co_owner_consent_ids": [],
    "forfeiture_clause": False,
    "acknowledged_risks": [],
    "valuation_id": None,
    "id": 1,
    "status": "submitted",
    "note": None,
    "grounds": None,
    "pledge_id": None,
    "created_at": "2026-12-01T01:40:00Z",
    "updated_at": "2026-12-01T01:40:00Z",
}
PLEDGE = {
    "id": 1,
    "registration_number": "IPX-P-2026-000001",
    "status": "registered",
    "pledgor_id": 1,
    "pledgee_id": 2,
    "asset_ids": [1],
    "secured_amount": "1250000.00",
    "currency": "CNY",
    "debt_start": "2026-12-01",
    "debt_end": "2029-11-30",
    "contract_number": "PJ-2026-0815",
    "application_id": 1,
    "registered_at": "2026-12-01T02:05:00Z",
    "closed_at": None,
    "closing_reason": None,
}
PAGE = {"limit": 50}
NEXT_PAGE = {"limit": 50, "cursor": "aWQ6NTA"}
REGISTERED_EVENT = {
    "seq": 10,
    "time": "2026-12-01T02:05:00Z",
    "type": "pledge.registered",
    "actor": "key:947ff835e883",
    "refs": {"application": 1, "assets": [1], "parties": [1, 2], "pledge": 1},
    "changes": {"registration_number": "IPX-P-2026-000001", "status": "registered"},
    "sealed_details": '{"actor":"key:947ff835e883","data":{"registration_number":'
    '"IPX-P-2026-000001","status":"registered"},"refs":{"pledge":1},"salt":"c2d1155a0e35f115",'
    '"type":"pledge.registered"}',
}
PARTY_RULES = {
    "credit_code": "an organization's 18-character unified social credit code, its check "
    "characters verified (GB 32100-2015); an individual has none",
    "id_number": "an individual's 18-character identity number, its check character verified "
    "(GB 11643-1999); an organization has none",
}
TERMS_RULES = {
    "asset_ids": "every asset must be registered",
    "valuation_id": "a valuation the applicant may read, of one of the pledged assets",
    "secured_amount": "greater than zero",
}
HOLDS_NUMBER = "a CNIPA application number of the asset's kind, its check character verified"


def _asset_links() -> dict[str, Link]:
    ids = by_id("asset_id")
    return {
        "GetAsset": Link("getAsset", ids, "Read the asset registered."),
        "GetAssetHistory": Link("getAssetHistory", ids),
        "UpdateAsset": Link("updateAsset", ids),
        "FreezeAsset": Link("freezeAsset", ids),
    }


def _application_links() -> dict[str, Link]:
    ids = by_id("application_id")
    return {
        "GetApplication": Link("getApplication", ids, "Read the application."),
        "RegisterPledge": Link("registerPledge", ids, "Examine it and register the pledge."),
        "RefuseApplication": Link("refuseApplication", ids),
        "RequestCorrection": Link("requestCorrection", ids),
        "CorrectApplication": Link("correctApplication", ids),
    }


def _pledge_links() -> dict[str, Link]:
    ids = by_id("pledge_id")
    return {
        "GetPledge": Link("getPledge", ids, "Read the pledge."),
        "GetPledgeHistory": Link("getPledgeHistory", ids),
        "GetPledgeReceipt": Link("getPledgeReceipt", ids, "Its receipt, verifiable offline."),
        "ChangePledge": Link("changePledge", ids),
        "CancelPledge": Link("cancelPledge", ids),
        "RevokePledge": Link("revokePledge", ids),
        "DeclareDefault": Link("declareDefault", ids),
        "GetDefault": Link("getDefault", ids),
    }


def _first_item(name: str, operation_id: str) -> dict[str, Link]:
    return {
        "GetFirstItem": Link(operation_id, by_id(name, "$response.body#/items/0/id")),
    }


#: A real search certificate: it verifies offline with the key of the log it came from,
#: /w3fToLfZ1RtXkWwSn423ELke0uTSZ5v89orRJImHLA= (python -m ipx.ledger.verify --certificate).
CERTIFICATE = {
    "number": "202110355218.9",
    "key": "3da11a2475b8622aff6712a38b7c425649f1811468f7f1379c6db84810e64e05",
    "tree_size": 17,
    "state": {"pledges": [{"id": 4, "registration_number": "IPX-P-2026-000004"}]},
    "proof": {
        "siblings": [
            None,
            "Po6n0Z+ujm53KgKFbEQgP6TM6I8XFjh2MIJ3WsT/3Xw=",
            "KEH75Ch3gPPrkr23Onu1MUG+tRcc43AIbtHzdpcbsnM=",
        ],
        "leaf": {
            "key": "3da11a2475b8622aff6712a38b7c425649f1811468f7f1379c6db84810e64e05",
            "value_hash": "/etmrw4TAXmuXt/bflJlmyXIOjG67Xler5kfUEVAoDw=",
        },
    },
    "restricted_root": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "map_root": "p26tfmTQaUc4onpu6tkOWgUrRoXEVi49D7cZ80WF5VU=",
    "checkpoint": (
        "ipx.example/pledge-log\n17\n0Gtyh8ih6BodnfunMcHPHyrsnOtSl7dbHgvSZhmvIRw=\n"
        "ipx.encumbrance-map/v1 p26tfmTQaUc4onpu6tkOWgUrRoXEVi49D7cZ80WF5VU=\n\n"
        "\u2014 ipx.example/pledge-log 3Jgm/BGpDtX3foqInKfD+W0BmGWmy7faCyxxxj7579Cq3JW7f/jZlGIEDjZ"
        "+rS2Z+Vd56RLyZ4keYsO/Feecxl9SeAc=\n"
    ),
}


OPERATIONS: dict[str, Operation] = {
    "GET /parties": Operation(
        "listParties",
        "Every party in id order, a page at a time: pass the answer's `next_cursor` as "
        "`cursor` for the next page (null: the last page). Clerks and auditors only.",
        parameters=NEXT_PAGE,
        response={"items": [OWNER, BANK], "next_cursor": "aWQ6Mg"},
        links=_first_item("party_id", "getParty"),
    ),
    "POST /parties": Operation(
        "createParty",
        "Register an organization (with its unified social credit code) or an individual "
        "(whose identity number is stored only as a keyed digest). A credit code already "
        "registered answers 409 `party-exists`.",
        request={
            "kind": "organization",
            "name": "上海新材科技有限公司",
            "credit_code": "91310115MA1XK7Q29Q",
        },
        response=OWNER,
        links={
            "GetParty": Link("getParty", by_id("party_id"), "Read the party registered."),
            "ListAssetsHeld": Link("listAssets", by_id("holder_id")),
        },
        rules=PARTY_RULES,
    ),
    "GET /parties/{party_id}": Operation(
        "getParty",
        "A party: clerks and auditors read any; a bank or an owner reads itself and the "
        "parties of its own applications and pledges (any other is 404).",
        parameters={"party_id": 1},
        response=OWNER,
    ),
    "GET /assets": Operation(
        "listAssets",
        "Assets in id order, filtered by `number` (any spelling: `ZL`/`CN` prefix, with or "
        "without the dot) or by `holder_id`. Banks see the assets pledged to them, owners "
        "those they hold.",
        parameters={**PAGE, "number": "ZL202110355218.9", "holder_id": 1},
        response={"items": [ASSET], "next_cursor": None},
        links=_first_item("asset_id", "getAsset"),
    ),
    "POST /assets": Operation(
        "createAsset",
        "Register a patent, trademark or copyright with its holders. The number is "
        "normalised (`ZL202110355218.9` is stored as `202110355218.9`) and a patent's "
        "protection term computed from its filing date; a trademark or copyright gives its "
        "`expiry_date`. A number already registered answers 409 `asset-exists`.",
        request=ASSET_IN,
        response=ASSET,
        links=_asset_links(),
        rules={
            "number": HOLDS_NUMBER + "; a trademark or copyright its registration number",
            "expiry_date": "computed for patents (given, it must match); required for "
            "trademarks and copyrights",
            "grant_date": "not before the filing date",
            "holder_ids": "every holder must be a registered party",
        },
    ),
    "GET /assets/{asset_id}": Operation(
        "getAsset",
        "An asset with its holders, legal status, fees and risk flags (`frozen` by a court, "
        "`invalidation_pending`).",
        parameters={"asset_id": 1},
        response=ASSET,
    ),
    "PATCH /assets/{asset_id}": Operation(
        "updateAsset",
        "Record a change of legal status, the date fees are paid until, or pending "
        "invalidation proceedings; logged as `asset.changed`. Give at least one field.",
        parameters={"asset_id": 1},
        request={"fees_paid_until": "2028-04-05"},
        response={**ASSET, "fees_paid_until": "2028-04-05"},
    ),
    "GET /assets/{asset_id}/history": Operation(
        "getAssetHistory",
        "Every logged event about the asset, oldest first: its registration, changes, "
        "freezes, pledges and transfers, each with its log sequence number. Up to `limit` "
        "(default and most 200) a page; pass `next_cursor` as `cursor` for the next.",
        parameters={"asset_id": 1},
        response={
            "items": [
                {
                    "seq": 3,
                    "time": "2026-12-01T01:35:00Z",
                    "type": "asset.registered",
                    "actor": "key:947ff835e883",
                    "refs": {"asset": 1, "parties": [1]},
                    "changes": {"number": "202110355218.9", "status": "granted"},
                    "sealed_details": '{"actor":"key:947ff835e883","data":{"number":'
                    '"202110355218.9","status":"granted"},"refs":{"asset":1,"parties":[1]},'
                    '"salt":"a2f643cebb2ba516","type":"asset.registered"}',
                }
            ],
            "next_cursor": None,
        },
    ),
    "POST /assets/{asset_id}/freezes": Operation(
        "freezeAsset",
        "Record a court's preservation order, or (`kind: ownership_dispute`) the suspension "
        "of the right's procedures while its ownership is disputed before a court or "
        "arbitration: either way the asset is `frozen`, so it can be neither pledged (ground "
        "R05) nor transferred nor disposed of until the freeze is lifted.",
        parameters={"asset_id": 1},
        request={"court": "上海知识产权法院", "order_number": "(2026)沪73执保12号"},
        response=FREEZE,
        links={"LiftFreeze": Link("liftFreeze", by_id("freeze_id"))},
    ),
    "POST /freezes/{freeze_id}/lift": Operation(
        "liftFreeze",
        "Lift a freeze; the asset stays frozen while another freeze is active. Lifting a "
        "lifted freeze answers 409 `invalid-transition`.",
        parameters={"freeze_id": 1},
        response={**FREEZE, "status": "lifted", "lifted_at": "2026-12-20T03:00:00Z"},
    ),
    "GET /pledge-applications": Operation(
        "listApplications",
        "Applications in id order; banks and owners see those they are party to.",
        parameters=PAGE,
        response={"items": [APPLICATION], "next_cursor": None},
        links=_first_item("application_id", "getApplication"),
    ),
    "POST /pledge-applications": Operation(
        "fileApplication",
        "File the joint application of a pledgor (a holder of every asset) and a pledgee "
        "bank. A bank files for itself (`pledgee_id` must be its party); a clerk on a bank's "
        "behalf. Nothing is examined yet: registering does that, against grounds R01-R12.",
        request=TERMS,
        response=APPLICATION,
        links=_application_links(),
        rules=TERMS_RULES,
    ),
    "GET /pledge-applications/{application_id}": Operation(
        "getApplication",
        "An application with its status (`submitted`, `correction_requested`, `registered`, "
        "`refused`), the clerk's note and, once examined, the grounds found.",
        parameters={"application_id": 1},
        response=APPLICATION,
    ),
    "PUT /pledge-applications/{application_id}": Operation(
        "correctApplication",
        "Resubmit an application the clerk returned for correction, with the whole corrected "
        "body; it is `submitted` again. Any other status answers 409 `invalid-transition`.",
        parameters={"application_id": 1},
        request={**TERMS, "asset_ids": [2]},
        response={
            **APPLICATION,
            "asset_ids": [2],
            "note": "资产已设立质押（R09），请更换质押物。",
            "updated_at": "2026-12-02T06:00:00Z",
        },
        rules=TERMS_RULES,
    ),
    "POST /pledge-applications/{application_id}/register": Operation(
        "registerPledge",
        "Examine the application against every ground R01-R12 as of now and, if none "
        "applies, register the pledge: it takes effect at that instant with its number "
        "`IPX-P-YYYY-NNNNNN`. Otherwise 409 `registration-refused` lists every ground that "
        "applies, and nothing changes. Only one registered pledge per asset can exist, even "
        "under concurrent requests.",
        parameters={"application_id": 1},
        response=PLEDGE,
        links=_pledge_links(),
        errors={
            409: {
                "type": "https://ipx.example/problems/registration-refused",
                "title": "The pledge cannot be registered",
                "status": 409,
                "detail": "Grounds for refusal apply: R09",
                "code": "registration-refused",
                "grounds": [
                    {
                        "code": "R09",
                        "message": "The asset is already under a registered pledge.",
                        "asset_id": 1,
                    }
                ],
            }
        },
    ),
    "POST /pledge-applications/{application_id}/refuse": Operation(
        "refuseApplication",
        "Refuse the application with the grounds the clerk found (codes R01-R12) and a note.",
        parameters={"application_id": 2},
        request={"grounds": ["R07"], "note": "合同缺少担保范围条款。"},
        response={
            **APPLICATION,
            "id": 2,
            "status": "refused",
            "note": "合同缺少担保范围条款。",
            "grounds": [
                {
                    "code": "R07",
                    "message": "The contract lacks required content (amount, term, contract "
                    "number, parties).",
                }
            ],
        },
    ),
    "POST /pledge-applications/{application_id}/request-correction": Operation(
        "requestCorrection",
        "Return the application to the applicant with a note saying what to correct; the "
        "applicant resubmits it with `PUT`.",
        parameters={"application_id": 2},
        request={"note": "资产已设立质押（R09），请更换质押物。"},
        response={
            **APPLICATION,
            "id": 2,
            "status": "correction_requested",
            "note": "资产已设立质押（R09），请更换质押物。",
        },
    ),
    "GET /pledges": Operation(
        "listPledges",
        "Pledges in id order, filtered by status, pledgor, pledgee or asset; banks and owners "
        "see the pledges they are party to.",
        parameters={**PAGE, "status": "registered", "pledgee_id": 2},
        response={"items": [PLEDGE], "next_cursor": None},
        links=_first_item("pledge_id", "getPledge"),
    ),
    "GET /pledges/{pledge_id}": Operation(
        "getPledge",
        "A pledge with its registration number, status and secured debt; its pledgor, its "
        "pledgee, clerks and auditors may read it (anyone else: 404).",
        parameters={"pledge_id": 1},
        response=PLEDGE,
    ),
    "GET /pledges/{pledge_id}/history": Operation(
        "getPledgeHistory",
        "Every logged event about the pledge, oldest first (registration, changes, "
        "default, disposal, cancellation). Up to `limit` (default and most 200) a page; pass "
        "`next_cursor` as `cursor` for the next.",
        parameters={"pledge_id": 1},
        response={"items": [REGISTERED_EVENT], "next_cursor": None},
    ),
    "POST /pledges/{pledge_id}/changes": Operation(
        "changePledge",
        "Record a change of the secured amount and/or of the debt's end (`pledge.changed`, "
        "or `pledge.extended` when the term grows) on a registered pledge.",
        parameters={"pledge_id": 1},
        request={"secured_amount": "1000000.00"},
        response={**PLEDGE, "secured_amount": "1000000.00"},
        rules={
            "_body": "at least one value different from the pledge's",
            "debt_end": "after the debt's start, and within every asset's protection term",
            "secured_amount": "greater than zero",
        },
    ),
    "POST /pledges/{pledge_id}/cancel": Operation(
        "cancelPledge",
        "Cancel a registered pledge: the debt was repaid, the pledge waived, or the contract "
        "found void. The asset is free to pledge again.",
        parameters={"pledge_id": 1},
        request={"reason": "repaid"},
        response={
            **PLEDGE,
            "status": "cancelled",
            "closed_at": "2029-12-02T02:00:00Z",
            "closing_reason": "repaid",
        },
    ),
    "POST /pledges/{pledge_id}/revoke": Operation(
        "revokePledge",
        "Revoke a registration made in error or obtained by deception, with the reason.",
        parameters={"pledge_id": 1},
        request={"reason": "登记时提交的质押合同系伪造，经法院判决确认无效。"},
        response={
            **PLEDGE,
            "status": "revoked",
            "closed_at": "2027-03-02T02:00:00Z",
            "closing_reason": "登记时提交的质押合同系伪造，经法院判决确认无效。",
        },
    ),
    "POST /transfers": Operation(
        "recordTransfer",
        "Record an assignment or a licence. A pledged asset needs the pledgee's consent "
        "(409 `pledgee-consent-required` otherwise) and says where the proceeds go: early "
        "repayment of the debt or escrow (Civil Code Art. 444). A frozen asset cannot move "
        "(409 `asset-frozen`).",
        request={
            "asset_id": 1,
            "kind": "licence",
            "to_party_ids": [3],
            "pledgee_consent": True,
            "proceeds": "escrow",
            "proceeds_amount": "200000.00",
        },
        response={
            "id": 1,
            "asset_id": 1,
            "kind": "licence",
            "from_party_ids": [1],
            "to_party_ids": [3],
            "pledge_id": 1,
            "pledgee_consent": True,
            "proceeds": "escrow",
            "created_at": "2026-12-05T02:00:00Z",
            "proceeds_amount": "200000.00",
            "debt_after": "1250000.00",
            "currency": "CNY",
            "pledge_status": "registered",
        },
        rules={
            "to_party_ids": "every recipient must be a registered party",
            "proceeds": "required for a pledged asset, refused for a free one",
            "proceeds_amount": "greater than zero, and only with `proceeds`",
        },
    ),
    "GET /public/encumbrances": Operation(
        "searchEncumbrances",
        "Is this asset encumbered? No key needed. Search by asset `number` (any spelling; a "
        "pledge's registration number, `IPX-P-2026-000001`, finds that pledge's assets) or "
        "by `pledgor` (a name, case-insensitively on a part of at least 2 characters, or a "
        "credit code). The answer holds only the public notice's fields, cancelled pledges "
        "included, and names the checkpoint of the log it was read against. With `proof=1` "
        "(by `number`) it adds a search certificate: the asset's public state in the map of "
        "encumbrances (the pledges on it not ended; `[]`: none), its sparse Merkle proof, the "
        "restricted tree's root and the signed checkpoint whose `ipx.encumbrance-map/v1` "
        "extension line commits to the map root, so anyone can check offline, with only the "
        "log's public key (`python -m ipx.ledger.verify answer.json --certificate "
        "--public-key KEY`), that as of that tree size the number had exactly these pledges, "
        "or none. Freezes and other confidential state are not shown, only committed to. "
        "Newest registration first, up to `limit` (default and most 200) items a page: pass "
        "`next_cursor` as `cursor`, with the same query, for the next page; each page names "
        "the checkpoint it was read against.",
        parameters={"number": "202110355218.9", "proof": 1},
        response={
            "checkpoint": {
                "tree_size": 17,
                "root_hash": "0Gtyh8ih6BodnfunMcHPHyrsnOtSl7dbHgvSZhmvIRw=",
            },
            "items": [
                {
                    "registration_number": "IPX-P-2026-000001",
                    "asset_number": "202110355218.9",
                    "asset_kind": "invention",
                    "asset_title": "一种固态电池电解质膜及其制备方法",
                    "main_classification": "H01M 10/0565",
                    "pledgor_name": "上海新材科技有限公司",
                    "pledgee_name": "浦江商业银行",
                    "registered_at": "2026-12-01T02:05:00Z",
                    "status": "registered",
                    "closed_at": None,
                    "closing_reason": None,
                }
            ],
            "next_cursor": None,
            "certificate": CERTIFICATE,
        },
        rules={
            "_query": "exactly one of `number` and `pledgor`",
            "limit": "1 to 200",
            "cursor": "a `next_cursor` of this query",
            "proof": "`1` or `true` (`0`, `false`: no certificate); only with `number`",
        },
        errors={503: REPLICA_BEHIND_EXAMPLE},
    ),
}

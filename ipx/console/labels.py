"""Words the pages show for the registry's codes (statuses, kinds, roles, event types)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

PLEDGE_STATUS = {
    "registered": _l("Registered"),
    "defaulted": _l("In default"),
    "in_disposal": _l("In disposal"),
    "realized": _l("Realized"),
    "cancelled": _l("Cancelled"),
    "revoked": _l("Revoked"),
}
APPLICATION_STATUS = {
    "submitted": _l("Submitted"),
    "correction_requested": _l("Awaiting correction"),
    "registered": _l("Registered"),
    "refused": _l("Refused"),
}
ASSET_KIND = {
    "invention": _l("Invention patent"),
    "utility_model": _l("Utility model"),
    "design": _l("Design patent"),
    "trademark": _l("Trademark"),
    "copyright": _l("Copyright"),
}
LEGAL_STATUS = {
    "pending": _l("Pending"),
    "granted": _l("Granted"),
    "lapsed": _l("Lapsed"),
    "invalidated": _l("Invalidated"),
}
PARTY_KIND = {
    "organization": _l("Organization"),
    "individual": _l("Individual"),
}
TRANSFER_KIND = {
    "assignment": _l("Assignment (the holders change)"),
    "licence": _l("Licence"),
}
PROGRAMME_KIND = {
    "interest_subsidy": _l("Interest subsidy (a rate on the outstanding principal)"),
    "first_loan": _l("First-loan subsidy (a rate, or a share of the guarantee fee)"),
    "evaluation_fee": _l("Evaluation fee subsidy (a share of the fee)"),
    "guarantee_fee": _l("Guarantee fee subsidy (a share of the fee)"),
    "risk_compensation": _l("Risk compensation (a share of the unpaid principal)"),
}
SUPPORT_STATUS = {
    "submitted": _l("Submitted: awaits the clerk's decision"),
    "approved": _l("Approved: awaits payment"),
    "refused": _l("Refused"),
    "paid": _l("Paid"),
}
SUPPORT_REFUSAL = {
    "documents-missing": _l("Documents missing"),
    "claim-not-substantiated": _l("The claim is not substantiated"),
    "not-eligible": _l("Not eligible under the programme"),
    "duplicate-support": _l("Already supported for the same cost"),
    "other": _l("Other (see the note)"),
}
SME_ANSWER = {
    "": _l("Choose"),
    "yes": _l("Yes: a small or medium firm"),
    "no": _l("No"),
}
FREEZE_KIND = {
    "court_preservation": _l("Court preservation order"),
    "ownership_dispute": _l("Ownership dispute (procedures suspended)"),
}
TRANSFER_REQUEST_STATUS = {
    "awaiting_consent": _l("Awaiting the pledgee's consent"),
    "completed": _l("Consented: transfer recorded"),
    "declined": _l("Declined by the pledgee"),
    "withdrawn": _l("Withdrawn"),
}
PROCEEDS = {
    "": _l("Not pledged: no proceeds"),
    "early_repayment": _l("Early repayment of the secured debt"),
    "escrow": _l("Escrow"),
}
DISPOSAL_STATUS = {
    "open": _l("Open"),
    "sold": _l("Sold"),
    "failed": _l("Failed: no bid"),
    "withdrawn": _l("Withdrawn"),
}
WITHDRAWAL_REASON = {
    "debt_paid": _l("The debt was paid (the pledge ends)"),
    "court_order": _l("A court stayed the disposal"),
    "parties_agreement": _l("The parties agreed otherwise"),
}
DISPOSAL_METHOD = {"auction": _l("Auction"), "listing": _l("Listing on an exchange")}
DISTRIBUTION_LINE = {
    "costs": _l("Costs of the disposal"),
    "interest_penalties": _l("Interest and penalties"),
    "principal": _l("Principal"),
    "surplus": _l("Surplus to the pledgor"),
}
ROLE = {
    "clerk": _l("Registry clerk"),
    "bank": _l("Bank"),
    "owner": _l("IP owner"),
    "auditor": _l("Auditor"),
    "admin": _l("Administrator"),
}
CLOSING_REASON = {
    "repaid": _l("Debt repaid"),
    "waived": _l("Pledge waived"),
    "realized": _l("Realized by disposal"),
    "contract_void": _l("Contract void"),
}
EVENT_TYPE = {
    "party.created": _l("Party registered"),
    "valuation.created": _l("Valuation made"),
    "asset.registered": _l("Asset registered"),
    "asset.changed": _l("Asset changed"),
    "asset.frozen": _l("Court freeze recorded"),
    "asset.freeze_lifted": _l("Court freeze lifted"),
    "application.submitted": _l("Application submitted"),
    "application.corrected": _l("Application corrected"),
    "application.correction_requested": _l("Correction requested"),
    "application.refused": _l("Application refused"),
    "pledge.registered": _l("Pledge registered"),
    "asset.assignment": _l("Assignment recorded"),
    "asset.licence": _l("Licence recorded"),
    "asset.fees_overdue": _l("Annual fee overdue"),
    "transfer.requested": _l("Transfer asked for, awaiting the pledgee's consent"),
    "transfer.consented": _l("Pledgee consented to the transfer"),
    "transfer.declined": _l("Pledgee declined the transfer"),
    "transfer.withdrawn": _l("Transfer request withdrawn"),
    "valuation.ltv_breach": _l("Loan above the collateral's value limit"),
    "pledge.proceeds_early_repayment": _l("Proceeds applied to the debt"),
    "pledge.proceeds_escrow": _l("Proceeds placed in escrow"),
    "pledge.changed": _l("Pledge changed"),
    "pledge.extended": _l("Debt term extended"),
    "pledge.cancelled": _l("Pledge cancelled"),
    "pledge.revoked": _l("Pledge revoked"),
    "pledge.defaulted": _l("Default declared"),
    "pledge.disposal_requested": _l("Timely disposal asked for"),
    "disposal.opened": _l("Disposal opened"),
    "disposal.bid": _l("Bid recorded"),
    "disposal.sold": _l("Sold in the disposal"),
    "disposal.failed": _l("Disposal failed: no bid"),
    "disposal.withdrawn": _l("Disposal withdrawn"),
    "pledge.partially_realized": _l("Pledge partly realized"),
    "pledge.realized": _l("Pledge realized"),
}
LABELS = {
    "pledge_status": PLEDGE_STATUS,
    "application_status": APPLICATION_STATUS,
    "asset_kind": ASSET_KIND,
    "legal_status": LEGAL_STATUS,
    "party_kind": PARTY_KIND,
    "disposal_status": DISPOSAL_STATUS,
    "disposal_method": DISPOSAL_METHOD,
    "withdrawal_reason": WITHDRAWAL_REASON,
    "distribution_line": DISTRIBUTION_LINE,
    "transfer_kind": TRANSFER_KIND,
    "freeze_kind": FREEZE_KIND,
    "support_status": SUPPORT_STATUS,
    "programme_kind": PROGRAMME_KIND,
    "support_refusal": SUPPORT_REFUSAL,
    "transfer_request_status": TRANSFER_REQUEST_STATUS,
    "proceeds": PROCEEDS,
    "role": ROLE,
    "closing_reason": CLOSING_REASON,
    "event_type": EVENT_TYPE,
}


def label(code: str | None, kind: str) -> str:
    """The word for ``code`` in the page's language; an unknown code is shown as it is."""
    if code is None:
        return "—"
    return str(LABELS[kind].get(code, code))

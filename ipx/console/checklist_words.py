"""The examination checklist in words: each ground's short title, and each fact as a sentence
(``ipx.registry.model.checklist`` names the facts; this module says them)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from ipx.console.i18n import current_language, day
from ipx.console.labels import label
from ipx.registry.model import Fact, Ground

GROUND_TITLES = {
    Ground.NOT_HOLDER: _l("The pledgor holds the right"),
    Ground.NOT_IN_FORCE: _l("The right is in force"),
    Ground.NOT_GRANTED: _l("The right is granted"),
    Ground.FEES_UNPAID: _l("Fees are paid"),
    Ground.FROZEN: _l("No court freeze"),
    Ground.DEBT_OUTLASTS_TERM: _l("The debt ends within the protection term"),
    Ground.CONTRACT_INCOMPLETE: _l("The contract is complete"),
    Ground.CO_OWNER_NOT_CONSENTED: _l("Every co-owner consented"),
    Ground.ALREADY_PLEDGED: _l("Not already pledged"),
    Ground.INVALIDATION_PENDING: _l("No unacknowledged invalidation proceedings"),
    Ground.FORFEITURE_CLAUSE: _l("No forfeiture clause"),
    Ground.PARTIES_INVALID: _l("Two distinct, registered parties"),
}

FACT_WORDS = {
    "same_party": _l("The pledgor and the pledgee are the same party (%(pledgor_id)s)."),
    "unknown_party": _l("No registered party with id %(party_ids)s."),
    "parties_known": _l("Pledgor %(pledgor_id)s and pledgee %(pledgee_id)s are registered."),
    "contract_lacks": _l("The contract lacks: %(fields)s."),
    "debt_term_empty": _l("The debt ends (%(end)s) on or before it starts (%(start)s)."),
    "contract_complete": _l("Amount, debt term %(start)s – %(end)s and contract number are given."),
    "forfeiture_clause": _l("The contract lets the right pass to the pledgee on default."),
    "no_forfeiture_clause": _l("The contract has no forfeiture clause."),
    "pledgor_holds": _l("Pledgor %(pledgor_id)s is among the holders %(holder_ids)s."),
    "pledgor_not_holder": _l("Pledgor %(pledgor_id)s is not among the holders %(holder_ids)s."),
    "status_ended": _l("The legal status is %(status)s."),
    "expired": _l("Protection ended on %(expiry)s, before today (%(on)s)."),
    "in_force_until": _l("In force until %(expiry)s."),
    "in_force": _l("In force."),
    "pending": _l("The right is still pending, not granted."),
    "status_is": _l("The legal status is %(status)s."),
    "no_annual_fees": _l("A %(kind)s has no annual fees to examine."),
    "fees_not_due": _l("Not granted: no annual fee is due yet."),
    "fees_unrecorded": _l("No fee payment is recorded."),
    "fees_paid_until_before": _l("Fees paid until %(date)s, before today (%(on)s)."),
    "fees_paid_until_covers": _l("Fees paid until %(date)s, covering today (%(on)s)."),
    "frozen": _l("A court freeze is recorded on the asset."),
    "not_frozen": _l("No court freeze is recorded."),
    "term_unknown": _l("The debt's end or the protection term is not known."),
    "debt_outlasts": _l("The debt ends on %(debt_end)s, after protection ends (%(expiry)s)."),
    "debt_within_term": _l("The debt ends on %(debt_end)s, within protection (to %(expiry)s)."),
    "no_co_owner": _l("The pledgor holds the right alone."),
    "co_owner_not_consented": _l("Co-owners %(party_ids)s have not consented."),
    "co_owners_consented": _l("Co-owners %(party_ids)s consented."),
    "pledged": _l("The asset is under registered pledge %(pledge_ids)s."),
    "not_pledged": _l("No registered pledge on the asset."),
    "no_invalidation": _l("No invalidation proceedings are pending."),
    "invalidation_pending": _l(
        "Invalidation proceedings are pending; the risk is not acknowledged."
    ),
    "invalidation_acknowledged": _l(
        "Invalidation proceedings are pending; the parties acknowledged the risk."
    ),
    "no_assets": _l("The application pledges no asset."),
}
CONTRACT_FIELDS = {
    "secured_amount": _l("the secured amount"),
    "debt_start": _l("the start of the debt"),
    "debt_end": _l("the end of the debt"),
    "contract_number": _l("the contract number"),
}


def fact_sentence(fact: Fact, referenced: dict | None = None) -> str:
    """The fact as a sentence of the page's language: dates written the page's way, parties
    by name and pledges by registration number where ``referenced`` has them."""
    referenced = referenced or {}
    return str(FACT_WORDS[fact.code]) % {
        k: _word(k, _named(k, v, referenced)) for k, v in fact.values.items()
    }


def _named(key: str, value: object, referenced: dict) -> object:
    kind = {"pledge_ids": "pledge"}.get(key, "party" if key.endswith(("_id", "_ids")) else None)
    if kind is None:
        return value
    if isinstance(value, list):
        return [referenced.get((kind, v), v) for v in value]
    return referenced.get((kind, value), value)


def ground_title(ground: Ground) -> str:
    return str(GROUND_TITLES[ground])


def _word(key: str, value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, date):
        return day(value)
    if key == "status":
        return label(str(value), "legal_status")
    if key == "kind":
        return label(str(value), "asset_kind")
    if key == "fields":
        separator = "、" if current_language() == "zh" else ", "
        return separator.join(str(CONTRACT_FIELDS.get(f, f)) for f in value)  # type: ignore[attr-defined]
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)

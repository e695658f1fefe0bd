"""The support programmes' ledger events, through the unit of work like the registry's.

Programme terms and every amount of an application are confidential facts, sealed into the
leaf (``Event.private``) as secured amounts are; in clear only the kind of record, its status
and the programme's version. Each event carries the keyed digest of the records it changed
(``state:support_programme:<id>``, ``state:support_application:<id>``).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipx.ledger.events import Event, state_digest
from ipx.support.orm import SupportApplication, SupportProgramme
from ipx.uow import UnitOfWork


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def programme_state(p: SupportProgramme) -> dict:
    return {
        "series_id": p.series_id,
        "version": p.version,
        "superseded": p.superseded,
        "name": p.name,
        "kind": p.kind,
        "period": [_iso(p.period_start), _iso(p.period_end)],
        "rate_bp": p.rate_bp,
        "share": _money(p.share),
        "caps": [_money(p.cap_per_loan), _money(p.cap_per_firm_year)],
        "budget": _money(p.budget),
        "reserved": _money(p.reserved),
        "paid": _money(p.paid),
        "currency": p.currency,
        "sme_only": p.sme_only,
        "first_loan_only": p.first_loan_only,
        "asset_kinds": sorted(p.asset_kinds),
        "window": [_iso(p.applications_open), _iso(p.applications_close)],
    }


def application_state(a: SupportApplication) -> dict:
    return {
        "programme_id": a.programme_id,
        "status": a.status,
        "applicant_id": a.applicant_id,
        "bank_id": a.bank_id,
        "firm_id": a.firm_id,
        "pledge_ids": list(a.pledge_ids),
        "claim": a.claim,
        "document_digests": list(a.document_digests),
        "computed_amount": _money(a.computed_amount),
        "approved_amount": _money(a.approved_amount),
        "refusal_reasons": a.refusal_reasons,
        "payment_reference": a.payment_reference,
    }


def record(
    uow: UnitOfWork,
    type_: str,
    *,
    programmes: list[SupportProgramme] = (),  # type: ignore[assignment]
    application: SupportApplication | None = None,
    public: dict | None = None,
    private: dict | None = None,
    documents: list[str] = (),  # type: ignore[assignment]
) -> None:
    """Record one support event for the ledger (appended when the unit of work commits)."""
    digests = {
        f"state:support_programme:{p.id}": state_digest(programme_state(p), uow.digest_key)
        for p in programmes
    }
    refs: dict = {"support_programme": programmes[0].id} if programmes else {}
    if application is not None:
        digests[f"state:support_application:{application.id}"] = state_digest(
            application_state(application), uow.digest_key
        )
        refs = {
            "support_application": application.id,
            "support_programme": application.programme_id,
            "pledges": list(application.pledge_ids),
        }
    for i, digest in enumerate(documents):
        digests[f"document:{i}"] = digest
    uow.record(
        Event(type=type_, refs=refs, data=public or {}, digests=digests, private=private or {})
    )


#: The kinds of record whose states the support events digest (for ``ipx verify``).
STATE_KINDS = ("support_programme", "support_application")


def current_state_digests(session: Session, key: bytes) -> Iterator[tuple[str, str]]:
    """Every support record's current state digest, keyed as in the log: what ``ipx verify``
    compares with the latest state the log holds (beside the registry's)."""
    programmes = select(SupportProgramme).order_by(SupportProgramme.id)
    for programme in session.execute(programmes).scalars():
        yield (
            f"state:support_programme:{programme.id}",
            state_digest(programme_state(programme), key),
        )
    applications = select(SupportApplication).order_by(SupportApplication.id)
    for application in session.execute(applications).scalars():
        yield (
            f"state:support_application:{application.id}",
            state_digest(application_state(application), key),
        )

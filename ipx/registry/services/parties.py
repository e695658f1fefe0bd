"""Parties: organizations (with a verified credit code) and individuals."""

from __future__ import annotations

import hmac
from hashlib import sha256

from sqlalchemy import select

from ipx.auth import Principal
from ipx.errors import Conflict, ValidationFailed
from ipx.ledger.canonical import digest_personal, new_digest_key
from ipx.registry.commands import CreateParty, RecordSme
from ipx.registry.model import PartyKind
from ipx.registry.numbers import InvalidNumber, validate_credit_code, validate_identity_number
from ipx.registry.orm import Party
from ipx.registry.ports import Duplicate
from ipx.registry.repositories import repositories
from ipx.registry.services.common import emit, get_or_404
from ipx.registry.visibility import ensure_sees_party
from ipx.uow import UnitOfWork


def create_party(
    uow: UnitOfWork, principal: Principal, command: CreateParty, *, sample_key: str | None = None
) -> Party:
    """Register a party; organizations need a valid unified social credit code."""
    kind = PartyKind(command.kind)
    credit_code, id_digest = _identifiers(uow, kind, command)
    parties = repositories(uow).parties
    if credit_code and parties.with_credit_code(credit_code):
        raise Conflict(f"A party with credit code {credit_code} exists.", code="party-exists")
    if id_digest and parties.with_id_number_digest(id_digest):
        raise Conflict("A party with this identity number exists.", code="party-exists")
    party = Party(
        kind=kind.value,
        name=command.name.strip(),
        credit_code=credit_code,
        id_number_digest=id_digest,
        digest_key=new_digest_key(),
        sample_key=sample_key,
        created_at=uow.now,
    )
    try:
        parties.add(party)
    except Duplicate:  # a concurrent request registered the same party first
        raise Conflict("This party was registered meanwhile.", code="party-exists") from None
    _record_created(uow, party)
    return party


def _record_created(uow: UnitOfWork, party: Party) -> None:
    """Log the new party: an organization's kind and credit code are public registry facts;
    an individual's name (and identity number) are personal, so only digests go in."""
    data_out: dict[str, str | None] = {"kind": party.kind}
    if party.kind != PartyKind.INDIVIDUAL:
        data_out["credit_code"] = party.credit_code
    emit(
        uow,
        "party.created",
        refs={"party": party.id},
        records={"party": party},
        data=data_out,
        digests={"name": digest_personal(party.name, party.digest_key)},
    )


def _identifiers(
    uow: UnitOfWork, kind: PartyKind, command: CreateParty
) -> tuple[str | None, str | None]:
    credit_code, id_number = command.credit_code, command.id_number
    try:
        if kind is PartyKind.ORGANIZATION:
            if id_number:
                raise ValidationFailed({"id_number": ["Only individuals have identity numbers."]})
            if not credit_code:
                raise ValidationFailed({"credit_code": ["Organizations need a credit code."]})
            return validate_credit_code(credit_code), None
        if credit_code:
            raise ValidationFailed({"credit_code": ["Individuals have no credit code."]})
        if not id_number:
            return None, None
        number = validate_identity_number(id_number)
    except InvalidNumber as exc:
        field = "credit_code" if kind is PartyKind.ORGANIZATION else "id_number"
        raise ValidationFailed({field: [str(exc)]}) from None
    return None, hmac.new(uow.digest_key, number.encode(), sha256).hexdigest()


def record_sme(uow: UnitOfWork, principal: Principal, command: RecordSme) -> Party:
    """Record the party's SME attribute with its source (support programmes' eligibility)."""
    party = get_or_404(uow.session, Party, command.party_id, lock=True, what="party")
    party.sme, party.sme_source = command.sme, command.sme_source.strip()
    party.sme_recorded_at = uow.now
    emit(
        uow,
        "party.sme_recorded",
        refs={"party": party.id},
        records={"party": party},
        data={"sme": party.sme, "sme_source": party.sme_source},
    )
    return party


def get_party(uow: UnitOfWork, principal: Principal, party_id: int) -> Party:
    party = get_or_404(uow.session, Party, party_id, what="party")
    ensure_sees_party(uow.session, principal, party_id)
    return party


def list_parties(
    uow: UnitOfWork, principal: Principal, *, query: str | None, after: int | None, limit: int
) -> list[Party]:
    stmt = select(Party).order_by(Party.id).limit(limit + 1)
    if after:
        stmt = stmt.where(Party.id > after)
    if query:
        stmt = stmt.where(Party.name.contains(query) | (Party.credit_code == query.upper()))
    return list(uow.session.execute(stmt).scalars())

"""Parties: organizations (with a verified credit code) and individuals."""

from __future__ import annotations

import hmac
from hashlib import sha256

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ipx.auth import Principal
from ipx.errors import Conflict, NotFound, ValidationFailed
from ipx.ledger.canonical import digest_personal, new_digest_key
from ipx.registry.model import PartyKind
from ipx.registry.numbers import InvalidNumber, validate_credit_code, validate_identity_number
from ipx.registry.orm import Party
from ipx.registry.services.common import emit, get_or_404
from ipx.uow import UnitOfWork


def create_party(uow: UnitOfWork, data: dict, *, sample_key: str | None = None) -> Party:
    """Register a party; organizations need a valid unified social credit code."""
    kind = PartyKind(data["kind"])
    credit_code, id_digest = _identifiers(uow, kind, data)
    session = uow.session
    if (
        credit_code
        and session.execute(select(Party.id).where(Party.credit_code == credit_code)).first()
    ):
        raise Conflict(f"A party with credit code {credit_code} exists.", code="party-exists")
    if (
        id_digest
        and session.execute(select(Party.id).where(Party.id_number_digest == id_digest)).first()
    ):
        raise Conflict("A party with this identity number exists.", code="party-exists")
    party = Party(
        kind=kind.value,
        name=data["name"].strip(),
        credit_code=credit_code,
        id_number_digest=id_digest,
        digest_key=new_digest_key(),
        sample_key=sample_key,
        created_at=uow.now,
    )
    session.add(party)
    try:
        session.flush()
    except IntegrityError:  # a concurrent request registered the same party first
        raise Conflict("This party was registered meanwhile.", code="party-exists") from None
    # Organizations' names and codes are public registry facts; an individual's are personal.
    personal = kind is PartyKind.INDIVIDUAL
    data_out = {"kind": kind.value}
    if not personal:
        data_out["credit_code"] = credit_code
    emit(
        uow,
        "party.created",
        refs={"party": party.id},
        records={"party": party},
        data=data_out,
        digests={"name": digest_personal(party.name, party.digest_key)},
    )
    return party


def _identifiers(uow: UnitOfWork, kind: PartyKind, data: dict) -> tuple[str | None, str | None]:
    credit_code, id_number = data.get("credit_code"), data.get("id_number")
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


def get_party(uow: UnitOfWork, principal: Principal, party_id: int) -> Party:
    party = get_or_404(uow.session, Party, party_id, what="party")
    if not principal.sees_all() and not _related(uow, principal.party_id, party_id):
        raise NotFound(f"No party with id {party_id}.")
    return party


def _related(uow: UnitOfWork, own_id: int | None, party_id: int) -> bool:
    """Banks and owners see their own party and their counterparties in registered pledges.

    Applications do not count: anyone can file one naming any party, so they would open every
    party's record to every bank.
    """
    from ipx.registry.orm import Pledge

    if own_id == party_id:
        return True
    row = uow.session.execute(
        select(Pledge.id)
        .where(
            ((Pledge.pledgor_id == own_id) & (Pledge.pledgee_id == party_id))
            | ((Pledge.pledgee_id == own_id) & (Pledge.pledgor_id == party_id))
        )
        .limit(1)
    ).first()
    return row is not None


def list_parties(uow: UnitOfWork, *, query: str | None, after: int | None, limit: int):
    stmt = select(Party).order_by(Party.id).limit(limit + 1)
    if after:
        stmt = stmt.where(Party.id > after)
    if query:
        stmt = stmt.where(Party.name.contains(query) | (Party.credit_code == query.upper()))
    return list(uow.session.execute(stmt).scalars())

"""Parties: the list with a search, registering a new party (clerks), each party's page and
recording whether it is a small or medium firm (clerks)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ipx.auth import Role
from ipx.china_time import utc_text
from ipx.console import actions, reads
from ipx.console.csv_export import csv_response
from ipx.console.form_once import once
from ipx.console.labels import label
from ipx.console.registry_forms import PartyForm, SmeForm
from ipx.console.session import login_required
from ipx.registry.commands import CreateParty, RecordSme

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/parties", view_func=party_list)
    blp.add_url_rule("/parties/new", view_func=new_party, methods=["GET", "POST"])
    blp.add_url_rule("/parties/<int:party_id>", view_func=party_page)
    blp.add_url_rule("/parties/<int:party_id>/sme", view_func=record_sme, methods=["POST"])


@login_required(*READERS)
def party_page(party_id: int, form: SmeForm | None = None, problems=(), status: int = 200):
    """One party the user sees (a bank or an owner: its own, and those it deals with): its
    identity, whether it is a small or medium firm and on what source, and a clerk's form to
    record that (support programmes' eligibility)."""
    party = reads.read(reads.party_facts, party_id)
    if form is None:
        form = SmeForm(formdata=None, prefix="sme")
    page = render_template("console/party.html", party=party, form=form, problems=list(problems))
    return page, status


@login_required(Role.CLERK)
@once
def record_sme(party_id: int):
    """Record whether the party is a small or medium firm, with the source read."""
    form = SmeForm(prefix="sme")
    return actions.submit(
        form,
        lambda form: RecordSme(party_id, form.sme.data == "yes", form.source.data.strip()),
        lambda problems: party_page(party_id, form, problems, 422),
        _("The firm's size is recorded."),
        url_for("console.party_page", party_id=party_id),
    )


@login_required(Role.CLERK, Role.AUDITOR)
def party_list():
    """Parties by name (a part of it) or credit code, in the order they were registered."""
    query = request.args.get("q", "").strip()[:300] or None
    if request.args.get("format") == "csv":
        return _csv(reads.read(reads.export_rows, reads.party_list, text=query))
    answer = reads.read(reads.party_list, text=query, cursor=request.args.get("cursor"))
    return render_template("console/parties.html", q=query or "", **answer)


@login_required(Role.CLERK)
@once
def new_party():
    """Register an organization (with its credit code) or an individual."""
    form = PartyForm()
    problems: list[str] = []
    if form.validate_on_submit():
        outcome = actions.attempt(
            CreateParty(
                kind=form.kind.data,
                name=form.name.data.strip(),
                credit_code=(form.credit_code.data or "").strip() or None,
                id_number=(form.id_number.data or "").strip() or None,
            ),
            form,
        )
        if outcome.ok:
            party = outcome.result
            flash(_("%(name)s is registered as party %(id)s.", name=party.name, id=party.id))
            # An organization's credit code is a public registry fact; an individual's name
            # is personal and must not land in URLs, logs and history.
            found = {"q": party.credit_code} if party.credit_code else {}
            return redirect(url_for("console.party_list", **found))
        problems = outcome.problems
    status = 422 if form.errors or problems else 200
    form.id_number.data = None  # personal: never sent back, the clerk types it again
    return render_template("console/party_form.html", form=form, problems=problems), status


def _csv(export: dict):
    rows = (
        (p.id, label(p.kind, "party_kind"), p.name, p.credit_code, utc_text(p.created_at))
        for p in export["items"]
    )
    return csv_response("parties.csv", ("id", "kind", "name", "credit_code", "created_at"), rows)

"""Default on a pledge and the way to its disposal: the pledge's default page (what was
declared and what is still due), declaring default (the pledgee bank, or a clerk for it),
asking for timely disposal (the pledgor, or a clerk for it), and opening a disposal (clerks).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ipx.auth import Role
from ipx.console import actions, disposal_reads, reads
from ipx.console.disposal_forms import DefaultForm, DisposalRequestForm, OpenDisposalForm
from ipx.console.form_once import once
from ipx.console.labels import label
from ipx.console.session import console_principal, login_required
from ipx.registry.commands import DeclareDefault, OpenDisposal, RequestDisposal

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/pledges/<int:pledge_id>/default", view_func=default_page)
    blp.add_url_rule(
        "/pledges/<int:pledge_id>/default",
        endpoint="declare_default",
        view_func=declare_default,
        methods=["POST"],
    )
    blp.add_url_rule(
        "/pledges/<int:pledge_id>/disposal-requests",
        view_func=request_disposal,
        methods=["POST"],
    )
    blp.add_url_rule(
        "/pledges/<int:pledge_id>/disposals/new", view_func=new_disposal, methods=["GET", "POST"]
    )


@login_required(*READERS)
def default_page(pledge_id: int, given: dict | None = None, problems=(), status: int = 200):
    """The pledge's default and debt due, its disposals, and the steps the user may take."""
    page = reads.read(disposal_reads.default_page, pledge_id)
    forms = {
        "default": DefaultForm(formdata=None, prefix="default"),
        "request": DisposalRequestForm(formdata=None, prefix="request"),
        **(given or {}),
    }
    return render_template(
        "console/default.html",
        forms=forms,
        steps=_steps(page["pledge"]),
        problems=list(problems),
        **page,
    ), status


def _steps(pledge) -> dict[str, bool]:
    """Which steps to offer: the user's role may run the command, acts for the party the
    use case asks for (or is the registry's staff), and the pledge is in the state the step
    starts from. The use case decides again when the form is sent."""
    principal = console_principal()
    assert principal is not None
    staff, party = principal.sees_all(), principal.party_id
    return {
        "declare": pledge.status == "registered"
        and actions.may("DeclareDefault")
        and (staff or party == pledge.pledgee_id),
        "request": pledge.status in ("registered", "defaulted")
        and actions.may("RequestDisposal")
        and (staff or party == pledge.pledgor_id),
        "open": pledge.status == "defaulted" and actions.may("OpenDisposal"),
    }


@login_required(Role.BANK, Role.CLERK)
@once
def declare_default(pledge_id: int):
    """Declare default with the principal, interest and penalties still due."""
    form = DefaultForm(prefix="default")
    if not form.validate_on_submit():
        return default_page(pledge_id, {"default": form}, status=422)
    outcome = actions.attempt(DeclareDefault(pledge_id, **form.amounts()), form)
    if not outcome.ok:
        return default_page(pledge_id, {"default": form}, outcome.problems, status=422)
    flash(_("Default is declared."))
    return redirect(url_for("console.default_page", pledge_id=pledge_id))


@login_required(Role.OWNER, Role.CLERK)
@once
def request_disposal(pledge_id: int):
    """The pledgor asks the registry to dispose of the pledge promptly (Civil Code Art. 437)."""
    form = DisposalRequestForm(prefix="request")
    if not form.validate_on_submit():
        return default_page(pledge_id, {"request": form}, status=422)
    note = (form.note.data or "").strip() or None
    outcome = actions.attempt(RequestDisposal(pledge_id, note), form)
    if not outcome.ok:
        return default_page(pledge_id, {"request": form}, outcome.problems, status=422)
    flash(_("Your request for timely disposal is recorded for the registry."))
    return redirect(url_for("console.default_page", pledge_id=pledge_id))


@login_required(Role.CLERK)
@once
def new_disposal(pledge_id: int):
    """List some or all of a defaulted pledge's assets for auction or listing."""
    page = reads.read(disposal_reads.default_page, pledge_id)
    form = OpenDisposalForm(prefix="disposal")
    form.asset_ids.choices = [
        (a.id, f"{label(a.kind, 'asset_kind')} {a.number}") for a in page["encumbered"]
    ]
    problems: list[str] = []
    if form.validate_on_submit():
        outcome = actions.attempt(_open_command(pledge_id, form), form)
        if outcome.ok:
            flash(_("Disposal %(id)s is open.", id=outcome.result.id))
            return redirect(url_for("console.disposal_page", disposal_id=outcome.result.id))
        problems = outcome.problems
    status = 422 if form.errors or problems else 200
    return render_template(
        "console/disposal_form.html", form=form, problems=problems, **page
    ), status


def _open_command(pledge_id: int, form: OpenDisposalForm) -> OpenDisposal:
    return OpenDisposal(
        pledge_id,
        method=form.method.data,
        costs=form.costs.data,
        asset_ids=list(form.asset_ids.data or []) or None,
        reserve_price=form.reserve_price.data,
        costs_payee_id=form.costs_payee_id.data,
        announcement_days=form.announcement_days.data,
    )

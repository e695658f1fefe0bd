"""Pledge applications: the list, filing one (banks, clerks), and the examination screen
with the clerk's decisions (register, refuse, request a correction)."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ipx.auth import Role
from ipx.china_time import utc_text
from ipx.console import actions, reads
from ipx.console.action_forms import CorrectionForm, RefuseForm, RegisterForm
from ipx.console.csv_export import csv_response
from ipx.console.form_once import once
from ipx.console.labels import APPLICATION_STATUS, label
from ipx.console.registry_forms import ApplicationForm
from ipx.console.session import console_principal, login_required
from ipx.registry.commands import (
    ApplicationTerms,
    CorrectApplication,
    RefuseApplication,
    RegisterPledge,
    RequestCorrection,
    SubmitApplication,
)
from ipx.registry.model import INVALIDATION_RISK
from ipx.registry.services import applications
from ipx.registry.services.applications import APPLICATION_FIELDS

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/applications", view_func=application_list)
    blp.add_url_rule("/applications/new", view_func=new_application, methods=["GET", "POST"])
    blp.add_url_rule("/applications/<int:application_id>", view_func=application_page)
    for action, view in (
        ("register", register_pledge),
        ("refuse", refuse),
        ("request-correction", request_correction),
        ("correct", correct),
    ):
        blp.add_url_rule(
            f"/applications/<int:application_id>/{action}", view_func=view, methods=["POST"]
        )


@login_required(*READERS)
def application_list():
    """Applications the user sees (banks and owners: those they are party to)."""
    status = request.args.get("status")
    status = status if status in APPLICATION_STATUS else None
    if request.args.get("format") == "csv":
        return _csv(reads.read(reads.export_rows, reads.application_list, status=status))
    answer = reads.read(reads.application_list, status=status, cursor=request.args.get("cursor"))
    return render_template(
        "console/applications.html", status=status, statuses=APPLICATION_STATUS, **answer
    )


@login_required(Role.BANK, Role.CLERK)
@once
def new_application():
    """File a joint pledge application (a bank files as the pledgee)."""
    form = ApplicationForm()
    if request.method == "GET" and (party := _own_party()) is not None:
        form.pledgee_id.data = party
    problems: list[str] = []
    if form.validate_on_submit():
        outcome = actions.attempt(SubmitApplication(_terms(form)), form)
        if outcome.ok:
            flash(_("Application %(id)s is filed.", id=outcome.result.id))
            return redirect(url_for("console.application_page", application_id=outcome.result.id))
        problems = outcome.problems
    status = 422 if form.errors or problems else 200
    return render_template("console/application_form.html", form=form, problems=problems), status


@login_required(*READERS)
def application_page(application_id: int, forms: dict | None = None, refusal=None, status=200):
    """The application; for the registry's staff every ground R01-R12 checked, and the
    decisions the user's role may take."""
    page = reads.read(reads.application_page, application_id)
    forms = forms or {}
    forms.setdefault("register", RegisterForm(formdata=None, prefix="register"))
    forms.setdefault("correction", CorrectionForm(formdata=None, prefix="correction"))
    if "correct" not in forms:
        forms["correct"] = ApplicationForm(
            formdata=None, prefix="terms", data=_form_data(page["application"])
        )
    if "refuse" not in forms:
        forms["refuse"] = RefuseForm(formdata=None, prefix="refuse")
        if page["examination"] is not None:  # the grounds found, ticked for the clerk
            checks = page["examination"].checks
            forms["refuse"].grounds.data = [c.ground.value for c in checks if not c.passed]
    return render_template("console/application.html", forms=forms, refusal=refusal, **page), status


@login_required(Role.CLERK)
@once
def register_pledge(application_id: int):
    """Examine and register: the new pledge's page (number and receipt), or every ground."""
    form = RegisterForm(prefix="register")
    if not form.validate_on_submit():
        return application_page(application_id, {"register": form}, status=422)
    outcome = actions.attempt(RegisterPledge(application_id), form)
    if outcome.refusal is not None:
        return application_page(application_id, refusal=outcome.refusal, status=409)
    if not outcome.ok:
        return _problems(application_id, outcome.problems)
    pledge = outcome.result
    flash(_("The pledge is registered as %(number)s.", number=pledge.registration_number))
    return redirect(url_for("console.pledge_page", pledge_id=pledge.id))


@login_required(Role.CLERK)
@once
def refuse(application_id: int):
    """Refuse the application with the grounds the clerk chose."""
    form = RefuseForm(prefix="refuse")
    if not form.validate_on_submit():
        return application_page(application_id, {"refuse": form}, status=422)
    command = RefuseApplication(application_id, list(form.grounds.data), form.note.data or None)
    outcome = actions.attempt(command, form)
    if not outcome.ok:
        return _problems(application_id, outcome.problems)
    flash(_("The application is refused."))
    return redirect(url_for("console.application_page", application_id=application_id))


@login_required(Role.CLERK)
@once
def request_correction(application_id: int):
    """Return the application to the applicant with what must be corrected."""
    form = CorrectionForm(prefix="correction")
    if not form.validate_on_submit():
        return application_page(application_id, {"correction": form}, status=422)
    outcome = actions.attempt(RequestCorrection(application_id, form.note.data.strip()), form)
    if not outcome.ok:
        return _problems(application_id, outcome.problems)
    flash(_("The application is returned for correction."))
    return redirect(url_for("console.application_page", application_id=application_id))


@login_required(Role.BANK, Role.CLERK)
@once
def correct(application_id: int):
    """Resubmit an application returned for correction, with its corrected terms."""
    form = ApplicationForm(prefix="terms")
    if form.validate_on_submit():
        # The form shows only some terms: the others (currency, a cited valuation, the
        # forfeiture flag, other acknowledged risks) stay as they were filed.
        stored = reads.read(applications.get_application, application_id)
        terms = _terms(form, ApplicationTerms(**{f: getattr(stored, f) for f in TERMS}))
        outcome = actions.attempt(CorrectApplication(application_id, terms), form)
        if outcome.ok:
            flash(_("The corrected application is resubmitted."))
            return redirect(url_for("console.application_page", application_id=application_id))
        for problem in outcome.problems:
            form.form_errors.append(problem)
    return application_page(application_id, {"correct": form}, status=422)


def _form_data(application) -> dict:
    """The application's terms as the form shows them, for correcting."""
    return {
        "pledgor_id": application.pledgor_id,
        "pledgee_id": application.pledgee_id,
        "asset_ids": ", ".join(str(a) for a in application.asset_ids),
        "secured_amount": application.secured_amount,
        "debt_start": application.debt_start,
        "debt_end": application.debt_end,
        "contract_number": application.contract_number,
        "co_owner_consent_ids": ", ".join(str(p) for p in application.co_owner_consent_ids),
        "acknowledge_invalidation": INVALIDATION_RISK in application.acknowledged_risks,
    }


def _problems(application_id: int, problems: list[str]):
    for problem in problems:
        flash(problem, "error")
    return redirect(url_for("console.application_page", application_id=application_id))


#: The fields of ``ApplicationTerms`` as an application row stores them.
TERMS = ("asset_ids", *APPLICATION_FIELDS)


def _terms(form: ApplicationForm, stored: ApplicationTerms | None = None) -> ApplicationTerms:
    """The terms the form gives, over those ``stored`` (a correction) for what it does not
    show."""
    others = [r for r in stored.acknowledged_risks if r != INVALIDATION_RISK] if stored else []
    invalidation = [INVALIDATION_RISK] if form.acknowledge_invalidation.data else []
    return replace(
        stored or ApplicationTerms(0, 0, []),
        pledgor_id=form.pledgor_id.data,
        pledgee_id=form.pledgee_id.data,
        asset_ids=form.asset_ids.ids or [],
        secured_amount=form.secured_amount.data,
        debt_start=form.debt_start.data,
        debt_end=form.debt_end.data,
        contract_number=(form.contract_number.data or "").strip() or None,
        co_owner_consent_ids=getattr(form.co_owner_consent_ids, "ids", None) or [],
        acknowledged_risks=sorted({*others, *invalidation}),
    )


def _own_party() -> int | None:
    """A bank's own party, the pledgee it files for."""
    principal = console_principal()
    return principal.party_id if principal and principal.role is Role.BANK else None


CSV_HEADER = (
    "id",
    "status",
    "pledgor",
    "pledgee",
    "secured_amount",
    "currency",
    "debt_start",
    "debt_end",
    "asset_ids",
    "filed_at",
)


def _csv(export: dict):
    names = export["names"]
    rows = (
        (
            a.id,
            label(a.status, "application_status"),
            names.get(a.pledgor_id, a.pledgor_id),
            names.get(a.pledgee_id, a.pledgee_id),
            a.secured_amount,
            a.currency,
            a.debt_start,
            a.debt_end,
            " ".join(str(i) for i in a.asset_ids),
            utc_text(a.created_at),
        )
        for a in export["items"]
    )
    return csv_response("applications.csv", CSV_HEADER, rows)

"""Support programmes in the console: programmes and applications, each application's page with
its working and the clerk's decision (approve, refuse, record the payment), and a programme's
report with the budget used over time (a picture with its table)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ipx.auth import Role, may
from ipx.console import actions, reads, support_charts
from ipx.console.action_forms import (
    ProgrammeChangeForm,
    ProgrammeForm,
    SupportApplyForm,
    SupportApproveForm,
    SupportPayForm,
    SupportRefuseForm,
)
from ipx.console.csv_export import csv_response
from ipx.console.form_once import once
from ipx.console.session import console_principal, login_required
from ipx.errors import NotFound
from ipx.support import reads as support_reads
from ipx.support.applications import OWNER_KINDS
from ipx.support.commands import (
    ApproveSupportApplication,
    ChangeProgramme,
    PaySupportApplication,
    RefuseSupportApplication,
    SubmitSupportApplication,
)
from ipx.support.model import ProgrammeKind
from ipx.support.routes import FACTS
from ipx.web.fields import decode_cursor, page

EVERYONE = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
REPORTERS = (Role.CLERK, Role.AUDITOR)
LIST_LIMIT = 200


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/support", view_func=support_overview)
    blp.add_url_rule("/support/<int:programme_id>", view_func=support_programme)
    blp.add_url_rule("/support/apply", view_func=apply, methods=["GET", "POST"])
    blp.add_url_rule("/support/new", view_func=new_programme, methods=["GET", "POST"])
    blp.add_url_rule(
        "/support/<int:programme_id>/terms", view_func=change_programme, methods=["POST"]
    )
    page = "/support/applications/<int:application_id>"
    blp.add_url_rule(page, view_func=support_application)
    for name, view in (("approve", approve), ("refuse", refuse), ("pay", pay)):
        blp.add_url_rule(f"{page}/{name}", f"support_{name}", view, methods=["POST"])


@login_required(*EVERYONE)
def support_application(
    application_id: int, given: dict | None = None, problems=(), status: int = 200
):
    """One application: the claim, the amount computed line by line, the decision, and the
    clerk's forms for the step its status allows (approve or refuse; then record the payment)."""
    application = reads.read(support_reads.get_application, application_id)
    forms = {
        "approve": SupportApproveForm(formdata=None, prefix="approve"),
        "refuse": SupportRefuseForm(formdata=None, prefix="refuse"),
        "pay": SupportPayForm(formdata=None, prefix="pay"),
        **(given or {}),
    }
    page = render_template(
        "console/support_application.html",
        application=application,
        forms=forms,
        problems=list(problems),
    )
    return page, status


@login_required(Role.ADMIN)
@once
def new_programme():
    """Define a support programme (admins); its report is then the programme's page."""
    form = ProgrammeForm()
    if not form.is_submitted():
        return render_template("console/programme_form.html", form=form, problems=[])
    return actions.submit(
        form,
        lambda form: form.command(),
        lambda problems: (
            render_template("console/programme_form.html", form=form, problems=problems),
            422,
        ),
        _("The programme is defined."),
        url_for("console.support_overview"),
    )


@login_required(Role.BANK, Role.OWNER, Role.CLERK)
@once
def apply():
    """Apply for support: a bank for its loans, an owner for its fees, a clerk for either; the
    service computes the amount from the registry's facts, shown on the application's page."""
    form = SupportApplyForm()
    who = console_principal()
    current = reads.read(support_reads.list_programmes, after=None, limit=None, current=True)
    form.programme_id.choices = [
        (p.id, f"{p.name} ({p.kind}, {p.period_start:%Y-%m-%d} – {p.period_end:%Y-%m-%d})")
        for p in current
        if who is None or who.role is not Role.OWNER or ProgrammeKind(p.kind) in OWNER_KINDS
    ]
    if request.method == "GET" and request.args.get("programme_id", "").isdigit():
        form.programme_id.data = int(request.args["programme_id"])

    def shown(problems: list[str], status: int = 422):
        """The form (again, with its messages: 422)."""
        page = render_template("console/support_apply.html", form=form, problems=problems)
        return page, status

    if not form.is_submitted():
        return shown([], 200)
    if not form.validate_on_submit():
        return shown([])
    command = SubmitSupportApplication(
        form.programme_id.data, form.pledge_ids.ids or [], form.claim(), form.digests()
    )
    try:
        outcome = actions.attempt(command, form)
    except NotFound:  # a loan the user may not claim (or none) is no message's business
        outcome = actions.Outcome(problems=[_("No pledge you may claim has one of these ids.")])
    if not outcome.ok:
        return shown(outcome.problems)
    flash(_("The application is submitted."))
    return redirect(url_for("console.support_application", application_id=outcome.result.id))


@login_required(Role.CLERK)
@once
def approve(application_id: int):
    """Approve the computed amount, or a lower one with its reason, against the budget."""
    return _decide(
        application_id,
        "approve",
        SupportApproveForm,
        lambda form: ApproveSupportApplication(
            application_id, form.amount.data, (form.reason.data or "").strip() or None
        ),
        _("The application is approved."),
    )


@login_required(Role.CLERK)
@once
def refuse(application_id: int):
    """Refuse with coded reasons; the loans are free to be claimed again."""
    return _decide(
        application_id,
        "refuse",
        SupportRefuseForm,
        lambda form: RefuseSupportApplication(
            application_id, list(form.reasons.data), (form.note.data or "").strip() or None
        ),
        _("The application is refused."),
    )


@login_required(Role.CLERK)
@once
def pay(application_id: int):
    """Record the payment of the approved amount, with its reference."""
    return _decide(
        application_id,
        "pay",
        SupportPayForm,
        lambda form: PaySupportApplication(application_id, form.reference.data.strip()),
        _("The payment is recorded."),
    )


def _decide(application_id: int, name: str, form_class, command_of, done: str):
    form = form_class(prefix=name)
    return actions.submit(
        form,
        command_of,
        lambda problems: support_application(application_id, {name: form}, problems, 422),
        done,
        url_for("console.support_application", application_id=application_id),
    )


@login_required(*EVERYONE)
def support_overview():
    """The programmes (every version) and the applications the user may see."""
    programmes = reads.read(support_reads.list_programmes, after=None, limit=LIST_LIMIT)
    limit = reads.PAGE_SIZE  # the applications, a page at a time
    applications = reads.read(
        support_reads.list_applications,
        filters={},
        after=decode_cursor(request.args.get("cursor")),
        limit=limit,
    )
    who = console_principal()
    listed = page(applications, limit)
    return render_template(
        "console/support.html",
        programmes=programmes[:LIST_LIMIT],
        applications=listed["items"],
        next_cursor=listed["next_cursor"],
        may_report=may(who, frozenset(REPORTERS)),
    )


@login_required(*REPORTERS)
def support_programme(programme_id: int, form=None, problems=(), status: int = 200):
    """A programme's report: budget, reserved, paid, remaining, by bank and by firm; and an
    admin's form to change its budget, caps or end."""
    report = reads.read(support_reads.report, programme_id, facts=current_app.extensions[FACTS])
    if request.args.get("format") == "csv":
        return csv_response(
            f"support-{programme_id}.csv",
            support_reads.REPORT_CSV_HEADER,
            support_reads.report_rows(report),
        )
    picture = support_charts.budget_chart(
        report["used_over_time"], report["budget"], report["period_start"], report["period_end"]
    )
    if form is None and actions.may("ChangeProgramme"):
        form = ProgrammeChangeForm.of(reads.read(support_reads.get_programme, programme_id))
    page = render_template(
        "console/support_programme.html",
        report=report,
        picture=picture,
        chart=support_charts,
        form=form,
        problems=list(problems),
    )
    return page, status


@login_required(Role.ADMIN)
@once
def change_programme(programme_id: int):
    """Change the programme's terms (only what differs; nothing when nothing differs)."""
    current = reads.read(support_reads.get_programme, programme_id)
    form = ProgrammeChangeForm(prefix="terms")
    if form.validate_on_submit() and not form.changes(current):
        flash(_("Nothing changed: the terms are as the form gave them."))
        return redirect(url_for("console.support_programme", programme_id=programme_id))
    return actions.submit(
        form,
        lambda form: ChangeProgramme(programme_id, form.changes(current)),
        lambda problems: support_programme(programme_id, form, problems, 422),
        _("The terms are changed."),
        lambda made: url_for("console.support_programme", programme_id=made.id),
    )

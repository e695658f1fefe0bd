"""Pledges: the list (with a cursor and a CSV export), each pledge's page, its receipt, and
the clerk's changes (amount or debt end), cancellation and revocation."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from ipx.auth import Role
from ipx.china_time import utc_text
from ipx.console import actions, reads
from ipx.console.action_forms import CancelForm, PledgeChangeForm, RevokeForm
from ipx.console.csv_export import csv_response
from ipx.console.form_once import once
from ipx.console.labels import PLEDGE_STATUS, label
from ipx.console.session import login_required
from ipx.registry.commands import CancelPledge, ChangePledge, RevokePledge

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
CSV_HEADER = (
    "registration_number",
    "status",
    "pledgor",
    "pledgee",
    "secured_amount",
    "currency",
    "debt_start",
    "debt_end",
    "registered_at",
    "asset_ids",
)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/pledges", view_func=pledge_list)
    blp.add_url_rule("/pledges/<int:pledge_id>", view_func=pledge_page)
    blp.add_url_rule("/pledges/<int:pledge_id>/receipt.json", view_func=receipt)
    for action, view in (("change", change), ("cancel", cancel), ("revoke", revoke)):
        blp.add_url_rule(f"/pledges/<int:pledge_id>/{action}", view_func=view, methods=["POST"])


@login_required(*READERS)
def pledge_list():
    """Pledges the user sees, optionally of one status."""
    status = request.args.get("status") if request.args.get("status") in PLEDGE_STATUS else None
    if request.args.get("format") == "csv":
        return _csv(reads.read(reads.export_rows, reads.pledge_list, status=status))
    answer = reads.read(reads.pledge_list, status=status, cursor=request.args.get("cursor"))
    # The queue of defaults awaiting disposal: each row leads to opening one (clerks).
    next_step = status == "defaulted" and actions.may("OpenDisposal")
    return render_template(
        "console/pledges.html",
        status=status,
        statuses=PLEDGE_STATUS,
        next_step=next_step,
        **answer,
    )


# Any: the forms' base (flask-wtf) is untyped.
FORMS: dict[str, Any] = {"change": PledgeChangeForm, "cancel": CancelForm, "revoke": RevokeForm}


@login_required(*READERS)
def pledge_page(pledge_id: int, given: dict | None = None, problems=(), status: int = 200):
    """One pledge: status, terms, assets, history from the ledger, the receipt, and the
    actions the user's role may take."""
    forms = {name: form(formdata=None, prefix=name) for name, form in FORMS.items()}
    forms.update(given or {})
    page = reads.read(reads.pledge_page, pledge_id)
    return render_template(
        "console/pledge.html", forms=forms, problems=list(problems), **page
    ), status


def _act(pledge_id: int, name: str, command_of, done: str):
    """Validate the action's form, run its command, and show the pledge again."""
    form = FORMS[name](prefix=name)
    return actions.submit(
        form,
        command_of,
        lambda problems: pledge_page(pledge_id, {name: form}, problems, status=422),
        done,
        url_for("console.pledge_page", pledge_id=pledge_id),
    )


@login_required(Role.CLERK)
@once
def change(pledge_id: int):
    """Record a change of the secured amount or of the debt's end."""
    return _act(
        pledge_id,
        "change",
        lambda form: ChangePledge(pledge_id, form.changes()),
        _("The change is recorded."),
    )


@login_required(Role.CLERK)
@once
def cancel(pledge_id: int):
    """Cancel the pledge: debt repaid, pledge waived or contract void."""
    return _act(
        pledge_id,
        "cancel",
        lambda form: CancelPledge(pledge_id, form.reason.data),
        _("The pledge is cancelled."),
    )


@login_required(Role.CLERK)
@once
def revoke(pledge_id: int):
    """Revoke a registration made in error or obtained by deception."""
    return _act(
        pledge_id,
        "revoke",
        lambda form: RevokePledge(pledge_id, form.reason.data.strip()),
        _("The registration is revoked."),
    )


@login_required(*READERS)
def receipt(pledge_id: int):
    """The registration's receipt as a file: the same JSON as the API's receipt."""
    body = reads.pledge_receipt(pledge_id)
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="pledge-{pledge_id}-receipt.json"'},
    )


def _csv(export: dict):
    names = export["names"]
    rows = (
        (
            p.registration_number,
            label(p.status, "pledge_status"),
            names.get(p.pledgor_id, p.pledgor_id),
            names.get(p.pledgee_id, p.pledgee_id),
            f"{p.secured_amount:.2f}",
            p.currency,
            p.debt_start.isoformat(),
            p.debt_end.isoformat(),
            utc_text(p.registered_at),
            " ".join(str(a) for a in p.asset_ids),
        )
        for p in export["items"]
    )
    return csv_response("pledges.csv", CSV_HEADER, rows)

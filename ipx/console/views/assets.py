"""Assets: the list (with a cursor and a CSV export), registering one, each asset's page,
changing its legal status, fees paid or pending invalidation, recording or lifting a court
freeze (clerks), and asking to transfer a pledged asset (its
holder, or a clerk on the holder's behalf), which awaits the pledgee's consent."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ipx.auth import Role
from ipx.console import actions, reads, transfer_request_reads
from ipx.console.action_forms import (
    AssetChangeForm,
    FreezeForm,
    LiftForm,
    TransferForm,
    TransferRequestForm,
    stamp,
)
from ipx.console.csv_export import csv_response
from ipx.console.form_once import once
from ipx.console.labels import label
from ipx.console.registry_forms import AssetForm
from ipx.console.session import login_required
from ipx.registry.commands import (
    CreateAsset,
    FreezeAsset,
    LiftFreeze,
    RecordTransfer,
    RequestTransfer,
    UpdateAsset,
)

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
CSV_HEADER = ("id", "kind", "number", "title", "status", "expiry_date", "frozen", "holder_ids")


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/assets", view_func=asset_list)
    blp.add_url_rule("/assets/new", view_func=new_asset, methods=["GET", "POST"])
    blp.add_url_rule("/assets/<int:asset_id>", view_func=asset_page)
    blp.add_url_rule("/assets/<int:asset_id>/changes", "asset_change", change, methods=["POST"])
    blp.add_url_rule("/assets/<int:asset_id>/freezes", view_func=freeze, methods=["POST"])
    blp.add_url_rule(
        "/assets/<int:asset_id>/freezes/<int:freeze_id>/lift", view_func=lift, methods=["POST"]
    )
    blp.add_url_rule("/assets/<int:asset_id>/transfers", view_func=transfer, methods=["POST"])
    blp.add_url_rule(
        "/assets/<int:asset_id>/transfer-requests", view_func=ask_transfer, methods=["POST"]
    )


@login_required(*READERS)
def asset_list():
    """Assets the user sees (banks and owners: held, or under their pledges)."""
    number = request.args.get("number", "").strip() or None
    if request.args.get("format") == "csv":
        return _csv(reads.read(reads.export_rows, reads.asset_list, number=number))
    answer = reads.read(reads.asset_list, number=number, cursor=request.args.get("cursor"))
    return render_template("console/assets.html", number=number or "", **answer)


@login_required(Role.CLERK)
@once
def new_asset():
    """Register a right with its holders; bad input comes back next to its field."""
    form = AssetForm()
    problems: list[str] = []
    if form.validate_on_submit():
        outcome = actions.attempt(_create_command(form), form)
        if outcome.ok:
            flash(_("%(number)s is registered.", number=outcome.result.number))
            return redirect(url_for("console.asset_page", asset_id=outcome.result.id))
        problems = outcome.problems
    status = 422 if form.errors or problems else 200
    return render_template("console/asset_form.html", form=form, problems=problems), status


def _create_command(form: AssetForm) -> CreateAsset:
    return CreateAsset(
        kind=form.kind.data,
        number=form.number.data,
        title=form.title.data.strip(),
        holder_ids=form.holder_ids.ids or [],
        filing_date=form.filing_date.data,
        status=form.status.data,
        grant_date=form.grant_date.data,
        fees_paid_until=form.fees_paid_until.data,
        expiry_date=form.expiry_date.data,
        ipc=(form.ipc.data or "").strip() or None,
        features=form.features(),
        invalidation_pending=bool(form.invalidation_pending.data),
    )


@login_required(*READERS)
def asset_page(asset_id: int, given: dict | None = None, problems=(), status: int = 200):
    """One asset: its facts, holders, freezes, pledges on it and its history from the ledger,
    the request awaiting the pledgee's consent (if any), and the forms the user may send (a
    clerk's court freeze or transfer; a holder's ask to transfer)."""
    page = reads.read(transfer_request_reads.asset_page, asset_id)
    forms = {
        "change": AssetChangeForm.of(page["asset"]),
        "freeze": FreezeForm(formdata=None, prefix="freeze"),
        "transfer": TransferForm(formdata=None, prefix="transfer"),
        "ask": TransferRequestForm(formdata=None, prefix="ask"),
        "lift": LiftForm(formdata=None),
        **(given or {}),
    }
    return render_template(
        "console/asset.html",
        forms=forms,
        problems=list(problems),
        may_ask=_may_ask(page),
        **page,
    ), status


def _may_ask(page: dict) -> bool:
    """Whether to show the ask to transfer: the use case would take it (``page["askable"]``)
    and the user's role may send it."""
    return bool(page["askable"]) and actions.may("RequestTransfer")


@login_required(Role.OWNER, Role.CLERK)
@once
def ask_transfer(asset_id: int):
    """Ask for a pledged asset's transfer or licence; the pledgee is told and answers on the
    request's page."""
    return _act(
        asset_id,
        "ask",
        TransferRequestForm,
        lambda form: RequestTransfer(asset_id, form.kind.data, form.to_party_ids.ids or []),
        _("The transfer is asked for: it awaits the pledgee's consent."),
        lambda made: url_for("console.transfer_request_page", request_id=made["id"]),
    )


@login_required(Role.CLERK)
@once
def transfer(asset_id: int):
    """Record an assignment or a licence (a pledged asset: with the pledgee's consent)."""
    return _act(
        asset_id,
        "transfer",
        TransferForm,
        lambda form: RecordTransfer(
            asset_id,
            form.kind.data,
            form.to_party_ids.ids or [],
            pledgee_consent=bool(form.pledgee_consent.data),
            proceeds=form.proceeds.data or None,
            proceeds_amount=form.proceeds_amount.data,
        ),
        _("The transfer is recorded."),
    )


@login_required(Role.CLERK)
@once
def change(asset_id: int):
    """Record a change of the right's legal status, fees paid or pending invalidation (the
    fields that differ from the asset's facts; none: nothing is recorded)."""
    current = reads.read(reads.asset_facts, asset_id)
    form = AssetChangeForm(prefix="change")
    if form.is_submitted() and form.shown.data != stamp(current):
        stale = _("The asset changed since this form was shown: here it is now; change it again.")
        return asset_page(asset_id, {"change": AssetChangeForm.of(current)}, [stale], 409)
    if form.validate_on_submit() and not form.changes(current):
        flash(_("Nothing changed: the asset's facts are as the form gave them."))
        return redirect(url_for("console.asset_page", asset_id=asset_id))
    return _act(
        asset_id,
        "change",
        lambda prefix: form,
        lambda form: UpdateAsset(asset_id, form.changes(current), current.updated_at),
        _("The change is recorded."),
    )


@login_required(Role.CLERK)
@once
def freeze(asset_id: int):
    """Record a court's preservation order on the asset."""
    return _act(
        asset_id,
        "freeze",
        FreezeForm,
        lambda form: FreezeAsset(
            asset_id, form.court.data.strip(), form.order_number.data.strip(), form.kind.data
        ),
        _("The court freeze is recorded."),
    )


def _act(asset_id: int, name: str, form_class, command_of, done: str, then=None):
    """One of the page's forms sent: its command run, the page shown again with the form's
    messages, or (done) the asset's page, or ``then(result)``."""
    form = form_class(prefix=name)
    return actions.submit(
        form,
        command_of,
        lambda problems: asset_page(asset_id, {name: form}, problems, status=422),
        done,
        then or url_for("console.asset_page", asset_id=asset_id),
    )


@login_required(Role.CLERK)
@once
def lift(asset_id: int, freeze_id: int):
    """Lift one court freeze of this asset (it stays frozen while another order is active);
    a freeze of another asset is no freeze of this page's (404)."""
    reads.read(reads.asset_freeze, asset_id, freeze_id)
    outcome = actions.attempt(LiftFreeze(freeze_id))
    for problem in outcome.problems:
        flash(problem, "error")
    if outcome.ok:
        flash(_("The court freeze is lifted."))
    return redirect(url_for("console.asset_page", asset_id=asset_id))


def _csv(export: dict):
    rows = (
        (
            a.id,
            label(a.kind, "asset_kind"),
            a.number,
            a.title,
            label(a.status, "legal_status"),
            a.expiry_date.isoformat(),
            "yes" if a.frozen else "no",
            " ".join(str(h) for h in a.holder_ids),
        )
        for a in export["items"]
    )
    return csv_response("assets.csv", CSV_HEADER, rows)

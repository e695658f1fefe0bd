"""Disposals of defaulted pledges: the list (with a cursor and a CSV export), each disposal's
page with its terms, bids and, once sold, the distribution statement, and the clerk's actions:
recording a bid, closing, withdrawing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ipx.auth import Role
from ipx.china_time import utc_text
from ipx.console import actions, disposal_reads, reads
from ipx.console.action_forms import BidForm, CloseForm
from ipx.console.csv_export import csv_response
from ipx.console.disposal_forms import WithdrawForm
from ipx.console.form_once import once
from ipx.console.labels import DISPOSAL_STATUS, label
from ipx.console.session import login_required
from ipx.registry.commands import CloseDisposal, RecordBid, WithdrawDisposal

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
CSV_HEADER = (
    "id",
    "pledge",
    "method",
    "status",
    "reserve_price",
    "costs",
    "currency",
    "opened_at",
    "bids_open_at",
    "closed_at",
    "price",
    "asset_ids",
)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/disposals", view_func=disposal_list)
    blp.add_url_rule("/disposals/<int:disposal_id>", view_func=disposal_page)
    for action, view in (("bids", bid), ("close", close), ("withdraw", withdraw)):
        blp.add_url_rule(f"/disposals/<int:disposal_id>/{action}", view_func=view, methods=["POST"])


@login_required(*READERS)
def disposal_list():
    """Disposals the user sees (banks and owners: those of their own pledges), optionally of
    one status."""
    status = request.args.get("status")
    status = status if status in DISPOSAL_STATUS else None
    if request.args.get("format") == "csv":
        return _csv(reads.read(reads.export_rows, disposal_reads.disposal_list, status=status))
    answer = reads.read(
        disposal_reads.disposal_list, status=status, cursor=request.args.get("cursor")
    )
    return render_template(
        "console/disposals.html", status=status, statuses=DISPOSAL_STATUS, **answer
    )


@login_required(*READERS)
def disposal_page(disposal_id: int, given: dict | None = None, problems=(), status=200):
    """The disposal, its bids and, once sold, how the price is distributed."""
    page = reads.read(disposal_reads.disposal_page, disposal_id)
    forms = {
        "bid": BidForm(formdata=None, prefix="bid"),
        "close": CloseForm(formdata=None, prefix="close"),
        "withdraw": WithdrawForm(formdata=None, prefix="withdraw"),
        **(given or {}),
    }
    return render_template(
        "console/disposal.html", forms=forms, problems=list(problems), **page
    ), status


@login_required(Role.CLERK)
@once
def bid(disposal_id: int):
    """Record a bid; one that breaks a rule (below the reserve, not the highest) is refused."""
    form = BidForm(prefix="bid")
    if not form.validate_on_submit():
        return disposal_page(disposal_id, {"bid": form}, status=422)
    outcome = actions.attempt(RecordBid(disposal_id, form.bidder_id.data, form.amount.data), form)
    if not outcome.ok:
        return disposal_page(disposal_id, {"bid": form}, outcome.problems, status=422)
    flash(_("The bid is recorded."))
    return redirect(url_for("console.disposal_page", disposal_id=disposal_id))


@login_required(Role.CLERK)
@once
def close(disposal_id: int):
    """Close: the best bid wins (sold), or none came (failed)."""
    outcome = actions.attempt(CloseDisposal(disposal_id))
    for problem in outcome.problems:
        flash(problem, "error")
    if outcome.ok:
        flash(_("The disposal is closed."))
    return redirect(url_for("console.disposal_page", disposal_id=disposal_id))


@login_required(Role.CLERK)
@once
def withdraw(disposal_id: int):
    """Withdraw an open disposal: the debt was paid, a court stayed it, or the parties agreed."""
    form = WithdrawForm(prefix="withdraw")
    if not form.validate_on_submit():
        return disposal_page(disposal_id, {"withdraw": form}, status=422)
    note = (form.note.data or "").strip() or None
    outcome = actions.attempt(WithdrawDisposal(disposal_id, form.reason.data, note), form)
    if not outcome.ok:
        return disposal_page(disposal_id, {"withdraw": form}, outcome.problems, status=422)
    flash(_("The disposal is withdrawn."))
    return redirect(url_for("console.disposal_page", disposal_id=disposal_id))


def _csv(export: dict):
    numbers = export["numbers"]
    rows = (
        (
            d.id,
            numbers.get(d.pledge_id, d.pledge_id),
            label(d.method, "disposal_method"),
            label(d.status, "disposal_status"),
            d.reserve_price,
            d.costs,
            d.currency,
            utc_text(d.opened_at),
            utc_text(d.bids_open_at),
            utc_text(d.closed_at) if d.closed_at else None,
            d.price,
            " ".join(str(a) for a in d.asset_ids),
        )
        for d in export["items"]
    )
    return csv_response("disposals.csv", CSV_HEADER, rows)

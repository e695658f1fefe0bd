"""A disposal of a defaulted pledge: its terms, the bids, recording a bid and closing (clerks),
and the distribution statement of a sale."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ipx.auth import Role
from ipx.console import actions, reads
from ipx.console.action_forms import BidForm, CloseForm
from ipx.console.session import login_required
from ipx.registry.commands import CloseDisposal, RecordBid

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/disposals/<int:disposal_id>", view_func=disposal_page)
    blp.add_url_rule("/disposals/<int:disposal_id>/bids", view_func=bid, methods=["POST"])
    blp.add_url_rule("/disposals/<int:disposal_id>/close", view_func=close, methods=["POST"])


@login_required(*READERS)
def disposal_page(disposal_id: int, bid_form: BidForm | None = None, problems=(), status=200):
    """The disposal, its bids and, once sold, how the price is distributed."""
    page = reads.read(reads.disposal_page, disposal_id)
    return render_template(
        "console/disposal.html",
        bid_form=bid_form or BidForm(formdata=None, prefix="bid"),
        close_form=CloseForm(formdata=None, prefix="close"),
        problems=list(problems),
        **page,
    ), status


@login_required(Role.CLERK)
def bid(disposal_id: int):
    """Record a bid; one that breaks a rule (below the reserve, not the highest) is refused."""
    form = BidForm(prefix="bid")
    if not form.validate_on_submit():
        return disposal_page(disposal_id, form, status=422)
    outcome = actions.attempt(RecordBid(disposal_id, form.bidder_id.data, form.amount.data), form)
    if not outcome.ok:
        return disposal_page(disposal_id, form, outcome.problems, status=422)
    flash(_("The bid is recorded."))
    return redirect(url_for("console.disposal_page", disposal_id=disposal_id))


@login_required(Role.CLERK)
def close(disposal_id: int):
    """Close: the best bid wins (sold), or none came (failed)."""
    outcome = actions.attempt(CloseDisposal(disposal_id))
    for problem in outcome.problems:
        flash(problem, "error")
    if outcome.ok:
        flash(_("The disposal is closed."))
    return redirect(url_for("console.disposal_page", disposal_id=disposal_id))

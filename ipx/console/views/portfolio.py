"""A bank's collateral: its encumbering pledges with what its own latest valuations say of
them, revaluing them now (breaches are logged and announced as the API's revaluation does), and
its monthly revaluation schedule."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ipx.auth import Role
from ipx.console import actions, reads
from ipx.console.action_forms import DeleteScheduleForm, RevalueForm, ScheduleForm
from ipx.console.form_once import once
from ipx.console.session import login_required
from ipx.errors import NotFound
from ipx.notify import portfolio, schedules


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/portfolio", view_func=portfolio_page)
    blp.add_url_rule("/portfolio/revalue", view_func=revalue, methods=["POST"])
    blp.add_url_rule("/portfolio/schedule", view_func=set_schedule, methods=["POST"])
    blp.add_url_rule("/portfolio/schedule/delete", view_func=delete_schedule, methods=["POST"])


@login_required(Role.BANK)
def portfolio_page(given: dict | None = None, problems=(), status: int = 200):
    """The bank's pledges with their latest collateral value and coverage; its schedule."""
    pledges = reads.read(portfolio.overview)
    schedule = _schedule()
    forms = {
        "revalue": RevalueForm(formdata=None, prefix="revalue"),
        "schedule": ScheduleForm(formdata=None, prefix="schedule", data=_shown(schedule)),
        "delete": DeleteScheduleForm(formdata=None, prefix="delete"),
        **(given or {}),
    }
    page = render_template(
        "console/portfolio.html",
        pledges=pledges,
        schedule=schedule,
        every_days=current_app.config.get("REVALUATION_EVERY_DAYS") or 0,
        forms=forms,
        problems=list(problems),
    )
    return page, status


def _schedule() -> dict | None:
    try:
        return reads.read(schedules.get_schedule, None)
    except NotFound:  # none of its own: the operator's default applies
        return None


def _shown(schedule: dict | None) -> dict:
    if schedule is None:
        return {"enabled": True}
    threshold = schedule["ltv_threshold"]
    return {
        "day_of_month": schedule["day_of_month"],
        "ltv_threshold": None if threshold is None else Decimal(threshold),
        "enabled": schedule["enabled"],
    }


@login_required(Role.BANK)
@once
def revalue():
    """Revalue every asset pledged to the bank now; say how many pledges are in breach."""
    form = RevalueForm(prefix="revalue")
    if not form.validate_on_submit():
        return portfolio_page({"revalue": form}, status=422)
    outcome = actions.attempt(portfolio.RevaluePortfolio(form.ltv_threshold.data), form)
    if not outcome.ok:
        return portfolio_page({"revalue": form}, outcome.problems, 422)
    items = outcome.result
    breaches = sum(1 for item in items if item["breach"])
    flash(
        ngettext("%(num)d pledge revalued", "%(num)d pledges revalued", len(items))
        + "; "
        + ngettext("%(num)d in breach.", "%(num)d in breach.", breaches)
    )
    return redirect(url_for("console.portfolio_page"))


@login_required(Role.BANK)
@once
def set_schedule():
    """Set the bank's monthly revaluation schedule (an operational setting, not logged)."""
    form = ScheduleForm(prefix="schedule")
    return actions.submit(
        form,
        lambda form: schedules.SetRevaluationSchedule(
            day_of_month=form.day_of_month.data,
            ltv_threshold=form.ltv_threshold.data,
            enabled=bool(form.enabled.data),
        ),
        lambda problems: portfolio_page({"schedule": form}, problems, 422),
        _("The schedule is saved."),
        url_for("console.portfolio_page"),
    )


@login_required(Role.BANK)
@once
def delete_schedule():
    """Delete the bank's schedule: the operator's default applies again."""
    form = DeleteScheduleForm(prefix="delete")
    return actions.submit(
        form,
        lambda form: schedules.DeleteRevaluationSchedule(),
        lambda problems: portfolio_page({"delete": form}, problems, 422),
        _("The schedule is deleted: the operator's default applies."),
        url_for("console.portfolio_page"),
    )

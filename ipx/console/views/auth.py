"""Logging in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ipx.console.forms import LoginForm
from ipx.console.i18n import when
from ipx.console.login import attempt_login
from ipx.console.session import console_principal, log_in, log_out, safe_next
from ipx.db_ext import database
from ipx.uow import utcnow


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/login", view_func=login, methods=["GET", "POST"])
    blp.add_url_rule("/logout", view_func=logout, methods=["POST"])


def login():
    """The login form; a refused login never says which field was wrong."""
    if console_principal() is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    refusal = None
    if form.validate_on_submit():
        with database().sessions() as session:
            outcome = attempt_login(session, form.username.data, form.password.data, utcnow())
        if outcome.user is not None:
            log_in(outcome.user)
            return redirect(safe_next(request.args.get("next")))
        if outcome.locked_until is not None:
            refusal = _(
                "Too many failed logins for this username: logins are refused until "
                "%(time)s (Beijing time).",
                time=when(outcome.locked_until),
            )
        else:
            refusal = _("The username or password is not correct.")
    return render_template("console/login.html", form=form, refusal=refusal)


def logout():
    """End the session (a POST: its CSRF token was checked before the view ran)."""
    log_out()
    flash(_("You have logged out."), "info")
    return redirect(url_for("console.login"))

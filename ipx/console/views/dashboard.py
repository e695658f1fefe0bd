"""The dashboard: a clerk's work queues, a bank's or owner's pledges at a glance."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from ipx.console import reads
from ipx.console.session import login_required


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/", view_func=dashboard)
    blp.add_url_rule("", view_func=lambda: redirect(url_for("console.dashboard")), endpoint="root")


@login_required()
def dashboard():
    """Work queues and pledge counts, as far as the user's role and party see."""
    return render_template("console/dashboard.html", **reads.read(reads.dashboard))

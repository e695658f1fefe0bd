"""The public encumbrance search (no login), printable as a search result."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from ipx.console import reads
from ipx.uow import utcnow

LIMITS = {"number": 60, "pledgor": 300}


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/public", view_func=public)


def public():
    """Is this patent pledged? By its number in any spelling, or by the pledgor."""
    criterion = next((k for k in ("number", "pledgor") if request.args.get(k, "").strip()), None)
    text = request.args.get(criterion, "").strip() if criterion else ""
    error = answer = None
    if criterion and len(text) > LIMITS[criterion]:
        error = _("At most %(n)s characters.", n=LIMITS[criterion])
    elif criterion:
        answer = reads.read(
            reads.public_search,
            replica=True,  # the read replica's, when there is one (stamped with its checkpoint)
            number=text if criterion == "number" else None,
            pledgor=text if criterion == "pledgor" else None,
            cursor=request.args.get("cursor") or None,
        )
    return render_template(
        "console/public.html",
        criterion=criterion,
        text=text,
        error=error,
        answer=answer,
        searched_at=utcnow(),
    )

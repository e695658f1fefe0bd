"""The console's writes: a command run by the app's use-case runner as the logged-in user.

A view builds the command from its form and calls ``attempt``; the runner checks the role and
runs the handler in one transaction, exactly as for the JSON API. That transaction is held by
the claim on the form's one-time token (``form_once``), which commits it with the token spent
once the view has answered, so a form posted twice acts once. A refusal the user can act on
(bad input, a conflict with the record's state) comes back as messages to show with the form;
anything else is an error page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, is_dataclass
from typing import Any

from flask import current_app, flash, redirect
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from ipx.console import form_once
from ipx.console.field_messages import show_refusal
from ipx.console.session import console_principal
from ipx.errors import Conflict, RegistrationRefused, ValidationFailed
from ipx.notify.commands import (
    CreateSubscription,
    DeleteSubscription,
    Redeliver,
    TestSubscription,
)
from ipx.notify.portfolio import RevaluePortfolio
from ipx.notify.schedules import DeleteRevaluationSchedule, SetRevaluationSchedule
from ipx.registry import commands
from ipx.support import commands as support_commands
from ipx.valuation.handlers import ValueAssets

CONFLICT_MESSAGES = {
    "asset-exists": _l("This right is already registered."),
    "party-exists": _l("This party is already registered."),
    "invalid-transition": _l("The record's current state does not allow this."),
    "asset-frozen": _l("The asset is frozen by a court."),
    "asset-in-disposal": _l("The asset is being disposed of."),
    "pledge-in-disposal": _l("The pledge is in disposal: the asset is sold, not transferred."),
    "disposal-closed": _l("The disposal is closed; no more bids are accepted."),
    "bidding-not-open": _l("Bids are accepted only after the announcement period."),
    "bidder-not-eligible": _l("The pledgor and the pledgee may not bid in the disposal."),
    "bid-below-reserve": _l("The bid is below the reserve price."),
    "bid-not-highest": _l("In an auction a bid must be higher than the best bid so far."),
    "debt-not-due": _l(
        "The debt has not fallen due yet: timely disposal can be asked for after it."
    ),
    "pledgee-consent-required": _l(
        "The asset is pledged: a transfer or licence needs the pledgee's recorded consent."
    ),
    "transfer-request-pending": _l(
        "A transfer of this asset is already awaiting the pledgee's consent."
    ),
    "not-pledged": _l("The asset is not pledged: record the transfer directly."),
    "pledge-ended": _l("The pledge no longer encumbers the asset: withdraw this request."),
    "holders-changed": _l(
        "The asset's holders changed since the request was made: withdraw it and ask again."
    ),
    "budget-exhausted": _l("The programme's remaining budget does not cover this approval."),
    "firm-cap-reached": _l("The approval would take the firm past its yearly cap."),
    "delivery-in-flight": _l("A worker is sending this delivery now: try again in a moment."),
    "asset-changed": _l("The asset changed meanwhile: open its page again and change it then."),
    "support-ineligible": _l("The application is not eligible under this programme:"),
    "duplicate-application": _l("A loan of this application is already claimed in this programme."),
}
#: Command types by name, for templates asking whether to show an action.
COMMANDS: dict[str, type] = {
    **{
        n: kind
        for n, kind in vars(commands).items()
        if isinstance(kind, type) and is_dataclass(kind)
    },
    "ValueAssets": ValueAssets,
    "RevaluePortfolio": RevaluePortfolio,
    "CreateSubscription": CreateSubscription,
    "DeleteSubscription": DeleteSubscription,
    "TestSubscription": TestSubscription,
    "Redeliver": Redeliver,
    "SetRevaluationSchedule": SetRevaluationSchedule,
    "DeleteRevaluationSchedule": DeleteRevaluationSchedule,
    **{
        n: kind
        for n, kind in vars(support_commands).items()
        if isinstance(kind, type) and is_dataclass(kind)
    },
}


@dataclass
class Outcome:
    """What running a command gave: its result, or the messages to show with the form."""

    result: Any = None
    problems: list[str] = field(default_factory=list)
    refusal: RegistrationRefused | None = None
    ok: bool = False


def run(command: object) -> Any:
    """Run the command as the logged-in user, in the transaction of the form's token claim
    (its errors propagate to the error pages)."""
    principal = console_principal()
    assert principal is not None  # every writing view requires a login
    claim = form_once.current_claim()
    if claim is None:
        raise RuntimeError("a console view that writes is wrapped in form_once.once")
    return current_app.extensions["ipx.usecases"].run(command, principal, held=claim)


def attempt(command: object, form: FlaskForm | None = None) -> Outcome:
    """Run the command; bad input goes next to the form's fields, conflicts above it."""
    try:
        return Outcome(result=run(command), ok=True)
    except ValidationFailed as refusal:
        outcome = Outcome(problems=show_refusal(form, refusal))
    except RegistrationRefused as refusal:
        outcome = Outcome(refusal=refusal)
    except Conflict as conflict:
        words = CONFLICT_MESSAGES.get(conflict.code, _l("That conflicts with the record's state."))
        grounds = [f"{g['code']}: {g['message']}" for g in conflict.extra.get("grounds") or []]
        outcome = Outcome(problems=[str(words), *grounds])
    except BaseException:
        _abandon()
        raise
    _abandon()  # nothing was done: release the locks before the page is shown again
    return outcome


def submit(
    form: FlaskForm,
    command_of: Callable[[FlaskForm], object],
    again: Callable[[list[str]], Any],
    done: str,
    then: str | Callable[[Any], str],
):
    """One action's form: validate it, run the command ``command_of(form)`` builds, and show the
    page again with the messages (``again(problems)``, answered 422) when either refuses; else
    say ``done`` and go to ``then`` (or to ``then(result)``, a page of what the command made)."""
    if not form.validate_on_submit():
        return again([])
    outcome = attempt(command_of(form), form)
    if not outcome.ok:
        return again(outcome.problems)
    flash(done)
    return redirect(then if isinstance(then, str) else then(outcome.result))


def _abandon() -> None:
    claim = form_once.current_claim()
    if claim is not None:
        claim.abandon()


def may(command_name: str) -> bool:
    """Whether the logged-in user's role may run this kind of command (to show an action)."""
    kind = COMMANDS[command_name]
    return bool(current_app.extensions["ipx.usecases"].allowed(kind, console_principal()))

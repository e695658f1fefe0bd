"""Transfer requests (Civil Code Art. 444): the list, each request's page, and the answers to
one, by the same use cases as ``/api/v1/transfer-requests``: the pledgee bank (or a clerk
recording its written word) consents, which records the transfer, or declines with a reason;
the owner who asked (or a clerk) withdraws. The ask itself is made on the asset's page.

Who sees which request, and who may answer it, is the use cases' own rule: a form is shown
only to a user who may send it, and a user who sends it anyway is refused by the use case
(a request the user may not see is a 404, an answered one a message above the form).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from ipx.auth import Role
from ipx.console import actions, reads, transfer_request_reads
from ipx.console.action_forms import ConsentForm, DeclineForm, WithdrawRequestForm
from ipx.console.form_once import once
from ipx.console.labels import TRANSFER_REQUEST_STATUS
from ipx.console.session import console_principal, login_required
from ipx.registry.commands import ConsentToTransfer, DeclineTransfer, WithdrawTransferRequest
from ipx.registry.services.transfer_requests import RequestStatus

READERS = (Role.CLERK, Role.AUDITOR, Role.BANK, Role.OWNER)
# Any: the forms' base (flask-wtf) is untyped.
FORMS: dict[str, Any] = {
    "consent": ConsentForm,
    "decline": DeclineForm,
    "withdraw": WithdrawRequestForm,
}
#: The command each form sends, by name (for ``actions.may``).
COMMANDS = {
    "consent": "ConsentToTransfer",
    "decline": "DeclineTransfer",
    "withdraw": "WithdrawTransferRequest",
}


def register(blp: Blueprint) -> None:
    blp.add_url_rule("/transfer-requests", view_func=transfer_request_list)
    blp.add_url_rule("/transfer-requests/<int:request_id>", view_func=transfer_request_page)
    for action, view in (
        ("consent", consent_transfer),
        ("decline", decline_transfer),
        ("withdraw", withdraw_transfer_request),
    ):
        blp.add_url_rule(
            f"/transfer-requests/<int:request_id>/{action}", view_func=view, methods=["POST"]
        )


@login_required(*READERS)
def transfer_request_list():
    """The requests the user sees, as the API lists them, optionally of one state."""
    status = request.args.get("status")
    status = status if status in TRANSFER_REQUEST_STATUS else None
    answer = reads.read(
        transfer_request_reads.request_list, status=status, cursor=request.args.get("cursor")
    )
    return render_template(
        "console/transfer_requests.html",
        status=status,
        statuses=TRANSFER_REQUEST_STATUS,
        **answer,
    )


@login_required(*READERS)
def transfer_request_page(request_id: int, given: dict | None = None, problems=(), status=200):
    """One request: the asset, its pledge, who is to receive it, who asked and who answered,
    the transfer its consent recorded, and the answers the user may give."""
    page = reads.read(transfer_request_reads.request_page, request_id)
    forms = {name: form(formdata=None, prefix=name) for name, form in FORMS.items()}
    forms.update(given or {})
    return render_template(
        "console/transfer_request.html",
        forms=forms,
        problems=list(problems),
        answers=_answers(page["transfer_request"]),
        **page,
    ), status


def _answers(found: dict) -> set[str]:
    """The forms to show: only while the request awaits an answer, to a role whose use case
    takes it; a withdrawal only to the owner who asked (or a clerk), as the use case checks."""
    if found["status"] != RequestStatus.AWAITING_CONSENT:
        return set()
    shown = {name for name in ("consent", "decline") if actions.may(COMMANDS[name])}
    principal = console_principal()
    asker = principal is not None and (
        principal.sees_all() or principal.party_id == found["requested_by_party_id"]
    )
    if asker and actions.may(COMMANDS["withdraw"]):
        shown.add("withdraw")
    return shown


def _act(request_id: int, name: str, command_of, done: str):
    """Validate the answer's form, run its use case, and show the request again."""
    form = FORMS[name](prefix=name)
    return actions.submit(
        form,
        command_of,
        lambda problems: transfer_request_page(request_id, {name: form}, problems, status=422),
        done,
        url_for("console.transfer_request_page", request_id=request_id),
    )


@login_required(Role.BANK, Role.CLERK)
@once
def consent_transfer(request_id: int):
    """The pledgee consents (a clerk: records its written consent); the transfer is recorded."""
    return _act(
        request_id,
        "consent",
        lambda form: ConsentToTransfer(
            request_id, form.proceeds.data, proceeds_amount=form.proceeds_amount.data
        ),
        _("The consent is recorded, and with it the transfer."),
    )


@login_required(Role.BANK, Role.CLERK)
@once
def decline_transfer(request_id: int):
    """The pledgee refuses its consent, with its reason (a clerk: records the refusal)."""
    return _act(
        request_id,
        "decline",
        lambda form: DeclineTransfer(request_id, form.reason.data.strip()),
        _("The transfer is declined."),
    )


@login_required(Role.OWNER, Role.CLERK)
@once
def withdraw_transfer_request(request_id: int):
    """The owner who asked (or a clerk) takes the request back before the pledgee answers."""
    return _act(
        request_id,
        "withdraw",
        lambda form: WithdrawTransferRequest(request_id, (form.reason.data or "").strip() or None),
        _("The request is withdrawn."),
    )

"""The registry's write use cases: which handler runs each command, and who may run it.

The handlers live with their aggregate (``services/`` for parties, assets, applications,
pledges, transfers and transfer requests; ``disposal/`` for defaults, disposals and sales) and
all take ``(uow, principal, command)``; ``ipx.usecases.UseCases`` runs them. Roles here are the
whole role check of a use case: a handler still applies the visibility policy and the party
rules (a bank files only as the pledgee, only the pledgee declares default, ...).
"""

from __future__ import annotations

from ipx.auth import Role
from ipx.registry import commands as c
from ipx.registry.disposal import defaults, disposals, realization
from ipx.registry.services import (
    applications,
    assets,
    parties,
    pledges,
    registration,
    transfer_requests,
    transfers,
)
from ipx.usecases import UseCase, use_case

CLERK = Role.CLERK

HANDLERS: dict[type, UseCase] = {
    c.CreateParty: use_case(parties.create_party, CLERK),
    c.RecordSme: use_case(parties.record_sme, CLERK),
    c.CreateAsset: use_case(assets.create_asset, CLERK),
    c.UpdateAsset: use_case(assets.update_asset, CLERK),
    c.FreezeAsset: use_case(assets.add_freeze, CLERK),
    c.LiftFreeze: use_case(assets.lift_freeze, CLERK),
    c.SubmitApplication: use_case(applications.submit_application, Role.BANK, CLERK),
    c.CorrectApplication: use_case(applications.correct_application, Role.BANK, CLERK),
    c.RequestCorrection: use_case(applications.request_correction, CLERK),
    c.RefuseApplication: use_case(applications.refuse_application, CLERK),
    c.RegisterPledge: use_case(registration.register_application, CLERK),
    c.ChangePledge: use_case(pledges.change_pledge, CLERK),
    c.CancelPledge: use_case(pledges.cancel_pledge, CLERK),
    c.RevokePledge: use_case(pledges.revoke_pledge, CLERK),
    c.RecordTransfer: use_case(transfers.record_transfer, CLERK),
    c.RequestTransfer: use_case(transfer_requests.request_transfer, Role.OWNER, CLERK),
    c.ConsentToTransfer: use_case(transfer_requests.consent_to_transfer, Role.BANK, CLERK),
    c.DeclineTransfer: use_case(transfer_requests.decline_transfer, Role.BANK, CLERK),
    c.WithdrawTransferRequest: use_case(
        transfer_requests.withdraw_transfer_request, Role.OWNER, CLERK
    ),
    c.DeclareDefault: use_case(defaults.declare_default, Role.BANK, CLERK),
    c.RequestDisposal: use_case(defaults.request_disposal, Role.OWNER, CLERK),
    c.OpenDisposal: use_case(disposals.open_disposal, CLERK),
    c.RecordBid: use_case(disposals.record_bid, CLERK),
    c.CloseDisposal: use_case(realization.close_disposal, CLERK),
    c.WithdrawDisposal: use_case(realization.withdraw_disposal, CLERK),
}

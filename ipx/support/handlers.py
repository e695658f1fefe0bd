"""The support programmes' write use cases: which handler runs each command, and who may.

Run by ``ipx.usecases.UseCases`` like the registry's. The registry's facts arrive through the
port ``create_app`` wires (``ipx.support.ports.RegistryFacts``), so this package never imports
the registry.
"""

from __future__ import annotations

import functools

from ipx.auth import Role
from ipx.support import applications, decisions, programmes
from ipx.support import commands as c
from ipx.support.ports import RegistryFacts
from ipx.usecases import UseCase, use_case


def handlers(facts: RegistryFacts) -> dict[type, UseCase]:
    """The use cases, over the registry's facts (admins run every use case)."""
    recompute = functools.partial(_recompute, facts=facts)
    return {
        c.CreateProgramme: use_case(programmes.create_programme),
        c.ChangeProgramme: use_case(
            functools.partial(programmes.change_programme, recompute=recompute)
        ),
        c.SubmitSupportApplication: use_case(
            functools.partial(applications.submit_application, facts=facts),
            Role.BANK,
            Role.OWNER,
            Role.CLERK,
        ),
        c.ApproveSupportApplication: use_case(decisions.approve_application, Role.CLERK),
        c.RefuseSupportApplication: use_case(decisions.refuse_application, Role.CLERK),
        c.PaySupportApplication: use_case(decisions.pay_application, Role.CLERK),
    }


def _recompute(uow, undecided, programme, *, facts: RegistryFacts) -> None:
    applications.recompute(uow, undecided, programme, facts)

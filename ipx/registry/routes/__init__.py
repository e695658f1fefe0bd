"""The registry's HTTP API, one module per resource."""

from ipx.registry.disposal import routes as disposals
from ipx.registry.routes import (
    applications,
    assets,
    parties,
    pledges,
    public,
    transfer_requests,
    transfers,
)


def blueprints() -> list:
    return [
        *(parties.blp, assets.blp, applications.blp, pledges.blp, transfers.blp, public.blp),
        transfer_requests.blp,
        *(disposals.blp, disposals.transactions_blp),
    ]

"""Imports every module that defines tables, so ``Base.metadata`` is complete."""

import ipx.auth  # noqa: F401
import ipx.console.accounts  # noqa: F401
import ipx.console.login  # noqa: F401
import ipx.ledger.cosigned  # noqa: F401
import ipx.ledger.encumbrance_map  # noqa: F401
import ipx.ledger.keyring  # noqa: F401
import ipx.ledger.tables  # noqa: F401
import ipx.notify.orm  # noqa: F401
import ipx.registry.disposal.orm  # noqa: F401
import ipx.registry.orm  # noqa: F401
import ipx.support.orm  # noqa: F401
import ipx.valuation.orm  # noqa: F401
import ipx.web.idempotency  # noqa: F401

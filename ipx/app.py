"""The composition root: ``create_app`` builds the service and wires its contexts together.

The registry, the ledger and the valuation know nothing of each other's insides: the use-case
runner gets every context's handlers here, the valuation gets the registry's asset facts here,
and the ledger's blueprint gets the pledge receipt (``ipx.receipts``) here.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from flask import Flask

from ipx import db_ext
from ipx.config import instance_config, instance_path
from ipx.console import init_app as init_console
from ipx.instance_keys import ensure_digest_key, registry_digest_key
from ipx.ledger import tile_routes  # noqa: F401  (C2SP tlog-tiles, on the ledger's blueprint)
from ipx.notify.handlers import handlers as notify_handlers
from ipx.notify.portfolio import handlers as portfolio_handlers
from ipx.notify.portfolio_routes import blp as portfolio_blueprint
from ipx.notify.routes import blp as notify_blueprint
from ipx.receipts import blp as ledger_blueprint  # the ledger's routes, with the receipt
from ipx.registry.disposal.realized_sales import realized_sales
from ipx.registry.handlers import HANDLERS as REGISTRY_HANDLERS
from ipx.registry.routes import blueprints as registry_blueprints
from ipx.registry.services.support_facts import SupportFacts
from ipx.registry.services.valuation_facts import owner_digesting
from ipx.support.handlers import handlers as support_handlers
from ipx.support.routes import FACTS as SUPPORT_FACTS
from ipx.support.routes import blp as support_blueprint
from ipx.usecases import UseCases
from ipx.valuation import serving
from ipx.valuation.handlers import handlers as valuation_handlers
from ipx.valuation.routes import REALIZED_SALES
from ipx.valuation.routes import init_app as init_valuation_routes
from ipx.valuation_reports import blp as valuation_blueprint  # the valuations', with the report
from ipx.web import health, limits, observability, scrape
from ipx.web.api import IpxApi, api_settings, install_converters
from ipx.web.errors import register_error_handlers
from ipx.web.http import BoundedRequest, check_request_body

#: The packages ``create_app`` imports modules of as it wires the console and the API document
#: (each imported when first needed, so that a command which builds no app imports none).
DEFERRED_PACKAGES = ("ipx.console", "ipx.web.examples")


def import_app_modules() -> None:
    """Import, ahead of ``create_app``, every module of ``DEFERRED_PACKAGES``, and with them the
    libraries they use (WTForms, Babel, the console's templates' extensions): ``ipx serve``'s
    arbiter does, once, so its workers fork with them loaded and only build their app. (The
    test of this function checks that ``create_app`` then imports no module of the project.
    A worker that preloads the valuation model still imports the model's modules and LightGBM
    itself, after the fork: none of them is imported before it, so no OpenMP runtime either.)"""
    import jinja2.ext  # noqa: F401  (the console's i18n extension)

    for name in DEFERRED_PACKAGES:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(package.__path__, f"{name}."):
            importlib.import_module(module.name)


def create_app(config: dict | None = None) -> Flask:
    """Application factory: configuration, database, use cases, blueprints, error handlers."""
    app = Flask("ipx", instance_path=str(instance_path()))
    app.request_class = BoundedRequest  # a chunked body is read only up to MAX_CONTENT_LENGTH
    app.config.from_mapping(instance_config())
    if config:
        app.config.update(config)
    # Names are Chinese: send them as UTF-8, not \\u escapes. (Settings of Flask's default
    # provider, which ``app.json`` is typed as the JSONProvider base of.)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    for key, value in api_settings().items():
        app.config.setdefault(key, value)
    db_ext.init_app(app)
    # Created only for a database without records; missing beside records, the app stops.
    ensure_digest_key(app.config["DIGEST_KEY_FILE"], db_ext.database(app).engine)
    _init_use_cases(app)
    _init_support(app)
    api = IpxApi(app)
    install_converters(app, api)
    register_error_handlers(app)
    observability.init_app(app)  # request ids, the JSON line per request, latency metrics
    limits.init_app(app)
    app.before_request(check_request_body)
    for blueprint in [
        *registry_blueprints(),
        ledger_blueprint,
        valuation_blueprint,
        notify_blueprint,
        portfolio_blueprint,
        support_blueprint,
    ]:
        api.register_blueprint(blueprint)
    _init_valuation(app)
    init_console(app)  # the web console and /api/v1/docs
    health.init_app(app)  # /healthz, /readyz
    scrape.init_app(app)  # /metrics
    limits.apply_limits(app)  # on the public query and the console's login
    return app


def _init_use_cases(app: Flask) -> None:
    """One runner for every write use case, whichever way it comes in (API or console)."""
    app.extensions["ipx.usecases"] = UseCases(
        db_ext.database(app).sessions,
        read_sessions=db_ext.database(app).read_sessions,
        digest_key=functools.partial(registry_digest_key, app.config["DIGEST_KEY_FILE"]),
        cases=[REGISTRY_HANDLERS],
    )
    # Notifications: the loopback setting is read at each call (tests and the demo turn it on).
    app.extensions["ipx.usecases"].register(
        notify_handlers(lambda: bool(app.config["WEBHOOK_ALLOW_LOOPBACK"]))
    )


def _init_support(app: Flask) -> None:
    """Wire the support programmes to the registry's facts of loans and firms."""
    facts = SupportFacts()
    app.extensions[SUPPORT_FACTS] = facts
    app.extensions["ipx.usecases"].register(support_handlers(facts))


def _init_valuation(app: Flask) -> None:
    """Wire the valuations to the registry's asset facts. The model loads on the first
    valuation, or here when PRELOAD_MODEL is set (servers: the first request is not slowed;
    commands that never value do not import LightGBM and NumPy at all)."""
    app.config.setdefault("PRELOAD_MODEL", False)
    init_valuation_routes(app, preload=app.config["PRELOAD_MODEL"])
    valuer = functools.partial(serving.valuer, app)
    # Owners as the registry's outcome export names them (keyed digests of the holders).
    asset_facts = owner_digesting(
        functools.partial(registry_digest_key, app.config["DIGEST_KEY_FILE"])
    )
    app.extensions["ipx.usecases"].register(valuation_handlers(valuer, asset_facts))
    app.extensions["ipx.usecases"].register(portfolio_handlers(valuer, asset_facts))
    app.extensions[REALIZED_SALES] = realized_sales  # the back-test's transaction records

"""IPX: an IP pledge registry with a tamper-evident ledger and a patent valuation service."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing ipx must stay light: the offline verifier lives in ipx.ledger
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Application factory: configuration, database, blueprints, error handlers, model."""
    from flask import Flask

    from ipx.config import PROJECT_ROOT, load_config

    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)  # the default SQLite file, keys
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
    app.json.sort_keys = False
    app.json.ensure_ascii = False  # names are Chinese: send them as UTF-8, not \u escapes

    from ipx import db_ext
    from ipx.errors import register_error_handlers
    from ipx.web.api import IpxApi, api_settings, install_converters
    from ipx.web.http import check_request_body

    for key, value in api_settings().items():
        app.config.setdefault(key, value)
    db_ext.init_app(app)
    api = IpxApi(app)
    install_converters(app, api)
    register_error_handlers(app)
    app.before_request(check_request_body)
    _register_blueprints(api)
    _init_valuation(app)
    return app


def _register_blueprints(api) -> None:
    from ipx.registry.routes import blueprints as registry_blueprints

    for blueprint in registry_blueprints():
        api.register_blueprint(blueprint)
    from ipx.ledger.routes import blp as ledger_blueprint
    from ipx.valuation.routes import blp as valuation_blueprint

    api.register_blueprint(ledger_blueprint)
    api.register_blueprint(valuation_blueprint)


def _init_valuation(app: Flask) -> None:
    """Load the valuation model once; assets reach it through the registry's facts."""
    from ipx.registry.services.valuation_facts import asset_facts
    from ipx.valuation.routes import init_app

    init_app(app, asset_source=asset_facts)

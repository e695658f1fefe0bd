"""``/api/v1/docs``: Swagger UI over the OpenAPI document, served from the installed
``swagger-ui-bundle`` package (no CDN, nothing fetched at run time)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from ipx.web.api import API_PREFIX

#: The files of the bundle the page uses; nothing else of the package is served.
SWAGGER_FILES = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
    }
)


def docs_blueprint() -> Blueprint:
    blp = Blueprint(
        "api_docs",
        __name__,
        url_prefix=API_PREFIX,
        template_folder="templates",
        static_folder="static",
        static_url_path="/docs/static",
    )

    @blp.get("/docs")
    def docs():
        """The browsable API documentation."""
        return render_template("console/api_docs.html", spec_url=url_for("api-docs.openapi_json"))

    @blp.get("/docs/swagger-ui/<filename>")
    def swagger_ui(filename: str):
        if filename not in SWAGGER_FILES:
            abort(404)
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    return blp

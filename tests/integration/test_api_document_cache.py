"""The served OpenAPI document is built once per process for what it is built from
(``IpxApi.document``): every app serves the text it would build itself."""

from __future__ import annotations

import json

from ipx import create_app
from ipx.web import api as web_api
from ipx.web.api import API_PREFIX, IpxApi
from tests.registry_helpers import app_settings


def _served(folder, **settings) -> tuple[str, str]:
    """(the document an app serves, the document it builds itself, bypassing the cache)."""
    folder.mkdir()
    app = create_app({**app_settings(f"sqlite:///{folder}/ipx.sqlite3", folder), **settings})
    text = app.test_client().get(f"{API_PREFIX}/openapi.json").get_data(as_text=True)
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    assert isinstance(api, IpxApi)
    return text, json.dumps(api.document_dict(), indent=2, ensure_ascii=False)


def test_another_database_and_other_key_files_serve_the_same_document_from_the_cache(tmp_path):
    first, built = _served(tmp_path / "first")
    known = len(web_api._DOCUMENTS)
    other, rebuilt = _served(tmp_path / "other", CHECKPOINT_EVERY_SECONDS=60)
    assert first == built == other == rebuilt
    assert len(web_api._DOCUMENTS) == known  # served from the cache, not built again


def test_settings_that_change_the_wiring_serve_what_the_app_builds(tmp_path):
    # no public rate limit (the public views are not wrapped), no /metrics route, another title
    for n, settings in enumerate(
        [{"RATE_LIMIT_PUBLIC": "off"}, {"METRICS_ENABLED": False}, {"API_TITLE": "another"}]
    ):
        served, built = _served(tmp_path / str(n), **settings)
        assert served == built, settings
    assert json.loads(served)["info"]["title"] == "another"

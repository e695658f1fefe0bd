"""``/api/v1/docs``: Swagger UI from the installed package, nothing from elsewhere."""

from __future__ import annotations

import re


def test_the_docs_page_loads_only_this_sites_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    sources = re.findall(r'src="([^"]+)"', html) + re.findall(r'<link[^>]*href="([^"]+)"', html)
    assert sources and all(s.startswith("/api/v1/") for s in sources), sources
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert "<script>" not in html  # no inline script: the CSP allows this site's files only
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    for source in sources:
        if source != "/api/v1/openapi.json":
            with client.get(source) as served:
                assert served.status_code == 200, source


def test_only_the_bundles_page_files_are_served(client):
    with client.get("/api/v1/docs/swagger-ui/swagger-ui-bundle.js") as served:
        assert served.status_code == 200 and served.mimetype == "text/javascript"
    for name in ("index.html", "..%2F__init__.py", "swagger-initializer.js"):
        with client.get(f"/api/v1/docs/swagger-ui/{name}") as refused:
            assert refused.status_code == 404

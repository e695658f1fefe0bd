"""Security headers of the console's pages and the API documentation.

Everything a page uses comes from this site: no inline script or style (the templates carry
none), no framing, no plugins, forms posting only here. Pages after login are private:
browsers and proxies must not keep them.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Swagger UI's stylesheet draws its icons as data: images.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_BLUEPRINTS = frozenset({"console", "api_docs"})


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """``after_request``: the headers above on every console and documentation answer."""
    if request.blueprint not in PAGE_BLUEPRINTS and not request.path.startswith("/console"):
        return response
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.blueprint == "console" and request.endpoint != "console.static":
        headers.setdefault("Cache-Control", "no-store")
    return response

"""Console users and logins for the console's tests (Flask test client and browser)."""

from __future__ import annotations

import itertools
import re

from ipx.db_ext import database

PASSWORD = "correct horse battery staple"
_names = itertools.count(1)
CSRF_FIELD = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
FORM = re.compile(r'<form method="post" action="(?P<action>[^"]*)"[^>]*>(?P<body>.*?)</form>', re.S)
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')


def console_user(app, role: str, party_id: int | None = None, *, username: str | None = None):
    """Create an active console user directly in the database; its username."""
    from ipx.console.accounts import create_user
    from ipx.uow import utcnow

    username = username or f"{role}{next(_names)}"
    with database(app).sessions() as session:
        create_user(
            session,
            username=username,
            password=PASSWORD,
            role=role,
            party_id=party_id,
            now=utcnow(),
        )
        session.commit()
    return username


def csrf_token(html: str) -> str:
    field = CSRF_FIELD.search(html)
    assert field, "the page has no CSRF token"
    return re.search(r'value="([^"]+)"', field.group(0)).group(1)


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields (CSRF token, one-time form token) of the page's form posting to
    ``action``, as a browser would send them."""
    for form in FORM.finditer(html):
        if form["action"].split("?")[0] == action.split("?")[0]:
            fields = {}
            for hidden in HIDDEN.findall(form["body"]):
                name = re.search(r'name="([^"]+)"', hidden).group(1)
                fields[name] = re.search(r'value="([^"]*)"', hidden).group(1)
            return fields
    raise AssertionError(f"the page has no form posting to {action}")


def submit_form(client, page_path: str, action: str, data: dict, **kwargs):
    """Open the page and send its form posting to ``action`` with ``data``."""
    page = page_text(client.get(page_path, **kwargs))
    return client.post(action, data={**form_fields(page, action), **data}, **kwargs)


def post_login(client, username: str, password: str = PASSWORD, **kwargs):
    """Open the login page and submit the form with its CSRF token."""
    page = client.get("/console/login", **kwargs).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "username": username, "password": password}
    return client.post("/console/login", data=data, **kwargs)


def logged_in(client, app, role: str, party_id: int | None = None):
    """A test client logged in as a new console user of ``role``; the client."""
    response = post_login(client, console_user(app, role, party_id))
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def page_text(response) -> str:
    assert "Traceback" not in response.get_data(as_text=True)
    return response.get_data(as_text=True)

"""Console login: the session cookie, lock-out after failures, idle timeout, logout, CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest

import ipx.console.views.auth as auth_views
from ipx.uow import utcnow
from tests.console_helpers import PASSWORD, console_user, csrf_token, page_text, post_login
from tests.registry_helpers import row_counts

REFUSED = "用户名或密码不正确"  # "The username or password is not correct."
LOCKED = "登录失败次数过多"  # "Too many failed logins ..."


def test_a_login_sets_an_httponly_samesite_cookie_for_the_console_only(app, client):
    user = console_user(app, "clerk")
    response = post_login(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("ipx_console=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP here
    assert client.get("/console/").status_code == 200


def test_the_cookie_is_secure_when_the_request_came_over_https(app, client):
    user = console_user(app, "clerk")
    # Over HTTPS a form must also come with a Referer of this site (Flask-WTF's strict check).
    response = post_login(
        client,
        user,
        base_url="https://registry.example",
        headers={"Referer": "https://registry.example/console/login"},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_session_key_is_the_instance_secret_file(app):
    from pathlib import Path

    key_file = Path(app.config["SESSION_KEY_FILE"])
    assert key_file.is_file() and app.secret_key == key_file.read_bytes()
    assert len(app.secret_key) >= 32


def test_pages_redirect_to_the_login_and_back_after_it(app, client):
    response = client.get("/console/pledges?status=registered")
    assert response.status_code == 302
    assert (
        response.headers["Location"] == "/console/login?next=/console/pledges?status%3Dregistered"
    )
    user = console_user(app, "clerk")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    back = client.post(
        response.headers["Location"],
        data={"csrf_token": csrf_token(page), "username": user, "password": PASSWORD},
    )
    assert back.headers["Location"] == "/console/pledges?status=registered"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/api/v1/parties"])
def test_after_login_only_console_pages_are_followed(app, client, target):
    user = console_user(app, "clerk")
    page = client.get("/console/login").get_data(as_text=True)
    response = client.post(
        "/console/login",
        query_string={"next": target},
        data={"csrf_token": csrf_token(page), "username": user, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/console/"


def test_a_wrong_password_and_an_unknown_username_get_the_same_answer(app, client):
    user = console_user(app, "clerk")
    wrong_password = page_text(post_login(client, user, "not the password"))
    unknown_user = page_text(post_login(client, "nobody-here", "not the password"))
    assert REFUSED in wrong_password and REFUSED in unknown_user
    # Nothing but the CSRF token tells the two pages apart.
    strip = lambda html: html.replace(csrf_token(html), "")  # noqa: E731
    assert strip(wrong_password).replace(user, "X") == strip(unknown_user).replace(
        "nobody-here", "X"
    )
    assert client.get("/console/").status_code == 302


@pytest.mark.parametrize("known", [True, False])
def test_five_failures_lock_the_username_for_15_minutes(app, client, monkeypatch, known):
    user = console_user(app, "clerk") if known else "no-such-user"
    for attempt in range(1, 5):
        assert REFUSED in page_text(post_login(client, user, f"wrong {attempt}"))
    fifth = page_text(post_login(client, user, "wrong 5"))
    assert LOCKED in fifth and REFUSED not in fifth
    # Locked: the right password is refused too, with the same message as for anyone.
    assert LOCKED in page_text(post_login(client, user, PASSWORD))
    assert client.get("/console/").status_code == 302
    later = utcnow() + timedelta(minutes=15, seconds=5)
    monkeypatch.setattr(auth_views, "utcnow", lambda: later)
    response = post_login(client, user, PASSWORD)
    if known:
        assert response.status_code == 302
    else:
        assert REFUSED in page_text(response)


def test_a_success_clears_the_streak_of_failures(app, client):
    user = console_user(app, "clerk")
    for _ in range(4):
        post_login(client, user, "wrong")
    assert post_login(client, user).status_code == 302
    client.post(
        "/console/logout", data={"csrf_token": csrf_token(page_text(client.get("/console/")))}
    )
    for _ in range(4):
        assert REFUSED in page_text(post_login(client, user, "wrong"))
    assert post_login(client, user).status_code == 302


def test_a_session_idle_longer_than_the_timeout_ends(app, client):
    assert app.config["CONSOLE_IDLE_MINUTES"] == 30
    post_login(client, console_user(app, "clerk"))
    with client.session_transaction("/console/") as session:
        session["seen"] -= 29 * 60
    assert client.get("/console/").status_code == 200  # and the clock starts again
    with client.session_transaction("/console/") as session:
        session["seen"] -= 31 * 60
    response = client.get("/console/")
    assert response.status_code == 302
    login_page = page_text(client.get(response.headers["Location"]))
    assert "会话已结束" in login_page  # "Your session ended after a time without activity."


def test_a_stylesheet_or_a_second_page_within_the_minute_does_not_rewrite_the_cookie(app, client):
    """A response that rewrites the cookie can land after the next page's and undo it (a
    language just chosen, say): only a page, and at most once a minute, refreshes ``seen``."""

    def sets_cookie(path: str) -> bool:
        response = client.get(path)
        response.close()
        return "Set-Cookie" in response.headers

    post_login(client, console_user(app, "clerk"))
    assert client.get("/console/").status_code == 200
    assert not sets_cookie("/console/static/console.css")
    assert not sets_cookie("/console/")
    with client.session_transaction("/console/") as session:
        session["seen"] -= 61
    assert sets_cookie("/console/")
    assert not sets_cookie("/console/static/console.css?lang=en")


def test_logout_is_a_post_and_ends_every_copy_of_the_session(app, client):
    post_login(client, console_user(app, "clerk"))
    stolen = client.get_cookie("ipx_console", path="/console").value
    token = csrf_token(page_text(client.get("/console/")))
    assert client.get("/console/logout").status_code in (404, 405)  # a link cannot log out
    assert client.get("/console/").status_code == 200
    response = client.post("/console/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/console/login"
    assert client.get("/console/").status_code == 302
    other = app.test_client()
    other.set_cookie("ipx_console", stolen, path="/console")
    assert other.get("/console/").status_code == 302


def test_a_form_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, client):
    user = console_user(app, "clerk")
    client.get("/console/login")
    before = row_counts(app)
    for data in (
        {"username": user, "password": "wrong"},
        {"username": user, "password": "wrong", "csrf_token": "forged"},
    ):
        response = client.post("/console/login", data=data)
        assert response.status_code == 400
        assert "并非来自本网站" in page_text(response)  # "... did not come from this site."
    assert row_counts(app) == before  # not even a failed login was counted
    post_login(client, user)
    response = client.post("/console/logout", data={})
    assert response.status_code == 400
    assert client.get("/console/").status_code == 200  # still logged in


def test_the_json_api_needs_no_csrf_token(client, clerk):
    response = client.post(
        "/api/v1/parties", json={"kind": "individual", "name": "王芳"}, headers=clerk
    )
    assert response.status_code == 201, response.get_json()


def test_a_nul_character_is_a_field_error_not_a_server_error(app, client):
    page = client.get("/console/login?lang=en").get_data(as_text=True)
    response = client.post(
        "/console/login",
        data={"csrf_token": csrf_token(page), "username": "li\x00", "password": "x\x00y"},
    )
    assert response.status_code == 200
    assert page_text(response).count("This contains a character that is not allowed.") == 2

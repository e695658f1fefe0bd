"""Console languages: Chinese by default, English by ?lang=en or Accept-Language; formats."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ipx.console import i18n
from tests.console_helpers import page_text

LABELS = re.compile(r"<label[^>]*>([^<]*)</label>")
SUBMIT = re.compile(r'<input[^>]*type="submit"[^>]*value="([^"]*)"')


def _login_words(response) -> tuple[list[str], list[str]]:
    html = page_text(response)
    return LABELS.findall(html), SUBMIT.findall(html)


def test_simplified_chinese_is_the_default(client):
    response = client.get("/console/login")
    assert '<html lang="zh-Hans">' in page_text(response)
    assert _login_words(response) == (["用户名", "密码"], ["登录"])


def test_lang_en_labels_the_login_form_username_password_log_in(client):
    response = client.get("/console/login?lang=en")
    assert '<html lang="en">' in page_text(response)
    assert _login_words(response) == (["Username", "Password"], ["Log in"])
    # Remembered in the session: the next page needs no ?lang= any more.
    assert _login_words(client.get("/console/login")) == (["Username", "Password"], ["Log in"])
    assert "Public search" in page_text(client.get("/console/public"))
    assert _login_words(client.get("/console/login?lang=zh"))[1] == ["登录"]


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("en-US,en;q=0.9", "Log in"),
        ("en-GB,zh;q=0.1", "Log in"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "登录"),
        ("fr-FR,fr;q=0.9", "登录"),
    ],
)
def test_accept_language_chooses_when_the_user_did_not(client, header, words):
    response = client.get("/console/login", headers={"Accept-Language": header})
    assert _login_words(response)[1] == [words]


def test_a_lang_choice_outranks_accept_language(client):
    response = client.get("/console/login?lang=zh", headers={"Accept-Language": "en"})
    assert _login_words(response)[1] == ["登录"]


def test_every_message_of_the_console_has_a_chinese_translation():
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    package = Path(i18n.__file__).parent
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            package,
            method_map,
            keywords={"_": None, "_l": None, "gettext": None, "ngettext": (1, 2)},
        )
    }
    po = package / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    missing = [m for m in found if not (catalog.get(m) and catalog.get(m).string)]
    assert found and not missing, missing
    assert "Username" in found and catalog.get("Username").string == "用户名"


def test_catalogues_are_compiled_when_missing_or_stale(tmp_path):
    sources = Path(i18n.__file__).parent / "translations"
    assert i18n.compile_catalogues(sources, tmp_path)  # missing: compiled
    assert i18n.compile_catalogues(sources, tmp_path) == []  # up to date: left alone
    (mo,) = tmp_path.glob("*/LC_MESSAGES/messages.mo")
    mo.touch()  # any other time than the source's is stale
    assert i18n.compile_catalogues(sources, tmp_path) == [mo]


def test_money_and_times_are_written_the_pages_way(app):
    moment = datetime(2026, 1, 1, 16, 30, tzinfo=UTC)  # 00:30 the next day in Shanghai
    with app.test_request_context("/console/?lang=en"):
        assert i18n.money(Decimal("1250000.00"), "CNY") == "CN¥1,250,000.00"
        assert i18n.when(moment) == "2026-01-02 00:30"
        assert i18n.when("2026-01-01T16:30:00Z") == "2026-01-02 00:30"
        assert i18n.day(date(2026, 3, 1)) == "Mar 1, 2026"
    with app.test_request_context("/console/"):
        assert i18n.money(Decimal("1250000.00"), "CNY") == "¥1,250,000.00"
        assert i18n.money(Decimal("99.5"), "USD") == "US$99.50"
        assert i18n.day(date(2026, 3, 1)) == "2026年3月1日"


def test_every_event_a_bank_is_told_of_has_words_in_the_history():
    """A pledge's or asset's history names its events by the console's labels: each ledger
    event the notifications announce has one (an unlabelled code would show raw)."""
    from ipx.console.labels import EVENT_TYPE
    from ipx.notify.events import _BY_LEDGER_TYPE

    assert set(_BY_LEDGER_TYPE) <= set(EVENT_TYPE)

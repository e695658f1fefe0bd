"""Languages of the console: Simplified Chinese by default, English on request.

``?lang=en`` (or ``zh``) chooses and is remembered in the session; otherwise the browser's
``Accept-Language`` decides between the two, and Chinese is the default. Message catalogues
are kept as ``.po`` files beside this module and compiled with Babel's own API when the app
starts, into the instance folder, whenever a ``.mo`` is missing or older than its ``.po``:
an editable install and a wheel alike get catalogues that match their sources, with no build
step to forget.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal
from flask import Flask, request, session
from flask_babel import Babel, format_currency, format_date, get_locale

from ipx.china_time import TIMEZONE_NAME, china_minutes

CATALOGUES = Path(__file__).parent / "translations"
DOMAIN = "messages"
#: Language codes of ``?lang=`` and the Babel locale each one stands for.
LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}
DEFAULT_LANGUAGE = "zh"
TIMEZONE = TIMEZONE_NAME


def init_app(app: Flask) -> None:
    compiled = Path(app.instance_path) / "translations"
    compile_catalogues(CATALOGUES, compiled)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", LANGUAGES[DEFAULT_LANGUAGE])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: TIMEZONE)
    app.jinja_env.filters.update(money=money, when=when, day=day, compact=compact)
    app.jinja_env.globals.update(html_lang=html_lang, current_language=current_language)


def compile_catalogues(sources: Path, target: Path) -> list[Path]:
    """Compile every ``<locale>/LC_MESSAGES/*.po`` under ``sources`` whose ``.mo`` under
    ``target`` is missing or stale; the ``.mo`` files written.

    A compiled file takes its source's modification time, so any other time (an older or a
    newer ``.po``) means stale. Written to a temporary file and renamed: workers may race."""
    written = []
    for po in sorted(sources.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(sources).with_suffix(".mo")
        source_time = po.stat().st_mtime_ns
        if mo.exists() and mo.stat().st_mtime_ns == source_time:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle)
        mo.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as handle:
            write_mo(handle, catalog)
        os.utime(temporary, ns=(source_time, source_time))
        os.replace(temporary, mo)
        written.append(mo)
    return written


def current_language() -> str:
    """``zh`` or ``en``: the page's language, as ``?lang=`` spells it."""
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    # The browser's most preferred language we have, by its primary subtag (en-GB is English;
    # zh-TW gets Simplified Chinese, the only Chinese there is).
    for tag, _quality in request.accept_languages:
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def remember_language() -> None:
    """``before_request``: keep a page's ``?lang=`` choice for the rest of the session."""
    if request.endpoint == "console.static":
        return
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and session.get("lang") != chosen:
        session["lang"] = chosen


def select_locale() -> str:
    return LANGUAGES[current_language()]


def html_lang() -> str:
    """The page's ``lang`` attribute (BCP 47)."""
    return "zh-Hans" if current_language() == "zh" else "en"


def money(amount: Decimal | str | None, currency: str | None) -> str:
    """An amount with its currency and thousands separators, as the page's language writes it."""
    if amount is None:
        return "—"
    return format_currency(Decimal(amount), currency or "CNY")


def when(moment: datetime | str | None) -> str:
    """A moment in China Standard Time (Asia/Shanghai), to the minute: the same digits in both
    languages, written by the function the valuation report shares (``ipx.china_time``)."""
    if moment is None:
        return "—"
    return china_minutes(moment)


def day(value: date | str | None) -> str:
    """A calendar date, written the page's way."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, "medium")


def compact(number: float) -> str:
    """A number written short for an axis (2M, 200万), as the page's language writes it."""
    return format_compact_decimal(number, locale=get_locale(), fraction_digits=1)

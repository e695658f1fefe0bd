"""Browser tests: the console served on a free localhost port, driven in Debian's Chromium.

Playwright drives ``/usr/bin/chromium`` (``apt-get install chromium``); it never downloads a
browser of its own. Without a Chromium that starts, these tests are skipped, unless
``IPX_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which makes that a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.http_race import serving

CHROMIUM = Path(os.environ.get("IPX_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("IPX_REQUIRE_BROWSER") == "1"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def backend():
    """SQLite by default: what the pages read is tested on both backends by the API tests.

    The main clerk flows also run on PostgreSQL (``@pytest.mark.parametrize("backend",
    ["sqlite", "postgresql"])``), served from a server of their own. Without a reachable
    PostgreSQL those runs are skipped, unless ``IPX_REQUIRE_POSTGRES=1`` (set by ``.ci/run``),
    which makes that a failure (``tests/conftest.py``'s ``pg_url``).
    """
    return "sqlite"


@pytest.fixture(scope="session")
def base_url():
    """Pages are opened by full URL (pytest-base-url's own fixture warns under pytest 9)."""
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": LAUNCH_ARGS,
    }


@pytest.fixture(scope="session")
def browser(browser_type, browser_type_launch_args):
    """Chromium, or a skip (a failure with IPX_REQUIRE_BROWSER=1) when it cannot start."""
    try:
        if not CHROMIUM.exists():
            raise FileNotFoundError(f"{CHROMIUM} is missing (apt-get install chromium)")
        launched = browser_type.launch(**browser_type_launch_args)
    except Exception as exc:  # noqa: BLE001 - any failure to start means "no browser here"
        message = f"Chromium cannot start: {exc}"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    yield launched
    launched.close()


@pytest.fixture
def live_server(app):
    """The app on 127.0.0.1 at a free port, in a thread; its base URL."""
    with serving(app) as port:
        yield f"http://127.0.0.1:{port}"

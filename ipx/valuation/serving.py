"""The app's `Valuer`: loaded once per process, on first use or when a server starts.

Importing this module is cheap. LightGBM and NumPy come in with the model, inside `_load`:
that deferred import is deliberate, so that building an app for a command that never values
(``ipx keys``, ``ipx init``, ``ipx verify``) does not pay the seconds it takes to import them.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from ipx.valuation.predictor import Valuer

_VALUER = "ipx.valuer"
#: Serialises first loads: `functools.cache` alone may run `_load` twice for two threads.
_FIRST_LOAD = threading.Lock()


def valuer(app: Flask) -> Valuer:
    """The app's Valuer, loading the model (MODEL_DIR, LTV_CAPS) the first time it is asked."""
    loaded = app.extensions.get(_VALUER)
    if loaded is None:
        caps = tuple(sorted(app.config["LTV_CAPS"].items()))
        with _FIRST_LOAD:
            loaded = app.extensions[_VALUER] = _load(app.config["MODEL_DIR"], caps)
    return loaded


def is_loaded(app: Flask) -> bool:
    """Whether this app already holds its Valuer (tests, health checks)."""
    return _VALUER in app.extensions


@functools.cache
def _load(model_dir: str | None, ltv_caps: tuple) -> Valuer:
    # A Valuer never changes once loaded, so apps in one process (tests, workers) share it.
    from ipx.valuation.predictor import Valuer  # the deferred import: see the module docstring

    return Valuer.load(model_dir, ltv_caps=dict(ltv_caps))

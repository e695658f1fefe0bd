"""``ipx serve``: gunicorn in-process, with the app built once per worker."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from ipx import create_app

        # Each worker loads the valuation model before it takes requests.
        return create_app({"PRELOAD_MODEL": True})


def run(host: str, port: int, workers: int, *, threads: int = 4, access_log: bool = True) -> None:
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "accesslog": "-" if access_log else None,
            "timeout": 60,
        }
    ).run()

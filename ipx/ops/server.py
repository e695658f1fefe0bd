"""``ipx serve``: gunicorn in-process, with the app built once per worker.

Logs: every process (the arbiter and its workers) writes JSON lines on stderr
(``ipx.web.jsonlog``); the app's line per request replaces gunicorn's access log.

Metrics: the workers count into files of one directory per server (``PROMETHEUS_MULTIPROC_DIR``,
set here before any worker starts): ``IPX_METRICS_DIR`` if set, emptied at start, else a new
temporary directory removed when the server stops. A worker that exits is marked dead, and a
scrape answered by any worker adds up them all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from gunicorn.app.base import BaseApplication

from ipx.config import log_level, metrics_dir, preload_model
from ipx.web.jsonlog import logging_config

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class _Server(BaseApplication):
    def __init__(self, options: dict, app_config: dict) -> None:
        self.options = options
        self.app_config = app_config
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn 24+
            # One control socket per user ($HOME/.gunicorn/gunicorn.ctl) would be shared by
            # every instance on the host; nothing here uses it.
            self.cfg.set("control_socket_disable", True)

    def load(self):
        from ipx import create_app

        # Each worker loads the valuation model before it takes requests (IPX_PRELOAD_MODEL=0:
        # on its first valuation).
        return create_app({"PRELOAD_MODEL": preload_model(), **self.app_config})


def prepare_metrics_dir(configured: str | None) -> tuple[Path, bool]:
    """The workers' metrics directory, emptied of an earlier run's files; whether it is a
    temporary one of this server's (to remove when it stops)."""
    if configured is None:
        return Path(tempfile.mkdtemp(prefix="ipx-metrics-")), True
    path = Path(configured)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # counts of processes of an earlier server
        stale.unlink()
    return path, False


def _child_exit(server, worker) -> None:
    """gunicorn hook (arbiter): a worker's live gauges no longer count once it has exited."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def run(host: str, port: int, workers: int, *, threads: int = 4, access_log: bool = True) -> None:
    # Before anything imports prometheus-client: it picks its storage from this variable.
    directory, temporary = prepare_metrics_dir(metrics_dir())
    os.environ[MULTIPROC_ENV] = str(directory)
    try:
        # The app's modules are imported here, once, so that every worker (and every worker
        # the arbiter starts again after one dies) forks with them loaded and only builds its
        # app: an import of them took each worker about 1.4 s of CPU, and of the console's,
        # which ``create_app`` imports as it wires the console, 0.1-0.2 s more (measured with
        # no bytecode written). No app, engine or connection is made before the fork (each
        # worker makes its own, ``_Server.load``); the import makes the metrics' label-less
        # counters, whose files are the arbiter's own and stay at 0. As with gunicorn's
        # preload_app, a worker started after a HUP runs the code imported here: restart the
        # server to run new code.
        from ipx.app import import_app_modules

        import_app_modules()

        _Server(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "accesslog": None,  # the app logs each request (REQUEST_LOG)
                "logconfig_dict": logging_config(log_level()),
                "timeout": 60,
                "child_exit": _child_exit,
            },
            {"REQUEST_LOG": access_log, "METRICS_MULTIPROC_DIR": str(directory)},
        ).run()
    finally:
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)

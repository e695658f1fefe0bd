"""A fresh checkout has no instance/ folder: the embedded default must still start."""

from __future__ import annotations

import ipx.config
from ipx import create_app
from ipx.db_ext import database
from ipx.migrate import upgrade


def test_the_default_sqlite_database_is_created_in_a_missing_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(ipx.config, "PROJECT_ROOT", tmp_path / "checkout")
    monkeypatch.delenv("IPX_DATABASE_URL", raising=False)
    app = create_app()
    try:
        assert app.config["DATABASE_URL"].startswith("sqlite:///")
        upgrade(database(app).engine)
        assert (tmp_path / "checkout" / "instance" / "ipx.sqlite3").is_file()
    finally:
        database(app).engine.dispose()

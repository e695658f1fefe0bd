"""``ipx serve``'s default shape follows the backend; the environment overrides it."""

from __future__ import annotations

from ipx.config import server_settings


def _shape(monkeypatch, **env) -> tuple[int, int]:
    for name in ("IPX_DATABASE_URL", "IPX_WORKERS", "IPX_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = server_settings()
    return settings["workers"], settings["threads"]


def test_the_embedded_sqlite_default_runs_few_processes_with_threads(monkeypatch):
    assert _shape(monkeypatch) == (2, 4)
    assert _shape(monkeypatch, IPX_DATABASE_URL="sqlite:////tmp/x.sqlite3") == (2, 4)


def test_postgresql_runs_single_threaded_processes(monkeypatch):
    url = "postgresql+psycopg://postgres@127.0.0.1/ipx"
    assert _shape(monkeypatch, IPX_DATABASE_URL=url) == (4, 1)


def test_the_environment_overrides_the_default(monkeypatch):
    url = "postgresql://postgres@127.0.0.1/ipx"
    assert _shape(monkeypatch, IPX_DATABASE_URL=url, IPX_WORKERS="3", IPX_THREADS="2") == (3, 2)


def test_passwords_are_hashed_with_64_mib_unless_the_test_suite_says_otherwise(monkeypatch):
    from ipx.config import argon2_memory_kib

    monkeypatch.delenv("IPX_ARGON2_MEMORY_KIB", raising=False)
    assert argon2_memory_kib() == 65536  # RFC 9106's second recommended profile
    monkeypatch.setenv("IPX_ARGON2_MEMORY_KIB", "1024")
    assert argon2_memory_kib() == 1024

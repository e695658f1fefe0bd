"""Files written whole or not at all: owner-only by default, exactly the mode asked for
otherwise (whatever the umask), never a temporary file left beside them."""

from __future__ import annotations

import os
import stat

import pytest

from ipx.atomic_files import replace_file, write_new_file


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set the process's umask for one test, then put it back."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


@pytest.mark.parametrize("write", [replace_file, write_new_file])
def test_a_file_is_owner_only_by_default_and_public_when_asked(tmp_path, umask, write):
    umask(0o022)
    write(tmp_path / "secret", b"key")
    umask(0o077)
    write(tmp_path / "public", b"tile", mode=0o644)
    assert (_mode(tmp_path / "secret"), _mode(tmp_path / "public")) == (0o600, 0o644)
    assert (tmp_path / "public").read_bytes() == b"tile"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public", "secret"]


def test_replacing_gives_the_new_content_and_mode(tmp_path):
    target = tmp_path / "sub" / "checkpoint"
    replace_file(target, b"old")
    replace_file(target, b"new", mode=0o644)
    assert target.read_bytes() == b"new" and _mode(target) == 0o644
    replace_file(target, b"newer")
    assert _mode(target) == 0o600


def test_a_new_file_never_overwrites(tmp_path):
    write_new_file(tmp_path / "once", b"first", mode=0o644)
    with pytest.raises(FileExistsError):
        write_new_file(tmp_path / "once", b"second")
    assert (tmp_path / "once").read_bytes() == b"first" and _mode(tmp_path / "once") == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["once"]

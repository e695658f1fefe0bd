"""Instance secrets are created whole, once, even when processes start together."""

from __future__ import annotations

import multiprocessing

from ipx.instance_keys import load_or_create_secret


def _read_at_once(path, barrier, results):
    barrier.wait(timeout=30)
    results.put(load_or_create_secret(path))


def test_processes_starting_together_all_read_the_same_whole_key(tmp_path):
    # forkserver, with this module preloaded: one fresh, single-threaded interpreter imports it
    # once and forks each reader from there (40 spawned interpreters each importing SQLAlchemy
    # took nearly all of this test's time; forking the test process itself would copy its
    # threads' state). The race between the readers is the same.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    for round_ in range(5):
        path = tmp_path / f"key-{round_}"
        barrier, results = context.Barrier(8), context.Queue()
        workers = [
            context.Process(target=_read_at_once, args=(path, barrier, results)) for _ in range(8)
        ]
        for worker in workers:
            worker.start()
        keys = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        assert {len(key) for key in keys} == {32}, "a process read a half-written key"
        assert len(set(keys)) == 1 and keys[0] == path.read_bytes()
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_an_existing_key_is_never_replaced(tmp_path):
    path = tmp_path / "digest.key"
    first = load_or_create_secret(path)
    assert load_or_create_secret(path) == first
    assert oct(path.stat().st_mode & 0o777) == "0o600"

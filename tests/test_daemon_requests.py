"""A shell's request to the daemon ("check this project now") is never dropped, even when
it is written while the daemon rebuilds its watch (issue 9 point 7); nor is a project
registered in that moment.

The daemon's Service runs for real here (real watchfiles, real registry and trust store);
only the sync is a recorder, and the request is written at the one moment that cannot be
hit from outside: after the watch set was computed, before the new watch is in place.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.conftest import make_project
from venvd.daemon import registry
from venvd.daemon.control import request_sync
from venvd.daemon.service import Service

pytestmark = pytest.mark.slow  # waits for watchfiles' quiet periods


def test_a_request_written_while_the_watch_is_rebuilt_is_taken(home: Path) -> None:
    watched = make_project(home / "watched", "3.12")
    asked = make_project(home / "asked", "3.12")
    registry.register(str(watched))
    registry.register(str(asked))
    synced: list[str] = []
    done = threading.Event()

    def sync(root: str) -> None:
        synced.append(root)
        done.set()

    service = Service(sync, lambda root: [], quiet=0.0)
    plain_watch_dirs = service.watch_dirs
    calls = {"n": 0}

    def watch_dirs() -> list[str]:
        calls["n"] += 1
        dirs = plain_watch_dirs()
        if calls["n"] == 2:  # the rebuild: nobody watches the requests dir right now
            request_sync(str(asked))
        return dirs

    service.watch_dirs = watch_dirs  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while set(synced) != {str(watched), str(asked)}:  # each is checked once when first watched
            assert time.monotonic() < deadline, synced
            time.sleep(0.05)
        synced.clear()
        registry.forget({str(home / "nothing")})  # a registry write: the daemon rebuilds its watch
        deadline = time.monotonic() + 30
        while str(asked) not in synced:
            assert time.monotonic() < deadline, f"the request was dropped (rebuilds: {calls['n']})"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=15)


def test_a_project_registered_while_the_watch_is_built_is_watched(home: Path) -> None:
    watched = make_project(home / "watched", "3.12")
    late = make_project(home / "late", "3.12")
    registry.register(str(watched))
    synced: list[str] = []

    service = Service(synced.append, lambda root: [], quiet=0.0)
    plain_watch_dirs = service.watch_dirs
    calls = {"n": 0}

    def watch_dirs() -> list[str]:
        calls["n"] += 1
        if calls["n"] == 1:  # the registry was read, the watch is not in place yet
            registry.register(str(late))  # a shell entering a project for the first time
        return plain_watch_dirs()

    service.watch_dirs = watch_dirs  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while str(late) not in synced:  # watched, so checked once, like every new project
            assert time.monotonic() < deadline, f"the registration was missed (synced: {synced})"
            time.sleep(0.05)
        assert str(watched) in synced
    finally:
        stop.set()
        thread.join(timeout=15)

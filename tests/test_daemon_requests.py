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
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.conftest import make_project
from venvd.daemon import registry
from venvd.daemon.control import request_sync
from venvd.daemon.service import Service

pytestmark = pytest.mark.slow  # waits for watchfiles' quiet periods


@contextmanager
def running(service: Service, at_watch: Callable[[int], None]) -> Iterator[dict[str, int]]:
    """*service* running in a thread of its own; *at_watch(n)* is called as it computes its
    n-th watch set: the registry has just been read, and nothing is watched yet. Yields the
    count of watch sets computed so far."""
    plain_watch_dirs = service.watch_dirs
    calls = {"n": 0}

    def watch_dirs() -> list[str]:
        calls["n"] += 1
        dirs = plain_watch_dirs()
        at_watch(calls["n"])
        return dirs

    service.watch_dirs = watch_dirs  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield calls
    finally:
        stop.set()
        thread.join(timeout=15)


def wait_for(done: Callable[[], bool], why: Callable[[], str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, why()
        time.sleep(0.05)


def test_a_request_written_while_the_watch_is_rebuilt_is_taken(home: Path) -> None:
    watched = make_project(home / "watched", "3.12")
    asked = make_project(home / "asked", "3.12")
    registry.register(str(watched))
    registry.register(str(asked))
    synced: list[str] = []

    def at_watch(n: int) -> None:
        if n == 2:  # the rebuild: nobody watches the requests dir right now
            request_sync(str(asked))

    with running(Service(synced.append, lambda root: [], quiet=0.0), at_watch) as calls:
        # Each is checked once when first watched.
        wait_for(lambda: set(synced) == {str(watched), str(asked)}, lambda: str(synced))
        synced.clear()
        registry.forget({str(home / "nothing")})  # a registry write: the daemon rebuilds its watch
        wait_for(lambda: str(asked) in synced, lambda: f"the request was dropped (rebuilds: {calls['n']})")


def test_a_project_registered_while_the_watch_is_built_is_watched(home: Path) -> None:
    watched = make_project(home / "watched", "3.12")
    late = make_project(home / "late", "3.12")
    registry.register(str(watched))
    synced: list[str] = []

    def at_watch(n: int) -> None:
        if n == 1:  # the registry was read, the watch is not in place yet
            registry.register(str(late))  # a shell entering a project for the first time

    with running(Service(synced.append, lambda root: [], quiet=0.0), at_watch):
        # Watched, so checked once, like every new project.
        wait_for(lambda: str(late) in synced, lambda: f"the registration was missed (synced: {synced})")
        assert str(watched) in synced

"""One writer per venv: creation and sync take an exclusive file lock.

filelock costs 30-80 ms to import, so on POSIX the lock is flock(2) itself (``FileLock``)
and filelock is imported only on Windows, or to raise its ``Timeout`` when a lock is busy.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs ~3 ms to import: a venv's first sync waits for it
if TYPE_CHECKING:
    from typing import Any

from .paths import path_key, state_dir


def FileLock(path: str, timeout: float = -1) -> Any:  # noqa: N802 - reads like the class it returns
    """An exclusive lock on *path*: ``acquire(timeout)``, ``release()``, ``with``.

    On POSIX it is ``flock(2)`` on the file, the very lock ``filelock.FileLock`` takes
    there (so both interoperate, and daemon/liveness.py sees it), without importing
    filelock: that import costs 30-80 ms (logging, inspect, secrets), a fifth of a whole
    `uv venv && uv sync` onboarding. Elsewhere (Windows) filelock itself.
    """
    try:
        import fcntl  # noqa: F401
    except ImportError:  # pragma: no cover - Windows
        import filelock

        return filelock.FileLock(path, timeout=timeout)
    return _Flock(path, timeout)


_held: "set[int]" = set()  # the fds of the locks this process holds (flock, POSIX)


def held_fds() -> "list[int]":
    """The fds of the venv locks this process holds now, for a watchdog to keep them held
    after venvd dies until what venvd started is killed (``venv.ChildGuard``)."""
    return sorted(_held)


def _timeout(path: str) -> Exception:
    """``filelock.Timeout`` (what callers catch), imported only when a lock is busy."""
    import filelock

    return filelock.Timeout(path)


class _Flock:
    """The part of ``filelock.FileLock`` venvd uses, on ``flock(2)``: reentrant in one
    object, a timeout (<0: wait; 0: try once; >0: poll), ``filelock.Timeout`` when busy.
    Ctrl-C while waiting raises KeyboardInterrupt (flock is interrupted by the signal)."""

    def __init__(self, path: str, timeout: float = -1) -> None:
        self.lock_file = path
        self.timeout = timeout
        self._fd: "int | None" = None
        self._count = 0

    @property
    def is_locked(self) -> bool:
        return self._fd is not None

    def acquire(self, timeout: "float | None" = None, poll_interval: float = 0.05) -> "_Flock":
        import fcntl
        import time

        if self._fd is not None:
            self._count += 1
            return self
        wait = self.timeout if timeout is None else timeout
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            if wait < 0:
                fcntl.flock(fd, fcntl.LOCK_EX)
            else:
                deadline = time.monotonic() + wait
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            raise _timeout(self.lock_file) from None
                        time.sleep(min(poll_interval, left))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._count = 1
        _held.add(fd)
        return self

    def release(self, force: bool = False) -> None:
        import fcntl

        if self._fd is None:
            return
        self._count -= 1
        if self._count > 0 and not force:
            return
        fd, self._fd, self._count = self._fd, None, 0
        _held.discard(fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> "_Flock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:  # as filelock: a lock object that goes away lets go
        try:
            self.release(force=True)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def venv_lock_path(venv: str) -> str:
    """The lock file of *venv*: outside the venv, which may be replaced while locked.
    Keyed by the real path, so a project reached through a symlink and through its real
    path has one lock, and one writer."""
    directory = os.path.join(state_dir(), "locks")
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, f"{path_key(os.path.realpath(venv))}.lock")

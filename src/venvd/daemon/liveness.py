"""Is someone still working on a sync handed to the background? Proved by a lock.

A process's ``flock`` is released by the kernel when the process dies, kill -9
included, so a lock held is a holder alive. A pid file proves nothing: a daemon that
died leaves it behind, and its pid may be any process's by now (``kill(pid, 0)``
then says "alive" for a ``sleep``). Three locks count:

- the daemon's lock (``daemon.lock`` in the runtime dir), held for its lifetime;
- a venv's sync lock (``locking.venv_lock_path``), held by whoever syncs it now;
- a venv's hand-off lock (``<sync lock>.pending``), taken by the shell that starts a
  detached ``venvd sync`` and inherited by that process, so it is held from before
  the process starts until it exits.

Read while a background sync is pending, at each prompt: only ``os`` at module level
(``fcntl`` when a lock is probed), like the rest of the prompt path.
"""

from __future__ import annotations

import os

DAEMON_LOCK = "daemon.lock"
PENDING_SUFFIX = ".pending"


def lock_held(path: str) -> bool:
    """True when some process holds the lock on *path* (a missing file: nobody does).

    Probing takes the lock for an instant when it is free; its takers retry
    (``control.hold_lock``) or wait (a sync) rather than fail on that instant."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: filelock's own lock there
            return _held_with_filelock(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False  # a file that cannot be locked (not ours): nobody holds it
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _held_with_filelock(path: str) -> bool:  # pragma: no cover - Windows
    import filelock

    lock = filelock.FileLock(path, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        return True
    lock.release()
    return False


def lock_holder(path: str) -> "int | None":
    """The pid holding the flock on *path*, as the kernel tells it (Linux ``/proc/locks``),
    or None when it cannot tell: a pid file may lie, the lock's holder cannot."""
    try:
        st = os.stat(path)
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            table = f.read(1 << 20)
    except OSError:
        return None
    wanted = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in table.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 30289 fe:00:2179759 0 EOF" (a blocked waiter has "->")
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted and fields[4].isdigit():
            return int(fields[4]) or None
    return None


def daemon_lock_path() -> str:
    from ..paths import runtime_dir

    return os.path.join(runtime_dir(), DAEMON_LOCK)


def daemon_alive() -> bool:
    """A daemon runs: its lock is held (whatever its pid file says)."""
    return lock_held(daemon_lock_path())


def sync_lock_path(venv: str) -> str:
    from ..locking import venv_lock_path

    return venv_lock_path(venv)


def handoff_lock_path(venv: str) -> str:
    return sync_lock_path(venv) + PENDING_SUFFIX


def pending_alive(venv: str, pending: "dict[str, str]") -> bool:
    """Whether the sync a ``pending`` record hands off still has a live holder: the
    daemon it was handed to, the detached process it was handed to, or anyone
    syncing the venv right now."""
    by = pending.get("by")
    if by == "daemon" and daemon_alive():
        return True
    if by == "process" and lock_held(handoff_lock_path(venv)):
        return True
    return lock_held(sync_lock_path(venv))

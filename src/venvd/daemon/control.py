"""One daemon per user: a lock it holds while alive, a pid file, a status file, a log.

The lock (flock, released by the kernel when the process dies) is the truth about
whether a daemon runs; a pid file left by a crashed daemon is therefore recognised as
stale and replaced.
"""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any, Optional

from ..errors import VenvdError
from ..paths import runtime_dir, state_dir
from ..safeio import LIMIT_SMALL, read_bytes
from ..safewrite import replace_text
from .liveness import DAEMON_LOCK

LOCK = DAEMON_LOCK  # liveness.py probes it on the prompt path
START_LOCK = "daemon-start.lock"  # held by a daemon VENVD_DAEMON=auto started (start_detached)
PIDFILE = "daemon.pid"
STATUS = "daemon-status.json"
LOG = "daemon.log"


def _path(name: str) -> str:
    directory = runtime_dir()
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, name)


def log_path() -> str:
    directory = state_dir()
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, LOG)


def _lock() -> Any:
    from ..locking import FileLock

    return FileLock(_path(LOCK), timeout=0)


def running_pid() -> Optional[int]:
    """The pid of the running daemon, or None (a stale pid file is removed).

    Whether a daemon runs is its lock (see liveness.py), never the pid file alone: a
    pid file left behind may name any process by now."""
    from .liveness import lock_held, lock_holder

    if lock_held(_path(LOCK)):
        holder = lock_holder(_path(LOCK))
        if holder is not None:
            return holder  # the kernel's word (Linux), whatever the pid file says
        try:
            return int(read_bytes(_path(PIDFILE), LIMIT_SMALL).strip())
        except (OSError, ValueError, VenvdError):
            return -1  # alive but still writing its pid file
    for name in (PIDFILE, STATUS):
        try:
            os.unlink(_path(name))  # left behind by a daemon that died
        except FileNotFoundError:
            pass
    return None


def hold_lock() -> Any:
    """Take the daemon lock for this process's lifetime; VenvdError when another daemon runs."""
    import filelock

    lock = _lock()
    try:
        # Not timeout=0: a shell probing whether a daemon runs holds the lock for an instant.
        lock.acquire(timeout=1.0)
    except filelock.Timeout:
        raise VenvdError(f"the daemon is already running (pid {running_pid()})") from None
    replace_text(_path(PIDFILE), f"{os.getpid()}\n")
    return lock


def write_status(data: dict[str, Any]) -> None:
    replace_text(_path(STATUS), json.dumps(data, sort_keys=True, indent=2) + "\n")


def read_status() -> Optional[dict[str, Any]]:
    try:
        data = json.loads(read_bytes(_path(STATUS), LIMIT_SMALL))
    except (OSError, ValueError, VenvdError):
        return None
    return data if isinstance(data, dict) else None


def _spawn(pass_fds: tuple[int, ...] = ()) -> Any:
    """``venvd daemon run`` in its own session, its output appended to daemon.log."""
    import subprocess

    from ..launcher import launcher

    with open(log_path(), "ab") as log:
        return subprocess.Popen(
            [*launcher(), "daemon", "run"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, close_fds=True, pass_fds=pass_fds,
        )


def start_detached() -> Optional[int]:
    """Start a daemon without waiting for it to report (``VENVD_DAEMON=auto`` on a
    directory change: the prompt must not wait for a start-up); its pid, or None when
    a daemon runs already or another shell has just started one.

    The daemon takes its own lock only once Python has started (~0.1 s), so a shell
    entering a project in that window would find no daemon and start a second one (it
    would exit, "already running", into the log). The start lock closes the window: it
    is taken here and inherited by the daemon, which keeps it for its lifetime (the
    kernel releases it when the daemon dies, however it dies), so whoever finds it
    held knows a daemon is starting or running."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no inherited lock
        return None if daemon_alive() else _spawn().pid
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(_path(START_LOCK), flags, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # a daemon started by another shell holds it
        if daemon_alive():
            return None  # one started by `venvd daemon start` (it does not take the start lock)
        return _spawn(pass_fds=(fd,)).pid
    finally:
        os.close(fd)  # the daemon's inherited copy keeps the lock


def auto_start() -> None:
    """``VENVD_DAEMON=auto`` and a directory change activated a trusted project while no
    daemon runs (export.py): start one, detached and not waited for, so the syncs after
    this entry run in the background. A due sync would start it too (sync/perform.py),
    but a first entry creates and syncs in the foreground and never hands one off."""
    from ..ui import display_path, say

    try:
        pid = start_detached()
    except (OSError, VenvdError) as exc:  # the prompt goes on without a daemon
        say(f"could not start the daemon (VENVD_DAEMON=auto): {getattr(exc, 'strerror', None) or exc}")
        return
    if pid is not None:
        say(f"started the daemon (VENVD_DAEMON=auto), which syncs your projects in the background; "
            f"log: {display_path(log_path())}")


def start(wait: float = 10.0) -> int:
    """Start a detached daemon; returns its pid."""
    pid = running_pid()
    if pid is not None:
        raise VenvdError(f"the daemon is already running (pid {pid})")
    process = _spawn()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise VenvdError(f"the daemon exited at once (status {process.returncode}); see {log_path()}")
        status = read_status()
        if status and status.get("pid") == process.pid:
            return process.pid
        time.sleep(0.05)
    raise VenvdError(f"the daemon did not report in {wait:.0f}s; see {log_path()}")


def stop(wait: float = 15.0) -> Optional[int]:
    """Stop the daemon; returns the pid that was stopped, or None when none ran."""
    pid = running_pid()
    if pid is None:
        return None
    if pid > 0:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if running_pid() is None:
            return pid
        time.sleep(0.05)
    raise VenvdError(f"the daemon (pid {pid}) did not stop within {wait:.0f}s")


def is_running() -> bool:
    return running_pid() is not None


def daemon_alive() -> bool:
    """A daemon holds its lock (see liveness.py); what the pid file says does not count."""
    from .liveness import daemon_alive as alive

    return alive()


REQUESTS = "requests"


def requests_dir() -> str:
    return _path(REQUESTS)


def request_sync(root: str) -> None:
    """Ask the running daemon to check *root* now (a file in a directory it watches)."""
    from ..paths import path_key

    directory = requests_dir()
    os.makedirs(directory, exist_ok=True)
    replace_text(os.path.join(directory, path_key(root)), root)

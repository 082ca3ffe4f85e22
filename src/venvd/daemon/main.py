"""``venvd daemon run``: the daemon process itself."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Callable, Optional

from ..ui import say
from . import control
from .service import Service


def _clean_environment() -> None:
    """The daemon inherits the environment of the shell that started it, maybe with a
    venv active; installers must not see that venv, so venvd's activation is undone."""
    from ..envdiff import DIFF_VAR, Record, env_change

    record = Record.decode(os.environ.get(DIFF_VAR, ""))
    if record is not None:
        for key, value in env_change(os.environ, record, None).items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    for key in ("VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", DIFF_VAR, "_VENVD_OFF", "_VENVD_TOLD"):
        os.environ.pop(key, None)


def sync_root(root: str) -> Optional[str]:
    """Check and, when its inputs changed, sync the project at *root* — the same code and
    the same lock as a shell's sync. Returns an error line, or None."""
    from .. import trust
    from ..config import load_config
    from ..errors import VenvdError
    from ..export import resolve_target, venv_location
    from ..project import find_project
    from ..sync.options import SyncOptions
    from ..watch import Watch

    if not os.path.isdir(root) or not trust.is_allowed(root):
        return None
    project = find_project(root)
    if project is None or project.root != root:
        return None
    venv: Optional[str] = None
    started = time.time()
    try:
        options = SyncOptions(daemon=True)
        config = load_config(root)
        venv = venv_location(project, config, os.environ)
        resolve_target(project, config, os.environ, Watch(), options)
    except VenvdError as exc:
        say(f"{root}: {exc}")
        return f"{root}: {exc}"
    finally:
        if venv is not None:
            decline_unmet(venv, started)
    outcome = options.outcome
    if outcome in ("failed", "error", "interrupted", "remembered"):
        return f"{root}: sync {outcome}"
    return None


def prepare_root(root: str, wanted: "Callable[[], bool]" = lambda: True) -> Optional[str]:
    """A new project under a trusted tree (a clone finishing, ``uv init``): once it has
    settled, create and sync its venv as the first ``cd`` would (``sync_root``: the same
    code, the same lock), then leave the record that first ``cd`` reads to say so, and
    register it so the daemon keeps it in step from now on. *wanted* turns False when a
    shell entered it first: then that shell's request is what the daemon serves."""
    from ..config import load_config
    from ..errors import VenvdError
    from ..export import venv_location
    from ..project import find_project
    from ..venv import python_path
    from . import prepared, registry
    from .newprojects import wait_settled

    if not wait_settled(root, wanted=wanted) or not wanted():
        return None
    started = time.monotonic()
    error = sync_root(root)
    if error is not None:
        return error
    project = find_project(root)
    try:
        venv = venv_location(project, load_config(root), os.environ) if project is not None else None
    except VenvdError:
        venv = None
    if venv is None or not os.path.exists(python_path(venv)):
        return None  # not allowed after all, or nothing was made: nothing to announce
    took = time.monotonic() - started
    try:
        prepared.write(root, took)
        registry.register(root)
    except OSError as exc:
        say(f"{root}: cannot record its prepared venv: {exc.strerror}")
    say(f"{root}: venv prepared in {took:.1f}s, before the first cd")
    return None


def decline_unmet(venv: str, started: float) -> None:
    """A shell handed this venv's sync to the daemon, and what the daemon synced (or
    found in step) in a run that began after the hand-off is not what that shell asked
    for: the daemon's environment makes other inputs of it (``VENVD_INSTALLER``,
    ``UV_*``, the ``${VARS}`` a requirements file uses). The record is marked so that
    the shell syncs it itself at its next prompt instead of waiting for a sync that
    will not come. A hand-off newer than this run is left to the run its request starts."""
    from ..sync.record import FAILED, PENDING, SYNCED, read_record, record_path, write_record

    pending = read_record(venv, PENDING)
    if pending is None or pending.get("by") != "daemon":
        return
    try:
        if os.stat(record_path(venv, PENDING)).st_mtime >= started:
            return
    except OSError:
        return
    done = {(read_record(venv, name) or {}).get("fingerprint") for name in (SYNCED, FAILED)}
    if pending.get("fingerprint") not in done:
        try:
            write_record(venv, PENDING, {**pending, "by": "declined"})
        except OSError as exc:
            say(f"{venv}: cannot mark its pending sync: {exc.strerror}")


def project_inputs(root: str) -> list[str]:
    from ..config import load_config
    from ..project import find_project
    from ..sync import inputs
    from ..watch import Watch

    project = find_project(root)
    if project is None:
        return []
    watch = Watch()
    inputs.detect(project, load_config(root), os.environ, watch)
    return [p for p in watch.paths if not os.path.isdir(p)]


def run(workers: int = 1, quiet: float = 0.2) -> int:
    from .logfile import stamp_stderr

    stamp_stderr()  # stderr is daemon.log (or the unit's journal): each line with its time
    lock = control.hold_lock()
    _clean_environment()
    stop = threading.Event()
    started = time.time()
    service: Optional[Service] = None

    publishing = threading.Lock()

    def publish() -> None:
        if service is None:
            return
        with publishing:  # workers and the watcher report from their own threads
            control.write_status({
                "pid": os.getpid(), "started": started, "projects": sorted(service.projects),
                "preparing": sorted(service.preparing), "prepared": sorted(service.prepared),
                **service.queue.snapshot(),
            })

    def on_signal(signum: int, _frame: object) -> None:
        say(f"daemon: signal {signum}, stopping")
        stop.set()
        # An installer still running is stopped with us (it dies with its parent); the
        # venv's record is written only after success, so the next sync repairs it.
        os._exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    service = Service(sync_root, project_inputs, workers=workers, quiet=quiet, on_change=publish, log=say,
                      prepare=prepare_root)
    say(f"daemon: started (pid {os.getpid()}, python {sys.version.split()[0]})")
    publish()
    try:
        service.run(stop)
    finally:
        lock.release()
    return 0

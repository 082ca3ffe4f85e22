"""Running a sync: the venv's lock, the installer, the records and the summary line.

Imported only when the quick check found a change (``engine.py`` stays import-light).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs ~3 ms to import: a venv's first sync waits for it

from ..errors import VenvdError
from ..ui import display_path, say
from .record import FAILED, SYNCED
from .settled import settled

if TYPE_CHECKING:
    from typing import Any, Mapping

    from .options import SyncOptions


def in_background(project: Any, venv: str, fingerprint: str) -> str:
    """Hand the sync to the daemon (started first when ``VENVD_DAEMON=auto``), or to a
    detached ``venvd sync``; the shell goes on at once with the env as it is.

    The ``pending`` record says to whom it was handed, so a later prompt can tell by
    that holder's lock (``daemon/liveness.py``) whether it still lives; one that died
    leaves the sync due again instead of waiting forever."""
    from ..daemon import control
    from ..daemon.liveness import daemon_alive
    from .record import PENDING, write_record

    if not daemon_alive() and os.environ.get("VENVD_DAEMON") == "auto":
        try:
            control.start()
        except VenvdError as exc:
            say(f"could not start the daemon: {exc}")
    if daemon_alive():
        write_record(venv, PENDING, {"fingerprint": fingerprint, "by": "daemon"})
        control.request_sync(project.root)
        say(f"syncing {display_path(venv)} in the background (the daemon); a later prompt says when it is done")
        return "background"
    log = control.log_path()
    _detach_sync(project.root, venv, fingerprint, log)
    say(f"syncing {display_path(venv)} in the background (log: {display_path(log)}); "
        "a later prompt says when it is done")
    return "background"


def _detach_sync(root: str, venv: str, fingerprint: str, log: str) -> None:
    """Start ``venvd sync ROOT`` detached, holding the venv's hand-off lock from before
    the ``pending`` record is written until that process exits (it inherits the locked
    descriptor; the kernel releases the lock when it dies, however it dies)."""
    import subprocess

    from ..daemon.liveness import handoff_lock_path
    from ..launcher import launcher
    from .record import PENDING, write_record

    fd = -1
    pass_fds: tuple[int, ...] = ()
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no inherited lock; the sync's own lock is the proof
        pass
    else:
        fd = os.open(handoff_lock_path(venv), os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # A detached sync runs already (another shell's, or one for older inputs): when
            # it ends without having synced these inputs, the record is due and started again.
            os.close(fd)
            write_record(venv, PENDING, {"fingerprint": fingerprint, "by": "process"})
            return
        pass_fds = (fd,)
    try:
        write_record(venv, PENDING, {"fingerprint": fingerprint, "by": "process"})
        # Its lines in the shared log carry a time like the daemon's (daemon/logfile.py).
        env = dict(os.environ, _VENVD_LOG_STAMPS="1")
        with open(log, "ab") as out:
            subprocess.Popen([*launcher(), "sync", root], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                             start_new_session=True, close_fds=True, pass_fds=pass_fds, env=env)
    finally:
        if fd >= 0:
            os.close(fd)  # the child's copy keeps the lock


def locked_sync(config: Any, venv: str, environ: Mapping[str, str], plan: Any, fingerprint: str,
                options: SyncOptions) -> str:
    from ..locking import FileLock, venv_lock_path

    lock = FileLock(venv_lock_path(venv))
    try:
        lock.acquire(timeout=0)
    except Exception as exc:  # filelock.Timeout: filelock is imported only when the lock is busy
        import filelock

        if not isinstance(exc, filelock.Timeout):
            raise
        say(f"waiting for another sync of {display_path(venv)} to finish (Ctrl-C goes on with the env as it is)")
        lock.acquire()
    try:
        if not options.force:
            # Another shell may have synced these very inputs while we waited.
            outcome = settled(venv, fingerprint, options, locked=True)
            if outcome is not None:
                return outcome
        return run_installer(config, venv, environ, plan, fingerprint, options.verbose)
    finally:
        lock.release()


def pick_installer(plan: Any, config: Any, environ: Mapping[str, str]) -> tuple[str, str]:
    """The backend for *plan* and why: a lockfile's own tool, else the resolver's choice."""
    if plan.kind in ("uv.lock", "pylock"):
        what = "uv.lock" if plan.kind == "uv.lock" else "pylock.toml"
        return "uv", f"{what} is synced with uv"
    if plan.kind in ("poetry", "pipenv", "pdm"):
        from ..installers.tools import HOW, require

        require(plan.kind)  # a missing tool is said once, before anything is announced
        chosen = " ([tool.venvd] installer)" if config.get("installer") == plan.kind else ""
        return plan.kind, f"{HOW[plan.kind][0]} is synced with {plan.kind}{chosen}"
    if config.get("installer") in ("poetry", "pipenv", "pdm"):
        raise VenvdError(f"[tool.venvd] installer = {config.get('installer')!r} syncs a lockfile, "
                         f"but the input is {plan.describe()}")
    from ..installers import choose

    choice = choose(config, environ)
    return choice.name, choice.why


def run_installer(config: Any, venv: str, environ: Mapping[str, str], plan: Any, fingerprint: str,
                  verbose: bool, creating: Any = None) -> str:
    """Run the installer for *plan* (the caller holds the venv's lock) and keep the records.

    *creating*: ``(python, version)`` when the sync makes the venv itself (``engine.first_sync``):
    venvd's, with no marker yet, made from that interpreter."""
    import time

    from ..installers import InstallerFailed, Target, backend
    from ..venv import cfg_version, python_path, read_marker, read_pyvenv_cfg
    from .envstate import changes, snapshot
    from .progress import Runner, log_path
    from .record import remove_record, write_record

    shown = display_path(venv)
    try:
        name, why = pick_installer(plan, config, environ)
    except VenvdError as exc:
        _record_failure(venv, fingerprint, "?", [str(exc)], **_missing(plan, None))
        raise
    if creating is not None:
        python, version = creating
        owned = True
    else:
        python = python_path(venv)
        version = cfg_version(read_pyvenv_cfg(venv) or {}) or ""
        owned = read_marker(venv) is not None
    target = Target(venv, python, version, environ, owned=owned, seed_pip=bool(config.get("seed-pip")))
    if plan.exact and not owned:
        # Every backend (poetry, pipenv and pdm too) then installs without removing anything.
        plan.exact = False
        why += "; additive: venvd did not make this venv, nothing in it is removed"
    say(f"syncing {shown} with {name}: {plan.describe()}")
    for hint in getattr(plan, "hints", ()):  # inputs found but not synced (inputs.py), said once per sync
        say(hint)
    log = log_path(venv)
    runner = Runner(f"{name}", log=log, verbose=verbose)
    before = snapshot(venv)
    try:
        backend(name).sync(plan, target, runner)
    except InstallerFailed as exc:
        runner.clear()
        runner.close()
        _record_failure(venv, fingerprint, name, (exc.stderr or exc.lines)[-40:], status=str(exc.code),
                        log=runner.log or "")
        kept = f"{shown} is made without its packages" if creating is not None else ""
        say(failure_line(exc, plan, shown, runner.log, kept=kept))
        return "failed"
    except VenvdError as exc:
        runner.clear()
        runner.close()
        _record_failure(venv, fingerprint, name, [str(exc)], **_missing(plan, name))
        raise
    except BaseException:
        runner.clear()
        runner.close()
        # Nothing is recorded as synced; the interruption is remembered so the next
        # prompt does not start the same sync again at once.
        _record_failure(venv, fingerprint, name, ["interrupted"], interrupted="1")
        raise
    runner.clear()
    runner.close()
    after = snapshot(venv)
    seconds = runner.elapsed()
    from ..installers import SEED_PACKAGES

    count = len([n for n in after if n not in SEED_PACKAGES])
    write_record(venv, SYNCED, {
        "fingerprint": fingerprint, "installer": name, "why": why, "kind": plan.kind,
        "inputs": "|".join(plan.files), "packages": str(count), "seconds": f"{seconds:.2f}",
        "time": str(int(time.time())), "exact": "1" if plan.exact else "0",
    })
    remove_record(venv, FAILED)
    added, changed, removed = changes(before, after)
    detail = []
    for label, names in (("added", added), ("changed", changed), ("removed", removed)):
        if names:
            shown_names = ", ".join(f"{n} {after.get(n, before.get(n, ''))}".strip() for n in names[:4])
            detail.append(f"{label} {shown_names}{' …' if len(names) > 4 else ''}")
    say(f"synced {count} package{'' if count == 1 else 's'} in {seconds:.1f}s"
        + (f" ({'; '.join(detail)})" if detail else ""))
    return "synced"


def failure_line(exc: Any, plan: Any, shown: str, log: Any, kept: str = "") -> str:
    """The one line for a failed installer: the real cause, the right advice, the log.

    stderr first (installers say what went wrong there); network, build and resolution
    failures get different advice: only a resolution failure is the inputs' fault.
    """
    from .progress import build_error, classify, is_build, meaningful, network_cause

    err = exc.stderr or exc.lines
    kind = classify(err + exc.lines)
    lines = meaningful(err) or meaningful(exc.lines) or [f"{exc.what} exited with status {exc.code}"]
    inputs = ", ".join(os.path.relpath(p, plan.root) for p in plan.top)
    details = " | ".join(lines)
    where = f" (full output: {display_path(log)})" if log else ""
    kept = kept or f"{shown} is as it was"
    if kind == "network":
        # The network error may sit deep in the output (a build's cargo or git under uv's
        # "Call to … failed" and its [stderr]): that, not the installer's first lines.
        cause = network_cause(err) or network_cause(exc.lines)
        details = " | ".join(cause) if cause else details
        if is_build(err + exc.lines):
            return (f"sync failed: no network for a package's build, which fetches what it needs ({details}) "
                    f"-- {kept}; 'venvd sync' retries once the network is back{where}")
        return (f"sync failed: no network / index unreachable ({details}) -- {kept}; "
                f"'venvd sync' retries once the index is reachable{where}")
    if kind == "build":
        own = build_error(err) or build_error(exc.lines) or details
        return (f"sync failed: a package failed to build: {own} -- {kept}; fix the build "
                f"(its error above), then 'venvd sync'{where}")
    if kind == "stale-lock":
        return (f"sync failed: {inputs} does not match pyproject.toml ({details}) -- {kept}; "
                f"run 'uv lock' (not retried until it changes){where}")
    if kind == "resolution":
        return (f"sync failed: no version satisfies the requirements ({details}) -- {kept}; "
                f"fix {inputs} (not retried until it changes) or run 'venvd sync'{where}")
    return (f"sync failed ({exc.what}, exit {exc.code}): {details} -- {kept}; "
            f"fix {inputs} (not retried until it changes) or run 'venvd sync'{where}")


def _missing(plan: Any, name: Any) -> dict[str, str]:
    """``{"missing": tool}`` when the sync needs a tool that is not installed: the next
    entry retries once it is (``settled.settled``), without `venvd sync`."""
    from ..venv import find_program

    tool = {"poetry": "poetry", "pipenv": "pipenv", "pdm": "pdm"}.get(plan.kind, "")
    if not tool and (name == "uv" or plan.kind in ("uv.lock", "pylock")):
        from ..venv import find_uv

        return {} if find_uv() else {"missing": "uv"}
    return {"missing": tool} if tool and find_program(tool) is None else {}


def _record_failure(venv: str, fingerprint: str, installer: str, lines: list[str], **extra: str) -> None:
    import time

    from .record import write_record

    try:
        write_record(venv, FAILED, {"fingerprint": fingerprint, "installer": installer,
                                    "error": "\n".join(lines), "time": str(int(time.time())), **extra})
    except OSError:
        pass

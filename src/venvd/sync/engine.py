"""Keeping a venv in step with its inputs: the check on every prompt, the sync when needed.

``ensure_synced`` runs inside every ``venvd export`` of a trusted project. Its common
case, nothing changed, reads three small files and stats the inputs (see
``fingerprint.quick``) and imports nothing new. Otherwise the inputs are read and hashed
(``inputs.detect``, ``fingerprint.compute``); a fingerprint that differs from the one
recorded after the last good sync takes the venv's lock and runs the installer.

It never raises: a failed sync says one ``venvd:`` line and the venv as it was stays
active. A failure is recorded with its fingerprint and not retried until the inputs
change or ``venvd sync`` asks for it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~3 ms to import: this module is on the prompt path
if TYPE_CHECKING:
    from typing import Any, Mapping, Optional

from ..errors import VenvdError
from ..ui import display_path, say
from .fingerprint import context_key, quick
from .record import FAILED, PENDING, SYNCED, read_record, record_path

# Outcomes (``last_outcome()``): unchanged, nothing, synced, failed, remembered (a failure
# not retried), interrupted, off, background, error.


class _Options:
    __slots__ = ("force", "explicit", "daemon", "foreground", "outcome")

    def __init__(self) -> None:
        self.force = False  # run the installer even when the fingerprint matches
        self.explicit = False  # `venvd sync`: retry a failure, ignore sync = off
        self.daemon = False  # the daemon itself: sync here, never hand off to the background
        self.foreground = False  # `venvd exec`: sync here (or wait for the sync running), never hand off
        self.outcome: Optional[str] = None


_options = _Options()


def set_options(force: bool = False, explicit: bool = False, daemon: bool = False, foreground: bool = False) -> None:
    """How the next ``ensure_synced`` behaves (the commands call this before resolving)."""
    _options.force = force
    _options.explicit = explicit
    _options.daemon = daemon
    _options.foreground = foreground
    _options.outcome = None


def explicit_request() -> bool:
    """True inside `venvd sync`/`venvd exec`: retry what failed before."""
    return _options.explicit


def last_outcome() -> Optional[str]:
    return _options.outcome


def ensure_synced(project: Any, config: Any, venv: str, environ: Mapping[str, str], watch: Any) -> None:
    """Sync *venv* when its inputs changed; never raises for a failed sync or bad input."""
    try:
        _options.outcome = _ensure(project, config, venv, environ, watch)
    except KeyboardInterrupt:
        _options.outcome = "interrupted"
        say(f"sync of {display_path(venv)} interrupted; the env is as it was "
            "('venvd sync' runs it again; so does changing the inputs)")
    except VenvdError as exc:
        _options.outcome = "error"
        say(str(exc))
    except Exception as exc:  # noqa: BLE001 - never a traceback into the shell
        _options.outcome = "error"
        if environ.get("VENVD_DEBUG"):
            raise
        say(f"sync: internal error: {type(exc).__name__}: {exc} (VENVD_DEBUG=1 shows the traceback)")


def _ensure(project: Any, config: Any, venv: str, environ: Mapping[str, str], watch: Any) -> str:
    # A sync finished elsewhere (another shell, `venvd sync`, the daemon) is noticed.
    watch.add(record_path(venv, SYNCED))
    watch.add(record_path(venv, FAILED))
    if config.get("sync") == "off" and not _options.explicit:
        return "off"
    context = context_key(config, venv, environ)
    if not _options.force:
        fingerprint = quick(venv, project.root, context, environ, watch)
        if fingerprint is not None:
            settled = _settled(venv, fingerprint)
            if settled is not None:
                return settled
    return _slow(project, config, venv, environ, watch, context)


def _settled(venv: str, fingerprint: str, locked: bool = False) -> Optional[str]:
    """The outcome when nothing needs to run for *fingerprint*, else None. *locked*:
    the caller holds the venv's sync lock (it is the sync a pending record waits for)."""
    if fingerprint == "":
        return "nothing"
    synced = read_record(venv, SYNCED)
    if synced is not None and synced.get("fingerprint") == fingerprint:
        _background_finished(venv, fingerprint, None)
        return "unchanged"
    if not _options.explicit:
        failed = read_record(venv, FAILED)
        if failed is not None and failed.get("missing") and _tool_appeared(failed["missing"]):
            failed = None  # the tool it lacked is installed now: this entry retries
        if failed is not None and failed.get("fingerprint") == fingerprint:
            if _background_finished(venv, fingerprint, failed):
                return "remembered"
            what = "was interrupted" if failed.get("interrupted") else "failed"
            say(f"the last sync of {display_path(venv)} {what}; the env is as it was before it "
                "('venvd sync' retries; 'venvd status' shows the error)")
            return "remembered"
        if not (_options.daemon or _options.foreground or locked):
            pending = read_record(venv, PENDING)
            if pending is not None and pending.get("fingerprint") == fingerprint:
                from ..daemon.liveness import pending_alive

                if pending_alive(venv, pending):
                    return "background"  # handed off already: the env as it is meanwhile
                # Its daemon (or detached sync) died or was stopped before finishing: the
                # sync is due again, here or handed off anew (never silently lost).
                from .record import remove_record

                remove_record(venv, PENDING)
                if pending.get("by") == "declined":  # see daemon/main.py decline_unmet
                    _options.foreground = True
                    say(f"the daemon synced {display_path(venv)} for its own environment, which differs from "
                        "this shell's (VENVD_INSTALLER, UV_* or a variable the inputs use); syncing here")
                else:
                    say(f"the background sync of {display_path(venv)} did not finish "
                        f"({'the daemon stopped' if pending.get('by') == 'daemon' else 'its process ended'}); "
                        "starting it again")
    return None


def _tool_appeared(tool: str) -> bool:
    """Whether *tool* (recorded as missing by a failed sync) is on PATH now, or, for uv,
    next to venvd (the ``venvd[uv]`` extra). A PATH scan with ``os`` only: this runs at
    every entry while such a failure is remembered."""
    import os
    import sys

    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    if tool == "uv":
        dirs.append(os.path.dirname(sys.executable))
    names = [tool + ext for ext in ("", ".exe", ".cmd", ".bat")] if os.name == "nt" else [tool]
    return any(os.access(os.path.join(d, n), os.X_OK) and os.path.isfile(os.path.join(d, n))
               for d in dirs for n in names)


def _background_finished(venv: str, fingerprint: str, failed: Optional[dict[str, str]]) -> bool:
    """Say once how a sync handed to the background ended; True when there was one."""
    pending = read_record(venv, PENDING)
    if pending is None or pending.get("fingerprint") != fingerprint or _options.daemon or _options.foreground:
        return False  # the daemon and `venvd exec` leave the news to the shell's next prompt
    from .record import remove_record

    remove_record(venv, PENDING)
    if failed is None:
        say(f"background sync of {display_path(venv)} finished")
    else:
        last = (failed.get("error") or "").split("\n")[-1]
        say(f"background sync of {display_path(venv)} failed{': ' + last if last else ''}; "
            "the env is as it was ('venvd status' shows the error, 'venvd sync' retries)")
    return True


def _sync_mode(config: Any, environ: Mapping[str, str]) -> str:
    """``[tool.venvd] sync``; unset: in the background when the daemon runs (or
    ``VENVD_DAEMON=auto`` will start it), else here."""
    configured = config.get("sync")
    if configured:
        return configured
    if environ.get("VENVD_DAEMON") == "auto":
        return "background"
    from ..daemon.liveness import daemon_alive

    return "background" if daemon_alive() else "foreground"


def _slow(project: Any, config: Any, venv: str, environ: Mapping[str, str], watch: Any, context: str) -> str:
    from .fingerprint import compute, presence, save_memo
    from .inputs import detect
    from .perform import in_background, locked_sync

    names = presence(project.root)
    plan = detect(project, config, environ, watch)
    from ..installers.configfiles import add_to_plan

    add_to_plan(plan, project.root, venv, environ)  # installer config: part of the fingerprint
    fingerprint, memo = compute(plan, project.root, context, environ, names)
    save_memo(venv, memo)
    if not _options.force:
        settled = _settled(venv, fingerprint)
        if settled is not None:
            return settled
    if plan is None:
        return "nothing"
    here = _options.explicit or _options.daemon or _options.foreground
    if not here and _sync_mode(config, environ) == "background":
        return in_background(project, venv, fingerprint)
    return locked_sync(config, venv, environ, plan, fingerprint)

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
    from typing import Any, Mapping

from ..errors import VenvdError
from ..ui import display_path, say
from .fingerprint import context_key, quick
from .record import FAILED, SYNCED, record_path
from .settled import settled

if TYPE_CHECKING:
    from .options import SyncOptions


def ensure_synced(project: Any, config: Any, venv: str, environ: Mapping[str, str], watch: Any,
                  options: SyncOptions) -> None:
    """Sync *venv* when its inputs changed; never raises for a failed sync or bad input.
    What happened is ``options.outcome`` afterwards."""
    try:
        options.outcome = _ensure(project, config, venv, environ, watch, options)
    except KeyboardInterrupt:
        options.outcome = "interrupted"
        say(f"sync of {display_path(venv)} interrupted; the env is as it was "
            "('venvd sync' runs it again; so does changing the inputs)")
    except VenvdError as exc:
        options.outcome = "error"
        say(str(exc))
    except Exception as exc:  # noqa: BLE001 - never a traceback into the shell
        options.outcome = "error"
        if environ.get("VENVD_DEBUG"):
            raise
        say(f"sync: internal error: {type(exc).__name__}: {exc} (VENVD_DEBUG=1 shows the traceback)")


def _ensure(project: Any, config: Any, venv: str, environ: Mapping[str, str], watch: Any,
            options: SyncOptions) -> str:
    # A sync finished elsewhere (another shell, `venvd sync`, the daemon) is noticed.
    watch.add(record_path(venv, SYNCED))
    watch.add(record_path(venv, FAILED))
    if config.get("sync") == "off" and not options.explicit:
        return "off"
    context = context_key(config, venv, environ)
    if not options.force:
        fingerprint = quick(venv, project.root, context, environ, watch)
        if fingerprint is not None:
            outcome = settled(venv, fingerprint, options)
            if outcome is not None:
                return outcome
    return _slow(project, config, venv, environ, watch, context, options)


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


def _slow(project: Any, config: Any, venv: str, environ: Mapping[str, str], watch: Any, context: str,
          options: SyncOptions) -> str:
    from .fingerprint import compute, presence, save_memo
    from .inputs import detect
    from .perform import in_background, locked_sync

    names = presence(project.root)
    plan = detect(project, config, environ, watch)
    from ..installers.configfiles import add_to_plan

    add_to_plan(plan, project.root, venv, environ)  # installer config: part of the fingerprint
    fingerprint, memo = compute(plan, project.root, context, environ, names)
    save_memo(venv, memo)
    if not options.force:
        outcome = settled(venv, fingerprint, options)
        if outcome is not None:
            return outcome
    if plan is None:
        return "nothing"
    if not options.here and _sync_mode(config, environ) == "background":
        return in_background(project, venv, fingerprint)
    return locked_sync(config, venv, environ, plan, fingerprint, options)

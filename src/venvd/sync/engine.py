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

import os

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
    # A sync finished elsewhere (another shell, `venvd sync`, the daemon) is noticed: its
    # record is renamed into the records directory, which moves that directory's mtime.
    watch.add_own(os.path.dirname(record_path(venv, SYNCED)))
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


def first_sync(project: Any, config: Any, venv: str, environ: Mapping[str, str], watch: Any,
               options: SyncOptions, python: str, version: str, prompt: str) -> str:
    """Make the fresh, empty *venv* of a uv.lock project by syncing it: ``uv sync --locked``
    creates it from *python* and installs the lock, one uv process where ``uv venv`` then
    ``uv sync`` would be two. Called by ``venv.create`` holding the venv's lock (as the
    ``populate`` step). Returns the sync's outcome ("synced", "failed"), or "" with nothing
    done when the plan is not a uv.lock or uv cannot make this venv. A failed sync leaves what the two steps would: a venv without the
    lock's packages (made again, ``uv venv``) and the failure recorded, not retried until
    the inputs change; an interrupted one (or a VenvdError) undoes the creation."""
    from ..venv import UV_MINIMUM, _version_tuple, find_uv

    uv = find_uv()
    if _version_tuple(version) < UV_MINIMUM or uv is None:
        return ""
    from ..installers.configfiles import add_to_plan
    from .fingerprint import compute, presence, save_memo
    from .inputs import detect
    from .perform import run_installer
    from .record import read_record, write_record

    watch.add_own(os.path.dirname(record_path(venv, SYNCED)))
    names = presence(project.root)
    plan = detect(project, config, environ, watch)
    if plan is None or plan.kind != "uv.lock":
        return ""
    add_to_plan(plan, project.root, venv, environ)
    # The context names the venv's interpreter (pyvenv.cfg), which exists only after the
    # sync: hashed again then. The first hash is of the inputs as they were read before it.
    before, before_memo = compute(plan, project.root, context_key(config, venv, environ), environ, names)
    outcome = run_installer(config, venv, environ, plan, before, options.verbose, creating=(python, version))
    name = SYNCED
    if outcome == "failed":
        name = FAILED
        _remake_empty(venv, python, version, prompt, uv)
    fingerprint, memo = compute(plan, project.root, context_key(config, venv, environ), environ, names)
    if memo[4] == before_memo[4]:  # the same signatures: no input changed during the sync
        record = read_record(venv, name)
        if record is not None:
            write_record(venv, name, {**record, "fingerprint": fingerprint})
    # (else the record keeps the first hash, which no later prompt matches: synced again)
    save_memo(venv, memo)
    for path, _sig in memo[4]:
        watch.add(os.path.dirname(path))  # as the quick check would (a file appearing there)
    return outcome


def _remake_empty(venv: str, python: str, version: str, prompt: str, uv: str) -> None:
    """After a failed first sync: what uv left (perhaps nothing, perhaps part of the lock)
    removed, the venv made as ``uv venv`` makes it; venvd's records (the failure) kept."""
    import shutil

    from ..venv import STATE_DIR, _create_in_place

    for name in os.listdir(venv):
        if name != STATE_DIR:
            path = os.path.join(venv, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
    _create_in_place(venv, python, version, prompt, uv, seed_pip=False)

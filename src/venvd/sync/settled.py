"""Whether a sync is due: the decision both the prompt's check (``engine``) and the
sync under the lock (``perform``) make, in one place.

A fingerprint already synced, a failure remembered for it, or a sync handed to the
background and still running settle it; each says its one line. On the cd path:
nothing but ``ui`` and ``record`` at module level.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~3 ms to import: this module is on the prompt path
if TYPE_CHECKING:
    from typing import Optional

    from .options import SyncOptions

from ..ui import display_path, say
from .record import FAILED, PENDING, SYNCED, read_record


def settled(venv: str, fingerprint: str, options: SyncOptions, locked: bool = False) -> Optional[str]:
    """The outcome when nothing needs to run for *fingerprint*, else None. *locked*:
    the caller holds the venv's sync lock (it is the sync a pending record waits for)."""
    if fingerprint == "":
        return "nothing"
    synced = read_record(venv, SYNCED)
    if synced is not None and synced.get("fingerprint") == fingerprint:
        _background_finished(venv, fingerprint, None, options)
        return "unchanged"
    if not options.explicit:
        failed = read_record(venv, FAILED)
        if failed is not None and failed.get("missing") and _tool_appeared(failed["missing"]):
            failed = None  # the tool it lacked is installed now: this entry retries
        if failed is not None and failed.get("fingerprint") == fingerprint:
            if _background_finished(venv, fingerprint, failed, options):
                return "remembered"
            what = "was interrupted" if failed.get("interrupted") else "failed"
            say(f"the last sync of {display_path(venv)} {what}; the env is as it was before it "
                "('venvd sync' retries; 'venvd status' shows the error)")
            return "remembered"
        if not (options.daemon or options.foreground or locked):
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
                    options.foreground = True
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

    from ..venv import find_program

    if find_program(tool) is not None:
        return True
    beside = os.path.join(os.path.dirname(sys.executable), tool + (".exe" if os.name == "nt" else ""))
    return tool == "uv" and os.access(beside, os.X_OK) and os.path.isfile(beside)


def _background_finished(venv: str, fingerprint: str, failed: Optional[dict[str, str]], options: SyncOptions) -> bool:
    """Say once how a sync handed to the background ended; True when there was one."""
    pending = read_record(venv, PENDING)
    if pending is None or pending.get("fingerprint") != fingerprint or options.daemon or options.foreground:
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

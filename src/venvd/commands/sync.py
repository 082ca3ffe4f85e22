"""``venvd sync [DIR] [--force] [-v]``: sync the project's venv now, in the foreground.

``-v`` streams the installer's output as it runs (it is in the sync log either way).

Unlike the prompt, it retries a sync that failed (and with ``--force`` runs the
installer even when the inputs are unchanged). Exit status 1 when the sync fails.
"""

from __future__ import annotations

import os
from argparse import Namespace

from ..ui import display_path, say


def run(ns: Namespace) -> int:
    from ..config import load_config
    from ..export import resolve_target
    from ..sync.context import locate, require_trust
    from ..sync.options import SyncOptions
    from ..watch import Watch

    project = locate(ns.dir)
    require_trust(project)
    config = load_config(project.root)
    for warning in config.warnings:
        say(warning)
    options = SyncOptions(force=ns.force, explicit=True, verbose=bool(getattr(ns, "verbose", False)))
    target = resolve_target(project, config, os.environ, Watch(), options)
    outcome = options.outcome
    shown = display_path(target.venv)
    if outcome == "unchanged":
        say(f"{shown} is in step with its inputs ('venvd sync --force' reinstalls)")
    elif outcome == "nothing":
        say(f"{display_path(project.root)} names nothing to install; {shown} is left as it is")
    elif outcome == "off":
        say("sync = \"off\" in [tool.venvd]")
    return 0 if outcome in ("unchanged", "synced", "nothing", "off") else 1

"""``venvd exec [DIR] -- CMD...``: run CMD with the project's venv active.

The venv is created and synced first, as on entering the project, so scripts, cron
jobs and editors get the same environment as the prompt. The project must be allowed.
"""

from __future__ import annotations

import os
import sys
from argparse import Namespace

from ..errors import VenvdError


def split_args(args: list[str]) -> tuple[str | None, list[str]]:
    """``[DIR] -- CMD...`` (or just ``CMD...``) -> (DIR, CMD)."""
    if "--" in args:
        at = args.index("--")
        before, command = args[:at], args[at + 1:]
        if len(before) > 1:
            raise VenvdError(f"venvd exec: one directory before '--', not {' '.join(before)}")
        directory = before[0] if before else None
    else:
        directory, command = None, args
    if not command:
        raise VenvdError("usage: venvd exec [DIR] -- COMMAND [ARGS...]")
    return directory, command


def run(ns: Namespace) -> int:
    from ..config import load_config
    from ..envdiff import DIFF_VAR, Record, env_change
    from ..export import resolve_target
    from ..sync.context import locate, require_trust
    from ..sync.engine import set_options
    from ..ui import say
    from ..watch import Watch

    directory, command = split_args(list(ns.args))
    project = locate(directory)
    require_trust(project)
    config = load_config(project.root)
    for warning in config.warnings:
        say(warning)
    set_options()
    target = resolve_target(project, config, os.environ, Watch())
    env = dict(os.environ)
    for key, value in env_change(os.environ, Record.decode(os.environ.get(DIFF_VAR, "")), target).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # pragma: no cover - no exec on Windows
        import subprocess

        try:
            return subprocess.call(command, env=env)
        except OSError as exc:
            raise VenvdError(f"cannot run {command[0]}: {exc.strerror}") from None
    try:
        os.execvpe(command[0], command, env)  # PATH from env: the venv's bin comes first
    except OSError as exc:
        say(f"cannot run {command[0]}: {exc.strerror}")
        return 127 if isinstance(exc, FileNotFoundError) else 126
    return 0  # pragma: no cover - exec does not return

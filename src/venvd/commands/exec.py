"""``venvd exec [--allow-stale] [DIR] [--] CMD...``: run CMD with the project's venv active.

The venv is created and synced first, as on entering the project, so scripts, cron
jobs and editors get the same environment as the prompt. The project must be allowed,
and CMD does not run (exit 1, the reason on stderr) when the env could not be created
or synced, unless ``--allow-stale`` asks to run it with the env as it is.
"""

from __future__ import annotations

import os
import sys
from argparse import Namespace

from ..errors import VenvdError


STALE = "--allow-stale"
USAGE = "usage: venvd exec [--allow-stale] [DIR] [--] COMMAND [ARGS...]"


def split_args(args: list[str]) -> tuple[str | None, list[str], bool]:
    """``[--allow-stale] [DIR] [--] CMD...`` -> (DIR, CMD, allow_stale).

    venvd's own words come first, and only there: ``--allow-stale``, then DIR, then
    ``--``; from CMD on, every word is CMD's, a ``--`` among its arguments included
    (``venvd exec python -c '…' -- x``). The first word is DIR when it names an existing
    directory: a directory cannot be run, so ``venvd exec ~/proj pytest`` can only mean
    "pytest in ~/proj". To run a command whose name is also a directory here, put ``--``
    before it (``venvd exec -- CMD``: no DIR)."""
    words = list(args)
    allow_stale = False

    def options() -> None:
        nonlocal allow_stale
        while words[:1] == [STALE]:
            allow_stale = True
            del words[0]

    options()
    directory = None
    if words[:1] != ["--"] and words and os.path.isdir(words[0]):
        directory = words.pop(0)
        options()  # `venvd exec DIR --allow-stale CMD` means the same
    if words[:1] == ["--"]:
        del words[0]  # venvd's separator: the one right before CMD, never a later one
    command = words
    if not command:
        raise UsageError(f"venvd exec: no command to run{' in ' + directory if directory else ''}; {USAGE}")
    return directory, command, allow_stale


class UsageError(VenvdError):
    """A command line that names nothing to run (exit 2, as argparse's errors)."""


# A sync that ended like this leaves an env that may not be what the inputs ask for.
BROKEN = {"failed": "its sync failed", "remembered": "its last sync failed (remembered; 'venvd sync' retries)",
          "error": "it could not be synced", "interrupted": "its sync was interrupted"}


def run(ns: Namespace) -> int:
    from ..config import load_config
    from ..envdiff import DIFF_VAR, Record, env_change
    from ..export import resolve_target
    from ..sync.context import locate, require_trust
    from ..sync.options import SyncOptions
    from ..ui import display_path, say
    from ..watch import Watch

    try:
        directory, command, allow_stale = split_args(list(ns.args))
    except UsageError as exc:
        say(str(exc))
        return 2
    allow_stale = allow_stale or bool(getattr(ns, "allow_stale", False))
    project = locate(directory)
    require_trust(project)  # untrusted: never run in its env, --allow-stale or not
    config = load_config(project.root)
    for warning in config.warnings:
        say(warning)
    # In the foreground: a script must not start before its env is synced (a sync the
    # daemon runs now is waited for); a remembered failure is not retried at every run.
    options = SyncOptions(foreground=True)
    target = resolve_target(project, config, os.environ, Watch(), options)
    broken = BROKEN.get(options.outcome or "")
    if broken is not None:
        shown = display_path(target.venv)
        if not allow_stale:
            raise VenvdError(f"not running {command[0]}: {shown} may not be what the project asks for, {broken}; "
                             f"fix it and 'venvd sync', or 'venvd exec {STALE} ...' runs it with the env as it is")
        say(f"running {command[0]} with {shown} as it is ({broken}; {STALE})")
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
        missing = isinstance(exc, FileNotFoundError)
        # `venvd exec ~/typo -- pytest`: a DIR that does not exist was taken for the command.
        hint = "; a DIR must be an existing directory" if missing and command[1:2] == ["--"] else ""
        say(f"cannot run {command[0]}: {exc.strerror}{hint}")
        return 127 if missing else 126
    return 0  # pragma: no cover - exec does not return

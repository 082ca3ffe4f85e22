"""``venvd doctor``: one line per check, each with its status and, when it is not ok, the fix.

Checks: the hook is loaded in the shell running this command; that shell's version is
supported; the interpreter venvd runs on; the installers found; the trust store; the
daemon; the user config and the current project's config. Exits 1 when something is
broken (a ``FAIL`` line), 0 otherwise (``warn`` lines are advice).

The hook's own variables are shell variables, not exported, so a child process cannot
see them. The hook's ``venvd`` function (through which a typed ``venvd`` runs) passes
``_VENVD_HOOK=<shell>`` to the command it starts — never exported, so a nested shell
without the hook does not inherit it. Without it, ``VENVD_DIFF`` (exported while one of
venvd's venvs is active) shows the hook ran.
"""

from __future__ import annotations

import os
import sys
from argparse import Namespace
from typing import Callable, NamedTuple, Optional

from ..errors import VenvdError

HOOK_VAR = "_VENVD_HOOK"
# The oldest shell each hook is tested with; older ones lack what the hooks use.
MINIMUM = {"bash": (4, 0), "zsh": (5, 0), "fish": (3, 0), "pwsh": (5, 1)}
RC_LINES = {
    "bash": ("~/.bashrc", 'eval "$(venvd hook bash)"'),
    "zsh": ("~/.zshrc", 'eval "$(venvd hook zsh)"'),
    "fish": ("~/.config/fish/config.fish", "venvd hook fish | source"),
    "pwsh": ("$PROFILE", "Invoke-Expression (& venvd hook pwsh | Out-String)"),
}
OK, WARN, FAIL = "ok", "warn", "FAIL"


class Check(NamedTuple):
    status: str
    what: str
    detail: str
    fix: str = ""


# ---------------------------------------------------------------- the shell


def _parent_exe() -> Optional[str]:
    """The program of the process that started this one (the shell, when typed at a prompt)."""
    ppid = os.getppid()
    try:
        return os.path.realpath(os.readlink(f"/proc/{ppid}/exe"))
    except OSError:
        pass
    import subprocess

    try:  # macOS and the BSDs have no /proc
        out = subprocess.run(["ps", "-o", "comm=", "-p", str(ppid)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _shell_name(path: str) -> Optional[str]:
    name = os.path.basename(path).lstrip("-").lower()
    if name.endswith(".exe"):
        name = name[:-4]
    if name.startswith("bash"):
        return "bash"
    if name.startswith("zsh"):
        return "zsh"
    if name.startswith("fish"):
        return "fish"
    if name in ("pwsh", "powershell"):
        return "pwsh"
    return None


def current_shell() -> tuple[Optional[str], Optional[str], str]:
    """(shell name, its program, how it was found): the parent process, else ``$SHELL``."""
    parent = _parent_exe()
    if parent and _shell_name(parent):
        return _shell_name(parent), parent, "the shell running this command"
    # The hook's `venvd` function names its shell when the parent is not one (a wrapper
    # script, `command time venvd doctor`), which is truer than the login shell.
    hooked = os.environ.get(HOOK_VAR, "").split()
    if hooked and hooked[0] in RC_LINES:
        import shutil

        program = shutil.which(hooked[0]) or hooked[0]
        return hooked[0], program, "named by the hook's venvd function"
    login = os.environ.get("SHELL", "")
    if login and _shell_name(login):
        return _shell_name(login), login, "$SHELL (this command was not started by a shell)"
    return None, parent or login or None, "not a shell venvd knows"


def shell_version(program: str) -> Optional[tuple[int, ...]]:
    import re
    import subprocess

    argv = [program, "-NoLogo", "-NoProfile", "-Command", "$PSVersionTable.PSVersion.ToString()"] \
        if _shell_name(program) == "pwsh" else [program, "--version"]
    try:
        out = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out.stdout)
    return tuple(int(g) for g in found.groups() if g is not None) if found else None


def check_shell() -> list[Check]:
    name, program, how = current_shell()
    if name is None:
        return [Check(WARN, "shell", f"{program or 'unknown'} ({how})",
                      "run 'venvd doctor' at the prompt of bash, zsh, fish or PowerShell")]
    checks = []
    version = shell_version(program) if program else None
    shown = ".".join(map(str, version)) if version else "version unknown"
    minimum = MINIMUM[name]
    if version is None:
        checks.append(Check(WARN, "shell", f"{name} at {program}, {shown} ({how})"))
    elif version[:2] < minimum:
        checks.append(Check(FAIL, "shell", f"{name} {shown} at {program} is older than venvd supports",
                            f"use {name} {'.'.join(map(str, minimum))} or newer"))
    else:
        checks.append(Check(OK, "shell", f"{name} {shown} ({how})"))
    checks.append(check_hook(name))
    return checks


def check_hook(name: str) -> Check:
    rc, line = RC_LINES[name]
    marker = os.environ.get(HOOK_VAR, "").split()
    if marker:
        return Check(OK, "hook", f"loaded in this {marker[0]}")
    if os.environ.get("VENVD_DIFF"):
        return Check(OK, "hook", f"loaded: one of venvd's venvs is active ({os.environ.get('VIRTUAL_ENV', '?')})")
    in_rc = _rc_has_hook(name)
    if in_rc:
        return Check(FAIL, "hook", f"not loaded in this shell, though {in_rc} has the line",
                     f"open a new shell, or run '{line}' here")
    return Check(FAIL, "hook", "not loaded in this shell", f"add '{line}' to {rc}")


def _rc_has_hook(name: str) -> Optional[str]:
    from ..safeio import LIMIT_TEXT, read_optional

    home = os.path.expanduser("~")
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = {"bash": [os.path.join(home, ".bashrc"), os.path.join(home, ".bash_profile")],
             "zsh": [os.path.join(os.environ.get("ZDOTDIR") or home, ".zshrc")],
             "fish": [os.path.join(config_home, "fish", "config.fish")],
             "pwsh": []}[name]
    for path in files:
        try:
            data = read_optional(path, LIMIT_TEXT)
        except VenvdError:
            continue
        if data and f"venvd hook {name}".encode() in data:
            return path
    return None


# ---------------------------------------------------------------- the rest


def check_interpreter() -> Check:
    import platform

    version = platform.python_version()
    if sys.version_info < (3, 9):
        return Check(FAIL, "interpreter", f"Python {version} at {sys.executable}",
                     "install venvd with Python 3.9 or newer")
    return Check(OK, "interpreter", f"venvd runs on Python {version} ({sys.executable})")


def check_installers() -> list[Check]:
    import importlib.util
    import shutil

    from ..venv import find_uv

    uv = find_uv()
    pip = importlib.util.find_spec("pip") is not None
    found = []
    if uv:
        found.append(f"uv ({uv})")
    if pip:
        found.append("pip (venvd's own)")
    tools = [(t, shutil.which(t)) for t in ("poetry", "pipenv", "pdm")]
    found += [f"{t} ({p})" for t, p in tools if p]
    missing = [t for t, p in tools if not p]
    if not uv and not pip:
        return [Check(FAIL, "installers", "neither uv nor pip is available", "pip install 'venvd[uv]'")]
    detail = ", ".join(found) + (f"; not found: {', '.join(missing)}" if missing else "")
    checks = [Check(OK, "installers", detail)]
    if not uv:
        checks.append(Check(WARN, "installers", "uv not found: venvs are made and synced with pip (slower)",
                            "pip install 'venvd[uv]' or install uv on your PATH"))
    return checks


def check_trust_store() -> Check:
    from .. import trust
    from ..paths import data_dir

    try:
        allowed = trust.allowed_projects()
    except (OSError, VenvdError) as exc:
        return Check(FAIL, "trust store", f"cannot be read: {exc}", f"check the files in {data_dir()}")
    return Check(OK, "trust store", f"{len(allowed)} allowed project(s) in {data_dir()}")


def check_daemon() -> Check:
    from ..daemon import control

    try:
        pid = control.running_pid()
    except (OSError, VenvdError) as exc:
        return Check(WARN, "daemon", f"state unknown: {exc}")
    if pid is None:
        return Check(OK, "daemon", "not running (syncs happen at the prompt)",
                     "optional: 'venvd daemon start', or 'venvd daemon install' to start it at login")
    return Check(OK, "daemon", f"running (pid {pid}); log: {control.log_path()}")


def check_user_config() -> Check:
    from .. import userconfig

    path = userconfig.config_file()
    try:
        settings = userconfig.load(path)
    except VenvdError as exc:
        return Check(FAIL, "user config", str(exc), f"fix or remove {path}")
    if not os.path.exists(path):
        return Check(OK, "user config", f"none ({path}); defaults apply")
    # TOML's spelling for a boolean (prompt = true), Python's repr for the rest.
    shown = ", ".join(f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}"
                      for k, v in sorted(settings.items()))
    return Check(OK, "user config", f"{path}: {shown}")


def check_python_downloads() -> Optional[Check]:
    """Whether venvd may have uv install a Python a project asks for and the machine lacks."""
    from ..provision import UV_VALUES, downloads_mode

    raw = os.environ.get("UV_PYTHON_DOWNLOADS")
    if raw and raw.strip().lower() not in UV_VALUES:
        return Check(WARN, "python downloads", f"UV_PYTHON_DOWNLOADS={raw!r} is not a value uv knows (uv itself "
                                               "will refuse to run)", "set it to automatic, manual or never")
    try:
        mode, why = downloads_mode(os.environ)
    except VenvdError:
        return None  # the user config line says what is wrong
    said = {"automatic": "a missing Python is installed with 'uv python install'",
            "manual": "a missing Python is named with the command that installs it",
            "never": "a missing Python is never downloaded"}[mode]
    return Check(OK, "python downloads", f"{mode} ({why}): {said}")


def check_project_config() -> Optional[Check]:
    from ..config import load_config
    from ..project import current_directory, find_project

    try:
        project = find_project(current_directory(os.environ))
        if project is None:
            return None
        config = load_config(project.root)
    except VenvdError as exc:
        return Check(FAIL, "project config", str(exc))
    if config.warnings:
        return Check(WARN, "project config", "; ".join(config.warnings))
    return Check(OK, "project config", f"{project.root}: no problems")


def checks() -> list[Check]:
    out: list[Check] = []
    steps: list[Callable[[], object]] = [check_shell, check_interpreter, check_installers, check_trust_store,
                                         check_daemon, check_user_config, check_python_downloads,
                                         check_project_config]
    for step in steps:
        try:
            result = step()
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            result = Check(FAIL, step.__name__.replace("check_", "").replace("_", " "),
                           f"the check itself failed: {type(exc).__name__}: {exc}")
        if result is None:
            continue
        out.extend(result if isinstance(result, list) else [result])  # type: ignore[arg-type]
    return out


def run(ns: Namespace) -> int:
    found = checks()
    width = max(len(c.what) for c in found)
    for check in found:
        line = f"{check.status:<4}  {check.what:<{width}}  {check.detail}"
        if check.fix:
            line += f" \u2014 fix: {check.fix}" if check.status != OK else f" ({check.fix})"
        sys.stdout.write(line + "\n")
    return 1 if any(c.status == FAIL for c in found) else 0

"""``venvd daemon install|uninstall``: a systemd user unit (Linux) or a launchd agent (macOS)
that runs ``venvd daemon run`` at login.

The command is this installation's launcher (launcher.py: its absolute interpreter and
import roots, never a shim) + ``daemon run``. A service does not get the login shell's
environment, so the variables that decide where venvd keeps its files and finds its
interpreters and installers are written into the unit as they are now (PATH included).
A file is removed only when venvd wrote it (it carries MARK).
"""

from __future__ import annotations

import os
import sys
from typing import Mapping, Optional

from ..safewrite import replace_file

MARK = "written by 'venvd daemon install'"
SYSTEMD_NAME = "venvd.service"
LAUNCHD_LABEL = "io.github.venvd.daemon"
# What a service needs to see the same world as the shell that installed it.
CARRIED = ("PATH", "VENVD_DATA_DIR", "VENVD_STATE_DIR", "VENVD_CACHE_DIR", "VENVD_RUNTIME_DIR", "VENVD_CONFIG_DIR",
           "VENVD_INSTALLER", "PYENV_ROOT", "UV_PYTHON_INSTALL_DIR", "UV_CACHE_DIR", "XDG_DATA_HOME",
           "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")


def daemon_argv() -> list[str]:
    from ..launcher import launcher

    return launcher() + ["daemon", "run"]


def _environment(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(k, environ[k]) for k in CARRIED if environ.get(k)]


def is_macos(platform: Optional[str] = None) -> bool:
    return (platform or sys.platform) == "darwin"


def unit_path(environ: Mapping[str, str], platform: Optional[str] = None) -> str:
    home = environ.get("HOME") or os.path.expanduser("~")
    if is_macos(platform):
        return os.path.join(home, "Library", "LaunchAgents", f"{LAUNCHD_LABEL}.plist")
    config = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return os.path.join(config, "systemd", "user", SYSTEMD_NAME)


def systemd_quote(arg: str) -> str:
    """One ExecStart= / Environment= word: double-quoted, with systemd's C-style escapes
    for backslash and quote, and its specifier (%) and variable ($) characters doubled."""
    text = arg.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + text.replace("%", "%%").replace("$", "$$") + '"'


def systemd_unit(argv: list[str], environ: Mapping[str, str]) -> str:
    lines = [
        f"# {MARK}; 'venvd daemon uninstall' removes it",
        "[Unit]",
        "Description=venvd: keeps project venvs in step with their inputs",
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=" + " ".join(systemd_quote(a) for a in argv),
    ]
    for key, value in _environment(environ):
        lines.append("Environment=" + systemd_quote(f"{key}={value}"))
    lines += ["Restart=on-failure", "RestartSec=5", "", "[Install]", "WantedBy=default.target", ""]
    return "\n".join(lines)


def launchd_plist(argv: list[str], environ: Mapping[str, str], log: str) -> bytes:
    import plistlib

    agent = {
        "Label": LAUNCHD_LABEL,
        "Comment": MARK,
        "ProgramArguments": argv,
        "EnvironmentVariables": dict(_environment(environ)),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "StandardErrorPath": log,
        "StandardOutPath": log,
    }
    return plistlib.dumps(agent)


def enable_command(path: str, platform: Optional[str] = None) -> str:
    if is_macos(platform):
        return f"launchctl bootstrap gui/$(id -u) {path}"
    return "systemctl --user daemon-reload && systemctl --user enable --now venvd"


def disable_command(path: str, platform: Optional[str] = None) -> str:
    if is_macos(platform):
        return f"launchctl bootout gui/$(id -u)/{LAUNCHD_LABEL}"
    return "systemctl --user stop venvd; systemctl --user daemon-reload"


def _ours(path: str) -> bool:
    from ..errors import VenvdError
    from ..safeio import LIMIT_SMALL, read_optional

    try:
        data = read_optional(path, LIMIT_SMALL)
    except VenvdError:
        return False
    return data is not None and MARK.encode() in data


def install(environ: Mapping[str, str], platform: Optional[str] = None) -> str:
    """Write the unit (replacing one venvd wrote); the path. VenvdError for a file venvd did not write."""
    from ..errors import VenvdError

    path = unit_path(environ, platform)
    if os.path.lexists(path) and not _ours(path):
        raise VenvdError(f"{path} exists and venvd did not write it; move it away to install venvd's")
    if is_macos(platform):
        from .control import log_path

        data = launchd_plist(daemon_argv(), environ, log_path())
    else:
        data = systemd_unit(daemon_argv(), environ).encode("utf-8")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    replace_file(path, data)
    return path


def uninstall(environ: Mapping[str, str], platform: Optional[str] = None) -> Optional[str]:
    """Remove the unit venvd wrote (and systemd's enablement link to it); the path, or None
    when there was none. VenvdError for a file venvd did not write."""
    from ..errors import VenvdError

    path = unit_path(environ, platform)
    if not os.path.lexists(path):
        return None
    if not _ours(path):
        raise VenvdError(f"{path} was not written by venvd; it is left as it is")
    os.unlink(path)
    if not is_macos(platform):
        # What `systemctl --user disable` removes: the link that starts it at login.
        wants = os.path.join(os.path.dirname(path), "default.target.wants", SYSTEMD_NAME)
        if os.path.islink(wants) and os.path.realpath(wants) in (path, os.path.realpath(path)):
            os.unlink(wants)
    return path


def run_install(action: str) -> int:
    """``venvd daemon install`` / ``uninstall``: write or remove the unit, say how to (de)activate it."""
    from ..ui import display_path, say

    if action == "install":
        path = install(os.environ)
        say(f"wrote {display_path(path)}; start it now and at every login with: {enable_command(path)}")
        return 0
    removed = uninstall(os.environ)
    if removed is None:
        say(f"nothing to remove: {display_path(unit_path(os.environ))} does not exist")
        return 0
    say(f"removed {display_path(removed)}; to stop the daemon it started: {disable_command(removed)}")
    return 0

"""Which installer config files a sync may read: the project's own, the user's, the machine's.

uv looks for a project config (``uv.toml``, or a ``pyproject.toml`` with ``[tool.uv]``)
in the working directory *and every parent*, and merges the nearest one with the user's
(``$XDG_CONFIG_HOME/uv/uv.toml``) and the machine's (``$XDG_CONFIG_DIRS/uv/uv.toml``,
``/etc/uv/uv.toml``). On a shared machine a parent such as ``/tmp`` belongs to anyone:
a ``/tmp/uv.toml`` there would choose the index a trusted project installs from. So:

* the project root has its own uv config: uv runs in the root, and the nearest config it
  finds is that one (the search stops there), merged with the user's and the machine's;
* it has none: ``--no-config`` (no search at all), plus ``--config-file`` naming the
  user's own file if there is one, else the machine's (uv reads only the one file
  ``--config-file`` names, so with a user file the machine's is not merged in);
* ``UV_CONFIG_FILE`` or ``UV_NO_CONFIG`` in the user's environment: the user decided.

pip reads no config from the working directory or its parents, only the machine's
(``$XDG_CONFIG_DIRS/pip/pip.conf``, ``/etc/pip.conf``), the user's (``~/.pip/pip.conf``,
``$XDG_CONFIG_HOME/pip/pip.conf``), the venv's own ``pip.conf`` (pip runs inside the
target venv with ``--python``) and ``PIP_CONFIG_FILE``: nothing to strip.

``fingerprint_files`` names every file of both lists, present or not, so a changed,
new or removed config file is a change of the sync's inputs.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs ~3 ms to import: a venv's first sync waits for it

if TYPE_CHECKING:
    from typing import Mapping, Optional

    from ..sync.inputs import Plan


def _truthy(value: Optional[str]) -> bool:
    return (value or "").strip().lower() not in ("", "0", "false", "no", "off")


def _config_home(environ: Mapping[str, str]) -> str:
    return environ.get("XDG_CONFIG_HOME") or os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".config")


def _config_dirs(environ: Mapping[str, str]) -> list[str]:
    dirs = [d for d in (environ.get("XDG_CONFIG_DIRS") or "").split(os.pathsep) if d]
    return dirs or ["/etc/xdg"]


def uv_user_config(environ: Mapping[str, str]) -> str:
    if os.name == "nt":
        return os.path.join(environ.get("APPDATA") or os.path.expanduser("~"), "uv", "uv.toml")
    return os.path.join(_config_home(environ), "uv", "uv.toml")


def uv_system_configs(environ: Mapping[str, str]) -> list[str]:
    """The machine's uv config files in the order uv tries them (the first found wins)."""
    if os.name == "nt":
        return [os.path.join(environ.get("SYSTEMDRIVE", "C:") + os.sep, "ProgramData", "uv", "uv.toml")]
    return [os.path.join(d, "uv", "uv.toml") for d in _config_dirs(environ)] + ["/etc/uv/uv.toml"]


def _has_tool_uv(pyproject: str) -> bool:
    from ..errors import VenvdError
    from ..safeio import LIMIT_TEXT, read_optional
    from ..tomlfile import loads_toml, may_hold_tool

    try:
        data = read_optional(pyproject, LIMIT_TEXT)
        if data is None or not may_hold_tool(data):
            return False
        table = loads_toml(data, pyproject)
    except VenvdError:
        return False  # an unreadable pyproject.toml is said by the step that needs it
    tool = table.get("tool")
    return isinstance(tool, dict) and isinstance(tool.get("uv"), dict)


def uv_project_config(root: str) -> Optional[str]:
    """The project's own uv config file (uv.toml first, as uv), or None."""
    own = os.path.join(root, "uv.toml")
    if os.path.isfile(own):
        return own
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.isfile(pyproject) and _has_tool_uv(pyproject):
        return pyproject
    return None


def uv_config_args(root: str, environ: Mapping[str, str]) -> list[str]:
    """Options for every uv command run with ``cwd=root`` so that it reads no config
    file outside the project, the user's and the machine's."""
    if environ.get("UV_CONFIG_FILE") or _truthy(environ.get("UV_NO_CONFIG")):
        return []  # the user's own choice: uv then searches nothing either
    if uv_project_config(root) is not None:
        return []  # uv's search stops at the project's own file
    for path in [uv_user_config(environ), *uv_system_configs(environ)]:
        if os.path.isfile(path):
            return ["--no-config", "--config-file", path]
    return ["--no-config"]


def pip_config_files(environ: Mapping[str, str], venv: str) -> list[str]:
    """Every file pip may read its config from (as ``pip config debug`` lists them)."""
    if os.name == "nt":
        appdata = environ.get("APPDATA") or os.path.expanduser("~")
        files = [os.path.join(environ.get("PROGRAMDATA", "C:\\ProgramData"), "pip", "pip.ini"),
                 os.path.join(os.path.expanduser("~"), "pip", "pip.ini"), os.path.join(appdata, "pip", "pip.ini"),
                 os.path.join(venv, "pip.ini")]
    else:
        home = environ.get("HOME") or os.path.expanduser("~")
        files = [os.path.join(d, "pip", "pip.conf") for d in _config_dirs(environ)] + ["/etc/pip.conf"]
        files += [os.path.join(home, ".pip", "pip.conf"), os.path.join(_config_home(environ), "pip", "pip.conf"),
                  os.path.join(venv, "pip.conf")]
    extra = environ.get("PIP_CONFIG_FILE")
    if extra and extra != os.devnull:
        files.append(os.path.abspath(extra))
    return files


def fingerprint_files(root: str, venv: str, environ: Mapping[str, str]) -> list[str]:
    """The config files whose bytes take part in a sync's fingerprint (present or not).

    ``venvd.toml`` is among them for the settings not in ``fingerprint.context_key``
    (``seed-pip``); in a pyproject.toml they change that file, already an input.
    """
    files = [os.path.join(root, "uv.toml"), os.path.join(root, "venvd.toml")]
    if environ.get("UV_CONFIG_FILE"):
        files.append(os.path.abspath(environ["UV_CONFIG_FILE"]))
    files += [uv_user_config(environ), *uv_system_configs(environ)]
    files += pip_config_files(environ, venv)
    seen: set[str] = set()
    return [f for f in files if not (f in seen or seen.add(f))]  # type: ignore[func-returns-value]


def add_to_plan(plan: "Optional[Plan]", root: str, venv: str, environ: Mapping[str, str]) -> list[str]:
    """Append the config files to *plan*'s files (hashed into the fingerprint, watched by
    the quick check); returns the ones added, so ``venvd status`` can list them apart."""
    if plan is None:
        return []
    added = [f for f in fingerprint_files(root, venv, environ) if f not in plan.files]
    plan.files.extend(added)
    return added

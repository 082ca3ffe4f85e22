"""A project's venvd settings: ``[tool.venvd]`` in pyproject.toml, or ``venvd.toml``.

Parsing TOML costs ~12 ms of imports, too much for every ``cd``; the result is
cached (marshal, keyed by the files' stat signature) so a directory change into an
unchanged project reads one small cache file.
"""

from __future__ import annotations

import marshal
import os
import sys
# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

from .errors import VenvdError

# key -> (type, allowed values or None)
KEYS: dict[str, tuple[type, Optional[tuple[str, ...]]]] = {
    "python": (str, None),
    "venv": (str, None),
    # poetry, pipenv, pdm: that tool's lockfile is the input (and the tool syncs it).
    "installer": (str, ("auto", "uv", "pip", "poetry", "pipenv", "pdm")),
    "mode": (str, ("auto", "exact", "install")),
    "sync": (str, ("foreground", "background", "off")),
    "requirements": (list, None),
    "groups": (list, None),
    "extras": (list, None),
    # The lockfile to sync when there are several (uv.lock, pylock*.toml, poetry.lock,
    # Pipfile.lock, pdm.lock), as a path relative to the project.
    "lock": (str, None),
    # Dependency selection, as uv sync's options (the lockfile tools get their equivalents).
    "no-default-groups": (bool, None),
    "only-groups": (list, None),
    "all-groups": (bool, None),
    "all-extras": (bool, None),
    "seed-pip": (bool, None),  # keep pip in a venv whose sync would remove it (installers)
}
CACHE_FORMAT = 3


class Config:
    """What venvd needs from a project's files, already validated.

    *pending*: the pyproject.toml beside a uv.lock was not parsed (it holds no ``[tool]``
    table, see ``tomlfile.may_hold_tool``); its ``[project]`` fields are read when first asked for,
    which a project with a ``.python-version`` never does: its first entry imports no
    TOML parser (tomllib with typing, re and datetime: ~20 ms)."""

    __slots__ = ("tool", "_requires_python", "_name", "warnings", "tool_python", "pending")

    def __init__(self, tool: dict[str, Any], requires_python: Optional[str], name: Optional[str], warnings: list[str],
                 tool_python: Optional[tuple[str, str]] = None, pending: Optional[str] = None):
        self.tool = tool  # validated [tool.venvd] (or venvd.toml) table
        self._requires_python = requires_python
        self._name = name
        self.warnings = warnings
        # The Python poetry's or pipenv's files ask for: (PEP 440 range or version, where).
        self.tool_python = tool_python
        self.pending = pending  # the pyproject.toml whose [project] is read on demand

    def _project_fields(self) -> None:
        if self.pending is not None:
            from .tomlfile import read_toml

            path, self.pending = self.pending, None
            self._requires_python, self._name = _project_table(read_toml(path))

    @property
    def requires_python(self) -> Optional[str]:
        self._project_fields()
        return self._requires_python

    @property
    def name(self) -> Optional[str]:
        self._project_fields()
        return self._name

    def get(self, key: str, default: Any = None) -> Any:
        return self.tool.get(key, default)


def _signature(path: str) -> Optional[tuple[int, int, int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    # ctime too: a file rewritten in place with its old mtime put back changed only that.
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def _validate(table: Any, source: str) -> tuple[dict[str, Any], list[str]]:
    if not isinstance(table, dict):
        raise VenvdError(f"{source} must be a table of settings")
    tool: dict[str, Any] = {}
    warnings = []
    for key, value in sorted(table.items()):
        if key not in KEYS:
            warnings.append(f"{source}: unknown setting {key!r} ignored (known: {', '.join(KEYS)})")
            continue
        kind, choices = KEYS[key]
        if kind is list and isinstance(value, str):
            value = [value]
        if not isinstance(value, kind) or (kind is list and not all(isinstance(v, str) for v in value)):
            expected = {list: "a list of strings", bool: "true or false"}.get(kind, "a string")
            raise VenvdError(f"{source}: {key} must be {expected}, not {value!r}")
        if choices and value not in choices:
            raise VenvdError(f"{source}: {key} = {value!r} is not one of {', '.join(choices)}")
        tool[key] = value
    return tool, warnings


def _parse(root: str) -> Config:
    from .tomlfile import loads_toml, read_toml

    tool: dict[str, Any] = {}
    warnings: list[str] = []
    requires_python = name = None
    pyproject_data: Optional[dict[str, Any]] = None
    pyproject = os.path.join(root, "pyproject.toml")
    # exists, not isfile: a pyproject.toml that is a FIFO or a link to /dev/zero is a
    # line from read_toml (safeio), not silently no settings (a dangling link is no file).
    pending = None
    if os.path.exists(pyproject):
        from .tomlfile import may_hold_tool, read_toml_bytes

        raw = read_toml_bytes(pyproject)
        # Beside a uv.lock the file is uv's to read (the sync never parses [project]): a
        # syntax error in it is said by uv. Elsewhere it is parsed now, so a bad file is one
        # line before any venv is made.
        if may_hold_tool(raw) or not os.path.exists(os.path.join(root, "uv.lock")):
            data = pyproject_data = loads_toml(raw, pyproject)
            requires_python, name = _project_table(data)
        else:
            data = {}
            pending = pyproject  # no [tool] table: [project] is parsed if it is ever needed
        section = data.get("tool", {}).get("venvd") if isinstance(data.get("tool"), dict) else None
        if section is not None:
            tool, warnings = _validate(section, f"{pyproject} [tool.venvd]")
    venvd_toml = os.path.join(root, "venvd.toml")
    if os.path.exists(venvd_toml):
        data = read_toml(venvd_toml)
        # venvd.toml holds the same keys at its top level (or under [tool.venvd]).
        table = data.get("tool", {}).get("venvd", data) if isinstance(data.get("tool"), dict) else data
        more, more_warnings = _validate(table, venvd_toml)
        tool.update(more)
        warnings += more_warnings
    if "lock" in tool and "requirements" in tool:
        raise VenvdError(f"[tool.venvd] has both lock = {tool['lock']!r} and requirements; name one of them")
    return Config(tool, requires_python, name, warnings, _tool_python(root, pyproject_data), pending)


def _project_table(data: dict[str, Any]) -> tuple[Optional[str], Optional[str]]:
    """``[project] requires-python`` and ``name`` (None where absent or not a string)."""
    project = data.get("project")
    if not isinstance(project, dict):
        return None, None
    rp, nm = project.get("requires-python"), project.get("name")
    return (rp if isinstance(rp, str) else None), (nm if isinstance(nm, str) else None)


def _tool_python(root: str, pyproject_data: Optional[dict[str, Any]]) -> Optional[tuple[str, str]]:
    """poetry's python constraint, else Pipfile's (pdm keeps it in [project] requires-python)."""
    # toolpython imports typing (~3 ms): only for a [tool] table or a Pipfile.
    if pyproject_data is not None and "tool" in pyproject_data:
        from . import toolpython

        found = toolpython.from_pyproject(pyproject_data, os.path.join(root, "pyproject.toml"))
        if found is not None:
            return found
    pipfile = os.path.join(root, "Pipfile")
    if os.path.lexists(pipfile):
        from . import toolpython
        from .tomlfile import read_toml

        return toolpython.from_pipfile(read_toml(pipfile), pipfile)
    return None


def _cache_path(cache_dir: str, root: str) -> str:
    from .paths import path_key

    return os.path.join(cache_dir, "config", path_key(root))


def load_config(root: str, cache_dir: Optional[str] = None) -> Config:
    """The settings of the project at *root* (cached while its files are unchanged)."""
    signature = (
        CACHE_FORMAT,
        sys.version_info[:2],  # marshal's format may change between versions
        root,
        _signature(os.path.join(root, "pyproject.toml")),
        _signature(os.path.join(root, "venvd.toml")),
        _signature(os.path.join(root, "Pipfile")),  # its [requires] python takes part in interpreter selection
    )
    if cache_dir is None:
        from .paths import cache_dir as default_cache_dir

        cache_dir = default_cache_dir()
    path = _cache_path(cache_dir, root)
    try:
        from .safeio import LIMIT_SMALL, read_bytes

        cached = marshal.loads(read_bytes(path, LIMIT_SMALL))
        if cached[0] == signature:
            tool, requires_python, name, _warnings, tool_python, pending = cached[1]
            # Warnings were shown when the files were parsed; not again on every cd.
            return Config(tool, requires_python, name, [], tool_python, pending)
    except (OSError, VenvdError, EOFError, ValueError, TypeError, IndexError, KeyError):
        pass  # missing, corrupt or planted (safeio's UnsafeFile) cache: parse again
    config = _parse(root)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        from .safewrite import replace_file

        # A pending [project] stays pending in the cache (reading it here would parse it).
        replace_file(path, marshal.dumps((signature, (config.tool, config._requires_python, config._name,
                                                      config.warnings, config.tool_python, config.pending))))
    except OSError:
        pass  # a cache we cannot write only costs time
    return config

"""Finding the project a directory belongs to: the nearest directory with a marker."""

from __future__ import annotations

import os
# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

from .errors import VenvdError

MARKER_FILES = frozenset({
    ".python-version", ".python-versions", "pyproject.toml", "uv.lock", "venvd.toml",
    "pylock.toml", "poetry.lock", "Pipfile", "Pipfile.lock", "pdm.lock",
    "setup.py",  # a setuptools project without pyproject.toml is still a project (installed as pip would: -e .)
})
VENV_MARKER = ".venv"
# The plain file names a hook tests itself; it handles .python-version (not in $HOME),
# .venv (a directory) and the requirements*.txt / pylock.*.toml patterns on its own.
HOOK_MARKERS = tuple(sorted(MARKER_FILES - {".python-version"}))


def _is_marker(name: str) -> bool:
    return (
        name in MARKER_FILES
        or (name.startswith("requirements") and name.endswith(".txt"))
        or (name.startswith("pylock.") and name.endswith(".toml"))  # PEP 751: pylock.<name>.toml
    )


class Project:
    """A project root, and (for a uv workspace member) the member directory."""

    __slots__ = ("root", "member", "markers")

    def __init__(self, root: str, markers: list[str], member: Optional[str] = None):
        self.root = root
        self.markers = markers  # marker names found in root, sorted
        self.member = member

    @property
    def name(self) -> str:
        return os.path.basename(self.root) or self.root

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Project({self.root!r}, member={self.member!r})"


def _markers_in(directory: str, home: Optional[str]) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []  # unreadable or vanished: no markers here, keep walking up
    found = sorted(n for n in names if _is_marker(n))
    if VENV_MARKER in names and os.path.isdir(os.path.join(directory, VENV_MARKER)):
        found.append(VENV_MARKER)
    if directory == home and found == [".python-version"]:
        # ~/.python-version alone is pyenv's per-user default, not a project.
        return []
    return found


def walk_up(start: str) -> list[str]:
    """*start* and its parents, nearest first (logical paths; symlinks are not resolved)."""
    dirs = []
    current = os.path.normpath(start)
    while True:
        dirs.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            return dirs
        current = parent


def find_project(start: str, home: Optional[str] = None) -> Optional[Project]:
    """The project *start* is in: the nearest directory holding a marker, or None.

    A member of a uv workspace is mapped to the workspace root, whose venv it shares.
    """
    if home is None:
        home = os.environ.get("HOME")
    for directory in walk_up(start):
        markers = _markers_in(directory, home)
        if markers:
            if "pyproject.toml" in markers:
                root = _workspace_root(directory)
                if root is not None:
                    return Project(root, _markers_in(root, home), member=directory)
            return Project(directory, markers)
    return None


def _workspace_root(member: str) -> Optional[str]:
    """The root of the uv workspace that lists *member*, if any."""
    for directory in walk_up(os.path.dirname(member)):
        pyproject = os.path.join(directory, "pyproject.toml")
        try:
            with open(pyproject, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if b"workspace" not in data:  # cheap test before parsing any TOML
            continue
        from .tomlfile import loads_toml

        table = loads_toml(data, pyproject).get("tool", {}).get("uv", {}).get("workspace")
        if not isinstance(table, dict):
            continue
        relative = os.path.relpath(member, directory).replace(os.sep, "/")
        from fnmatch import fnmatch

        members = table.get("members", [])
        excluded = table.get("exclude", [])
        if any(fnmatch(relative, pattern) for pattern in members) and not any(
            fnmatch(relative, pattern) for pattern in excluded
        ):
            return directory
    return None


def current_directory(environ: "os._Environ[str] | dict[str, str]") -> str:
    """The shell's logical $PWD, checked to still exist."""
    pwd = environ.get("PWD") or ""
    try:
        if not pwd or not os.path.samefile(pwd, "."):
            pwd = os.getcwd()
    except OSError:
        try:
            pwd = os.getcwd()
        except OSError:
            raise VenvdError("the current directory no longer exists; cd to another one") from None
    return pwd

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
    """The root of the uv workspace that lists *member*, if any.

    Every parent's pyproject.toml is read, and a parent may belong to someone else (a
    shared /tmp) or come with a clone: one that is not a regular file, too large, not
    TOML or not shaped as uv's ``[tool.uv.workspace]`` is ignored, as uv would not use it
    either, and the first such file is named in one line.
    """
    told = False
    for directory in walk_up(os.path.dirname(member)):
        pyproject = os.path.join(directory, "pyproject.toml")
        try:
            members, excluded = _workspace_table(pyproject)
        except VenvdError as exc:
            if not told:
                told = True
                _say_once(pyproject, f"{exc} (ignored when looking for a uv workspace)")
            continue
        if members is None:
            continue
        relative = os.path.relpath(member, directory).replace(os.sep, "/")
        from fnmatch import fnmatch

        if any(fnmatch(relative, pattern) for pattern in members) and not any(
            fnmatch(relative, pattern) for pattern in excluded
        ):
            return directory
    return None


def _workspace_table(pyproject: str) -> tuple[Optional[list[str]], list[str]]:
    """``members`` and ``exclude`` of *pyproject*'s ``[tool.uv.workspace]``; (None, [])
    when it has none or does not exist. VenvdError when it cannot be used."""
    from .safeio import LIMIT_TEXT, read_bytes

    try:
        data = read_bytes(pyproject, LIMIT_TEXT)
    except OSError:
        return None, []  # missing or unreadable: not a workspace root
    if b"workspace" not in data:  # cheap test before parsing any TOML
        return None, []
    from .tomlfile import loads_toml

    document = loads_toml(data, pyproject)
    table = document.get("tool")
    for key in ("uv", "workspace"):
        if table is None:
            return None, []
        if not isinstance(table, dict):
            break
        table = table.get(key)
    if table is None:
        return None, []
    if isinstance(table, dict):
        members = table.get("members", [])
        excluded = table.get("exclude", [])
        if _strings(members) and _strings(excluded):
            return members, excluded
    raise VenvdError(f"{pyproject}: [tool.uv.workspace] must be a table whose members and exclude "
                     "are lists of strings")


def _say_once(path: str, message: str) -> None:
    """Say *message* about *path* once for each version of the file, not at every prompt of
    every shell under that parent (it may be another user's file the user cannot fix)."""
    from .paths import cache_dir, path_key
    from .safeio import LIMIT_SMALL, read_optional

    try:
        st = os.stat(path)
        version = f"{st.st_dev} {st.st_ino} {st.st_mode} {st.st_size} {st.st_mtime_ns}"
    except OSError:
        version = "unreadable"
    told = f"{path}\0{version}\n".encode("utf-8", "surrogateescape")
    record = os.path.join(cache_dir(), "told", path_key(path))
    try:
        if read_optional(record, LIMIT_SMALL) == told:
            return
    except VenvdError:
        pass  # not a file venvd wrote: say it, and replace it below
    from .ui import say

    say(message)
    try:
        os.makedirs(os.path.dirname(record), exist_ok=True)
        tmp = f"{record}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(told)
        os.replace(tmp, record)
    except OSError:
        pass  # then it is said again next time


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


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

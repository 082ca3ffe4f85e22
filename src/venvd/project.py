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
    """The root of the uv workspace that lists *member*, found as uv finds it, or None.

    uv reads the pyproject.toml of the nearest parent that has one (a regular file; a FIFO,
    a device or a directory by that name is passed over) and no other: that directory is
    the workspace root when its ``[tool.uv.workspace]`` lists the member and does not
    exclude it, and any other pyproject.toml ends the search. venvd follows the same rule,
    so the two never take different roots (``uv_workspace_problem`` checks it again right
    before uv runs).

    A parent may belong to someone else (a shared /tmp) or come with a clone. A parent
    venvd cannot use is not taken as the root: one it cannot read as uv does (not TOML as
    tomllib reads it, not shaped as uv's table, too large; said in one line), or one that
    lists the member while another user can change it. uv is then not run for the project
    at all (installers/uv.py), since uv might take that parent where venvd did not.
    """
    found = nearest_parent_pyproject(member)
    if found is None:
        return None
    directory, pyproject = found
    try:
        listed = lists_member(pyproject, directory, member)
    except VenvdError as exc:
        if not _stops_uv_here(member):
            _say_once(pyproject, f"{exc} (ignored when looking for a uv workspace; no uv command runs for "
                                 f"{_shown(member)} while uv may read it)")
        return None
    if not listed or _stops_uv_here(member):
        return None
    if changeable_by_others(directory, pyproject) is not None:
        # Not said here: it matters when uv would run, and the sync says it then.
        return None
    return directory


def _shown(path: str) -> str:
    from .ui import display_path

    return display_path(path)


def _is_regular(path: str) -> bool:
    """Whether *path* is a regular file, symlinks followed: what uv's ``Path::is_file`` says."""
    import stat

    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def nearest_parent_pyproject(directory: str) -> Optional[tuple[str, str]]:
    """The nearest parent of *directory* (not itself) holding a pyproject.toml that is a
    regular file, and that file: the one uv reads when it looks for a workspace root."""
    for parent in walk_up(directory)[1:]:
        pyproject = os.path.join(parent, "pyproject.toml")
        if _is_regular(pyproject):
            return parent, pyproject
    return None


def _uv_table(pyproject: str, words: tuple[bytes, ...]) -> Optional[dict]:
    """*pyproject*'s ``[tool.uv]`` table, or None when it has none. The file is parsed only
    when it holds one of *words* or a backslash: a quoted key may spell a word with escapes
    (``"w\\u006frkspace"``), and bare or literal keys are their bytes. VenvdError when it
    cannot be read, is not TOML, or ``tool``/``tool.uv`` is not a table (uv fails on it)."""
    from .safeio import LIMIT_TEXT, read_bytes

    try:
        data = read_bytes(pyproject, LIMIT_TEXT)  # UnsafeFile (a VenvdError) when too large
    except OSError as exc:
        raise VenvdError(f"cannot read {pyproject}: {exc.strerror or exc}") from None
    if b"\\" not in data and not any(word in data for word in words):  # cheap test before any TOML
        return None
    from .tomlfile import loads_toml

    document = loads_toml(data, pyproject)
    table = document
    for key in ("tool", "uv"):
        table = table.get(key)
        if table is None:
            return None
        if not isinstance(table, dict):
            raise VenvdError(f"{pyproject}: [tool] and [tool.uv] must be tables")
    return table


def _workspace_table(pyproject: str) -> tuple[Optional[list[str]], list[str]]:
    """``members`` and ``exclude`` of *pyproject*'s ``[tool.uv.workspace]``; (None, [])
    when it has none. VenvdError when it cannot be read or used (uv fails on it too)."""
    uv = _uv_table(pyproject, (b"workspace",))
    table = None if uv is None else uv.get("workspace")
    if table is None:
        return None, []
    if isinstance(table, dict):
        members = table.get("members", [])
        excluded = table.get("exclude", [])
        if _strings(members) and _strings(excluded):
            return members, excluded
    raise VenvdError(f"{pyproject}: [tool.uv.workspace] must be a table whose members and exclude "
                     "are lists of strings")


def lists_member(pyproject: str, directory: str, member: str) -> bool:
    """Whether the ``[tool.uv.workspace]`` of *pyproject* (in *directory*) takes *member*."""
    members, excluded = _workspace_table(pyproject)
    if members is None:
        return False
    relative = os.path.relpath(member, directory).replace(os.sep, "/")
    return any(_glob_matches(pattern, relative, directory) for pattern in members) and not any(
        _pattern_matches(pattern, relative, directory) for pattern in excluded)


def _normal_pattern(pattern: str, root: str) -> str:
    """*pattern* as uv takes it: ``.``, ``..``, doubled and trailing slashes resolved, an
    absolute one made relative to the workspace *root*."""
    import posixpath

    pattern = pattern.replace(os.sep, "/")
    if pattern.startswith("/"):
        pattern = posixpath.relpath(posixpath.normpath(pattern), root.replace(os.sep, "/"))
    return posixpath.normpath(pattern)


def _pattern_matches(pattern: str, relative: str, root: str) -> bool:
    """uv's test of an ``exclude`` pattern (uv 0.13): the path against the whole pattern,
    where ``*`` and ``?`` match ``/`` too (``exclude = ["*"]`` excludes ``a/proj``)."""
    from fnmatch import fnmatchcase

    return fnmatchcase(relative, _normal_pattern(pattern, root))


def _glob_matches(pattern: str, relative: str, root: str) -> bool:
    """uv's test of a ``members`` pattern (uv 0.13): whether globbing it from the workspace
    *root* finds the directory *relative*, one path component at a time (``*`` stays
    within one, ``**`` spans any number, case matters)."""
    from fnmatch import fnmatchcase

    parts = [p for p in _normal_pattern(pattern, root).split("/") if p not in ("", ".")]
    names = [n for n in relative.split("/") if n not in ("", ".")]

    def match(i: int, j: int) -> bool:
        if i == len(parts):
            return j == len(names)
        if parts[i] == "**":
            return any(match(i + 1, k) for k in range(j, len(names) + 1))
        return j < len(names) and fnmatchcase(names[j], parts[i]) and match(i + 1, j + 1)

    return match(0, 0)


def _stops_uv_here(project: str) -> bool:
    """Whether uv looks no further than *project*'s own pyproject.toml: it declares its own
    ``[tool.uv.workspace]`` (it is a root) or ``managed = false``. A file venvd cannot read
    is not taken to stop uv."""
    try:
        uv = _uv_table(os.path.join(project, "pyproject.toml"), (b"workspace", b"managed"))
    except VenvdError:
        return False
    return uv is not None and ("workspace" in uv or uv.get("managed") is False)


def changeable_by_others(directory: str, path: str) -> Optional[str]:
    """Why another user could change the file at *path* (in *directory*) before uv reads it
    (``"owned by mallory, not by you"``), or None. The file must pass the owner and mode
    check, and so must its directory, unless that directory is sticky (/tmp) and the file
    the user's or root's own, which no one else can then replace. A symlink's target and
    its directory are checked too."""
    import stat

    from .ownership import problem

    try:
        why = problem(path)  # the file uv would read (symlinks followed)
        if why is not None:
            return why
        places = [(directory, os.lstat(path))]
        real = os.path.realpath(path)
        if real != path:
            places.append((os.path.dirname(real), os.stat(real)))
        for place, st in places:
            why = problem(place)
            if why is None:
                continue
            sticky = os.stat(place).st_mode & stat.S_ISVTX
            if not (sticky and st.st_uid in (0, os.geteuid())):  # (POSIX only: problem() is None elsewhere)
                return f"in {_shown(place)}, which is {why}"
    except OSError as exc:
        return f"not checkable ({exc.strerror or exc})"
    return None


def uv_workspace_problem(root: str, needs_pyproject: bool) -> Optional[str]:
    """Why uv, run in *root* to sync it, could take another directory than *root* as its
    project or workspace root, or None when it cannot.

    uv offers no option to keep it from looking in the parents (``--no-config`` stops the
    config search, not this one), so venvd checks, right before each uv command, what
    uv will find there: it runs in the real directory (its working directory is the real
    path, whatever path the shell took), reads the project's own pyproject.toml, and
    unless that declares its own workspace or ``managed = false``, the nearest parent's
    pyproject.toml. That parent file must then be one venvd reads as uv does, that does not
    list the project, and that no other user can change. *needs_pyproject*: the command
    looks for a project (``uv sync``), which without a pyproject.toml in *root* is the
    nearest parent's.
    """
    real = os.path.realpath(root)
    own = os.path.join(real, "pyproject.toml")
    if not _is_regular(own):
        if needs_pyproject:
            return (f"{_shown(root)} has no pyproject.toml, so uv would take the project of the nearest "
                    "parent directory that has one")
        return None  # nothing there for uv to discover a workspace from
    if _stops_uv_here(real):
        return None
    found = nearest_parent_pyproject(real)
    if found is None:
        return None
    directory, pyproject = found
    why = changeable_by_others(directory, pyproject)
    if why is not None:
        return f"uv would look for its workspace in {_shown(pyproject)}, which is {why}"
    try:
        listed = lists_member(pyproject, directory, real)
    except VenvdError as exc:
        return (f"uv would look for its workspace in {_shown(pyproject)}, and venvd cannot tell what uv makes "
                f"of it ({exc})")
    if listed:
        return (f"{_shown(pyproject)} lists {_shown(real)} in its uv workspace, so uv would take "
                f"{_shown(directory)} as the root, not the project venvd syncs")
    return None


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
        from .safewrite import replace_file

        replace_file(record, told)
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

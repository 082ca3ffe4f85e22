"""What the hook needs to enter (and leave) a ready project again with builtins alone.

``venvd export`` decides; when its decision for a project was plain (a trusted project,
its venv ready and synced, nothing said), it hands the hook the facts of that activation
as one flat list (``_VENVD_ENTRY``). The hook files it under the project's root, in shell
variables of that shell only, and the next time $PWD's nearest marker directory is that
root it applies the activation itself, if every path the decision read still has its
stamp (``watch.py``) and every environment variable it read still has its value. The
undo of the activation in force (``_VENVD_UNDO``) is the record's saved values, so
leaving is builtins too. Anything else goes to the core.

Kept in the shell, not in a file: no file is read per cd, nothing is written that another
process could plant, and the values of the variables compared (which may be secrets) are
never stored. A new shell's first entry runs ``venvd export`` once.

Both lists are flat so every shell's plain list assignment can carry them:

``_VENVD_ENTRY``: root, venv, bin dir, prompt, pipless ("1" or ""), the record's head
(its fields before the saved values, encoded), the newest stamp, the stamp of "no
project", N, N triples (variable, "1" set / "0" unset, value), M, M paths, M stamps.
Just ``[root]``: forget what is filed under root. ``[]``: nothing to file.

``_VENVD_UNDO``: the record in ``VENVD_DIFF``, venv, bin dir, then (variable, "1"/"0",
value) for each saved variable in the record's order.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping, Optional

    from .envdiff import Record, Target
    from .project import Project
    from .watch import Watch

# Outcomes of the sync step after which entering again changes nothing and says nothing.
PLAIN_OUTCOMES = ("nothing", "unchanged", "off")
# Variables the decision for a ready project reads besides the files it watches: the venv's
# place, the installer, the installer config files' places, ~/.python-version's meaning.
READ_VARIABLES = ("HOME", "UV_PROJECT_ENVIRONMENT", "VENVD_INSTALLER", "VENVD_DAEMON", "XDG_CONFIG_HOME",
                  "XDG_CONFIG_DIRS", "UV_CONFIG_FILE", "UV_NO_CONFIG", "PIP_CONFIG_FILE")


def undo_state(record: Optional[Record], diff: str) -> list[str]:
    """``_VENVD_UNDO`` for the record *diff* encodes (``[]`` for none)."""
    if record is None:
        return []
    out = [diff, record.venv, record.bindir]
    for name, value in sorted(record.saved.items()):
        out += [name, "0", ""] if value is None else [name, "1", value]
    return out


def entry_state(project: Project, target: Target, watch: Watch, pwd_walk: list[str], environ: Mapping[str, str],
                stamp_dir: str) -> list[str]:
    """``_VENVD_ENTRY`` for a plain activation of *project* (``[root]`` when one cannot be
    cached: the hook forgets what it had for it)."""
    from .envdiff import Record
    from .venv import STATE_DIR, python_path

    variables = _memo_variables(target.venv)
    if variables is None or not owned_by_user(project.root, target.bindir):
        return [project.root]
    from .watch import Watch

    cached = Watch()
    # The directories between $PWD and the root are the hook's own walk (_VENVD_CHAIN):
    # another $PWD inside the project walks others.
    below = set(pwd_walk) - {project.root}
    for path in watch.paths:
        if path not in below:
            if watch.is_own(path):
                cached.add_own(path)
            else:
                cached.add(path)
    cached.take_mtimes(watch)
    # What resolve_target tests for a ready venv, beyond the watched files: venvd's marker
    # (in the records directory), the bin dir (its python; pip there or not) and the
    # interpreter its python names (a symlink changed in bin moves bin's mtime).
    for path in (os.path.join(target.venv, STATE_DIR), target.bindir):
        cached.add_own(path)
    try:
        cached.add(os.path.realpath(python_path(target.venv)))
    except OSError:
        return [project.root]
    if "pyproject.toml" in project.markers:
        # A parent's pyproject.toml that lists this project as a uv workspace member
        # makes it that workspace's (project.find_project).
        parent = os.path.dirname(project.root)
        while True:
            cached.add(os.path.join(parent, "pyproject.toml"))
            up = os.path.dirname(parent)
            if up == parent:
                break
            parent = up
    newest = cached.stamp(stamp_dir)
    nowhere = Watch().stamp(stamp_dir)  # the stamp of no watched path: outside any project
    names = list(READ_VARIABLES) + [name for name in variables if name not in READ_VARIABLES]
    out = [project.root, target.venv, target.bindir, target.prompt, "1" if target.pipless else "",
           Record(target.project, target.venv, target.bindir, {}).encode(), newest, nowhere, str(len(names))]
    for name in names:
        value = environ.get(name)
        out += [name, "0", ""] if value is None else [name, "1", value]
    out.append(str(len(cached.paths)))
    return out + cached.paths + cached.stamps


def owned_by_user(root: str, bindir: str) -> bool:
    """Whether every directory from *root* down to the venv's *bindir* is owned by this
    user and passes the core's owner/mode check (ownership.py). Only such a project is
    cached: the hook re-checks the owner of the root, the venv and its bin with ``-O`` at
    every entry (so a directory another user put in their place goes to the core), and a
    new shell gets only the saved entries that still pass (``saved``). A mode change
    (``chmod o+w``) is a ctime change no shell builtin sees: a shell that cached the
    project before it is corrected when anything the entry watches changes, a new shell at
    once."""
    from .ownership import chain, problem

    if not hasattr(os, "geteuid"):
        return True
    try:
        for directory in chain(root, bindir):
            st = os.stat(directory)
            if st.st_uid != os.geteuid() or problem(directory, st) is not None:
                return False
    except OSError:
        return False
    return True


def _memo_variables(venv: str) -> "Optional[tuple[str, ...]]":
    """The variables the sync's inputs use (``${VARS}``, uv's selection variables), as the
    fingerprint's memo names them; ``()`` without a memo (nothing to sync), None when it
    cannot be read."""
    import marshal

    from .safeio import LIMIT_SMALL, UnsafeFile, read_bytes
    from .sync.fingerprint import memo_path

    try:
        memo = marshal.loads(read_bytes(memo_path(venv), LIMIT_SMALL))
        variables = memo[5]
    except FileNotFoundError:
        return ()
    except (OSError, UnsafeFile, EOFError, ValueError, TypeError, IndexError):
        return None
    if not isinstance(variables, tuple) or not all(isinstance(v, str) for v in variables):
        return None
    return variables


# -- kept for new shells ---------------------------------------------------------------------
# A new shell has no entries in memory; ``venvd hook`` (which runs once as the shell starts)
# hands it the ones the core saved here, so its first cd into a known project is builtins
# too. Only entries whose inputs use no environment variables of their own are saved
# (``${VARS}`` values may be secrets, and an entry holds the values it compares); each
# one is still checked against its stamps and values when used.
ENTRIES_DIR = "activations"
KEEP_ENTRIES = 64  # the most recently saved; the hook text grows with each


def save(entry: list[str], cache: str) -> None:
    """Write *entry* (``entry_state``'s) atomically under *cache*, once per change."""
    import marshal
    import zlib

    if len(entry) < 10 or entry[8] != str(len(READ_VARIABLES)):
        return  # the inputs name variables of their own: their values are not written down
    try:
        for text in entry:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return  # a name the hook text (UTF-8) cannot carry
    directory = os.path.join(cache, ENTRIES_DIR)
    root = entry[0].encode("utf-8")
    path = os.path.join(directory, f"{zlib.crc32(root):08x}-{len(root)}")
    data = marshal.dumps(tuple(entry))
    from .errors import VenvdError
    from .safeio import LIMIT_SMALL, read_optional

    try:
        if read_optional(path, LIMIT_SMALL) == data:
            return
    except VenvdError:  # not a regular file, or too large: replaced
        pass
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        from .safewrite import replace_file

        replace_file(path, data)
    except OSError:
        pass  # a cache: the next export tries again


def saved(cache: str) -> list[list[str]]:
    """The saved entries, newest first, at most ``KEEP_ENTRIES`` (older ones are removed)."""
    import marshal

    from .errors import VenvdError
    from .safeio import LIMIT_SMALL, read_bytes

    directory = os.path.join(cache, ENTRIES_DIR)
    try:
        names = [n for n in os.listdir(directory) if not n.endswith(".tmp")]
    except OSError:
        return []
    dated = []
    for name in names:
        path = os.path.join(directory, name)
        try:
            dated.append((os.stat(path).st_mtime_ns, path))
        except OSError:
            pass
    dated.sort(reverse=True)
    out = []
    for number, (_mtime, path) in enumerate(dated):
        if number >= KEEP_ENTRIES:
            try:
                os.unlink(path)
            except OSError:
                pass
            continue
        try:
            entry = marshal.loads(read_bytes(path, LIMIT_SMALL))
        except (OSError, VenvdError, EOFError, ValueError, TypeError):
            continue
        if isinstance(entry, tuple) and len(entry) > 9 and all(isinstance(t, str) for t in entry) \
                and owned_by_user(entry[0], entry[2]):
            out.append(list(entry))
    return out

"""New projects under the trusted trees (trees.py), found so the daemon can prepare
their venvs before the first ``cd`` (issue 11 point 3).

The daemon watches each trusted tree's directories down to ``DEPTH`` levels below its
root (not recursively: a tree of many repositories would need a watch per directory of
every one). It skips ``.git``, ``node_modules``, venvs and other hidden directories, and
does not descend into a project (a directory holding a project file): the project's own
directory is watched, which is where a clone or ``uv init`` writes the files that make
it a project. At most ``MAX_DIRS`` directories in all.
"""

from __future__ import annotations

import os
import time
from typing import Callable, Optional

DEPTH = 3
MAX_DIRS = 4096
SKIP = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox", "site-packages"}
# What makes a directory a project to prepare (project.py knows more kinds; these are
# the ones a clone or `uv init` brings).
MARKERS = ("pyproject.toml", "uv.lock", ".python-version", "requirements.txt", "pylock.toml", "poetry.lock",
           "Pipfile.lock", "venvd.toml")
QUIET = 1.0  # seconds with no write in the project before it is prepared
BUSY = (".git/index.lock", ".git/shallow.lock", ".git/HEAD.lock", ".git/config.lock")
SETTLE_BOUND = 900.0  # a clone still writing after this long is prepared anyway


def is_project_dir(path: str) -> bool:
    return any(os.path.isfile(os.path.join(path, name)) for name in MARKERS)


def scan(trees: "list[str]") -> "tuple[list[str], list[str]]":
    """(the directories to watch, the project directories among them) under *trees*."""
    dirs: list[str] = []
    projects: list[str] = []
    for tree in trees:
        level = [tree]
        for depth in range(DEPTH + 1):
            below: list[str] = []
            for directory in level:
                if len(dirs) >= MAX_DIRS:
                    return dirs, projects
                dirs.append(directory)
                if depth and is_project_dir(directory):
                    projects.append(directory)
                    continue  # its own files are watched; its subdirectories are its business
                if depth == DEPTH:
                    continue
                try:
                    with os.scandir(directory) as entries:
                        below += sorted(e.path for e in entries if e.is_dir(follow_symlinks=False)
                                        and e.name not in SKIP and not e.name.startswith("."))
                except OSError:
                    continue
            level = below
    return dirs, projects


def _signature(root: str) -> tuple:
    """What a writer still at work changes: the project's entries, its .git and index."""
    found = []
    for path in (root, os.path.join(root, ".git"), os.path.join(root, ".git", "index")):
        try:
            st = os.stat(path)
            found.append((path, st.st_mtime_ns, st.st_size))
        except OSError:
            found.append((path, None, None))
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                    found.append((entry.name, st.st_mtime_ns, st.st_size))
                except OSError:
                    pass
    except OSError:
        pass
    return tuple(sorted(found, key=repr))


def wait_settled(root: str, quiet: float = QUIET, bound: float = SETTLE_BOUND,
                 sleep: Callable[[float], None] = time.sleep, wanted: Callable[[], bool] = lambda: True) -> bool:
    """Wait until nothing in *root* changed for *quiet* seconds and git holds no lock
    there (a clone writes for a while); False when *root* is gone meanwhile, or no
    longer *wanted*."""
    deadline = time.monotonic() + bound
    last: Optional[tuple] = None
    since = time.monotonic()
    while time.monotonic() < deadline:
        if not os.path.isdir(root) or not wanted():
            return False
        now = _signature(root)
        busy = any(os.path.lexists(os.path.join(root, lock)) for lock in BUSY)
        if now != last or busy:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return True
        sleep(0.2)
    return os.path.isdir(root)

"""Which projects the user allowed: a store in the user's data dir, never in a project.

Keyed by the project's real path, one escaped path a line, in two files:
``allowed`` and ``denied`` (denied projects are not even announced). Read on every
directory change, so reading is a single small file read; writes take a lock and
replace the file atomically.
"""

from __future__ import annotations

import os
# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

from .pathlist import read_paths, write_paths
from .paths import data_dir

ALLOWED = "allowed"
DENIED = "denied"


def store_file(name: str, directory: Optional[str] = None) -> str:
    return os.path.join(directory or data_dir(), name)


def _read(name: str, directory: Optional[str] = None) -> set[str]:
    return set(read_paths(store_file(name, directory)))


def trust_key(project_root: str) -> str:
    return os.path.realpath(project_root)


def status(project_root: str, directory: Optional[str] = None) -> str:
    """``"allowed"``, ``"denied"`` or ``"unknown"`` for the project at *project_root*."""
    key = trust_key(project_root)
    if key in _read(ALLOWED, directory):
        return "allowed"
    if key in _read(DENIED, directory):
        return "denied"
    return "unknown"


def is_allowed(project_root: str, directory: Optional[str] = None) -> bool:
    return trust_key(project_root) in _read(ALLOWED, directory)


def _write(name: str, entries: set[str], directory: str) -> None:
    write_paths(store_file(name, directory), sorted(entries))


def set_status(project_root: str, allowed: bool, directory: Optional[str] = None) -> str:
    """Allow or deny *project_root*; returns the key (real path) that was stored."""
    from .locking import FileLock

    directory = directory or data_dir()
    os.makedirs(directory, exist_ok=True)
    key = trust_key(project_root)
    with FileLock(os.path.join(directory, "trust.lock")):
        allow, deny = _read(ALLOWED, directory), _read(DENIED, directory)
        (allow.add if allowed else allow.discard)(key)
        (deny.discard if allowed else deny.add)(key)
        # Denied first: a reader that sees the new `allowed` file must not still
        # find the project in `denied`.
        _write(DENIED, deny, directory)
        _write(ALLOWED, allow, directory)
    return key


def allowed_projects(directory: Optional[str] = None) -> list[str]:
    return sorted(_read(ALLOWED, directory))


def denied_projects(directory: Optional[str] = None) -> list[str]:
    return sorted(_read(DENIED, directory))


def forget(keys: "set[str]", directory: Optional[str] = None) -> None:
    """Drop the entries stored for *keys* (real paths) from both lists: `venvd prune`."""
    from .locking import FileLock

    directory = directory or data_dir()
    if not os.path.isdir(directory):
        return
    with FileLock(os.path.join(directory, "trust.lock")):
        for name in (DENIED, ALLOWED):
            entries = _read(name, directory)
            if entries & keys:
                _write(name, entries - keys, directory)

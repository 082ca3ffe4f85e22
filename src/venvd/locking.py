"""One writer per venv: creation and sync take an exclusive file lock.

filelock costs ~30 ms to import, so it is only imported when something is written.
"""

from __future__ import annotations

import os
from typing import Any

from .paths import path_key, state_dir


def FileLock(path: str, timeout: float = -1) -> Any:  # noqa: N802 - reads like the class it returns
    import filelock

    return filelock.FileLock(path, timeout=timeout)


def venv_lock_path(venv: str) -> str:
    """The lock file of *venv*: outside the venv, which may be replaced while locked.
    Keyed by the real path, so a project reached through a symlink and through its real
    path has one lock, and one writer."""
    directory = os.path.join(state_dir(), "locks")
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, f"{path_key(os.path.realpath(venv))}.lock")

"""One writer per venv: creation and sync take an exclusive file lock.

filelock costs ~30 ms to import, so it is only imported when something is written.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

from .paths import state_dir


def FileLock(path: str, timeout: float = -1) -> Any:  # noqa: N802 - reads like the class it returns
    import filelock

    return filelock.FileLock(path, timeout=timeout)


def venv_lock_path(venv: str) -> str:
    """The lock file of *venv*: outside the venv, which may be replaced while locked."""
    # crc32 and length name the file (hashlib would load OpenSSL, ~3 ms); a collision
    # would only make two venvs share a lock, never break one.
    key = os.path.abspath(venv).encode("utf-8", "surrogateescape")
    directory = os.path.join(state_dir(), "locks")
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, f"{zlib.crc32(key):08x}-{len(key)}.lock")

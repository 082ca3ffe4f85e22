"""Which projects the user allowed: a store in the user's data dir, never in a project.

Two files, ``allowed`` and ``denied`` (denied projects are not even announced), in the
path-list format (``pathlist``). An allowed entry is the project's real path and what
identifies the directory that was allowed: its device, inode and owner uid. An entry
whose directory is gone, was replaced (another inode: deleted and made again, by anyone)
or changed owner is not trust, and neither is an entry written by a venvd that did not
store identities: the user is told once to run ``venvd allow`` again.

Read on every directory change, so ``status`` is one small file read and a stat of the
project (plus stats of the store, which must not be writable by others). Writes take a
lock and replace the file atomically.
"""

from __future__ import annotations

import os
# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

from .errors import VenvdError
from .pathlist import read_entries, write_entries
from .paths import data_dir

ALLOWED = "allowed"
DENIED = "denied"
CHANGED = "changed"  # allowed once, but not this directory (or an entry without identity)


class TrustStoreError(VenvdError):
    """The store cannot be read or is not safe to believe: nothing is trusted."""


def store_file(name: str, directory: Optional[str] = None) -> str:
    return os.path.join(directory or data_dir(), name)


def _read(name: str, directory: Optional[str] = None) -> "dict[str, list[str]]":
    from .ownership import Refused, check
    from .safeio import UnsafeFile

    path = store_file(name, directory)
    try:
        entries = read_entries(path)
        if entries:
            # Whoever can write the store decides what runs as the user.
            check(os.path.dirname(path), "the trust store's directory")
            check(path, "the trust store")
        return entries
    except Refused as exc:
        raise TrustStoreError(f"{exc}; nothing is allowed until then") from None
    except UnsafeFile as exc:
        raise TrustStoreError(f"the trust store {exc}; remove it and 'venvd allow' your projects again") from None
    except OSError as exc:
        raise TrustStoreError(f"cannot read the trust store {path}: {exc.strerror}; nothing is allowed "
                              "until it can be read") from None


def trust_key(project_root: str) -> str:
    return os.path.realpath(project_root)


def identity(path: str) -> list[str]:
    """What identifies the directory at *path*: device, inode, owner uid (as text)."""
    st = os.stat(path)
    return [str(st.st_dev), str(st.st_ino), str(st.st_uid)]


def _same_directory(key: str, fields: list[str]) -> bool:
    try:
        return len(fields) >= 3 and identity(key) == fields[:3]
    except OSError:
        return False  # gone: not trust


def status(project_root: str, directory: Optional[str] = None) -> str:
    """``"allowed"``, ``"changed"`` (an entry, but not for this directory), ``"denied"``
    or ``"unknown"`` for the project at *project_root*. Raises TrustStoreError when the
    store cannot be read or could have been written by another user."""
    key = trust_key(project_root)
    fields = _read(ALLOWED, directory).get(key)
    if fields is not None:
        return ALLOWED if _same_directory(key, fields) else CHANGED
    if key in _read(DENIED, directory):
        return DENIED
    return "unknown"


def refusal(project_root: str) -> str:
    """The line for a project whose trust entry is ``"changed"``."""
    from .ui import display_path

    shown = display_path(project_root)
    return (f"{shown} is not the directory you allowed (it was removed and made again, or its owner "
            f"changed, or it was allowed by an older venvd); nothing runs for it. If you trust it, "
            f"run 'venvd allow {shown}' again")


def is_allowed(project_root: str, directory: Optional[str] = None) -> bool:
    try:
        return status(project_root, directory) == ALLOWED
    except VenvdError:
        return False


def set_status(project_root: str, allowed: bool, directory: Optional[str] = None) -> str:
    """Allow or deny *project_root*; returns the key (real path) that was stored."""
    from .locking import FileLock

    directory = directory or data_dir()
    os.makedirs(directory, exist_ok=True)
    key = trust_key(project_root)
    with FileLock(os.path.join(directory, "trust.lock")):
        allow, deny = _read(ALLOWED, directory), _read(DENIED, directory)
        if allowed:
            allow[key] = identity(key)
            deny.pop(key, None)
        else:
            allow.pop(key, None)
            deny[key] = []
        # Denied first: a reader that sees the new `allowed` file must not still
        # find the project in `denied`.
        write_entries(store_file(DENIED, directory), dict(sorted(deny.items())))
        write_entries(store_file(ALLOWED, directory), dict(sorted(allow.items())))
    return key


def allowed_projects(directory: Optional[str] = None) -> list[str]:
    return sorted(_read(ALLOWED, directory))


def denied_projects(directory: Optional[str] = None) -> list[str]:
    return sorted(_read(DENIED, directory))


def forget(keys: "set[str]", directory: Optional[str] = None) -> None:
    """Drop the entries stored for *keys* (real paths) from both lists: `venvd prune`."""
    from .locking import FileLock

    directory = directory or data_dir()
    if not keys or not os.path.isdir(directory):
        return
    with FileLock(os.path.join(directory, "trust.lock")):
        for name in (DENIED, ALLOWED):
            entries = _read(name, directory)
            if keys & set(entries):
                write_entries(store_file(name, directory),
                              {k: v for k, v in sorted(entries.items()) if k not in keys})

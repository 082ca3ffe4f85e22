"""Which projects the user allowed: a store in the user's data dir, never in a project.

Two files, ``allowed`` and ``denied`` (denied projects are not even announced), in the
path-list format (``pathlist``). An allowed entry is the project's real path and what
identifies the directory that was allowed: its device, inode and owner uid. An entry
whose directory is gone, was replaced (another inode: deleted and made again, by anyone)
or changed owner is not trust, and neither is an entry written by a venvd that did not
store identities: the user is told once to run ``venvd allow`` again.

A project not in the list may still be allowed: it is the allowed directory moved, or a
``git worktree`` of an allowed repository (``decide``, repoidentity.py), or it is under a
trusted tree of the user config (trees.py). ``venvd deny`` wins over all of these.

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


def _store_parents(store_dir: str) -> "list[str]":
    """*store_dir*, and its parents up to the home directory when it is inside it."""
    dirs = [store_dir]
    home = os.environ.get("HOME", "").rstrip(os.sep)
    if home and store_dir.startswith(home + os.sep):
        current = store_dir
        while current != home:
            current = os.path.dirname(current)
            dirs.append(current)
    return dirs


def _read(name: str, directory: Optional[str] = None) -> "dict[str, list[str]]":
    from .ownership import Refused, check
    from .safeio import UnsafeFile

    path = store_file(name, directory)
    try:
        entries = read_entries(path)
        if entries:
            # Whoever can write the store decides what runs as the user: the file, its
            # directory and (as ssh checks ~/.ssh's parents) each parent up to $HOME.
            for parent in _store_parents(os.path.dirname(path)):
                check(parent, "the trust store's directory")
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
    store cannot be read or could have been written by another user (and VenvdError,
    one line, when a trusted tree holds it but another user could have put it there)."""
    return decide(project_root, directory)[0]


def decide(project_root: str, directory: Optional[str] = None) -> "tuple[str, str]":
    """``status`` and where an ``"allowed"`` came from: ``""`` (its own entry),
    ``"moved:<old path>"`` (the allowed directory, moved), ``"worktree:<path>"`` (a
    checkout of the repository allowed at <path>) or ``"tree:<tree>"`` (trees.py).
    The order says what wins: its own entry, then ``venvd deny``, then the others."""
    key = trust_key(project_root)
    allowed = _read(ALLOWED, directory)
    fields = allowed.get(key)
    if fields is not None and _same_directory(key, fields):
        return ALLOWED, ""
    if fields is None and key in _read(DENIED, directory):
        return DENIED, ""
    how = _followed(key, allowed)
    if how:
        return ALLOWED, how
    from .trees import tree_of

    tree = tree_of(key)
    if tree is not None:
        return ALLOWED, f"tree:{tree}"
    return (CHANGED if fields is not None else "unknown"), ""


XATTR = "user.venvd-trust"  # the token that tells a moved directory from a new one


def dir_token(path: str, create: bool = False) -> "Optional[str]":
    """The random token venvd put on the directory at *path* as an extended attribute
    when it was allowed (*create*: put one there now). It moves with the directory
    (``mv`` keeps the inode and its attributes) and a directory made later with the
    freed inode number has none: an inode number alone is reused at once (ext4). None
    where extended attributes are not supported: then trust stays with the path."""
    try:
        return os.getxattr(path, XATTR).decode("ascii", "replace")
    except (OSError, AttributeError):
        pass
    if not create:
        return None
    token = os.urandom(16).hex()
    try:
        os.setxattr(path, XATTR, token.encode("ascii"))
    except (OSError, AttributeError):
        return None
    return token


def _extras(fields: "list[str]") -> "dict[str, list[str]]":
    """The tagged groups after device, inode and owner: ``git`` (repoidentity, 5 fields)
    and ``x`` (dir_token, 1 field)."""
    found: "dict[str, list[str]]" = {}
    i = 3
    while i < len(fields):
        size = {"git": 5, "x": 1}.get(fields[i])
        if size is None or i + 1 + size > len(fields):
            break
        found[fields[i]] = fields[i + 1:i + 1 + size]
        i += 1 + size
    return found


def _followed(key: str, allowed: "dict[str, list[str]]") -> str:
    """Trust that follows the moved directory or the repository (repoidentity.py): the
    entry of another path whose directory is this one (same device, inode and owner, and
    the token the entry recorded: on the directory, or in its repository), or whose
    repository is this one's, at the same place in the checkout (a ``git worktree``),
    with the same owner."""
    try:
        mine = identity(key)
    except OSError:
        return ""
    repo: "Optional[list[str]]" = None
    looked = False
    for other, fields in allowed.items():
        if other == key or len(fields) < 3:
            continue
        extras = _extras(fields)
        stored = extras.get("git")
        if stored is None and fields[:3] != mine:
            continue
        if stored is not None and not looked:
            from .repoidentity import repo_identity

            repo, looked = repo_identity(key), True
        if fields[:3] == mine:
            token = extras.get("x")
            if (token is not None and dir_token(key) == token[0]) or (stored is not None and repo == stored):
                return f"moved:{other}"
        elif stored is not None and repo == stored and fields[2] == mine[2]:
            return f"worktree:{other}"
    return ""


def source_text(how: str) -> str:
    """*how* from ``decide`` for a person: ``"a worktree of ~/src/app"``."""
    from .ui import display_path

    kind, _, where = how.partition(":")
    if kind == "tree":
        return f"under the trusted tree {display_path(where)}"
    if kind == "worktree":
        return f"a checkout of the repository allowed at {display_path(where)}"
    if kind == "moved":
        return f"the directory allowed at {display_path(where)}, moved"
    return "allowed"


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
            from .repoidentity import repo_identity

            repo = repo_identity(key, create=True)
            token = dir_token(key, create=True)
            allow[key] = identity(key) + (["git", *repo] if repo else []) + (["x", token] if token else [])
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

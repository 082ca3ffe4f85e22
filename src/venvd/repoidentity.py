"""Which git repository a project is in, as an identity that survives ``git worktree add``
and ``mv`` but not ``git clone``: the git common dir's device, inode and owner.

A repository's checkouts share one common dir: the main checkout's ``.git`` directory. A
worktree's ``.git`` is a file, ``gitdir: <main>/.git/worktrees/<name>``, and that
directory's ``commondir`` names the main ``.git``. A clone has a ``.git`` of its own (a
new inode), so it is another repository. A ``.git`` file is believed only when the
worktree entry it names points back at it (``<entry>/gitdir`` is this ``.git``): a
``.git`` file planted in a hostile clone, naming the victim's real repository, does not
borrow its identity. Files are read with safeio; ``git`` itself never runs here (this is
on the cd path, for a project not in the allowed list).

An inode number is handed out again once freed (ext4 at once: ``rm -rf .git && git
init`` gets the same one), so the identity also holds a random token venvd writes into
the common dir when the project is allowed (``TOKEN_FILE``; git ignores files it does not
know there, and a clone does not copy it): a new repository that took the freed inode
has no token, or another one.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

MAX_UP = 40  # levels walked up looking for .git
TOKEN_FILE = "venvd-trust-id"


def _read_line(path: str) -> "Optional[str]":
    from .errors import VenvdError
    from .safeio import LIMIT_SMALL, read_bytes

    try:
        text = read_bytes(path, LIMIT_SMALL).decode("utf-8", "surrogateescape")
    except (OSError, VenvdError):
        return None
    return text.strip() or None


def _common_dir(top: str) -> "Optional[str]":
    """The git common dir of the checkout whose top is *top* (it holds ``.git``), or None
    when ``.git`` is neither a directory nor a worktree file that is listed back."""
    import stat

    dotgit = os.path.join(top, ".git")
    try:
        st = os.lstat(dotgit)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return dotgit
    if not stat.S_ISREG(st.st_mode):
        return None
    line = _read_line(dotgit)
    if line is None or not line.startswith("gitdir:"):
        return None
    entry = os.path.realpath(os.path.join(top, line[len("gitdir:"):].strip()))
    back = _read_line(os.path.join(entry, "gitdir"))
    common = _read_line(os.path.join(entry, "commondir"))
    if back is None or common is None:
        return None  # not a worktree entry (a submodule, --separate-git-dir): no identity
    if os.path.realpath(os.path.join(entry, back)) != os.path.realpath(dotgit):
        return None  # the entry belongs to another checkout: a planted .git file
    common_dir = os.path.realpath(os.path.join(entry, common))
    if os.path.dirname(os.path.dirname(entry)) != common_dir:
        return None  # entries live in <common>/worktrees/<name>
    return common_dir


def repo_identity(real_root: str, create: bool = False) -> "Optional[list[str]]":
    """``[dev, ino, uid, token, relpath-hex]`` of the repository holding *real_root* (a
    real path): its common dir's identity and token, and where the project sits in its
    checkout; None outside a git checkout, when the common dir is not safely the user's,
    or when it has no token (*create*: write one, as ``venvd allow`` does)."""
    from .ownership import problem

    top = real_root
    for _ in range(MAX_UP):
        if os.path.lexists(os.path.join(top, ".git")):
            break
        parent = os.path.dirname(top)
        if parent == top:
            return None
        top = parent
    else:
        return None
    common = _common_dir(top)
    if common is None:
        return None
    try:
        st = os.stat(common)
        if problem(common, st) is not None:
            return None  # a repository another user can change identifies nothing
    except OSError:
        return None
    token = _read_line(os.path.join(common, TOKEN_FILE))
    if token is None and create:
        token = _write_token(common)
    if token is None:
        return None
    rel = os.path.relpath(real_root, top)
    return [str(st.st_dev), str(st.st_ino), str(st.st_uid), token, rel.encode("utf-8", "surrogateescape").hex()]


def _write_token(common: str) -> "Optional[str]":
    token = os.urandom(16).hex()
    path = os.path.join(common, TOKEN_FILE)
    try:
        # O_EXCL: never through a link, never over a file someone put there meanwhile.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return _read_line(path)
    except OSError:
        return None  # a read-only repository: trust stays with the path
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token

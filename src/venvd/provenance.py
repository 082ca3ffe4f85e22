"""Which venvs venvd made: proof kept in venvd's state dir, where no repo can write.

The marker inside a venv (``<venv>/.venvd/created``) can come with a repo: a configured
``venv = "src"`` may hold a forged one. So creating a venv also writes a record in
``paths.state_dir()/venvs``, named for the venv's real path, holding that path, the
directory's identity (device, inode) and a random token that is stored in the marker too.
A venv is venvd's only when both agree: the marker's token and the record's, the record's
identity and the directory's. Only such a venv is ever recreated or removed.

A venv venvd made and the user moved (``mv project elsewhere``) still proves itself: the
marker names the path it was made for, that path's record names this very directory (a
rename keeps the inode), so venvd knows it made it for another path and recreates it.

``.venv.venvd-old-PID``, the previous venv set aside while its replacement is built,
gets a record of its own before the rename, so debris left by a kill -9 can be proven
venvd's and removed at the next entry (under the venv's lock: no creation is running).

Only ``os`` at import (the record is read on every directory change into a project).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

DEBRIS = ".venvd-old-"  # <venv>.venvd-old-<pid>: the venv set aside during a recreation


def _record_file(real: str) -> str:
    from .paths import path_key, state_dir

    return os.path.join(state_dir(), "venvs", path_key(real))


def new_token() -> str:
    return os.urandom(16).hex()


def write(real: str, token: str, st: os.stat_result, debris: bool = False, creating: bool = False) -> None:
    """Record that venvd made (or set aside, *debris*) the directory at *real* (a real path).

    *creating*: the directory is being filled by ``uv sync`` itself (a fresh uv.lock venv),
    which needs it empty, so no marker can be inside yet; see ``half_made``."""
    from .envdiff import encode_pairs

    fields = [("venv", real), ("dev", str(st.st_dev)), ("ino", str(st.st_ino)), ("token", token)]
    if debris:
        fields.append(("debris", "1"))
    if creating:
        fields.append(("creating", "1"))
    path = _record_file(real)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    from .safewrite import replace_text

    replace_text(path, encode_pairs(fields) + "\n")


def read(real: str) -> "Optional[dict[str, str]]":
    """The record for *real*, or None (none, unreadable, or for another path)."""
    from .envdiff import decode_pairs
    from .safeio import LIMIT_SMALL, UnsafeFile, read_text

    try:
        text = read_text(_record_file(real), LIMIT_SMALL, errors="surrogateescape")
    except (OSError, UnicodeDecodeError, UnsafeFile):
        return None
    fields = {k: v or "" for k, v in decode_pairs(text.rstrip("\n"))}
    return fields if fields.get("venv") == real else None  # a path_key collision is not a record


def _same(record: "dict[str, str]", st: os.stat_result) -> bool:
    return record.get("dev") == str(st.st_dev) and record.get("ino") == str(st.st_ino)


def forget(real: str, st: "Optional[os.stat_result]" = None) -> None:
    """Remove the record for *real* (only when it names the directory *st*, if given)."""
    if st is not None:
        record = read(real)
        if record is None or not _same(record, st):
            return
    try:
        os.unlink(_record_file(real))
    except OSError:
        pass


def proven(venv: str, marker: "dict[str, str]") -> bool:
    """The marker read from *venv* is one venvd wrote there: its token and the directory's
    identity match the record of the path it names."""
    token, made_for = marker.get("token"), marker.get("made_for")
    if not token or not made_for:
        return False  # forged, or written by a venvd that kept no records: the user's venv
    record = read(made_for)
    if record is None or record.get("token") != token or record.get("debris"):
        return False
    try:
        return _same(record, os.stat(venv))
    except OSError:
        return False


def half_made(venv: str) -> bool:
    """*venv* is a directory venvd made for a creation that has not finished (running now,
    or killed with -9): its record says so and names this very directory, and it holds no
    marker. Such a venv may look usable (uv made its python first) but is venvd's to
    replace, never the user's."""
    from .venv import CREATED, STATE_DIR

    if os.path.lexists(os.path.join(venv, STATE_DIR, CREATED)):
        return False
    real = os.path.realpath(venv)
    record = read(real)
    if record is None or not record.get("creating"):
        return False
    try:
        st = os.lstat(venv)
        written = os.stat(_record_file(real)).st_mtime
    except OSError:
        return False
    if os.path.islink(venv) or not _same(record, st):
        return False
    try:
        cfg_time = os.stat(os.path.join(venv, "pyvenv.cfg")).st_mtime
    except OSError:
        return True  # killed before uv wrote it
    # uv writes pyvenv.cfg moments after the record: a later one is a venv someone made in a
    # directory that merely reuses the removed one's inode (a kill -9 left the record behind).
    return cfg_time - written < 60


def debris_of(venv: str) -> "list[str]":
    """The ``<venv>.venvd-old-*`` siblings of *venv* (one listdir of its parent)."""
    parent, name = os.path.split(os.path.abspath(venv))
    prefix = name + DEBRIS
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    return [os.path.join(parent, n) for n in names if n.startswith(prefix)]


def clean_debris(venv: str) -> None:
    """Remove the ``<venv>.venvd-old-*`` directories venvd set aside and a kill -9 left
    behind. Call it holding the venv's lock: then no creation that could still need one is
    running (its process holds the lock for the whole creation, and a pid in the name may
    have been reused), and each is removed only when its record proves venvd set it aside."""
    for path in debris_of(venv):
        real = os.path.realpath(path)
        record = read(real)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if record is None or not record.get("debris") or not _same(record, st):
            continue  # not something venvd set aside: never touched
        import shutil  # here only: ~3 ms (bz2, lzma), and a venv's creation calls this first

        shutil.rmtree(path, ignore_errors=True)
        forget(real)

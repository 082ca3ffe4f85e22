"""A file of paths, one a line: the trust store and the daemon's project registry.

A line is an escaped path, optionally followed by TAB-separated fields (the trust store
keeps the directory's identity there: device, inode, owner). A path may hold any
character but NUL, so ``%``, TAB, CR and LF are escaped; bytes that are not UTF-8 (a
directory named in another encoding) pass through ``surrogateescape``. A line written
before fields existed is a path without fields, so old files read as they always did.

Read with ``venvd.safeio``: a store that became a directory, a FIFO or a huge file is
an error (``UnsafeFile``), never a hang.
"""

from __future__ import annotations

import os

from .safeio import LIMIT_TEXT, read_bytes

FIELD_SEP = "\t"


def _escape(path: str) -> str:
    return path.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D").replace("\t", "%09")


def _unescape(line: str) -> str:
    return line.replace("%0A", "\n").replace("%0D", "\r").replace("%09", "\t").replace("%25", "%")


def read_entries(file: str) -> "dict[str, list[str]]":
    """path -> its fields, in file order (the first line of a path wins); empty when
    *file* does not exist. Raises OSError (unreadable) and UnsafeFile (not a regular file,
    too large) for the caller to turn into its own line."""
    try:
        text = read_bytes(file, LIMIT_TEXT).decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return {}
    entries: dict[str, list[str]] = {}
    for line in text.split("\n"):
        if line:
            path, *fields = line.split(FIELD_SEP)
            entries.setdefault(_unescape(path), fields)
    return entries


def read_paths(file: str) -> list[str]:
    """The paths in *file*, in order, without duplicates; none when it does not exist."""
    return list(read_entries(file))


def write_entries(file: str, entries: "dict[str, list[str]]") -> None:
    """Replace *file* with *entries* (path -> fields), atomically: a reader sees the old
    list or the new."""
    from .safewrite import replace_text

    replace_text(file, "".join(FIELD_SEP.join([_escape(p), *fields]) + "\n" for p, fields in entries.items()))


def write_paths(file: str, paths: "list[str]") -> None:
    """Replace *file* with *paths*, atomically (a reader sees the old list or the new)."""
    write_entries(file, {p: [] for p in paths})


def append_path(file: str, path: str) -> None:
    """Add one line to *file*. A short O_APPEND write is atomic on local filesystems,
    so concurrent writers never interleave half lines and need no lock."""
    os.makedirs(os.path.dirname(file), exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (_escape(path) + "\n").encode("utf-8", "surrogateescape"))
    finally:
        os.close(fd)

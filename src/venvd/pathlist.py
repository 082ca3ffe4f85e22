"""A file of paths, one a line: the trust store and the daemon's project registry.

A path may hold any character but NUL, so ``%``, CR and LF are escaped; bytes that are
not UTF-8 (a directory named in another encoding) pass through ``surrogateescape``.
"""

from __future__ import annotations

import os


def _escape(path: str) -> str:
    return path.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D")


def _unescape(line: str) -> str:
    return line.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def read_paths(file: str) -> list[str]:
    """The paths in *file*, in order, without duplicates; none when it does not exist."""
    try:
        with open(file, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return []
    return list(dict.fromkeys(_unescape(line) for line in lines if line))


def write_paths(file: str, paths: "list[str]") -> None:
    """Replace *file* with *paths*, atomically (a reader sees the old list or the new)."""
    tmp = f"{file}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("".join(_escape(p) + "\n" for p in paths))
    os.replace(tmp, file)


def append_path(file: str, path: str) -> None:
    """Add one line to *file*. A short O_APPEND write is atomic on local filesystems,
    so concurrent writers never interleave half lines and need no lock."""
    os.makedirs(os.path.dirname(file), exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (_escape(path) + "\n").encode("utf-8", "surrogateescape"))
    finally:
        os.close(fd)

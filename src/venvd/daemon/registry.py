"""The projects venvd has activated: the daemon watches the trusted ones among them.

One escaped path a line in ``<state dir>/projects``. ``venvd export`` appends a project
the first time it activates it (an O_APPEND write of one line, no lock needed); the
daemon rewrites the file when it drops deleted projects.
"""

from __future__ import annotations

import os
# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

from ..paths import state_dir

FILE = "projects"


def registry_file(directory: Optional[str] = None) -> str:
    return os.path.join(directory or state_dir(), FILE)


def _escape(path: str) -> str:
    return path.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D")


def _unescape(line: str) -> str:
    return line.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def projects(directory: Optional[str] = None) -> list[str]:
    """Registered project roots, in the order first seen, without duplicates."""
    try:
        with open(registry_file(directory), encoding="utf-8") as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return []
    return list(dict.fromkeys(_unescape(line) for line in lines if line))


def register(root: str, directory: Optional[str] = None) -> bool:
    """Add *root* unless it is there; True when it was added."""
    if root in projects(directory):
        return False
    path = registry_file(directory)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # One short write with O_APPEND is atomic on local filesystems, so concurrent
    # shells never interleave half lines.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (_escape(root) + "\n").encode("utf-8", "surrogateescape"))
    finally:
        os.close(fd)
    return True


def forget(roots: "set[str]", directory: Optional[str] = None) -> None:
    """Drop *roots* (deleted or denied projects) from the registry."""
    keep = [p for p in projects(directory) if p not in roots]
    path = registry_file(directory)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("".join(_escape(p) + "\n" for p in keep))
    os.replace(tmp, path)

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

from ..pathlist import append_path, read_paths, write_paths
from ..paths import state_dir

FILE = "projects"


def registry_file(directory: Optional[str] = None) -> str:
    return os.path.join(directory or state_dir(), FILE)


def projects(directory: Optional[str] = None) -> list[str]:
    """Registered project roots, in the order first seen, without duplicates."""
    return read_paths(registry_file(directory))


def register(root: str, directory: Optional[str] = None) -> bool:
    """Add *root* unless it is there; True when it was added."""
    if root in projects(directory):
        return False
    append_path(registry_file(directory), root)
    return True


def forget(roots: "set[str]", directory: Optional[str] = None) -> None:
    """Drop *roots* (deleted or denied projects) from the registry."""
    write_paths(registry_file(directory), [p for p in projects(directory) if p not in roots])

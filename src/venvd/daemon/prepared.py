"""Venvs the daemon prepared before anyone entered the project (trusted trees): one
record per project in ``<state dir>/prepared``, written by the daemon after the venv was
created and synced, taken (read and removed) by the first ``venvd export`` that
activates it, so that prompt says the venv was prepared in the background.

On the cd path (one failed open when there is no record): os only.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

from ..paths import path_key, state_dir

DIR = "prepared"


def record_path(root: str, directory: "Optional[str]" = None) -> str:
    return os.path.join(directory or state_dir(), DIR, path_key(os.path.realpath(root)))


def write(root: str, seconds: float, directory: "Optional[str]" = None) -> None:
    """Say that *root*'s venv was made ready by the daemon in *seconds*."""
    path = record_path(root, directory)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    from ..safewrite import replace_text

    replace_text(path, f"{os.path.realpath(root)}\n{seconds:.1f}\n")


def take(root: str, directory: "Optional[str]" = None) -> "Optional[str]":
    """How long the daemon took to prepare *root*'s venv (text, seconds), once: the
    record is removed. None when the daemon did not prepare it (or it was said)."""
    from ..errors import VenvdError
    from ..safeio import LIMIT_SMALL, read_optional

    path = record_path(root, directory)
    try:
        data = read_optional(path, LIMIT_SMALL)
    except (OSError, VenvdError):
        return None
    if data is None:
        return None
    try:
        os.unlink(path)
    except OSError:
        return None  # another shell took it first: it says so, not this one
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    if len(lines) < 2 or lines[0] != os.path.realpath(root):
        return None  # a crc32 collision: another project's record
    return lines[1]

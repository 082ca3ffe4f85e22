"""Everything for a person goes to stderr as one ``venvd: …`` line."""

from __future__ import annotations

import sys


def say(message: str) -> None:
    try:
        sys.stderr.write(f"venvd: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # a closed stderr must not turn a message into a traceback


def display_path(path: str, home: "str | None" = None) -> str:
    """*path* with the home directory shortened to ``~``, for messages."""
    import os

    home = home if home is not None else os.environ.get("HOME", "")
    if home and home != "/" and (path == home or path.startswith(home.rstrip("/") + "/")):
        return "~" + path[len(home.rstrip("/")) :]
    return path

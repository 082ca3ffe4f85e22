"""The daemon's log (``<state dir>/daemon.log``): every line starts with the time.

The daemon and the detached ``venvd sync`` processes a shell starts write to the same
file through stderr; each line gets an ISO 8601 timestamp with the UTC offset
(``2026-12-03T14:05:09+00:00 venvd: synced 3 packages in 1.2s``), so a line can be
matched with what a shell said when.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

STAMPS_VAR = "_VENVD_LOG_STAMPS"  # set for a detached `venvd sync` writing into the log


def now() -> str:
    from datetime import datetime

    return datetime.now().astimezone().isoformat(timespec="seconds")


class StampedLines:
    """A text stream that puts the time before each line written to *stream*."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        self._at_line_start = True
        self._lock = threading.Lock()  # the watcher and the sync workers write from their threads

    def write(self, text: str) -> int:
        with self._lock:
            parts = []
            for piece in text.splitlines(keepends=True):
                if self._at_line_start:
                    parts.append(f"{now()} ")
                parts.append(piece)
                self._at_line_start = piece.endswith("\n")
            self._stream.write("".join(parts))
            self._stream.flush()
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return False  # progress lines are for terminals; the log gets the summaries

    def fileno(self) -> int:
        return self._stream.fileno()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def stamp_stderr() -> None:
    """From now on, each line this process writes to stderr carries its time."""
    if not isinstance(sys.stderr, StampedLines):
        sys.stderr = StampedLines(sys.stderr)  # type: ignore[assignment]

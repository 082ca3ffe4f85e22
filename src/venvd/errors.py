"""The one exception type a user sees: a single line, never a traceback."""

from __future__ import annotations


class VenvdError(Exception):
    """A problem the user can fix; its message is printed as one ``venvd:`` line.

    The message says what is wrong and, where we know it, what to do about it.
    """

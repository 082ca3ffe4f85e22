"""The hook's fast path: which files it compares against a stamp, with builtins only.

A prompt where $PWD and $VIRTUAL_ENV are unchanged starts ``venvd export`` only when
one of the watched paths is newer than the stamp (``[[ f -nt stamp ]]``). Directories
are watched too: a file created in or removed from a project root (a new ``uv.lock``,
a deleted ``.venv``) changes the directory's mtime.

The stamp is a file whose mtime is the newest mtime seen among the watched paths;
it is named by that time, so every shell in an unchanged project shares one.
"""

from __future__ import annotations

import os


class Watch:
    __slots__ = ("paths", "_late", "_newest")

    def __init__(self) -> None:
        self.paths: list[str] = []
        self._late: list[str] = []
        self._newest = 0

    def add_input(self, path: str) -> None:
        """Watch a file that is about to be read: stat it now, before reading, so a
        change made while we read makes it newer than the stamp."""
        self._add(path, stat_now=True)

    def add(self, path: str) -> None:
        """Watch a path that this run may itself change (a directory, a venv file):
        it is stat'ed when the stamp is made."""
        self._add(path, stat_now=False)

    def _add(self, path: str, stat_now: bool) -> None:
        if path in self.paths:
            return
        self.paths.append(path)
        if stat_now:
            self._seen(path)
        else:
            self._late.append(path)

    def _seen(self, path: str) -> None:
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return  # missing: `-nt` is false until it appears, then true
        if mtime > self._newest:
            self._newest = mtime

    def stamp(self, stamp_dir: str) -> str:
        """The stamp file for the watched paths, created if needed."""
        for path in self._late:
            self._seen(path)
        path = os.path.join(stamp_dir, str(self._newest))
        try:
            st = os.stat(path)
            if st.st_mtime_ns == self._newest:
                return path
        except OSError:
            pass
        os.makedirs(stamp_dir, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w"):
            pass
        os.utime(tmp, ns=(self._newest, self._newest))
        os.replace(tmp, path)
        if (self._newest // 1000) % 64 == 0:  # now and then, as cheaply as a coin toss
            _forget_old_stamps(stamp_dir, keep=path)
        return path


STAMP_LIFETIME_NS = 30 * 24 * 3600 * 10**9


def _forget_old_stamps(stamp_dir: str, keep: str) -> None:
    """Remove stamps older than a month. A shell whose stamp is gone simply runs
    ``venvd export`` once more at its next prompt and gets a new one."""
    import time

    cutoff = time.time_ns() - STAMP_LIFETIME_NS
    for name in os.listdir(stamp_dir):
        if name.isdigit() and int(name) < cutoff and os.path.join(stamp_dir, name) != keep:
            try:
                os.unlink(os.path.join(stamp_dir, name))
            except OSError:
                pass

"""The hook's fast path: which paths it watches, and a stamp per path, for builtins only.

A prompt where $PWD and $VIRTUAL_ENV are unchanged starts ``venvd export`` only when
one of the watched paths changed. A shell can only compare mtimes with builtins, and
"newer than" misses a file replaced by an older one (``cp -p``, a ``git checkout`` of an
older blob, ``touch -d``), so each path gets a stamp: a file whose mtime is exactly the
mtime the path had, and the hook tests ``-nt || -ot`` (any move of the mtime). A path
that was missing has the stamp ``""``: the hook checks it is still missing.

Stamps are named by their mtime (nanoseconds), so paths and shells with the same mtime
share one. Directories are watched too: a file created in or removed from a project root
(a new ``uv.lock``, a deleted ``.venv``) changes the directory's mtime.

Paths only venvd and the venv's own tools write — directories, the venv's files and
venvd's records directory (every record is written beside and renamed in, so the
directory's mtime moves with each) — only ever move forward: for them the hook asks one
question, "newer than its stamp?": their stamp is ``OWN`` followed by the stamp of their
exact mtime (``-/…/stamps/N``), which a shell that can read mtimes itself (zsh's zstat)
compares exactly. That is half the ``stat`` calls of the two-sided test, on every prompt.
(Their own stamp, not the newest: a file dated in the future would hide their changes.) The files a person or git writes (the project's inputs, the user config, the
interpreter) are compared with their own stamp both ways.

``stamp()`` also returns the stamp of the newest mtime: the directories the hook walks
itself (``_VENVD_CHAIN``) are compared with it, and its existence says the state is whole.
"""

from __future__ import annotations

import os

MISSING = ""  # the stamp of a path that did not exist
OWN = "-"  # prefix of the stamp of a path that only moves forward: compared one way with its stamp


class Watch:
    __slots__ = ("paths", "stamps", "_mtimes", "_own")

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.stamps: list[str] = []  # filled in by stamp(), one per path
        self._mtimes: dict[str, "int | None"] = {}  # path -> mtime seen before reading
        self._own: set[str] = set()  # paths watched one-sided (add_own)

    def add_input(self, path: str) -> None:
        """Watch a file that is about to be read: stat it now, before reading, so a
        change made while we read makes its mtime differ from its stamp."""
        if self._add(path):
            self._mtimes[path] = _mtime(path)

    def add(self, path: str) -> None:
        """Watch a path that this run may itself change (a directory, a venv file):
        it is stat'ed when the stamp is made."""
        self._add(path)

    def add_own(self, path: str) -> None:
        """Watch a path whose mtime only moves forward (a directory, a file only venvd or
        the venv's tools write): a change is "newer than its stamp"."""
        if self._add(path):
            self._own.add(path)

    def is_own(self, path: str) -> bool:
        return path in self._own

    def take_mtimes(self, other: "Watch") -> None:
        """The mtimes *other* took before reading its inputs, for the paths both watch."""
        for path, mtime in other._mtimes.items():
            if path in self.paths:
                self._mtimes[path] = mtime

    def _add(self, path: str) -> bool:
        if path in self.paths:
            return False
        self.paths.append(path)
        return True

    def stamp(self, stamp_dir: str) -> str:
        """Make the stamp of every watched path (``self.stamps``); return the stamp of
        the newest mtime among them."""
        made: dict[int, str] = {}
        created = False
        newest = 0
        self.stamps = []
        for path in self.paths + [""]:  # "": the newest stamp, made last
            if path:
                mtime = self._mtimes[path] if path in self._mtimes else _mtime(path)
                if mtime is None:
                    self.stamps.append(MISSING)
                    continue
                newest = max(newest, mtime)
            else:
                mtime = newest
            if mtime not in made:
                made[mtime], new = _stamp_file(stamp_dir, mtime)
                created = created or new
            if path:
                self.stamps.append(OWN + made[mtime] if path in self._own else made[mtime])
        if created and newest % 64 == 0:  # now and then, as cheaply as a coin toss
            _forget_old_stamps(stamp_dir, keep=set(made.values()))
        return made[newest]


def _mtime(path: str) -> "int | None":
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _stamp_file(stamp_dir: str, mtime: int) -> "tuple[str, bool]":
    """The file named by *mtime* whose mtime is exactly *mtime* (made if needed, with its
    atime saying when), and whether it was made now."""
    path = os.path.join(stamp_dir, str(mtime))
    try:
        if os.stat(path).st_mtime_ns == mtime:
            return path, False
    except OSError:
        pass
    os.makedirs(stamp_dir, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w"):
        pass
    os.utime(tmp, ns=(os.stat(tmp).st_mtime_ns, mtime))  # atime: made now; mtime: the path's
    os.replace(tmp, path)
    return path, True


def now_stamp(stamp_dir: str) -> str:
    """A stamp one nanosecond older than anything written from now on: the hook remembers a
    directory it looked into and found no project marker in while that directory is not
    newer than this (a file created, removed or renamed in it moves its mtime forward). Its
    mtime is the kernel's own clock (a new file's) minus one nanosecond, so a change made
    in the same clock tick as it still counts as newer."""
    os.makedirs(stamp_dir, exist_ok=True)
    probe = os.path.join(stamp_dir, f"now.{os.getpid()}.tmp")
    with open(probe, "w"):
        pass
    try:
        made = os.stat(probe).st_mtime_ns  # the kernel's clock, as it stamps a write
    finally:
        os.unlink(probe)
    return _stamp_file(stamp_dir, made - 1)[0]


CLOCK_REUSE_NS = 600 * 10**9  # a clock stamp younger than this is handed out again


def hook_clock(cache_dir: str) -> str:
    """A ``now_stamp`` for the hook (``_VENVD_NOW``), asked for at each export and as the
    hook loads; "" when it cannot be written (the hook then remembers no directory). Any
    clock made before the hook looks into a directory is sound, a later one only lets it
    remember more, so one made in the last ten minutes is handed out again (its name is
    kept in ``stamps/clock``): not a file per export."""
    stamp_dir = os.path.join(cache_dir, "stamps")
    pointer = os.path.join(stamp_dir, "clock")
    from .errors import VenvdError
    from .safeio import LIMIT_SMALL, read_bytes

    try:
        name = read_bytes(pointer, LIMIT_SMALL).decode().strip()
        path = os.path.join(stamp_dir, name)
        if name.isdigit() and time_ns() - os.stat(path).st_mtime_ns < CLOCK_REUSE_NS:
            return path
    except (OSError, ValueError, VenvdError):  # none yet, or not one venvd wrote: a new one
        pass
    try:
        path = now_stamp(stamp_dir)
        from .safewrite import replace_text

        replace_text(pointer, os.path.basename(path))
        return path
    except OSError:
        return ""


def time_ns() -> int:
    import time

    return time.time_ns()


STAMP_LIFETIME_NS = 30 * 24 * 3600 * 10**9
SHELL_CLOCK_PREFIXES = ("bash.",)  # the hooks' clock files (shell/venvd.bash)
SHELL_CLOCK_LIFETIME_NS = 24 * 3600 * 10**9


def _forget_old_stamps(stamp_dir: str, keep: "set[str]") -> None:
    """Remove stamps made more than a month ago: their atime says when they were made
    (nothing reads them; their name and mtime are a watched path's, which can be years
    old). A shell whose stamp is gone simply runs ``venvd export`` once more. Also the
    shells' own clock files (bash's ``bash.PID.TAG.N``, written by a redirection to say
    "now") not written for a day: a shell still using one reads a directory once more."""
    import time

    now = time.time_ns()
    cutoff = now - STAMP_LIFETIME_NS
    for name in os.listdir(stamp_dir):
        path = os.path.join(stamp_dir, name)
        if name.startswith(SHELL_CLOCK_PREFIXES):
            try:
                if os.stat(path).st_mtime_ns < now - SHELL_CLOCK_LIFETIME_NS:
                    os.unlink(path)
            except OSError:
                pass
            continue
        if not name.lstrip("-").isdigit() or path in keep:
            continue
        try:
            if os.stat(path).st_atime_ns < cutoff:
                os.unlink(path)
        except OSError:
            pass

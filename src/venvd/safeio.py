"""Reading a file that a cloned repo or another local user may have planted.

Every file venvd reads — markers, inputs, includes, config, records, the trust store —
goes through ``read_bytes``: it never blocks and never reads without bound.

- The path is ``stat``-ed first and must be a regular file, so a FIFO (which would block
  ``open`` until a writer comes), a link to ``/dev/zero`` (endless) or a device (where
  opening may have side effects, e.g. a tape rewinding) is refused before it is opened.
- It is then opened with ``O_NONBLOCK`` and ``fstat``-ed again: the file swapped for a FIFO
  between the two calls is caught, and a procfs file that looks regular but would block
  (``/proc/kmsg``) answers ``EAGAIN`` instead of hanging.
- At most *limit* bytes are read; a larger file is an error line, not a slow prompt.
- ``read_prefix`` reads only the first bytes of a file of any size (the ``#!`` of an
  interpreter), with the same checks.

The limits are generous for real projects and small enough that reading and hashing the
largest allowed file costs well under a second (see LIMIT_*). Imports only ``os`` and
``stat``, which every Python has loaded already, so it is free on the cd path.
"""

from __future__ import annotations

import os
import stat

from .errors import VenvdError

KiB = 1024
MiB = 1024 * KiB
# .python-version, pyvenv.cfg, venvd's own records, markers and caches (config cache, the
# fingerprint memo): a few hundred bytes to a few KiB each.
LIMIT_SMALL = 256 * KiB
# pyproject.toml, venvd.toml, requirements files, the trust store: real ones are under 100 KiB.
LIMIT_TEXT = 8 * MiB
# Lockfiles: the largest real uv.lock / poetry.lock files are a few MiB. Every file a
# fingerprint hashes is read with this cap (hashing 64 MiB takes ~0.1 s).
LIMIT_LOCK = 64 * MiB

_O_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


class UnsafeFile(VenvdError):
    """A path that is not a regular file, or is larger than venvd reads. Not an OSError
    on purpose: code that treats a missing file as "absent" must not treat a planted FIFO
    the same way without saying so."""

    def __init__(self, message: str, path: str):
        super().__init__(message)
        self.path = path


def kind_of(mode: int) -> str:
    """What a non-regular file is, for the error line."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size_text(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit // KiB} KiB"


def _not_regular(path: str, mode: int) -> UnsafeFile:
    return UnsafeFile(f"{path} is {kind_of(mode)}, not a regular file; venvd does not read it", path)


def _too_large(path: str, limit: int) -> UnsafeFile:
    return UnsafeFile(f"{path} is larger than {_size_text(limit)} (the most venvd reads of such a file); "
                      "is it the right file?", path)


def _open_regular(path: str, limit: "int | None") -> int:
    """An fd of the regular file at *path*, checked before and after the open (see the
    module docstring); *limit*, when given, bounds its size as stat reports it."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path, st.st_mode)
    if limit is not None and st.st_size > limit:
        raise _too_large(path, limit)
    fd = os.open(path, _O_FLAGS)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # swapped between stat and open
        os.close(fd)
        raise _not_regular(path, st.st_mode)
    return fd


def _read_chunk(fd: int, size: int, path: str) -> bytes:
    try:
        return os.read(fd, size)
    except BlockingIOError:
        raise UnsafeFile(f"{path} would block when read (not an ordinary file); venvd does not read it",
                         path) from None


def read_bytes(path: str, limit: int = LIMIT_TEXT) -> bytes:
    """The bytes of the regular file at *path* (symlinks followed), at most *limit*.

    Raises OSError (FileNotFoundError, PermissionError, …) as ``open`` would, and
    UnsafeFile when the path is not a regular file or is larger than *limit*.
    """
    fd = _open_regular(path, limit)
    try:
        chunks = []
        total = 0
        while True:
            chunk = _read_chunk(fd, min(limit + 1 - total, 1 * MiB), path)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # grew, or a special file that reports size 0
                raise _too_large(path, limit)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_prefix(path: str, size: int) -> bytes:
    """The first *size* bytes of the regular file at *path*, however large it is (e.g. the
    ``#!`` of an executable), with the same checks as ``read_bytes``: never a FIFO or device,
    never blocking."""
    fd = _open_regular(path, None)
    try:
        return _read_chunk(fd, size, path)
    finally:
        os.close(fd)


def read_text(path: str, limit: int = LIMIT_TEXT, errors: str = "strict") -> str:
    """``read_bytes`` decoded as UTF-8 (a BOM is dropped). With ``errors="strict"`` a file
    that is not UTF-8 raises UnicodeDecodeError, which callers turn into their own line."""
    data = read_bytes(path, limit)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # as the utf-8-sig codec, which would cost an import on the cd path
    return data.decode("utf-8", errors)


def read_optional(path: str, limit: int = LIMIT_TEXT) -> "bytes | None":
    """``read_bytes``, or None when the file is missing or cannot be opened (OSError).
    A planted non-regular or oversized file still raises UnsafeFile."""
    try:
        return read_bytes(path, limit)
    except OSError:
        return None
